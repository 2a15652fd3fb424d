/* traps.c: test guest for exception delivery (xen-pv-abi.md §3.4-§3.7). Registers handlers with
 * set_trap_table, then raises #DE (div by 0), #UD (ud2), #BP (int3), #GP (hlt, privileged),
 * #PF (unmapped address, read and write; write to the read-only top-level page table),
 * int $0x80 through a DPL-3 entry (with and without the mask-events flag) and int $0x81 through
 * a DPL-0 entry (which Xen turns into #GP(0x81 << 3 | 2)). Each handler records the frame and
 * moves the return address past the instruction; the return is the iret hypercall. Checked per
 * trap: vector, saved IP (fault: the instruction, trap: the next one), error code, CR2, saved CS
 * (guest-kernel RPL: 0 on PV64, 1 on PV32) and SS/SP, saved upcall mask and IF = !mask, the mask
 * inside the handler and after the iret, and (PV64) the RCX/R11 words of the bounce frame.
 * Last, the failsafe callback (§3.5): %ds holds an LDT selector, the LDT goes away
 * (MMUEXT_SET_LDT with 0 entries), and the iret hypercall that ends the next trap cannot reload
 * %ds: Xen nulls it and enters the failsafe callback with the old DS/ES/FS/GS in the frame.
 */
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "libc.h"
#include "mm.h"
#include "pv.h"
#include "shared.h"
#include "test.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

/* Addresses of the instruction under test and of the next one, and the stack pointer just
 * before it; written by the SITE prologue right before the instruction runs. */
volatile unsigned long site_start __attribute__((used));
volatile unsigned long site_end __attribute__((used));
volatile unsigned long site_sp __attribute__((used));

#if defined(__x86_64__)
# define SITE_BEGIN "movq $1f, site_start(%%rip)\n\tmovq $2f, site_end(%%rip)\n\t" \
                    "movq %%rsp, site_sp(%%rip)\n1:\t"
# define KERNEL_FRAME_CS  (FLAT_KERNEL_CS_X86_64 & ~3)   /* 0xe030: RPL cleared by Xen */
#else
# define SITE_BEGIN "movl $1f, site_start\n\tmovl $2f, site_end\n\tmovl %%esp, site_sp\n1:\t"
# define KERNEL_FRAME_CS  FLAT_RING1_CS_X86_32            /* 0xe019 */
#endif
#define SITE_END "\n2:"

#define EFLAGS_IF     0x200
#define EFLAGS_FIXED  0x2
#define EFLAGS_IOPL   0x3000

static struct trap_regs last;              /* copy of the frame the handler saw */
static unsigned int handler_mask;          /* evtchn_upcall_mask inside the handler */
static unsigned int traps_seen;
static unsigned long frame_top;            /* trap_frame_top() of the frame itself */

static void on_trap(struct trap_regs *r)
{
    if (r->ip != site_start && r->ip != site_end)
        trap_unexpected(r);                /* not raised by a test site */
    last = *r;
    frame_top = trap_frame_top(r);
    handler_mask = xen_vcpu->evtchn_upcall_mask;
    traps_seen++;
    r->ip = site_end;                      /* skip the instruction (no-op for traps) */
}

struct expect {
    const char   *what;
    unsigned int  vector;
    int           fault;        /* 1: saved IP is the instruction; 0: the one after it */
    unsigned long error;        /* 0 for vectors without an error code (the stub's 0) */
    int           handler_masks;/* the trap entry has TI_MASK_EVENTS */
};

/* Runs one site with upcall_mask = mask and checks what the handler recorded. */
static void verify(const struct expect *e, unsigned int mask, unsigned int mask_after)
{
    const char *w = e->what;
    if (!check(traps_seen == 1, "%s: handler ran %u time(s), want 1", w, traps_seen))
        return;
    check(last.vector == e->vector, "%s: vector %lu (%s)", w, (unsigned long)last.vector,
          trap_name((unsigned int)last.vector));
    unsigned long want_ip = e->fault ? site_start : site_end;
    check(last.ip == want_ip, "%s: saved ip 0x%lx = %s (0x%lx)", w, (unsigned long)last.ip,
          e->fault ? "the faulting instruction" : "the next instruction", want_ip);
    check(last.error_code == e->error, "%s: error code 0x%lx (want 0x%lx)", w,
          (unsigned long)last.error_code, e->error);
    check(TRAP_SAVED_CS(&last) == KERNEL_FRAME_CS, "%s: saved cs 0x%x (want 0x%x, guest kernel)",
          w, TRAP_SAVED_CS(&last), KERNEL_FRAME_CS);
#if defined(__x86_64__)
    check(last.sp == site_sp && last.ss == FLAT_KERNEL_SS_X86_64,
          "%s: saved ss:rsp 0x%lx:0x%lx = the interrupted stack", w, (unsigned long)last.ss,
          (unsigned long)last.sp);
    check(frame_top == (site_sp & ~15UL), "%s: frame ends at 0x%lx = interrupted rsp & ~15", w,
          frame_top);
#else
    check(frame_top == site_sp, "%s: ring-1 frame ends at 0x%lx = the interrupted esp", w,
          frame_top);
#endif
    check(TRAP_SAVED_MASK(&last) == mask, "%s: saved upcall mask %u (want %u)", w,
          TRAP_SAVED_MASK(&last), mask);
    check((last.flags & EFLAGS_IF) == (mask ? 0 : EFLAGS_IF) && (last.flags & EFLAGS_FIXED) &&
          !(last.flags & EFLAGS_IOPL),
          "%s: saved flags 0x%lx: IF = !mask, bit 1 set, IOPL 0", w, (unsigned long)last.flags);
    unsigned int want_hmask = e->handler_masks ? 1 : mask;
    check(handler_mask == want_hmask, "%s: upcall mask in handler %u (want %u)", w, handler_mask,
          want_hmask);
    check(mask_after == mask, "%s: upcall mask after iret %u (want %u)", w, mask_after, mask);
}

/* ---- the instructions under test ------------------------------------------------------------ */
static void site_divide(void)
{
    __asm__ volatile ("xorl %%ecx, %%ecx\n\tmovl $1, %%eax\n\txorl %%edx, %%edx\n\t"
                      SITE_BEGIN "divl %%ecx" SITE_END ::: "eax", "ecx", "edx", "memory");
}

static void site_int3(void) { __asm__ volatile (SITE_BEGIN "int3" SITE_END ::: "memory"); }
static void site_hlt(void) { __asm__ volatile (SITE_BEGIN "hlt" SITE_END ::: "memory"); }
static void site_int80(void) { __asm__ volatile (SITE_BEGIN "int $0x80" SITE_END ::: "memory"); }
static void site_int81(void) { __asm__ volatile (SITE_BEGIN "int $0x81" SITE_END ::: "memory"); }

/* ud2 with known values in two registers the PV64 bounce frame carries specially (RCX, R11) or
 * PV32 keeps in place (ECX, EDX); returns 1 if they survived the trap and the iret. */
#if defined(__x86_64__)
# define REG_A_VALUE  0x0123456789abcdefUL
# define REG_B_VALUE  0xfedcba9876543210UL
static int site_ud2_regs(void)
{
    unsigned long rcx = REG_A_VALUE;
    register unsigned long r11 __asm__("r11") = REG_B_VALUE;
    __asm__ volatile (SITE_BEGIN "ud2" SITE_END : "+c"(rcx), "+r"(r11) : : "memory");
    return rcx == REG_A_VALUE && r11 == REG_B_VALUE;
}
# define SAVED_REG_A(r) ((r)->cx)
# define SAVED_REG_B(r) ((r)->r11)
# define REG_NAMES "rcx/r11"
#else
# define REG_A_VALUE  0x01234567UL
# define REG_B_VALUE  0xfedcba98UL
static int site_ud2_regs(void)
{
    unsigned long ecx = REG_A_VALUE, edx = REG_B_VALUE;
    __asm__ volatile (SITE_BEGIN "ud2" SITE_END : "+c"(ecx), "+d"(edx) : : "memory");
    return ecx == REG_A_VALUE && edx == REG_B_VALUE;
}
# define SAVED_REG_A(r) ((r)->cx)
# define SAVED_REG_B(r) ((r)->dx)
# define REG_NAMES "ecx/edx"
#endif
static int ud2_regs_ok;
static void site_ud2(void) { ud2_regs_ok = site_ud2_regs(); }

static unsigned long pf_va;
static void site_pf_write(void)
{
    __asm__ volatile (SITE_BEGIN "movl $0x5a5a5a5a, (%0)" SITE_END : : "r"(pf_va) : "memory");
}
static unsigned int pf_read_value;
static void site_pf_read(void)
{
    unsigned int v = 0x1234;
    __asm__ volatile (SITE_BEGIN "movl (%1), %0" SITE_END : "+r"(v) : "r"(pf_va) : "memory");
    pf_read_value = v;                    /* unchanged: the load was skipped */
}
static unsigned int pf_store_value;
static void site_pf_store_same(void)
{
    __asm__ volatile (SITE_BEGIN "movl %1, (%0)" SITE_END : : "r"(pf_va), "r"(pf_store_value)
                      : "memory");
}

static void run(const struct expect *e, void (*site)(void), unsigned int mask)
{
    traps_seen = 0;
    xen_vcpu->evtchn_upcall_mask = (uint8_t)mask;
    barrier();
    site();
    barrier();
    unsigned int after = xen_vcpu->evtchn_upcall_mask;
    xen_vcpu->evtchn_upcall_mask = 1;
    verify(e, mask, after);
}

/* ---- the failsafe callback ----------------------------------------------------------------- */
#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))
static uint64_t ldt_page[PAGE_SIZE / 8] PAGE_ALIGNED;
#define LDT_FLAT_DATA  0x00cff3000000ffffULL   /* 4 GiB data, base 0, DPL 3, writable, accessed */
#define LDT_DS_SEL     0x7u                    /* LDT entry 0 (TI = 1), RPL 3 */

/* The frame Xen builds for the failsafe callback, lowest address first. */
#if defined(__x86_64__)
struct failsafe_frame {
    uint64_t cx, r11, ds, es, fs, gs;
    uint64_t ip, cs, flags, sp, ss;
};
#else
struct failsafe_frame {
    uint32_t ds, es, fs, gs;
    uint32_t ip, cs, flags;            /* sp, ss follow only for a return to ring 3 */
};
#endif

static struct failsafe_frame failsafe_seen;
static unsigned long failsafe_at;          /* address of the frame */
static unsigned int failsafe_ds_now;       /* %ds as the callback found it */
static unsigned int failsafe_mask;         /* evtchn_upcall_mask inside the callback */
static unsigned int failsafe_calls;

void failsafe_record(struct failsafe_frame *f, unsigned long ds_now);
void failsafe_record(struct failsafe_frame *f, unsigned long ds_now)
{
    failsafe_seen = *f;
    failsafe_at = (unsigned long)f;
    failsafe_ds_now = (unsigned int)ds_now;
    failsafe_mask = xen_vcpu->evtchn_upcall_mask;
    failsafe_calls++;
}

/* The callback: record the frame, drop the four selector words and retry the return with the
 * iret hypercall, as Linux does for a bad segment (the bad register stays null). PV32 first makes
 * %ds usable again (from %ss) to reach memory. */
extern char failsafe_stub[];
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl failsafe_stub\n"
        "failsafe_stub:\n\t"
        "pushq %rax\n\tpushq %rdx\n\tpushq %rsi\n\tpushq %rdi\n\t"
        "pushq %r8\n\tpushq %r9\n\tpushq %r10\n\t"
        "leaq 56(%rsp), %rdi\n\t"          /* the frame: its RCX word */
        "xorl %esi, %esi\n\t"
        "movw %ds, %si\n\t"
        "cld\n\t"
        "call failsafe_record\n\t"
        "popq %r10\n\tpopq %r9\n\tpopq %r8\n\tpopq %rdi\n\t"
        "popq %rsi\n\tpopq %rdx\n\tpopq %rax\n\t"
        "popq %rcx\n\tpopq %r11\n\t"
        "addq $32, %rsp\n\t"               /* DS, ES, FS, GS */
        "pushq $0\n\t"                     /* iret flags: restore RCX and R11 */
        "jmp hypercall_page + 23 * 32\n");
#else
__asm__(".text\n"
        ".globl failsafe_stub\n"
        "failsafe_stub:\n\t"
        "pushl %eax\n\tpushl %ecx\n\tpushl %edx\n\t"
        "xorl %eax, %eax\n\t"
        "movw %ds, %ax\n\t"
        "movw %ss, %cx\n\t"
        "movw %cx, %ds\n\t"
        "leal 12(%esp), %ecx\n\t"          /* the frame: its DS word */
        "pushl %eax\n\tpushl %ecx\n\t"
        "cld\n\t"
        "call failsafe_record\n\t"
        "addl $8, %esp\n\t"
        "popl %edx\n\tpopl %ecx\n\tpopl %eax\n\t"
        "addl $16, %esp\n\t"               /* DS, ES, FS, GS */
        "jmp hypercall_page + 23 * 32\n");
#endif

static inline unsigned int read_sel_ds(void) { unsigned int v = 0; __asm__ volatile ("movw %%ds, %w0" : "+r"(v)); return v; }
static inline unsigned int read_sel_es(void) { unsigned int v = 0; __asm__ volatile ("movw %%es, %w0" : "+r"(v)); return v; }
static inline unsigned int read_sel_fs(void) { unsigned int v = 0; __asm__ volatile ("movw %%fs, %w0" : "+r"(v)); return v; }
static inline unsigned int read_sel_gs(void) { unsigned int v = 0; __asm__ volatile ("movw %%gs, %w0" : "+r"(v)); return v; }
static inline void load_ds(unsigned int sel) { __asm__ volatile ("movw %w0, %%ds" : : "r"(sel) : "memory"); }

static long register_failsafe(void)
{
    struct callback_register cb;
    memset(&cb, 0, sizeof cb);
    cb.type = CALLBACKTYPE_failsafe;
    cb.flags = CALLBACKF_mask_events;
#if defined(__x86_64__)
    cb.address = (unsigned long)failsafe_stub;
#else
    cb.cs = GUEST_KERNEL_CS;
    cb.eip = (unsigned long)failsafe_stub;
#endif
    return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

static void test_failsafe(void)
{
    printf("failsafe callback:\n");
    check_rc(register_failsafe(), 0, "callback_op(register, failsafe, mask events)");
    ldt_page[0] = LDT_FLAT_DATA;
    check_rc(mm_set_readonly(ldt_page), 0, "LDT page mapped read-only");
    check_rc(mm_mmuext(MMUEXT_SET_LDT, (unsigned long)ldt_page, 1), 0,
             "MMUEXT_SET_LDT (1 entry: flat data, DPL 3)");
    unsigned int old_ds = read_sel_ds(), es = read_sel_es(), fs = read_sel_fs(), gs = read_sel_gs();

    /* With the LDT in place the selector reloads: a trap returns normally. */
    xen_vcpu->evtchn_upcall_mask = 0;
    barrier();
    load_ds(LDT_DS_SEL);
    traps_seen = 0;
    site_int3();
    unsigned int ds_after = read_sel_ds();
    load_ds(old_ds);
    xen_vcpu->evtchn_upcall_mask = 1;
    check(traps_seen == 1 && failsafe_calls == 0 && ds_after == LDT_DS_SEL,
          "%%ds = 0x%x (LDT) survives int3 + iret while the LDT exists (failsafe calls: %u)",
          ds_after, failsafe_calls);

    /* Drop the LDT under the loaded selector: the iret after the next trap cannot reload %ds. */
    xen_vcpu->evtchn_upcall_mask = 0;
    barrier();
    load_ds(LDT_DS_SEL);
    long rc = mm_mmuext(MMUEXT_SET_LDT, 0, 0);
    traps_seen = 0;
    site_int3();
    ds_after = read_sel_ds();
    load_ds(old_ds);
    unsigned int mask_after = xen_vcpu->evtchn_upcall_mask;
    xen_vcpu->evtchn_upcall_mask = 1;
    check_rc(rc, 0, "MMUEXT_SET_LDT (0 entries) with %ds still holding an LDT selector");
    if (!check(traps_seen == 1 && failsafe_calls == 1,
               "int3 handled once (%u), then the failsafe callback ran once (%u)", traps_seen,
               failsafe_calls))
        return;
    const struct failsafe_frame *f = &failsafe_seen;
    check(f->ds == LDT_DS_SEL && f->es == es && f->fs == fs && f->gs == gs,
          "frame ds/es/fs/gs 0x%lx/0x%lx/0x%lx/0x%lx = the selectors Xen tried to load",
          (unsigned long)f->ds, (unsigned long)f->es, (unsigned long)f->fs, (unsigned long)f->gs);
    check(failsafe_ds_now == 0, "%%ds in the callback is 0x%x (Xen loaded a null selector)",
          failsafe_ds_now);
    check(f->ip == site_end, "frame ip 0x%lx = where the iret was returning to (0x%lx)",
          (unsigned long)f->ip, site_end);
    check((f->cs & 0xffff) == KERNEL_FRAME_CS, "frame cs 0x%x (want 0x%x, guest kernel)",
          (unsigned int)(f->cs & 0xffff), KERNEL_FRAME_CS);
#if defined(__x86_64__)
    unsigned int saved_mask = (unsigned int)(f->cs >> 32) & 0xff;
    check(f->sp == site_sp && f->ss == FLAT_KERNEL_SS_X86_64,
          "frame ss:rsp 0x%lx:0x%lx = the context returned to", (unsigned long)f->ss,
          (unsigned long)f->sp);
    check(failsafe_at == (site_sp & ~15UL) - sizeof *f,
          "frame at 0x%lx: 11 words below interrupted rsp & ~15", failsafe_at);
#else
    unsigned int saved_mask = (unsigned int)(f->cs >> 16) & 0xff;
    check(failsafe_at + sizeof *f == site_sp, "ring-1 frame ends at 0x%lx = the interrupted esp",
          (unsigned long)(failsafe_at + sizeof *f));
#endif
    check(saved_mask == 0 && (f->flags & EFLAGS_IF), "frame: saved upcall mask %u, IF set",
          saved_mask);
    check(failsafe_mask == 1, "upcall mask in the callback %u (registered with mask events)",
          failsafe_mask);
    check(mask_after == 0, "upcall mask after the retried iret %u (want 0)", mask_after);
#if defined(__x86_64__)
    check(ds_after == 0, "%%ds after the retried iret 0x%x (stays null)", ds_after);
#else
    check(ds_after == FLAT_RING1_DS_X86_32, "%%ds after the retried iret 0x%x (the callback's)",
          ds_after);
#endif
}

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("traps");

    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("shared_info is needed for the upcall mask and CR2");
    check_rc(evtchn_init(), 0, "callback_op(register, event) with every port masked");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");
    check_rc(trap_register(TRAP_divide_error, 0, on_trap), 0, "set_trap_table(#DE, DPL 0)");
    check_rc(trap_register(TRAP_int3, 3, on_trap), 0, "set_trap_table(#BP, DPL 3)");
    check_rc(trap_register(TRAP_invalid_op, 0, on_trap), 0, "set_trap_table(#UD, DPL 0)");
    check_rc(trap_register(TRAP_gp_fault, 0, on_trap), 0, "set_trap_table(#GP, DPL 0)");
    check_rc(trap_register(TRAP_page_fault, TI_MASK_EVENTS, on_trap), 0,
             "set_trap_table(#PF, DPL 0, mask events)");
    check_rc(trap_register(0x80, 3, on_trap), 0, "set_trap_table(0x80, DPL 3)");
    check_rc(trap_register(0x81, 0, on_trap), 0, "set_trap_table(0x81, DPL 0)");

    static const struct expect de = { "#DE (divl by 0)", TRAP_divide_error, 1, 0, 0 };
    static const struct expect ud = { "#UD (ud2)", TRAP_invalid_op, 1, 0, 0 };
    static const struct expect bp = { "#BP (int3)", TRAP_int3, 0, 0, 0 };
    static const struct expect gp = { "#GP (hlt in the guest kernel)", TRAP_gp_fault, 1, 0, 0 };
    static const struct expect i80 = { "int $0x80 (DPL-3 entry)", 0x80, 0, 0, 0 };
    static const struct expect i80m = { "int $0x80 (DPL-3 entry, mask events)", 0x80, 0, 0, 1 };
    static const struct expect i81 = { "int $0x81 (DPL-0 entry) -> #GP", TRAP_gp_fault, 1,
                                       (0x81 << 3) | 2, 0 };
    static const struct expect pfw = { "#PF (write, not present)", TRAP_page_fault, 1,
                                       PFEC_write, 1 };
    static const struct expect pfr = { "#PF (read, not present)", TRAP_page_fault, 1, 0, 1 };
    static const struct expect pfro = { "#PF (write to the read-only top-level table)",
                                        TRAP_page_fault, 1, PFEC_present | PFEC_write, 1 };

    printf("events masked (upcall mask 1):\n");
    run(&de, site_divide, 1);
    run(&ud, site_ud2, 1);
    check(ud2_regs_ok && SAVED_REG_A(&last) == REG_A_VALUE && SAVED_REG_B(&last) == REG_B_VALUE,
          "#UD (ud2): " REG_NAMES " seen by the handler and kept across the iret");
    run(&bp, site_int3, 1);
    run(&gp, site_hlt, 1);
    run(&i80, site_int80, 1);
    run(&i81, site_int81, 1);

    pf_va = 0x40000000UL;
    volatile pte_t *l1e = mm_walk(pf_va, 1);
    check(!l1e || !(*l1e & _PAGE_PRESENT), "0x%lx is not mapped in the bootstrap tables", pf_va);
    run(&pfw, site_pf_write, 1);
    check(xen_vcpu->cr2 == pf_va, "#PF (write, not present): vcpu_info.arch.cr2 0x%lx",
          (unsigned long)xen_vcpu->cr2);
    run(&pfr, site_pf_read, 1);
    check(xen_vcpu->cr2 == pf_va && pf_read_value == 0x1234,
          "#PF (read, not present): vcpu_info.arch.cr2 0x%lx, load skipped",
          (unsigned long)xen_vcpu->cr2);
    /* A top-level table is never writable (only L1s get writable-page-table emulation); store
     * the word that is already there, so nothing changes even if the store went through. */
    pf_va = (unsigned long)xen_start_info->pt_base + 2040;
    pf_store_value = *(volatile uint32_t *)pf_va;
    run(&pfro, site_pf_store_same, 1);
    check(xen_vcpu->cr2 == pf_va,
          "#PF (read-only table): vcpu_info.arch.cr2 0x%lx (pt_base + 2040)",
          (unsigned long)xen_vcpu->cr2);

    printf("events enabled (upcall mask 0):\n");
    run(&ud, site_ud2, 0);
    run(&bp, site_int3, 0);
    run(&gp, site_hlt, 0);
    run(&i80, site_int80, 0);
    pf_va = 0x40000000UL;
    run(&pfw, site_pf_write, 0);
    check_rc(trap_register(0x80, 3 | TI_MASK_EVENTS, on_trap), 0,
             "set_trap_table(0x80, DPL 3, mask events)");
    run(&i80m, site_int80, 0);
    check(evtchn_upcalls == 0, "no event upcall happened (%lu)", (unsigned long)evtchn_upcalls);

    test_failsafe();
    test_finish();
}
