/* event.c: event-channel ping-pong, `iters` round trips, inside one domain over a loopback
 * interdomain channel (EVTCHNOP_alloc_unbound + bind_interdomain to DOMID_SELF: ports A and B).
 * One round trip: send on A (hypercall) -> B pending -> upcall on the return from the send; the
 * handler for B sends on B (hypercall, events still masked) -> A pending -> the same upcall's
 * rescan runs the handler for A -> iret hypercall back to the loop. So two sends, two deliveries,
 * one upcall bounce and one iret per round trip (xen-pv-abi.md §1.7, §3.6); the loop is
 * op_event_run (ops.c). The result is the number of round trips that did not complete before the
 * send returned, with bit 31 set if the handler for B ran another number of times than `iters`.
 */
#include "bench.h"
#include "evtchn.h"
#include "ops.h"
#include "shared.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

void guest_main(start_info_t *si)
{
    uint32_t n = bench_begin(si, "event");
    if (shared_info_map(si) || trap_init() || evtchn_init())
        bench_end(0, 0, "cannot map shared_info or register the trap table / event callback");
    const char *failed = op_event_init();
    if (failed)
        bench_end(0, 0, failed);
    uint32_t late = op_event_run(n);
    op_event_stop();
    uint32_t pings = op_event_pings();
    bench_end(n, late | (pings != n ? 0x80000000u : 0),
              late || pings != n ? "a round trip did not complete on the return from its send" : 0);
}
