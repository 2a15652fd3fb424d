/* privilege-lab.c: a demo guest that shows who may do what in a paravirtualized system
 * (xen-pv-abi.md §3.1-§3.7): which ring the kernel runs in (PV32: ring 1; PV64: ring 3, like its
 * user programs), what happens when the kernel runs a privileged instruction (Xen emulates some,
 * refuses others with #GP), and a user process in ring 3 that makes system calls, tries a
 * privileged instruction and a hypercall, and tries to read kernel memory. PV32 protects the
 * kernel with the page-table US bit; a PV64 kernel runs in ring 3 too, so Xen forces US on and only
 * a second top-level table for user mode (MMUEXT_NEW_USER_BASEPTR) keeps user mode out: the lab
 * shows both tables. The user programs are privilege-user.S. Every claim printed is checked first.
 */
#include "console.h"
#include "demo.h"
#include "evtchn.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "mm.h"
#include "privilege-lab.h"
#include "probe.h"
#include "pv.h"
#include "shared.h"
#include "test.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define PAGE_ALIGNED   __attribute__((aligned(PAGE_SIZE)))
#define KILLED         0xdead0000UL        /* trap_enter_user's result for a killed process */
#define XEN_ENOSYS_RC  (-38L)

extern char user_prog_start[], user_prog_end[];
extern char user_hello[], user_hlt[], user_hypercall[], user_peek[];

/* The process image: page 0 code (read-only to it), page 1 its stack. Even-aligned, so both sit
 * under one L1 (the PV64 user table maps exactly these two pages). */
static char user_pages[2][PAGE_SIZE] __attribute__((aligned(2 * PAGE_SIZE)));
static char kernel_stack[8192] __attribute__((aligned(16)));
static volatile unsigned long kernel_secret = 0x5ec2e7;

/* What the kernel saw of the running process. */
static const char *proc_name;
static unsigned int proc_syscalls;
static unsigned long proc_report, proc_unknown_nr;
static int proc_reported;
static struct trap_regs proc_kill;        /* the fault that killed it */
static int frame_checked;

#if defined(__x86_64__)
static pte_t user_l4[PTES_PER_TABLE] PAGE_ALIGNED, user_l3[PTES_PER_TABLE] PAGE_ALIGNED;
static pte_t user_l2[PTES_PER_TABLE] PAGE_ALIGNED, user_l1[PTES_PER_TABLE] PAGE_ALIGNED;
#endif

static unsigned long user_va(const char *sym)
{
    return (unsigned long)user_pages[0] + (unsigned long)(sym - user_prog_start);
}

/* ---- the kernel's entry points from user mode ---------------------------------------------- */
static void check_user_frame(const struct trap_regs *r)
{
    if (frame_checked++)
        return;
    demo_check(TRAP_FROM_USER(r) && TRAP_SAVED_CS(r) == GUEST_USER_CS &&
               trap_frame_top(r) == (unsigned long)(kernel_stack + sizeof kernel_stack),
               "a ring-3 cs and the frame at the top of the kernel stack", "the first system call "
               "came from cs 0x%x (RPL %u: ring 3); Xen put its frame at the top of our kernel stack "
               "(stack_switch)", TRAP_SAVED_CS(r), TRAP_SAVED_CS(r) & 3);
}

static void do_syscall(struct trap_regs *r, unsigned long nr, unsigned long a1, unsigned long a2)
{
    proc_syscalls++;
    check_user_frame(r);
    switch (nr) {
    case SYS_WRITE: {
        unsigned long lo = (unsigned long)user_pages[0], hi = lo + sizeof user_pages;
        if (a1 < lo || a2 > 80 || a1 + a2 > hi) {
            r->ax = (unsigned long)-14L;      /* -EFAULT: not the process's memory */
            return;
        }
        printf("    [%s] write(\"%.*s\")\n", proc_name, (int)a2, (const char *)a1);
        r->ax = a2;
        return;
    }
    case SYS_EXIT:
        trap_leave_user(a1);                  /* back to trap_enter_user's caller */
    case SYS_REPORT:
        proc_report = a1;
        proc_reported = 1;
        r->ax = 0;
        return;
    default:
        proc_unknown_nr = nr;
        r->ax = (unsigned long)XEN_ENOSYS_RC;
        return;
    }
}

#if defined(__x86_64__)
static void on_syscall(struct trap_regs *r) { do_syscall(r, r->ax, r->di, r->si); }
#else
static void on_int80(struct trap_regs *r) { do_syscall(r, r->ax, r->bx, r->cx); }
#endif

/* #GP and #PF: probes of the kernel's own, or a process to kill. */
static void on_fault(struct trap_regs *r)
{
    if (probe_fixup(r))
        return;
    if (!TRAP_FROM_USER(r))
        trap_unexpected(r);
    proc_kill = *r;
    if (r->vector == TRAP_page_fault)
        proc_kill.ax = (unsigned long)xen_vcpu->cr2;     /* keep CR2 with the frame */
    trap_leave_user(KILLED);
}

/* ---- running a process ---------------------------------------------------------------------- */
static unsigned long run(const char *name, const char *entry, unsigned long stack_word)
{
    proc_name = name;
    proc_syscalls = 0;
    proc_reported = 0;
    proc_unknown_nr = 0;
    memset(&proc_kill, 0, sizeof proc_kill);
    unsigned long *sp = (unsigned long *)(user_pages[1] + PAGE_SIZE) - 2;
    sp[0] = stack_word;
    printf("  running process \"%s\" in user mode at 0x%lx\n", name, user_va(entry));
    unsigned long rc = trap_enter_user(user_va(entry), (unsigned long)sp);
    events_disable();                         /* user mode ran with events enabled */
    return rc;
}

static void expect_killed(unsigned long rc, unsigned int vector, unsigned long error_code,
                          const char *because)
{
    char bits[48], ec[56] = "";
    if (proc_kill.vector == TRAP_page_fault)
        snprintf(ec, sizeof ec, " (%s)", demo_pf_bits(bits, (unsigned long)proc_kill.error_code));
    demo_check(rc == KILLED && proc_kill.vector == vector && proc_kill.error_code == error_code,
               "the process killed by the fault", rc == KILLED ?
               "killed by %s with error code 0x%lx%s at ip 0x%lx (cs 0x%x): %s" :
               "it was not killed (%s, error 0x%lx%s, ip 0x%lx, cs 0x%x): %s",
               trap_name((unsigned int)proc_kill.vector), (unsigned long)proc_kill.error_code,
               ec, (unsigned long)proc_kill.ip, TRAP_SAVED_CS(&proc_kill), because);
}

/* ---- the steps ------------------------------------------------------------------------------ */
static void step_kernel_ring(void)
{
    demo_section("1. Which ring the kernel runs in");
    unsigned long cs;
    __asm__ volatile ("mov %%cs, %0" : "=r"(cs));
#if defined(__x86_64__)
    demo_check((cs & 3) == 3, "RPL 3", "our code segment is 0x%lx: RPL %lu. A PV64 kernel runs in "
               "ring 3, like its user programs; Xen alone has ring 0 and keeps a kernel/user mode "
               "flag of its own", cs, cs & 3);
#else
    demo_check((cs & 3) == 1, "RPL 1", "our code segment is 0x%lx: RPL %lu. A PV32 kernel runs in "
               "ring 1: above its user programs (ring 3), below Xen (ring 0)", cs, cs & 3);
#endif

    unsigned long cr3 = 0;
    xen_ulong_t top = mm_virt_to_mfn((void *)(unsigned long)xen_start_info->pt_base);
#if defined(__x86_64__)
    unsigned long want = (unsigned long)top << PAGE_SHIFT;
#else
    unsigned long want = (unsigned long)((top << PAGE_SHIFT) | (top >> 20));   /* xen_pfn_to_cr3 */
#endif
    if (probe_read_cr3(&cr3))
        demo_fail("mov %%cr3 faulted with %s (error 0x%lx) instead of being emulated by Xen",
                  trap_name(probe_last.vector), probe_last.error_code);
    demo_check(cr3 == want, "the top-level table's machine address", "mov %%cr3 is privileged: it "
               "trapped to Xen, which emulated it and gave 0x%lx, the machine address of our "
               "top-level table", cr3);
    if (!probe_cli())
        demo_fail("cli ran without a fault: a PV kernel must not be able to disable interrupts");
    demo_check(probe_last.vector == TRAP_gp_fault && probe_last.error_code == 0, "#GP(0)",
               "cli faulted with %s(%lu): a PV kernel may not turn interrupts off; it masks event "
               "delivery in vcpu_info.evtchn_upcall_mask instead", trap_name(probe_last.vector),
               probe_last.error_code);
}

static void load_program(void)
{
    demo_section("2. A user process and its system calls");
    size_t size = (size_t)(user_prog_end - user_prog_start);
    memcpy(user_pages[0], user_prog_start, size);
    demo_ok(mm_map(user_pages[0], mm_virt_to_mfn(user_pages[0]), PTE_KERNEL_RO | _PAGE_USER),
            "copied the user program into its own page and mapped it user-accessible, read-only "
            "(update_va_mapping with US set, RW clear)");
    demo_ok(mm_map(user_pages[1], mm_virt_to_mfn(user_pages[1]), PTE_KERNEL_RW | _PAGE_USER),
            "mapped a stack page for it, user-accessible and writable");
    demo_ok(trap_set_kernel_stack(kernel_stack + sizeof kernel_stack),
            "stack_switch: the stack Xen switches to when user mode traps into the kernel");
#if defined(__x86_64__)
    demo_ok(trap_set_syscall_callback(on_syscall, 1), "callback_op: SYSCALL from user mode goes to "
            "our syscall callback (from kernel mode, SYSCALL is a hypercall)");
    demo_ok(mm_mmuext(MMUEXT_NEW_USER_BASEPTR, mm_virt_to_mfn((void *)(unsigned long)
            xen_start_info->pt_base), 0), "mmuext_op NEW_USER_BASEPTR: for now user mode uses the "
            "kernel's own top-level table (we change that in step 4)");
#else
    demo_ok(trap_register(0x80, 3, on_int80), "set_trap_table: int $0x80 with DPL 3, the system "
            "call gate user mode may use");
#endif
}

static void step_hello(void)
{
    unsigned long rc = run("hello", user_hello, 0);
    demo_check(rc == 0 && proc_syscalls == 2, "exit(0) after 2 system calls", "it exited with code "
               "%lu after %u system calls; the kernel ran again with its own privileges", rc,
               proc_syscalls);
}

static void step_privileged(void)
{
    demo_section("3. A user process tries privileged things");
    unsigned long rc = run("hlt", user_hlt, 0);
    expect_killed(rc, TRAP_gp_fault, 0, "hlt is privileged; ring 3 gets #GP, and the kernel "
                  "ends the process");
    rc = run("hypercall", user_hypercall, 0);
#if defined(__x86_64__)
    demo_check(rc == 0 && proc_unknown_nr == 17 && proc_reported &&
               (long)proc_report == XEN_ENOSYS_RC, "system call 17 answered -38",
               "its hypercall instruction (syscall with eax 17, xen_version) arrived at our syscall "
               "callback as system call %lu, not at Xen; we answered %ld (ENOSYS): from user mode, "
               "SYSCALL means \"call the kernel\"", proc_unknown_nr, (long)proc_report);
#else
    expect_killed(rc, TRAP_gp_fault, (0x82 << 3) | 2, "int $0x82, the hypercall gate, admits "
                  "ring 1 only (the error code names vector 0x82); only the kernel can call Xen");
#endif
}

static void step_memory(void)
{
    demo_section("4. User mode and kernel memory");
    unsigned long secret_va = (unsigned long)&kernel_secret;
    printf("  the kernel variable kernel_secret at 0x%lx holds 0x%lx\n", secret_va, kernel_secret);
#if defined(__x86_64__)
    unsigned long rc = run("peek", user_peek, secret_va);
    demo_check(rc == 0 && proc_reported && proc_report == kernel_secret, "the read to succeed",
               "it read 0x%lx: with the kernel's table, user mode sees the kernel: every page has "
               "US set (Xen forces it, because the kernel runs in ring 3 too)", proc_report);

    printf("  so a PV64 kernel gives user mode a top-level table of its own:\n");
    unsigned long va = (unsigned long)user_pages[0];
    unsigned int i4 = (va >> 39) & 511, i3 = (va >> 30) & 511, i2 = (va >> 21) & 511, i1 = (va >> 12) & 511;
    user_l1[i1] = ((pte_t)mm_virt_to_mfn(user_pages[0]) << PAGE_SHIFT) | PTE_KERNEL_RO | _PAGE_USER;
    user_l1[i1 + 1] = ((pte_t)mm_virt_to_mfn(user_pages[1]) << PAGE_SHIFT) | PTE_KERNEL_RW | _PAGE_USER;
    user_l2[i2] = ((pte_t)mm_virt_to_mfn(user_l1) << PAGE_SHIFT) | PTE_KERNEL_RW | _PAGE_USER;
    user_l3[i3] = ((pte_t)mm_virt_to_mfn(user_l2) << PAGE_SHIFT) | PTE_KERNEL_RW | _PAGE_USER;
    user_l4[i4] = ((pte_t)mm_virt_to_mfn(user_l3) << PAGE_SHIFT) | PTE_KERNEL_RW | _PAGE_USER;
    const void *tables[] = { user_l1, user_l2, user_l3, user_l4 };
    long ro = 0;
    for (unsigned int t = 0; t < 4; t++)
        ro |= mm_set_readonly(tables[t]);
    demo_ok(ro, "built L4 -> L3 -> L2 -> L1 that map only the program's two pages, and made the "
            "four tables read-only (update_va_mapping)");
    demo_ok(mm_mmuext(MMUEXT_PIN_L4_TABLE, mm_virt_to_mfn(user_l4), 0),
            "pinned the new L4 (mmuext_op PIN_L4_TABLE: Xen validated all four levels)");
    demo_ok(mm_mmuext(MMUEXT_NEW_USER_BASEPTR, mm_virt_to_mfn(user_l4), 0),
            "mmuext_op NEW_USER_BASEPTR: Xen loads this table on every return to user mode, and "
            "the kernel's own on every entry to the kernel");
    rc = run("peek", user_peek, secret_va);
    expect_killed(rc, TRAP_page_fault, PFEC_user, "the kernel is simply not in the user's table");
    demo_check(proc_kill.ax == secret_va, "cr2 = the secret's address", "cr2 was 0x%lx, the "
               "secret's address, and our #PF handler could read kernel data: Xen had switched to "
               "the kernel's table on the way in", (unsigned long)proc_kill.ax);
    rc = run("hello", user_hello, 0);
    demo_check(rc == 0 && proc_syscalls == 2, "exit(0)", "under its own table the hello process "
               "still works: exit code %lu after %u system calls", rc, proc_syscalls);
#else
    unsigned long rc = run("peek", user_peek, secret_va);
    expect_killed(rc, TRAP_page_fault, PFEC_present | PFEC_user, "the page is present but its US "
                  "bit is clear: ring 3 may not touch it. PV32 user mode and kernel share one "
                  "page table; the US bit protects the kernel");
    demo_check(proc_kill.ax == secret_va, "cr2 = the secret's address", "cr2 was 0x%lx, the "
               "secret's address", (unsigned long)proc_kill.ax);
#endif
}

void guest_main(start_info_t *si)
{
    console_init(si);
    demo_begin("privilege lab", "privilege lab: rings, system calls and hypercalls");
    printf("Xen owns ring 0. Where does that leave the kernel, and its user programs?\n");
    if (shared_info_map(si))
        demo_fail("cannot map shared_info (update_va_mapping)");
    demo_ok(trap_init(), "set_trap_table: exception handlers registered");
    demo_ok(trap_register(TRAP_gp_fault, 0, on_fault), "set_trap_table: our #GP handler");
    demo_ok(trap_register(TRAP_page_fault, 0, on_fault), "set_trap_table: our #PF handler");
    demo_ok(evtchn_init(), "callback_op: the event callback, every port masked");

    step_kernel_ring();
    load_program();
    step_hello();
    step_privileged();
    step_memory();
    printf("\n");
    demo_complete();
}
