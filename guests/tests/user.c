/* user.c: test guest for guest user mode (xen-pv-abi.md §3.1, §3.2, §3.5, §3.7): the kernel marks
 * its image user-accessible, sets kernel_sp with stack_switch and (PV64) a user top-level table
 * with MMUEXT_NEW_USER_BASEPTR (the kernel's own L4), then enters user mode with the iret
 * hypercall (PV64: CS 0xe033 RPL 3; PV32: ring 3, CS 0xe02b, SS 0xe033). The user code makes
 * system calls (PV64: `syscall` to the CALLBACKTYPE_syscall callback, and `int $0x80`; PV32:
 * `int $0x80` through a DPL-3 trap entry), runs `hlt` (#GP(0) to the kernel; PV32 also
 * `int $0x82`, a hypercall only from ring 1: #GP(0x82 << 3 | 2)), and exits with a system call
 * that returns to the kernel's own context. Every frame is checked: user CS/SS, frame at
 * kernel_sp, the upcall mask, RCX = return address for SYSCALL. Two rounds, so the kernel
 * returns to user mode many times and enters it twice.
 */
#include "console.h"
#include "evtchn.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "mm.h"
#include "pv.h"
#include "shared.h"
#include "test.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define ROUNDS    2
#define PINGS     5
#define SYS_PING  1         /* returns arg + PING_ADD */
#define SYS_EXIT  2         /* back to the kernel; arg becomes trap_enter_user's result */
#define PING_ADD  1000
#define EXIT_CODE 0xc0deUL

extern char _image_start[], _end[];          /* from the linker script */

static char user_stack[8192] __attribute__((aligned(16)));
static char kernel_stack[8192] __attribute__((aligned(16)));

/* Written by the user code. */
static volatile unsigned long user_cs;
static volatile long user_ping[PINGS];
static volatile long user_int80_result;
static volatile unsigned int user_after_privileged;

/* Kept by the kernel's handlers. */
static unsigned int nr_syscalls, nr_int80, nr_gp_hlt, nr_gp_int82;
static unsigned int frame_problems;
static char first_problem[120];

static void problem(const char *what, const struct trap_regs *r)
{
    if (frame_problems++ == 0)
        snprintf(first_problem, sizeof first_problem, "%s (%s at ip 0x%lx, cs 0x%lx)", what,
                 trap_name((unsigned int)r->vector), (unsigned long)r->ip, (unsigned long)r->cs);
}

/* ---- user mode ------------------------------------------------------------------------------ */
#if defined(__x86_64__)
static inline long user_syscall(long nr, long arg)
{
    long ret;
    __asm__ volatile ("syscall" : "=a"(ret) : "a"(nr), "D"(arg) : "rcx", "r11", "memory");
    return ret;
}
static inline long user_int80(long nr, long arg)
{
    long ret;
    __asm__ volatile ("int $0x80" : "=a"(ret) : "a"(nr), "D"(arg) : "memory");
    return ret;
}
#else
static inline long user_syscall(long nr, long arg)
{
    long ret;
    __asm__ volatile ("int $0x80" : "=a"(ret) : "a"(nr), "b"(arg) : "memory");
    return ret;
}
#endif

/* Runs at CPL 3: only inline instructions and memory, no calls into kernel code. */
static __attribute__((noinline, noreturn)) void user_main(void)
{
    unsigned long cs;
    __asm__ volatile ("mov %%cs, %0" : "=r"(cs));
    user_cs = cs;
    for (long i = 0; i < PINGS; i++)
        user_ping[i] = user_syscall(SYS_PING, i * 7 + 1);
#if defined(__x86_64__)
    user_int80_result = user_int80(SYS_PING, 77);
#endif
    __asm__ volatile ("hlt" ::: "memory");            /* privileged: #GP(0), skipped */
#if defined(__i386__)
    __asm__ volatile ("int $0x82" ::: "memory");      /* hypercall gate is DPL 1: #GP */
#endif
    user_after_privileged = 1;
    user_syscall(SYS_EXIT, (long)EXIT_CODE);
    for (;;)
        ;
}

/* ---- kernel handlers ------------------------------------------------------------------------ */
static void check_user_frame(const struct trap_regs *r, unsigned int want_mask)
{
    if (!TRAP_FROM_USER(r) || TRAP_SAVED_CS(r) != GUEST_USER_CS ||
        (r->ss & 0xffff) != GUEST_USER_SS)
        problem("frame does not show user cs:ss", r);
    if (trap_frame_top(r) != (unsigned long)(kernel_stack + sizeof kernel_stack))
        problem("frame not at kernel_sp", r);
    if (r->sp < (unsigned long)user_stack ||
        r->sp > (unsigned long)(user_stack + sizeof user_stack))
        problem("saved sp outside the user stack", r);
    if (TRAP_SAVED_MASK(r) != 0 || !(r->flags & 0x200))
        problem("user mode did not have events enabled", r);
    if (xen_vcpu->evtchn_upcall_mask != want_mask)
        problem("upcall mask in the handler", r);
}

static void do_syscall(struct trap_regs *r, unsigned long nr, unsigned long arg)
{
    if (nr == SYS_EXIT)
        trap_leave_user(arg);                 /* unwinds to trap_enter_user's caller */
    if (nr == SYS_PING) {
        r->ax = arg + PING_ADD;
        return;
    }
    problem("unknown system call", r);
    r->ax = (unsigned long)-1;
}

#if defined(__x86_64__)
static void on_syscall(struct trap_regs *r)
{
    nr_syscalls++;
    check_user_frame(r, 1);                   /* registered with CALLBACKF_mask_events */
    if (r->cx != r->ip)
        problem("RCX is not the return address", r);
    do_syscall(r, r->ax, r->di);
}
#endif

static void on_int80(struct trap_regs *r)
{
    const unsigned char *insn = (const unsigned char *)(unsigned long)r->ip - 2;
    check_user_frame(r, 0);                   /* DPL-3 trap entry without TI_MASK_EVENTS */
    if (insn[0] != 0xcd || insn[1] != 0x80)
        problem("saved ip does not follow an int $0x80", r);
#if defined(__x86_64__)
    nr_int80++;
    do_syscall(r, r->ax, r->di);
#else
    nr_syscalls++;
    do_syscall(r, r->ax, r->bx);
#endif
}

static void on_gp(struct trap_regs *r)
{
    const unsigned char *insn = (const unsigned char *)(unsigned long)r->ip;
    if (!TRAP_FROM_USER(r))
        trap_unexpected(r);
    check_user_frame(r, 0);
    if (insn[0] == 0xf4 && r->error_code == 0) {
        nr_gp_hlt++;
        r->ip += 1;
    } else if (insn[0] == 0xcd && insn[1] == 0x82 && r->error_code == ((0x82 << 3) | 2)) {
        nr_gp_int82++;
        r->ip += 2;
    } else {
        trap_unexpected(r);
    }
}

/* ---- kernel --------------------------------------------------------------------------------- */
static void make_image_user_accessible(void)
{
    unsigned int pages = 0, failed = 0;
    long first_rc = 0;
    for (char *va = _image_start; va < _end; va += PAGE_SIZE, pages++) {
        long rc = mm_map(va, mm_virt_to_mfn(va), PTE_KERNEL_RW | _PAGE_USER);
        if (rc && failed++ == 0)
            first_rc = rc;
    }
    check(failed == 0, "update_va_mapping: %u image pages 0x%lx-0x%lx made user-accessible "
          "(%u failed, first rc %ld)", pages, (unsigned long)_image_start, (unsigned long)_end,
          failed, first_rc);
}

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("user");

    make_image_user_accessible();
    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("shared_info is needed for the upcall mask");
    check_rc(evtchn_init(), 0, "callback_op(register, event) with every port masked");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");
    check_rc(trap_register(TRAP_gp_fault, 0, on_gp), 0, "set_trap_table(#GP, DPL 0)");
    check_rc(trap_register(0x80, 3, on_int80), 0, "set_trap_table(0x80, DPL 3)");
#if defined(__x86_64__)
    check_rc(trap_set_syscall_callback(on_syscall, 1), 0,
             "callback_op(register, syscall, mask events)");
    unsigned long l4 = mm_virt_to_mfn((void *)(unsigned long)si->pt_base);
    check_rc(mm_mmuext(MMUEXT_NEW_USER_BASEPTR, l4, 0), 0,
             "mmuext_op(NEW_USER_BASEPTR, the kernel's L4)");
#endif
    check_rc(trap_set_kernel_stack(kernel_stack + sizeof kernel_stack), 0,
             "stack_switch(kernel ss, kernel stack top)");
    if (test_failures())
        test_abort("setup for user mode failed");

    for (unsigned int round = 1; round <= ROUNDS; round++) {
        nr_syscalls = nr_int80 = nr_gp_hlt = nr_gp_int82 = 0;
        user_cs = 0;
        user_after_privileged = 0;
        for (int i = 0; i < PINGS; i++)
            user_ping[i] = 0;
        printf("round %u: entering user mode at %p\n", round, (void *)user_main);
        unsigned long rc = trap_enter_user((unsigned long)user_main,
                                           (unsigned long)(user_stack + sizeof user_stack));
        xen_vcpu->evtchn_upcall_mask = 1;
        check(rc == EXIT_CODE, "round %u: back in the kernel with exit code 0x%lx", round, rc);
        check((user_cs & 3) == 3 && (user_cs & 0xffff) == GUEST_USER_CS,
              "round %u: user code ran with cs 0x%lx (RPL 3)", round, user_cs);
        int pings_ok = 1;
        for (long i = 0; i < PINGS; i++)
            pings_ok &= user_ping[i] == i * 7 + 1 + PING_ADD;
        check(pings_ok && nr_syscalls == PINGS + 1,
              "round %u: %u system calls, each ping answered (%ld ... %ld)", round, nr_syscalls,
              (long)user_ping[0], (long)user_ping[PINGS - 1]);
#if defined(__x86_64__)
        check(nr_int80 == 1 && user_int80_result == 77 + PING_ADD,
              "round %u: int $0x80 from user mode answered %ld", round, (long)user_int80_result);
#endif
        check(nr_gp_hlt == 1, "round %u: hlt in user mode gave #GP(0) to the kernel", round);
#if defined(__i386__)
        check(nr_gp_int82 == 1, "round %u: int $0x82 from ring 3 gave #GP(0x412)", round);
#endif
        check(user_after_privileged == 1, "round %u: user code continued after the #GP", round);
        check(frame_problems == 0, "round %u: every user frame had user cs:ss, sat at kernel_sp, "
              "showed events enabled%s%s", round, frame_problems ? ": " : "", first_problem);
    }
    test_finish();
}
