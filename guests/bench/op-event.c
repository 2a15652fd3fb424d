/* op-event.c: the event round-trip loop (ops.h) over a loopback interdomain channel
 * (xen-pv-abi.md §1.7, §3.6). Nothing here prints: the callers decide how to report.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "ops.h"

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

const char *op_event_init(void)
{
    long a = evtchn_alloc_unbound(DOMID_SELF);
    long b = a > 0 ? evtchn_bind_interdomain(DOMID_SELF, (uint32_t)a) : a;
    if (a <= 0 || b <= 0)
        return "cannot make a loopback interdomain channel";
    port_a = (uint32_t)a;
    port_b = (uint32_t)b;
    evtchn_clear(port_b);                    /* bind_interdomain leaves the new port pending */
    evtchn_set_handler(port_a, on_a);
    evtchn_set_handler(port_b, on_b);
    evtchn_unmask(port_a);
    evtchn_unmask(port_b);
    events_enable();
    return 0;
}

uint32_t op_event_run(uint32_t n)
{
    uint32_t late = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t before = pongs;
        xen_evtchn_send(port_a);
        late += pongs != before + 1;
    }
    return late;
}

void op_event_stop(void) { events_disable(); }
uint32_t op_event_pings(void) { return pings; }
