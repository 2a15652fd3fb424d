/* console.h: text output for the demo guests, to both places a Xen domU can write
 * (xen-pv-abi.md §0 fact 9, §5.1): the hypervisor console (console_io CONSOLEIO_write; a release
 * Xen refuses it for ordinary domUs with -EPERM, which we ignore) and the PV console ring whose
 * page start_info names, read by the console backend (xenconsoled; our host's terminal).
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>
#include "xen.h"

/* Finds the console ring from start_info (M2P lookup of console.domU.mfn). Without a usable ring
 * (dom0, event channel 0, or an MFN that does not translate) output goes to console_io only. */
void console_init(const start_info_t *si);

/* Writes n bytes; in the ring every "\n" becomes "\r\n". Yields to the backend while the ring is
 * full. */
void console_write(const char *s, size_t n);

/* Gives the backend a chance to drain the ring: yields until out_cons catches up with out_prod,
 * at most `max_yields` times (so a guest without a backend still finishes). Returns 1 if drained. */
int console_flush(unsigned int max_yields);

/* Where the ring is (NULL if none) and its event channel, for guests that want to report it. */
volatile struct xencons_interface *console_ring(void);
uint32_t console_evtchn(void);
xen_ulong_t console_ring_pfn(void);

#endif /* CONSOLE_H */
