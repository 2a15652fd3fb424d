/* trap.h: exception, event and system-call entry for the test guests (xen-pv-abi.md §3.5-§3.7).
 * Xen delivers every one of them as a bounce frame; the stubs in trap-pv32.S / trap-pv64.S turn
 * the frame into a struct trap_regs (PV64 stubs first pop the RCX and R11 words Xen adds), call
 * the C handler registered for the vector, and return with the iret hypercall from the (possibly
 * edited) trap_regs. A handler may change any field: ip to skip an instruction, ax to return a
 * value. Vectors without a handler end the test with FAILURE and a dump of the frame.
 */
#ifndef TRAP_H
#define TRAP_H

#include <stdint.h>
#include "xen-trap.h"

/* Pseudo vectors for the callbacks registered with callback_op (not x86 vectors). */
#define TRAP_VEC_EVENT    0x100    /* event upcall (CALLBACKTYPE_event) */
#define TRAP_VEC_SYSCALL  0x101    /* PV64 SYSCALL from guest user mode (CALLBACKTYPE_syscall) */
#define TRAP_VEC_COUNT    0x102

/* Saved state, lowest address first: general registers pushed by the stub, the vector and the
 * error code (0 when the vector has none), then the frame Xen built. PV64: {RIP, CS, RFLAGS, RSP,
 * SS} are always present. PV32: {EIP, CS, EFLAGS} always, {ESP, SS} only when the trap came
 * from ring 3 (the frame then sits at kernel_sp from stack_switch). CS holds the interrupted
 * evtchn_upcall_mask in bits 32-39 (PV64) or 16-23 (PV32). */
#if defined(__x86_64__)
struct trap_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t di, si, bp, bx, dx, cx, ax;
    uint64_t vector, error_code;
    uint64_t ip, cs, flags, sp, ss;
};
# define TRAP_SAVED_MASK(r)  ((unsigned int)((r)->cs >> 32) & 0xff)
#else
struct trap_regs {
    uint32_t di, si, bp, bx, dx, cx, ax;
    uint32_t vector, error_code;
    uint32_t ip, cs, flags, sp, ss;        /* sp, ss: only if (cs & 3) == 3 */
};
# define TRAP_SAVED_MASK(r)  ((unsigned int)((r)->cs >> 16) & 0xff)
#endif
#define TRAP_SAVED_CS(r)     ((unsigned int)(r)->cs & 0xffff)
/* Frames from guest user mode carry an RPL-3 CS. From guest-kernel mode: PV64 RPL 0 (Xen clears
 * it, since kernel and user share CS 0xe033), PV32 RPL 1 (ring 1). */
#define TRAP_FROM_USER(r)    (((r)->cs & 3) == 3)

/* Address just above the words Xen wrote (where the interrupted stack continues). */
static inline unsigned long trap_frame_top(const struct trap_regs *r)
{
#if defined(__i386__)
    if ((r->cs & 3) != 3)
        return (unsigned long)&r->sp;       /* ring 1 -> ring 1: no ESP/SS words */
#endif
    return (unsigned long)(&r->ss + 1);
}

typedef void (*trap_handler_t)(struct trap_regs *r);

/* Registers stubs for vectors 0-19 with one set_trap_table call (DPL 0; #BP and #OF DPL 3;
 * events left as they are), all handled by the "unexpected trap" handler. Returns the hypercall
 * result. */
long trap_init(void);

/* (Re)registers one vector with a one-entry set_trap_table; ti_flags = DPL | TI_MASK_EVENTS.
 * Stubs exist for vectors 0-19, 0x80, 0x81 and 0x82; others give -XEN_EINVAL. */
long trap_register(unsigned int vector, unsigned int ti_flags, trap_handler_t h);

/* callback_op(CALLBACKOP_register): the event upcall (always masks events) and, PV64 only, the
 * syscall callback for SYSCALL from user mode. */
long trap_set_event_callback(trap_handler_t h);
#if defined(__x86_64__)
long trap_set_syscall_callback(trap_handler_t h, int mask_events);
#endif

/* stack_switch: the stack Xen uses for frames from guest user mode (kernel_sp). */
long trap_set_kernel_stack(void *top);

/* Enters guest user mode at ip with stack sp through the iret hypercall (RPL-3 CS; events
 * enabled), after saving the callee-saved registers. It returns when a handler running on the
 * kernel stack calls trap_leave_user(value), and then returns value. PV64 needs a user top-level
 * table (MMUEXT_NEW_USER_BASEPTR) and PV32 user-accessible pages first. PV32 also loads DS and
 * ES with the ring-3 data selector, which ring 1 keeps using afterwards. */
unsigned long trap_enter_user(unsigned long ip, unsigned long sp);
__attribute__((noreturn)) void trap_leave_user(unsigned long value);

const char *trap_name(unsigned int vector);
void trap_dump(const struct trap_regs *r);
/* The default handler: dumps the frame and ends the test with FAILURE. */
__attribute__((noreturn)) void trap_unexpected(struct trap_regs *r);

#endif /* TRAP_H */
