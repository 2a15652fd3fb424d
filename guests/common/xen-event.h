/* xen-event.h: event channels and per-vCPU timers beyond what hello needs: EVTCHNOP_status,
 * bind_ipi, the vcpu_op sub-ops for timers and vcpu_info placement (event_channel.h, vcpu.h;
 * xen-pv-abi.md §1.7, §2.3, §3.6). Layouts are the same in both ABIs except where a 64-bit
 * field follows a 32-bit one: the PV32 compat structure then packs it 4-aligned, which plain
 * uint64_t under gcc -m32 reproduces.
 */
#ifndef XEN_EVENT_H
#define XEN_EVENT_H

#include "xen.h"

/* ---- EVTCHNOP_status ------------------------------------------------------------------------ */
#define EVTCHNSTAT_closed       0
#define EVTCHNSTAT_unbound      1
#define EVTCHNSTAT_interdomain  2
#define EVTCHNSTAT_pirq         3
#define EVTCHNSTAT_virq         4
#define EVTCHNSTAT_ipi          5

struct evtchn_status {
    uint16_t dom;              /* in: DOMID_SELF */
    uint32_t port;             /* in */
    uint32_t status;           /* out: EVTCHNSTAT_* */
    uint32_t vcpu;             /* out: vCPU notified */
    union {
        struct { uint16_t dom; } unbound;                      /* remote domain allowed to bind */
        struct { uint16_t dom; uint32_t port; } interdomain;   /* the other end */
        uint32_t pirq;
        uint32_t virq;
    } u;
};
XEN_ABI_CHECK(struct evtchn_status, port, 4);
XEN_ABI_CHECK(struct evtchn_status, status, 8);
XEN_ABI_CHECK(struct evtchn_status, vcpu, 12);
XEN_ABI_CHECK(struct evtchn_status, u, 16);
XEN_ABI_CHECK(struct evtchn_status, u.interdomain.port, 20);
XEN_SIZE_CHECK(struct evtchn_status, 24);

struct evtchn_bind_ipi { uint32_t vcpu; uint32_t port; /* out */ };

/* Ports the 2-level ABI can name: one bit per port in evtchn_pending[]. */
#define EVTCHN_2L_NR_PORTS  (sizeof(((shared_info_t *)0)->evtchn_pending) * 8)
#define EVTCHN_BITS_PER_WORD  (sizeof(xen_ulong_t) * 8)

/* ---- vcpu_op -------------------------------------------------------------------------------- */
#define VCPUOP_is_up                      3
#define VCPUOP_set_periodic_timer         6
#define VCPUOP_stop_periodic_timer        7
#define VCPUOP_set_singleshot_timer       8
#define VCPUOP_stop_singleshot_timer      9
#define VCPUOP_register_vcpu_info         10

struct vcpu_set_periodic_timer { uint64_t period_ns; };      /* 8 B; at least 1 ms */

struct vcpu_set_singleshot_timer {                           /* 16 B PV64, 12 B PV32 */
    uint64_t timeout_abs_ns;   /* system time (ns since boot) */
    uint32_t flags;            /* VCPU_SSHOTTMR_future: -ETIME if already past */
};
#define VCPU_SSHOTTMR_future  1
#if defined(__x86_64__)
XEN_SIZE_CHECK(struct vcpu_set_singleshot_timer, 16);
#else
XEN_SIZE_CHECK(struct vcpu_set_singleshot_timer, 12);
#endif

struct vcpu_register_vcpu_info {                             /* 16 B both */
    uint64_t mfn;              /* frame holding the new vcpu_info */
    uint32_t offset;           /* byte offset in that frame; must not cross the page */
    uint32_t rsvd;
};
XEN_ABI_CHECK(struct vcpu_register_vcpu_info, offset, 8);
XEN_SIZE_CHECK(struct vcpu_register_vcpu_info, 16);

#endif /* XEN_EVENT_H */
