/* hypercall.h: calling the hypervisor from a PV guest kernel (xen-pv-abi.md §2.1).
 * Two mechanisms, chosen at compile time:
 *   default            `call hypercall_page + n*32`: the stubs Xen writes into our HYPERCALL_PAGE
 *                      (PV64 stub: push rcx; push r11; mov $n,%eax; syscall; pop r11; pop rcx; ret;
 *                       PV32 stub: mov $n,%eax; int $0x82; ret).
 *   XEN_HYPERCALL_RAW  the instruction inline with EAX = n, as Linux >= 6.1.121 does (PV64
 *                      `syscall`, which destroys RCX and R11; PV32 `int $0x82`); no page needed.
 * Arguments: PV64 RDI, RSI, RDX, R10, R8; PV32 EBX, ECX, EDX, ESI, EDI; result in RAX/EAX, negative
 * = -XEN_Exxx. A debug Xen overwrites the argument registers a call uses (xen-pv-abi.md §2.1), so
 * used ones are in/out operands and the unused ones of the five are clobbered too (safe even if a
 * Xen counts more arguments for a call than the wrapper passes).
 */
#ifndef HYPERCALL_H
#define HYPERCALL_H

#include "xen.h"

#define XEN_STR_(x) #x
#define XEN_STR(x)  XEN_STR_(x)

/* XEN_COUNT_HYPERCALLS (set per image by build.mjs): every hypercall first increments the
 * guest-defined `unsigned long xen_hypercalls_issued`, in the same asm statement (one `inc` to
 * memory, so an event upcall between two calls cannot lose a count). trap-pv*.S count their iret
 * hypercalls the same way. Only the hcall-bench demo uses it; other images are unchanged. */
#if defined(XEN_COUNT_HYPERCALLS)
extern unsigned long xen_hypercalls_issued;
# if defined(__x86_64__)
#  define XEN_HCALL_COUNT  "incq xen_hypercalls_issued(%%rip)\n\t"
# else
#  define XEN_HCALL_COUNT  "incl xen_hypercalls_issued\n\t"
# endif
#else
# define XEN_HCALL_COUNT   ""
#endif

#if defined(XEN_HYPERCALL_RAW)
# if defined(__x86_64__)
#  define XEN_HCALL_INSN(nr)       XEN_HCALL_COUNT "movl $" XEN_STR(nr) ", %%eax\n\tsyscall"
#  define XEN_HCALL_CLOBBER        "rcx", "r11", "memory"   /* SYSCALL/SYSRET use both */
#  define XEN_HYPERCALL_MECHANISM  "raw syscall"
# else
#  define XEN_HCALL_INSN(nr)       XEN_HCALL_COUNT "movl $" XEN_STR(nr) ", %%eax\n\tint $0x82"
#  define XEN_HCALL_CLOBBER        "memory"
#  define XEN_HYPERCALL_MECHANISM  "raw int $0x82"
# endif
#else
# define XEN_HCALL_INSN(nr)        XEN_HCALL_COUNT "call hypercall_page + " XEN_STR(nr) " * 32"
# define XEN_HCALL_CLOBBER         "memory"   /* the PV64 stub saves RCX and R11 itself */
# define XEN_HYPERCALL_MECHANISM   "hypercall page"
extern char hypercall_page[4096];   /* common/hypercall-page.S; filled in by the domain builder */
#endif

#if defined(__x86_64__)
# define XEN_HCALL_CLOBBER4  "r8", XEN_HCALL_CLOBBER
# define XEN_HCALL_CLOBBER3  "r10", XEN_HCALL_CLOBBER4
# define XEN_HCALL_CLOBBER2  "rdx", XEN_HCALL_CLOBBER3
# define XEN_HCALL_CLOBBER1  "rsi", XEN_HCALL_CLOBBER2
# define XEN_HCALL_CLOBBER0  "rdi", XEN_HCALL_CLOBBER1
#else
# define XEN_HCALL_CLOBBER4  "edi", XEN_HCALL_CLOBBER
# define XEN_HCALL_CLOBBER3  "esi", XEN_HCALL_CLOBBER4
# define XEN_HCALL_CLOBBER2  "edx", XEN_HCALL_CLOBBER3
# define XEN_HCALL_CLOBBER1  "ecx", XEN_HCALL_CLOBBER2
# define XEN_HCALL_CLOBBER0  "ebx", XEN_HCALL_CLOBBER1
#endif
#define XEN_HCALL_CLOBBER5   XEN_HCALL_CLOBBER

/* _hypercallN(nr, args...): nr must be a plain integer constant (it is pasted into the asm text,
 * so `objdump -d` of the unstripped link shows `call 100240 <hypercall_page+0x240>` for
 * console_io; in the stripped image it is `call 0x100240`). */
#if defined(__x86_64__)

#define _hypercall0(nr) ({                                                              \
    long res_;                                                                          \
    __asm__ volatile (XEN_HCALL_INSN(nr) : "=a"(res_) : : XEN_HCALL_CLOBBER0);           \
    res_; })
#define _hypercall1(nr, a1) ({                                                          \
    long res_; unsigned long d_ = (unsigned long)(a1);                                  \
    __asm__ volatile (XEN_HCALL_INSN(nr) : "=a"(res_), "+D"(d_) : : XEN_HCALL_CLOBBER1); \
    res_; })
#define _hypercall2(nr, a1, a2) ({                                                      \
    long res_; unsigned long d_ = (unsigned long)(a1), s_ = (unsigned long)(a2);        \
    __asm__ volatile (XEN_HCALL_INSN(nr)                                                \
                      : "=a"(res_), "+D"(d_), "+S"(s_) : : XEN_HCALL_CLOBBER2);          \
    res_; })
#define _hypercall3(nr, a1, a2, a3) ({                                                  \
    long res_; unsigned long d_ = (unsigned long)(a1), s_ = (unsigned long)(a2),        \
                             x_ = (unsigned long)(a3);                                  \
    __asm__ volatile (XEN_HCALL_INSN(nr)                                                \
                      : "=a"(res_), "+D"(d_), "+S"(s_), "+d"(x_) : : XEN_HCALL_CLOBBER3); \
    res_; })
#define _hypercall4(nr, a1, a2, a3, a4) ({                                              \
    long res_; unsigned long d_ = (unsigned long)(a1), s_ = (unsigned long)(a2),        \
                             x_ = (unsigned long)(a3);                                  \
    register unsigned long r10_ __asm__("r10") = (unsigned long)(a4);                   \
    __asm__ volatile (XEN_HCALL_INSN(nr)                                                \
                      : "=a"(res_), "+D"(d_), "+S"(s_), "+d"(x_), "+r"(r10_)            \
                      : : XEN_HCALL_CLOBBER4);                                           \
    res_; })
#define _hypercall5(nr, a1, a2, a3, a4, a5) ({                                          \
    long res_; unsigned long d_ = (unsigned long)(a1), s_ = (unsigned long)(a2),        \
                             x_ = (unsigned long)(a3);                                  \
    register unsigned long r10_ __asm__("r10") = (unsigned long)(a4);                   \
    register unsigned long r8_ __asm__("r8") = (unsigned long)(a5);                     \
    __asm__ volatile (XEN_HCALL_INSN(nr)                                                \
                      : "=a"(res_), "+D"(d_), "+S"(s_), "+d"(x_), "+r"(r10_), "+r"(r8_) \
                      : : XEN_HCALL_CLOBBER5);                                           \
    res_; })

#else /* PV32 */

#define _hypercall0(nr) ({                                                              \
    long res_;                                                                          \
    __asm__ volatile (XEN_HCALL_INSN(nr) : "=a"(res_) : : XEN_HCALL_CLOBBER0);           \
    res_; })
#define _hypercall1(nr, a1) ({                                                          \
    long res_; unsigned long b_ = (unsigned long)(a1);                                  \
    __asm__ volatile (XEN_HCALL_INSN(nr) : "=a"(res_), "+b"(b_) : : XEN_HCALL_CLOBBER1); \
    res_; })
#define _hypercall2(nr, a1, a2) ({                                                      \
    long res_; unsigned long b_ = (unsigned long)(a1), c_ = (unsigned long)(a2);        \
    __asm__ volatile (XEN_HCALL_INSN(nr)                                                \
                      : "=a"(res_), "+b"(b_), "+c"(c_) : : XEN_HCALL_CLOBBER2);          \
    res_; })
#define _hypercall3(nr, a1, a2, a3) ({                                                  \
    long res_; unsigned long b_ = (unsigned long)(a1), c_ = (unsigned long)(a2),        \
                             d_ = (unsigned long)(a3);                                  \
    __asm__ volatile (XEN_HCALL_INSN(nr)                                                \
                      : "=a"(res_), "+b"(b_), "+c"(c_), "+d"(d_) : : XEN_HCALL_CLOBBER3); \
    res_; })
#define _hypercall4(nr, a1, a2, a3, a4) ({                                              \
    long res_; unsigned long b_ = (unsigned long)(a1), c_ = (unsigned long)(a2),        \
                             d_ = (unsigned long)(a3), S_ = (unsigned long)(a4);        \
    __asm__ volatile (XEN_HCALL_INSN(nr)                                                \
                      : "=a"(res_), "+b"(b_), "+c"(c_), "+d"(d_), "+S"(S_)              \
                      : : XEN_HCALL_CLOBBER4);                                           \
    res_; })
#define _hypercall5(nr, a1, a2, a3, a4, a5) ({                                          \
    long res_; unsigned long b_ = (unsigned long)(a1), c_ = (unsigned long)(a2),        \
                             d_ = (unsigned long)(a3), S_ = (unsigned long)(a4),        \
                             D_ = (unsigned long)(a5);                                  \
    __asm__ volatile (XEN_HCALL_INSN(nr)                                                \
                      : "=a"(res_), "+b"(b_), "+c"(c_), "+d"(d_), "+S"(S_), "+D"(D_)    \
                      : : XEN_HCALL_CLOBBER5);                                           \
    res_; })

#endif

/* ---- typed wrappers (argument order as in xen-pv-abi.md §2.3) -------------------------------- */
static inline long HYPERVISOR_console_io(int cmd, unsigned int count, const char *buf)
{
    return _hypercall3(__HYPERVISOR_console_io, cmd, count, buf);
}

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static inline long HYPERVISOR_set_trap_table(const trap_info_t *table)
{
    return _hypercall1(__HYPERVISOR_set_trap_table, table);
}

static inline long HYPERVISOR_mmu_update(mmu_update_t *req, unsigned int count,
                                         unsigned int *done, unsigned int foreigndom)
{
    return _hypercall4(__HYPERVISOR_mmu_update, req, count, done, foreigndom);
}

static inline long HYPERVISOR_mmuext_op(void *op, unsigned int count, unsigned int *done,
                                        unsigned int foreigndom)
{
    return _hypercall4(__HYPERVISOR_mmuext_op, op, count, done, foreigndom);
}

static inline long HYPERVISOR_stack_switch(unsigned long ss, unsigned long sp)
{
    return _hypercall2(__HYPERVISOR_stack_switch, ss, sp);
}

static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static inline long HYPERVISOR_multicall(multicall_entry_t *calls, unsigned int count)
{
    return _hypercall2(__HYPERVISOR_multicall, calls, count);
}

static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return _hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

static inline long HYPERVISOR_callback_op(int cmd, const void *arg)
{
    return _hypercall2(__HYPERVISOR_callback_op, cmd, arg);
}

static inline long HYPERVISOR_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
    return _hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

static inline long HYPERVISOR_vm_assist(unsigned int cmd, unsigned int type)
{
    return _hypercall2(__HYPERVISOR_vm_assist, cmd, type);
}

static inline long HYPERVISOR_physdev_op(int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_physdev_op, cmd, arg);
}

/* Calls whose 64-bit arguments are split into two registers on PV32. */
#if defined(__x86_64__)
static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags)
{
    return _hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

static inline long HYPERVISOR_set_timer_op(uint64_t abs_ns)
{
    return _hypercall1(__HYPERVISOR_set_timer_op, abs_ns);
}

static inline long HYPERVISOR_set_segment_base(unsigned int which, unsigned long base)
{
    return _hypercall2(__HYPERVISOR_set_segment_base, which, base);
}
#else
static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags)
{
    return _hypercall4(__HYPERVISOR_update_va_mapping, va, (uint32_t)pte,
                       (uint32_t)(pte >> 32), flags);
}

static inline long HYPERVISOR_set_timer_op(uint64_t abs_ns)
{
    return _hypercall2(__HYPERVISOR_set_timer_op, (uint32_t)abs_ns, (uint32_t)(abs_ns >> 32));
}
#endif

/* ---- small conveniences used by every guest ------------------------------------------------- */
static inline void xen_yield(void)
{
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
}

static inline long xen_evtchn_send(uint32_t port)
{
    struct evtchn_send send = { .port = port };
    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

/* Ask Xen to shut the domain down for `reason` (SHUTDOWN_*); if that ever returns, keep yielding. */
static inline __attribute__((noreturn)) void xen_shutdown(unsigned int reason)
{
    struct sched_shutdown sd = { .reason = reason };
    HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
    for (;;)
        xen_yield();
}

#endif /* HYPERCALL_H */
