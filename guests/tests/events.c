/* events.c: test guest for event channels, timers and time (xen-pv-abi.md §1.7, §2.3, §3.6).
 * Binds VIRQ_TIMER, registers the event callback, and waits with sched_op(block) for: a
 * singleshot timer (vcpu_op set_singleshot_timer), set_timer_op, and a 10 ms periodic timer
 * (vcpu_op set_periodic_timer) counted over 5 ticks; checks that no tick comes before its
 * deadline. Then bind_ipi + send to self (delivered on return from the send), the 2-level rules
 * for masked ports (send while masked raises no upcall; EVTCHNOP_unmask does), alloc_unbound +
 * bind_interdomain to ourselves, EVTCHNOP_status for every kind of port, close, the error
 * returns of bad requests, VCPUOP_register_vcpu_info (the copy and the forced rescan), and that
 * pvclock time read from vcpu_info never goes backwards; sched_op(poll) on a masked port wakes when
 * the port fires.
 */
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "libc.h"
#include "mm.h"
#include "pv.h"
#include "pvclock.h"
#include "shared.h"
#include "test.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define MS  1000000ULL
#define PERIOD_NS  (10 * MS)
#define PERIODIC_TICKS 5

static volatile unsigned int timer_ticks, ipi_events, loop_events;
static volatile uint64_t last_tick_ns;
static uint32_t timer_port;

static void on_timer(uint32_t port) { (void)port; timer_ticks++; last_tick_ns = xen_system_time(); }
static void on_ipi(uint32_t port) { (void)port; ipi_events++; }
static void on_loopback(uint32_t port) { (void)port; loop_events++; }

static const char *ns_text(char *buf, uint64_t ns)
{
    char digits[24];
    uint64_t us = ns;
    u64_divmod(&us, 1000);
    snprintf(buf, 32, "%s us", u64_dec(digits, us));
    return buf;
}

/* Events off and no VIRQ_TIMER left pending from a timer stopped or replaced before. */
static void timer_quiesce(void)
{
    events_disable();
    evtchn_clear(timer_port);
}

/* Blocks until timer_ticks reaches `ticks`; returns the time of the last tick. */
static uint64_t wait_ticks(unsigned int ticks)
{
    events_disable();
    while (timer_ticks < ticks)
        evtchn_block();
    return last_tick_ns;
}

static void test_time(void)
{
    char a[32], b[32];
    struct pvclock_sample s;
    pvclock_sample(&xen_vcpu->time, &s);
    check(s.mul != 0 && !(s.version & 1), "vcpu_time_info: version %u (even), tsc_to_system_mul "
          "0x%x, tsc_shift %d", (unsigned int)s.version, (unsigned int)s.mul, (int)s.shift);
    /* Read until the clock has moved on a few times (how often it ticks is the hypervisor's
     * business: an emulator may advance it only between instruction slices). */
    uint64_t prev = xen_system_time(), first = prev;
    unsigned int backwards = 0, changes = 0, reads = 0;
    while (changes < 3 && reads < 200000) {
        uint64_t now = xen_system_time();
        reads++;
        if (now < prev)
            backwards++;
        if (now != prev)
            changes++;
        prev = now;
    }
    check(backwards == 0 && changes == 3, "pvclock: %u reads, never backwards, advanced %u times "
          "(%s -> %s)", reads, changes, ns_text(a, first), ns_text(b, prev));
    uint32_t wc_sec = xen_shared_info->wc_sec;
    printf("  wallclock: wc_sec %u, wc_version %u\n", (unsigned int)wc_sec,
           (unsigned int)xen_shared_info->wc_version);
}

static void test_timers(void)
{
    char a[32], b[32];
    events_disable();
    check_rc(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0), 0,
             "vcpu_op(stop_periodic_timer) (the default 10 ms tick)");
    timer_quiesce();

    /* singleshot */
    uint64_t deadline = xen_system_time() + 5 * MS;
    struct vcpu_set_singleshot_timer ss = { .timeout_abs_ns = deadline, .flags = 0 };
    unsigned int ticks = timer_ticks;
    check_rc(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), 0,
             "vcpu_op(set_singleshot_timer, now + 5 ms)");
    uint64_t t = wait_ticks(ticks + 1);
    check(t >= deadline, "singleshot timer: VIRQ_TIMER at %s, deadline %s", ns_text(a, t),
          ns_text(b, deadline));

    /* set_timer_op shares the same one-shot timer */
    deadline = xen_system_time() + 3 * MS;
    ticks = timer_ticks;
    check_rc(HYPERVISOR_set_timer_op(deadline), 0, "set_timer_op(now + 3 ms)");
    t = wait_ticks(ticks + 1);
    check(t >= deadline, "set_timer_op: VIRQ_TIMER at %s, deadline %s", ns_text(a, t),
          ns_text(b, deadline));

    /* VCPU_SSHOTTMR_future refuses a deadline in the past */
    ss.timeout_abs_ns = xen_system_time() > MS ? xen_system_time() - MS : 1;
    ss.flags = VCPU_SSHOTTMR_future;
    check_rc(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), -XEN_ETIME,
             "vcpu_op(set_singleshot_timer, past deadline, VCPU_SSHOTTMR_future)");

    /* periodic */
    struct vcpu_set_periodic_timer too_short = { .period_ns = MS / 2 };
    check_rc(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &too_short), -XEN_EINVAL,
             "vcpu_op(set_periodic_timer, 0.5 ms): below the 1 ms minimum");
    struct vcpu_set_periodic_timer per = { .period_ns = PERIOD_NS };
    ticks = timer_ticks;
    uint64_t start = xen_system_time();
    check_rc(HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &per), 0,
             "vcpu_op(set_periodic_timer, 10 ms)");
    t = wait_ticks(ticks + PERIODIC_TICKS);
    /* Ticks are at least a period apart (Xen may coalesce, never hurry), so the fifth one
     * comes at least four periods after the timer was set. */
    check(t >= start + (PERIODIC_TICKS - 1) * PERIOD_NS,
          "periodic timer: %u ticks in %s (at least %u periods)", PERIODIC_TICKS,
          ns_text(a, t - start), PERIODIC_TICKS - 1);
    check_rc(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0), 0,
             "vcpu_op(stop_periodic_timer)");
    timer_quiesce();

    /* sched_op(poll) wakes when a polled port becomes pending even while it is masked (Xen's
     * evtchn_check_pollers; Linux's PV spinlocks rely on it): the timeout is far, the timer near. */
    evtchn_mask(timer_port);
    deadline = xen_system_time() + 2 * MS;
    check_rc(HYPERVISOR_set_timer_op(deadline), 0, "set_timer_op(now + 2 ms), VIRQ_TIMER masked");
    uint32_t polled = timer_port;
    struct sched_poll poll = { .ports = &polled, .nr_ports = 1, .timeout = deadline + 500 * MS };
    check_rc(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), 0, "sched_op(poll) on the masked VIRQ_TIMER port");
    t = xen_system_time();
    check(evtchn_is_pending(timer_port) && t >= deadline && t < deadline + 100 * MS,
          "poll on a masked port: woken at %s by the timer due at %s (timeout 500 ms later), port pending %d",
          ns_text(a, t), ns_text(b, deadline), evtchn_is_pending(timer_port));
    evtchn_clear(timer_port);
    evtchn_unmask(timer_port);
    timer_quiesce();
}

static void check_status(uint32_t port, uint32_t want, const char *what)
{
    struct evtchn_status st;
    memset(&st, 0, sizeof st);
    long rc = evtchn_status(port, &st);
    check(rc == 0 && st.status == want && (want == EVTCHNSTAT_closed || st.vcpu == 0),
          "EVTCHNOP_status(%u): rc %ld, status %u (want %u, %s), vcpu %u", (unsigned int)port, rc,
          (unsigned int)st.status, (unsigned int)want, what, (unsigned int)st.vcpu);
}

static void test_ipi(void)
{
    long ipi = evtchn_bind_ipi(0);
    if (!check(ipi > 0, "EVTCHNOP_bind_ipi(vcpu 0) -> port %ld", ipi))
        return;
    check_status((uint32_t)ipi, EVTCHNSTAT_ipi, "ipi");
    evtchn_set_handler((uint32_t)ipi, on_ipi);
    evtchn_unmask((uint32_t)ipi);

    /* Events enabled: delivered on the way back from the send hypercall. */
    unsigned int before = ipi_events;
    events_enable();
    long rc = xen_evtchn_send((uint32_t)ipi);
    unsigned int after_send = ipi_events;
    events_disable();
    check(rc == 0 && after_send == before + 1, "EVTCHNOP_send(ipi) with events enabled: "
          "upcall on return (rc %ld, %u event)", rc, after_send - before);

    /* Events disabled: pending, upcall_pending set, delivered when enabled. */
    before = ipi_events;
    rc = xen_evtchn_send((uint32_t)ipi);
    int pending = xen_vcpu->evtchn_upcall_pending && evtchn_is_pending((uint32_t)ipi);
    unsigned int while_masked = ipi_events;
    events_enable();
    unsigned int after = ipi_events;
    events_disable();
    check(rc == 0 && pending && while_masked == before && after == before + 1,
          "send with upcall_mask 1: pending and upcall_pending set, no upcall until enabled");

    /* Port masked: pending without an upcall; EVTCHNOP_unmask raises it. */
    evtchn_mask((uint32_t)ipi);
    events_enable();
    before = ipi_events;
    rc = xen_evtchn_send((uint32_t)ipi);
    int pending_masked = evtchn_is_pending((uint32_t)ipi);
    unsigned int masked_count = ipi_events;
    struct evtchn_unmask um = { .port = (uint32_t)ipi };
    long urc = HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um);
    after = ipi_events;
    events_disable();
    check(rc == 0 && pending_masked && masked_count == before,
          "send to a masked port: pending bit set, no upcall");
    check(urc == 0 && after == before + 1 && !evtchn_is_masked((uint32_t)ipi),
          "EVTCHNOP_unmask of the pending port: mask cleared, upcall on return (rc %ld)", urc);

    check_rc(evtchn_close((uint32_t)ipi), 0, "EVTCHNOP_close(ipi)");
    check_status((uint32_t)ipi, EVTCHNSTAT_closed, "closed");
    check_rc(evtchn_close((uint32_t)ipi), -XEN_EINVAL, "EVTCHNOP_close of a closed port");
}

static void test_interdomain(void)
{
    long unbound = evtchn_alloc_unbound(DOMID_SELF);
    if (!check(unbound > 0, "EVTCHNOP_alloc_unbound(remote DOMID_SELF) -> port %ld", unbound))
        return;
    struct evtchn_status st;
    memset(&st, 0, sizeof st);
    long rc = evtchn_status((uint32_t)unbound, &st);
    uint16_t domid = st.u.unbound.dom;
    check(rc == 0 && st.status == EVTCHNSTAT_unbound && domid != DOMID_SELF,
          "EVTCHNOP_status(%ld): unbound, remote domain %u (our domid; DOMID_SELF resolved)",
          unbound, (unsigned int)domid);

    long local = evtchn_bind_interdomain(DOMID_SELF, (uint32_t)unbound);
    if (!check(local > 0 && local != unbound,
               "EVTCHNOP_bind_interdomain(DOMID_SELF, %ld) -> port %ld", unbound, local))
        return;
    check(evtchn_is_pending((uint32_t)local), "the newly bound port %ld is pending", local);
    evtchn_clear((uint32_t)local);
    memset(&st, 0, sizeof st);
    rc = evtchn_status((uint32_t)local, &st);
    check(rc == 0 && st.status == EVTCHNSTAT_interdomain &&
          st.u.interdomain.port == (uint32_t)unbound &&
          st.u.interdomain.dom == domid,
          "EVTCHNOP_status(%ld): interdomain to d%u port %u", local,
          (unsigned int)st.u.interdomain.dom, (unsigned int)st.u.interdomain.port);

    /* A send on one end raises the other. */
    evtchn_set_handler((uint32_t)unbound, on_loopback);
    evtchn_unmask((uint32_t)unbound);
    unsigned int before = loop_events;
    events_enable();
    rc = xen_evtchn_send((uint32_t)local);
    unsigned int after = loop_events;
    events_disable();
    check(rc == 0 && after == before + 1, "EVTCHNOP_send(%ld) raised port %ld", local, unbound);

    check_rc(evtchn_close((uint32_t)local), 0, "EVTCHNOP_close(interdomain end)");
    check_status((uint32_t)unbound, EVTCHNSTAT_unbound, "the peer went back to unbound");
    check_rc(evtchn_close((uint32_t)unbound), 0, "EVTCHNOP_close(unbound end)");
    check_status((uint32_t)unbound, EVTCHNSTAT_closed, "closed");
}

static void test_errors(void)
{
    struct evtchn_status st;
    check_rc(evtchn_status((uint32_t)EVTCHN_2L_NR_PORTS, &st), -XEN_EINVAL,
             "EVTCHNOP_status(first port past the 2-level limit)");
    check_rc(evtchn_bind_virq(VIRQ_TIMER, 0), -XEN_EEXIST, "EVTCHNOP_bind_virq(VIRQ_TIMER) again");
    check_rc(evtchn_bind_virq(VIRQ_TIMER, 7), -XEN_ENOENT,
             "EVTCHNOP_bind_virq(VIRQ_TIMER, vcpu 7)");
    check_rc(xen_evtchn_send(EVTCHN_2L_NR_PORTS), -XEN_EINVAL,
             "EVTCHNOP_send(port past the limit)");
    check_status(timer_port, EVTCHNSTAT_virq, "virq");
    memset(&st, 0, sizeof st);
    evtchn_status(timer_port, &st);
    check(st.u.virq == VIRQ_TIMER, "EVTCHNOP_status(%u): virq %u (VIRQ_TIMER)",
          (unsigned int)timer_port, (unsigned int)st.u.virq);
}

static char vcpu_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define VCPU_INFO_OFFSET 0x40

static void test_register_vcpu_info(void)
{
    struct vcpu_register_vcpu_info bad = {
        .mfn = mm_virt_to_mfn(vcpu_page), .offset = PAGE_SIZE - 32, .rsvd = 0 };
    long rc = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &bad);
    check(rc < 0, "vcpu_op(register_vcpu_info) crossing the page end is refused (rc %ld)", rc);

    events_disable();
    volatile vcpu_info_t *nv = (volatile vcpu_info_t *)(vcpu_page + VCPU_INFO_OFFSET);
    memset(vcpu_page, 0, sizeof vcpu_page);
    struct vcpu_register_vcpu_info reg = {
        .mfn = mm_virt_to_mfn(vcpu_page), .offset = VCPU_INFO_OFFSET, .rsvd = 0 };
    rc = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &reg);
    if (!check_rc(rc, 0, "vcpu_op(register_vcpu_info, our page + 0x40)"))
        return;
    check(nv->evtchn_upcall_mask == 1, "new vcpu_info: upcall mask 1 copied from the old one");
    check(nv->evtchn_upcall_pending == 1 && nv->evtchn_pending_sel == ~(xen_ulong_t)0,
          "new vcpu_info: upcall_pending 1, pending_sel all ones (forced rescan)");
    check(nv->time.version != 0 && !(nv->time.version & 1) && nv->time.tsc_to_system_mul != 0,
          "new vcpu_info: time record filled in (version %u)", (unsigned int)nv->time.version);
    shared_set_vcpu_info(nv);

    unsigned long upcalls = evtchn_upcalls;
    events_enable();                      /* the forced rescan is delivered here */
    events_disable();
    check(evtchn_upcalls == upcalls + 1 && nv->evtchn_upcall_pending == 0,
          "the forced rescan upcall ran through the new vcpu_info");

    long ipi = evtchn_bind_ipi(0);
    evtchn_set_handler((uint32_t)ipi, on_ipi);
    evtchn_unmask((uint32_t)ipi);
    unsigned int before = ipi_events;
    rc = xen_evtchn_send((uint32_t)ipi);
    int raised_here = nv->evtchn_upcall_pending;
    events_enable();
    events_disable();
    check(ipi > 0 && rc == 0 && raised_here && ipi_events == before + 1,
          "ipi after the move: upcall_pending set in the new vcpu_info, delivered");
    evtchn_close((uint32_t)ipi);

    char a[32], b[32];
    uint64_t t0 = xen_system_time();
    uint64_t deadline = t0 + 2 * MS;
    timer_quiesce();
    unsigned int ticks = timer_ticks;
    HYPERVISOR_set_timer_op(deadline);
    uint64_t t1 = wait_ticks(ticks + 1);
    check(t1 >= deadline && xen_system_time() >= t1,
          "pvclock from the new vcpu_info advances (%s -> %s)", ns_text(a, t0), ns_text(b, t1));
    rc = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &reg);
    check(rc < 0, "a second register_vcpu_info is refused (rc %ld)", rc);
}

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("events");

    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("shared_info is needed for events");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");
    check_rc(evtchn_init(), 0, "callback_op(register, event) with every port masked");
    test_time();

    long port = evtchn_bind_virq(VIRQ_TIMER, 0);
    if (!check(port > 0, "EVTCHNOP_bind_virq(VIRQ_TIMER, vcpu 0) -> port %ld", port))
        test_abort("no timer port");
    timer_port = (uint32_t)port;
    evtchn_set_handler(timer_port, on_timer);
    evtchn_unmask(timer_port);
    check(!evtchn_is_masked(timer_port) && evtchn_is_masked(timer_port + 1),
          "shared_info evtchn_mask: timer port %u unmasked, the others still masked",
          (unsigned int)timer_port);

    test_timers();
    test_ipi();
    test_interdomain();
    test_errors();
    test_register_vcpu_info();
    check(evtchn_stray == 0, "no event on a port without a handler (%lu)",
          (unsigned long)evtchn_stray);
    test_finish();
}
