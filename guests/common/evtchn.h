/* evtchn.h: the guest side of 2-level event channels (xen-pv-abi.md §1.7, §3.6): per-port mask
 * and pending bits in shared_info, the vCPU's upcall_pending/pending_sel/upcall_mask in vcpu_info,
 * and an upcall handler that scans pending_sel -> evtchn_pending & ~evtchn_mask, clears each bit
 * it takes and calls the port's handler. Needs shared_info_map() first.
 * Waiting: events_disable(); while (!done) { evtchn_block(); } -- sched_op(block) unmasks
 * atomically, so an event that arrives between the test and the block is not lost.
 */
#ifndef EVTCHN_H
#define EVTCHN_H

#include "xen.h"
#include "xen-event.h"

typedef void (*evtchn_handler_t)(uint32_t port);
#define EVTCHN_MAX_HANDLED  64      /* ports with a handler; higher ones are counted as stray */

/* Masks every port, registers the event callback. Returns the callback_op result. */
long evtchn_init(void);
void evtchn_set_handler(uint32_t port, evtchn_handler_t h);

void evtchn_mask(uint32_t port);
/* Clears the mask bit in shared_info; if the port is pending, raises the upcall ourselves (as
 * Xen's unmask would) and, with events enabled, makes Xen deliver it (xen_version(0)). */
void evtchn_unmask(uint32_t port);
int evtchn_is_masked(uint32_t port);
int evtchn_is_pending(uint32_t port);
void evtchn_clear(uint32_t port);

void events_disable(void);                 /* upcall_mask := 1 */
void events_enable(void);                  /* upcall_mask := 0, then deliver anything pending */
/* sched_op(SCHEDOP_block): returns once an event was delivered; events are masked again on
 * return so the caller can re-test its condition. */
void evtchn_block(void);

/* Counters kept by the upcall handler. */
extern volatile unsigned long evtchn_upcalls;      /* upcall entries */
extern volatile unsigned long evtchn_stray;        /* pending ports without a handler */

/* Hypercall wrappers returning the port (>= 0) or -errno. */
long evtchn_bind_virq(uint32_t virq, uint32_t vcpu);
long evtchn_bind_ipi(uint32_t vcpu);
long evtchn_alloc_unbound(uint16_t remote_dom);
long evtchn_bind_interdomain(uint16_t remote_dom, uint32_t remote_port);
long evtchn_close(uint32_t port);
long evtchn_status(uint32_t port, struct evtchn_status *st);

#endif /* EVTCHN_H */
