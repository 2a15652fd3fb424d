/* ops.h: the operations the benchmark guests time, one loop each (xen-pv-abi.md §1.7, §2.3,
 * §3.6, §4.1), shared by the one-measurement images for the harness (hypercall.c, event.c,
 * ptupdate.c; bench/README.md) and the hcall-bench demo, which runs all three in one image. A loop
 * may be run in several batches; each keeps its own state between batches. The *_init functions
 * return NULL or the reason they failed.
 */
#ifndef OPS_H
#define OPS_H

#include <stdint.h>

/* Null hypercall: xen_version(XENVER_version, NULL), which only reads the version. */
const char *op_null_init(void);
uint32_t op_null_run(uint32_t n);            /* calls whose answer differed from the first */

/* Event round trip over a loopback interdomain channel (ports A and B of this domain): send on A
 * -> upcall -> the handler for B sends on B -> the same upcall handles A -> iret. Needs
 * shared_info_map, trap_init and evtchn_init first; leaves events enabled until op_event_stop. */
const char *op_event_init(void);
uint32_t op_event_run(uint32_t n);           /* round trips not complete when the send returned */
void op_event_stop(void);                    /* events disabled again */
uint32_t op_event_pings(void);               /* times the handler for B ran, all batches */

/* Page-table update: one mmu_update rewriting the L1 entry of a window page, alternating between
 * two frames, then a read through the window. */
const char *op_pt_init(void);
uint32_t op_pt_run(uint32_t n, long *rc);    /* wrong reads; stops at the first failed update */
long op_pt_restore(void);                    /* the window's original mapping back */

#endif /* OPS_H */
