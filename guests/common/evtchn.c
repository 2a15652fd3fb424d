/* evtchn.c: 2-level event channels, guest side (evtchn.h). Bit operations on the shared words use
 * locked read-modify-write instructions, because Xen sets pending bits concurrently. The upcall
 * runs with events masked (Xen set the mask on delivery) and returns through the iret hypercall,
 * whose saved IF restores the interrupted mask.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "pv.h"
#include "shared.h"
#include "trap.h"

#define BITS  EVTCHN_BITS_PER_WORD

volatile unsigned long evtchn_upcalls;
volatile unsigned long evtchn_stray;
static evtchn_handler_t port_handlers[EVTCHN_MAX_HANDLED];

static inline xen_ulong_t bit(uint32_t port) { return (xen_ulong_t)1 << (port % BITS); }

void evtchn_mask(uint32_t port)
{
    __atomic_fetch_or(&xen_shared_info->evtchn_mask[port / BITS], bit(port), __ATOMIC_SEQ_CST);
}

int evtchn_is_masked(uint32_t port)
{
    return (xen_shared_info->evtchn_mask[port / BITS] & bit(port)) != 0;
}

int evtchn_is_pending(uint32_t port)
{
    return (xen_shared_info->evtchn_pending[port / BITS] & bit(port)) != 0;
}

void evtchn_clear(uint32_t port)
{
    __atomic_fetch_and(&xen_shared_info->evtchn_pending[port / BITS], ~bit(port),
                       __ATOMIC_SEQ_CST);
}

void evtchn_unmask(uint32_t port)
{
    __atomic_fetch_and(&xen_shared_info->evtchn_mask[port / BITS], ~bit(port), __ATOMIC_SEQ_CST);
    if (!evtchn_is_pending(port))
        return;
    /* An event that arrived while masked raised no upcall: do what Xen's unmask would do. */
    __atomic_fetch_or(&xen_vcpu->evtchn_pending_sel, (xen_ulong_t)1 << (port / BITS),
                      __ATOMIC_SEQ_CST);
    xen_vcpu->evtchn_upcall_pending = 1;
    if (!xen_vcpu->evtchn_upcall_mask)
        HYPERVISOR_xen_version(XENVER_version, 0);   /* any hypercall: Xen delivers on return */
}

void events_disable(void)
{
    xen_vcpu->evtchn_upcall_mask = 1;
    barrier();
}

void events_enable(void)
{
    barrier();
    xen_vcpu->evtchn_upcall_mask = 0;
    barrier();
    if (xen_vcpu->evtchn_upcall_pending)
        HYPERVISOR_xen_version(XENVER_version, 0);
}

void evtchn_block(void)
{
    HYPERVISOR_sched_op(SCHEDOP_block, 0);
    events_disable();
}

void evtchn_set_handler(uint32_t port, evtchn_handler_t h)
{
    if (port < EVTCHN_MAX_HANDLED)
        port_handlers[port] = h;
}

static void upcall(struct trap_regs *r)
{
    (void)r;
    evtchn_upcalls++;
    volatile vcpu_info_t *v = xen_vcpu;
    do {
        v->evtchn_upcall_pending = 0;
        xen_ulong_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        for (unsigned int w = 0; sel; w++, sel >>= 1) {
            if (!(sel & 1))
                continue;
            xen_ulong_t ready = xen_shared_info->evtchn_pending[w] &
                                ~xen_shared_info->evtchn_mask[w];
            for (unsigned int b = 0; ready; b++, ready >>= 1) {
                if (!(ready & 1))
                    continue;
                uint32_t port = w * BITS + b;
                evtchn_clear(port);
                evtchn_handler_t h = port < EVTCHN_MAX_HANDLED ? port_handlers[port] : 0;
                if (h)
                    h(port);
                else
                    evtchn_stray++;
            }
        }
    } while (v->evtchn_upcall_pending);
}

long evtchn_init(void)
{
    for (unsigned int i = 0; i < sizeof xen_shared_info->evtchn_mask / sizeof(xen_ulong_t); i++)
        xen_shared_info->evtchn_mask[i] = ~(xen_ulong_t)0;
    return trap_set_event_callback(upcall);
}

long evtchn_bind_virq(uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);
    return rc ? rc : (long)op.port;
}

long evtchn_bind_ipi(uint32_t vcpu)
{
    struct evtchn_bind_ipi op = { .vcpu = vcpu };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);
    return rc ? rc : (long)op.port;
}

long evtchn_alloc_unbound(uint16_t remote_dom)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote_dom };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);
    return rc ? rc : (long)op.port;
}

long evtchn_bind_interdomain(uint16_t remote_dom, uint32_t remote_port)
{
    struct evtchn_bind_interdomain op = { .remote_dom = remote_dom, .remote_port = remote_port };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);
    return rc ? rc : (long)op.local_port;
}

long evtchn_close(uint32_t port)
{
    struct evtchn_close op = { .port = port };
    return HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

long evtchn_status(uint32_t port, struct evtchn_status *st)
{
    st->dom = DOMID_SELF;
    st->port = port;
    return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}
