/* event.c: event-channel ping-pong, `iters` round trips, inside one domain over a loopback
 * interdomain channel (EVTCHNOP_alloc_unbound + bind_interdomain to DOMID_SELF: ports A and B).
 * One round trip: send on A (hypercall) -> B pending -> upcall on the return from the send; the
 * handler for B sends on B (hypercall, events still masked) -> A pending -> the same upcall's
 * rescan runs the handler for A -> iret hypercall back to the loop. So two sends, two deliveries,
 * one upcall bounce and one iret per round trip (xen-pv-abi.md §1.7, §3.6).
 * The result is the number of round trips that did not complete before the send returned, with
 * bit 31 set if the handler for B ran another number of times than `iters`.
 */
#include "bench.h"
#include "evtchn.h"
#include "hypercall.h"
#include "shared.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

static uint32_t port_a, port_b;
static volatile uint32_t pings, pongs;

static void on_b(uint32_t port)
{
    (void)port;
    pings++;
    xen_evtchn_send(port_b);
}

static void on_a(uint32_t port)
{
    (void)port;
    pongs++;
}

void guest_main(start_info_t *si)
{
    uint32_t n = bench_begin(si, "event");
    if (shared_info_map(si) || trap_init() || evtchn_init())
        bench_end(0, 0, "cannot map shared_info or register the trap table / event callback");
    long a = evtchn_alloc_unbound(DOMID_SELF);
    long b = a > 0 ? evtchn_bind_interdomain(DOMID_SELF, (uint32_t)a) : a;
    if (a <= 0 || b <= 0)
        bench_end(0, 0, "cannot make a loopback interdomain channel");
    port_a = (uint32_t)a;
    port_b = (uint32_t)b;
    evtchn_clear(port_b);                    /* bind_interdomain leaves the new port pending */
    evtchn_set_handler(port_a, on_a);
    evtchn_set_handler(port_b, on_b);
    evtchn_unmask(port_a);
    evtchn_unmask(port_b);
    events_enable();

    uint32_t late = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t before = pongs;
        xen_evtchn_send(port_a);
        late += pongs != before + 1;
    }
    events_disable();
    bench_end(n, late | (pings != n ? 0x80000000u : 0),
              late || pings != n ? "a round trip did not complete on the return from its send" : 0);
}
