/* logdirty.c: test guest for log-dirty mode (Xen's XEN_DOMCTL_SHADOW_OP_{ENABLE_LOGDIRTY,PEEK,CLEAN},
 * the dirty bitmap live migration reads). The host test drives it: at each prompt it peeks and cleans
 * the bitmap (or turns the mode on or off), then types the key the prompt names. The guest then does
 * one round of writes and prints the exact PFNs of every page it wrote, which the host's next peek
 * must equal. Invariant that makes the set exact whatever instant the host acts at: from enabling to
 * the last peek the guest writes only its buffer pages, the PV32/PV64 page-table frame the rounds
 * name, one page of stack (a page of .bss with a read-only guard page below it) and the console
 * ring page; stack and ring are written again after every key, so a write that lands just before or
 * just after the host's clean is in the next round either way. Events stay masked: the key is
 * awaited with sched_op(poll) on the console port, so no upcall frame and no handler state; the
 * bits it clears are in shared_info and vcpu_info, Xen's frames, which the bitmap does not cover.
 */
#include "console.h"
#include "console-in.h"
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

#define PAGE_ALIGNED  __attribute__((aligned(PAGE_SIZE)))
#define BUF_PAGES     16
#define NR_ROUNDS     5
#define MAX_REPORTED  8


/* Whole pages, so no other variable shares them. */
static volatile uint8_t buffer[BUF_PAGES][PAGE_SIZE] PAGE_ALIGNED;
static uint8_t stack_pages[2][PAGE_SIZE] PAGE_ALIGNED;   /* [0]: read-only guard, [1]: the stack */

/* What the rounds do. Plain stores: round r writes byte 0x10*r + page at offset 0x100*r of each
 * listed buffer page. Round 3 also has Xen write for it: xen_version(XENVER_extraversion) into
 * page EXTRAVERSION_PAGE (copy_to_guest) and update_va_mapping of page PT_PAGE read-only and back
 * (Xen writes the L1 that maps it); round 4 stores into that L1 entry itself (writable page
 * tables: Xen emulates the store). The host turns log-dirty off before round 5. */
static const struct {
    uint8_t nr;
    uint8_t pages[4];
} plan[NR_ROUNDS + 1] = {
    [1] = { 4, { 0, 3, 4, 9 } },
    [2] = { 3, { 1, 3, 15 } },
    [3] = { 0, { 0 } },
    [4] = { 0, { 0 } },
    [5] = { 2, { 2, 5 } },
};
#define EXTRAVERSION_PAGE  6
#define EXTRAVERSION_AT    0x800
#define PT_PAGE            12

/* Layout, found before the rounds (only read afterwards). */
static xen_ulong_t buffer_pfn, stack_pfn, ring_pfn, l1_pfn;
static volatile pte_t *pt_page_l1e;
static uint32_t port;

/* What the rounds saw; it lives in rounds()' frame, on the stack page. */
struct results {
    char keys[NR_ROUNDS + 2];
    long read_rc[NR_ROUNDS + 2];
    long version_rc, ro_rc, rw_rc;
    pte_t pte_before, pte_after_uvm, pte_after_ptwr;
    char extraversion[17];
};

static xen_ulong_t va_to_pfn(const volatile void *va)
{
    volatile pte_t *e = mm_walk((unsigned long)va, 1);
    if (!e || !(*e & _PAGE_PRESENT))
        return INVALID_M2P_ENTRY;
    return xen_mfn_to_pfn((xen_ulong_t)((*e & PTE_FRAME_MASK) >> PAGE_SHIFT));
}

/* Waits for one byte of console input with events masked: sched_op(poll) on the console port
 * sleeps until the port is pending, and the pending bits are cleared by hand (all in Xen's
 * shared_info). Returns the console_read result (1, or -1 for a broken ring) or the poll error. */
static long wait_key(char *key)
{
    for (;;) {
        evtchn_clear(port);
        xen_vcpu->evtchn_upcall_pending = 0;
        __atomic_fetch_and(&xen_vcpu->evtchn_pending_sel, ~((xen_ulong_t)1 << (port / EVTCHN_BITS_PER_WORD)),
                           __ATOMIC_SEQ_CST);
        long n = console_read(key, 1);
        if (n != 0)
            return n;
        uint32_t ports[1] = { port };
        struct sched_poll poll = { .ports = ports, .nr_ports = 1, .timeout = 0 };
        long rc = HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
        if (rc)
            return rc;
    }
}

/* printf without its static buffer: formats on the stack, then the console (ring page). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    console_write(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

/* Stores the round's bytes: one per listed buffer page, nothing else. */
static void __attribute__((noinline)) write_pages(unsigned int round)
{
    for (unsigned int i = 0; i < plan[round].nr; i++) {
        unsigned int p = plan[round].pages[i];
        buffer[p][0x100 * round] = (uint8_t)(0x10 * round + p);
    }
}

/* Store of the low half of a PTE (the flags; PV32's high half is 0 for our frames), fixed
 * encoding MOV Ev,Gv. The L1 is mapped read-only: Xen emulates the store (writable page tables). */
static void store_pte_low(volatile pte_t *p, uint32_t low)
{
    __asm__ volatile ("movl %1, (%0)" : : "r"(p), "r"(low) : "memory");
}

/* Appends pfn to the sorted set. */
static void add_pfn(xen_ulong_t *set, unsigned int *n, xen_ulong_t pfn)
{
    unsigned int i = 0;
    while (i < *n && set[i] < pfn)
        i++;
    if (i < *n && set[i] == pfn)
        return;
    for (unsigned int j = *n; j > i; j--)
        set[j] = set[j - 1];
    set[i] = pfn;
    (*n)++;
}

static void do_round(unsigned int round, struct results *res)
{
    xen_ulong_t set[MAX_REPORTED];
    unsigned int n = 0;
    char what[80] = "";
    int w = 0;

    write_pages(round);
    for (unsigned int i = 0; i < plan[round].nr; i++)
        add_pfn(set, &n, buffer_pfn + plan[round].pages[i]);
    if (round == 3) {
        volatile uint8_t *dst = &buffer[EXTRAVERSION_PAGE][EXTRAVERSION_AT];
        res->version_rc = HYPERVISOR_xen_version(XENVER_extraversion, (void *)dst);
        add_pfn(set, &n, buffer_pfn + EXTRAVERSION_PAGE);
        pte_t flags = res->pte_before & PTE_FLAGS_MASK;
        xen_ulong_t mfn = (xen_ulong_t)((res->pte_before & PTE_FRAME_MASK) >> PAGE_SHIFT);
        res->ro_rc = mm_map(&buffer[PT_PAGE][0], mfn, flags & ~_PAGE_RW);
        res->rw_rc = mm_map(&buffer[PT_PAGE][0], mfn, flags);
        res->pte_after_uvm = *pt_page_l1e;
        add_pfn(set, &n, l1_pfn);
        w += snprintf(what + w, sizeof what - w, "; by Xen: buffer page %u (xen_version), L1 (update_va_mapping)",
                      EXTRAVERSION_PAGE);
    }
    if (round == 4) {
        uint32_t low = (uint32_t)*pt_page_l1e;
        store_pte_low(pt_page_l1e, low & ~(uint32_t)_PAGE_RW);
        store_pte_low(pt_page_l1e, low);
        mm_invlpg(&buffer[PT_PAGE][0]);
        res->pte_after_ptwr = *pt_page_l1e;
        add_pfn(set, &n, l1_pfn);
        w += snprintf(what + w, sizeof what - w, "; by Xen: L1 (writable page tables)");
    }
    add_pfn(set, &n, stack_pfn);
    add_pfn(set, &n, ring_pfn);

    char list[MAX_REPORTED * 20];
    int len = 0;
    for (unsigned int i = 0; i < n; i++)
        len += snprintf(list + len, sizeof list - len, "%s0x%lx", i ? "," : "", (unsigned long)set[i]);
    char pages[40] = "";
    int plen = 0;
    for (unsigned int i = 0; i < plan[round].nr; i++)
        plen += snprintf(pages + plen, sizeof pages - plen, "%s %u%s", i ? "" : " buffer pages",
                         (unsigned int)plan[round].pages[i], i + 1 == plan[round].nr ? "," : "");
    say("logdirty: round %u wrote pfns %s (stores:%s stack, console ring%s)\n", round, list, pages, what);
}

/* Everything from the first prompt on runs here, on the one-page stack. */
static void __attribute__((noreturn, used)) rounds(void)
{
    struct results res;
    memset(&res, 0, sizeof res);
    res.pte_before = *pt_page_l1e;
    for (unsigned int r = 1; r <= NR_ROUNDS; r++) {
        say("logdirty: round %u ready (type %u)\n", r, r);
        res.read_rc[r] = wait_key(&res.keys[r]);
        do_round(r, &res);
    }
    say("logdirty: rounds done (type q)\n");
    res.read_rc[NR_ROUNDS + 1] = wait_key(&res.keys[NR_ROUNDS + 1]);

    /* The host has taken its last look: from here on anything may be written. */
    for (unsigned int r = 1; r <= NR_ROUNDS + 1; r++) {
        char want = r <= NR_ROUNDS ? (char)('0' + r) : 'q';
        check(res.read_rc[r] == 1 && res.keys[r] == want, "prompt %u: key '%c' read (rc %ld), want '%c'",
              r, res.keys[r] >= 0x20 ? res.keys[r] : '?', res.read_rc[r], want);
    }
    unsigned int bad = 0;
    for (unsigned int p = 0; p < BUF_PAGES; p++) {
        for (unsigned int r = 1; r <= NR_ROUNDS; r++) {
            uint8_t want = 0;
            for (unsigned int i = 0; i < plan[r].nr; i++)
                if (plan[r].pages[i] == p)
                    want = (uint8_t)(0x10 * r + p);
            if (buffer[p][0x100 * r] != want)
                bad++;
        }
    }
    check(bad == 0, "every round's bytes are in the buffer and nothing else changed (%u wrong)", bad);
    for (unsigned int i = 0; i < 16; i++)
        res.extraversion[i] = (char)buffer[EXTRAVERSION_PAGE][EXTRAVERSION_AT + i];
    check(res.version_rc == 0 && res.extraversion[0] != 0 && strnlen(res.extraversion, 16) < 16,
          "round 3: xen_version(extraversion) into the buffer = %ld, \"%s\"", res.version_rc,
          res.extraversion);
    check(res.ro_rc == 0 && res.rw_rc == 0, "round 3: update_va_mapping read-only = %ld, writable = %ld",
          res.ro_rc, res.rw_rc);
    /* Xen may add bits of its own (PV64: _PAGE_USER and _PAGE_GUEST_KERNEL, bit 52), so the
     * frame and the low flags are compared, then round 4 must restore round 3's entry exactly. */
    char h0[21], h1[21], h2[21];
    check((res.pte_after_uvm & (PTE_FRAME_MASK | 0xfff)) == (res.pte_before & (PTE_FRAME_MASK | 0xfff)) &&
          res.pte_after_ptwr == res.pte_after_uvm,
          "rounds 3 and 4 restored the L1 entry (%s after update_va_mapping, %s after the stores; "
          "was %s)", u64_hex(h0, res.pte_after_uvm), u64_hex(h1, res.pte_after_ptwr),
          u64_hex(h2, res.pte_before));
    buffer[PT_PAGE][1] = 1;
    check(buffer[PT_PAGE][1] == 1, "buffer page %u is writable again", PT_PAGE);
    test_finish();
}

/* Switches to the one-page stack and calls fn there (never returns). */
extern void __attribute__((noreturn)) run_on_stack(void (*fn)(void), void *top);
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl run_on_stack\n"
        "run_on_stack:\n\t"
        "movq %rsi, %rsp\n\t"
        "call *%rdi\n\t"
        "ud2\n");
#else
__asm__(".text\n"
        ".globl run_on_stack\n"
        "run_on_stack:\n\t"
        "movl 4(%esp), %eax\n\t"
        "movl 8(%esp), %esp\n\t"
        "call *%eax\n\t"
        "ud2\n");
#endif

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("logdirty");
    port = console_evtchn();
    if (!check(console_ring() != 0 && port != 0, "console ring at %p, event channel %u",
               (void *)console_ring(), (unsigned int)port))
        test_abort("the key prompts need the console ring");
    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("shared_info is needed for the console event");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");
    check_rc(evtchn_init(), 0, "callback_op(register, event) with every port masked");
    events_disable();
    evtchn_unmask(port);   /* events stay masked in vcpu_info: the port only wakes sched_op(poll) */
    check_rc(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0), 0, "vcpu_op(stop_periodic_timer)");
    check_rc(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0,
             "vm_assist(enable, writable_pagetables)");

    /* Each page's PFN from its L1 entry and the M2P; the pages must be the image's own. */
    buffer_pfn = va_to_pfn(&buffer[0][0]);
    unsigned int contiguous = 1;
    for (unsigned int p = 0; p < BUF_PAGES; p++)
        if (va_to_pfn(&buffer[p][0]) != buffer_pfn + p)
            contiguous = 0;
    check(buffer_pfn < si->nr_pages && contiguous, "buffer: %u pages from pfn 0x%lx, contiguous",
          BUF_PAGES, (unsigned long)buffer_pfn);
    stack_pfn = va_to_pfn(stack_pages[1]);
    ring_pfn = console_ring_pfn();
    check(stack_pfn < si->nr_pages && va_to_pfn(console_ring()) == ring_pfn,
          "stack pfn 0x%lx, console ring pfn 0x%lx", (unsigned long)stack_pfn, (unsigned long)ring_pfn);
    pt_page_l1e = mm_walk((unsigned long)&buffer[PT_PAGE][0], 1);
    l1_pfn = pt_page_l1e ? ((unsigned long)pt_page_l1e - GUEST_VIRT_BASE) >> PAGE_SHIFT : 0;
    if (!check(pt_page_l1e != 0 && l1_pfn < si->nr_pages && va_to_pfn(pt_page_l1e) == l1_pfn,
               "L1 of buffer page %u: pfn 0x%lx", PT_PAGE, (unsigned long)l1_pfn))
        test_abort("no L1 to update");
    if (!check_rc(mm_set_readonly(stack_pages[0]), 0, "guard page below the stack made read-only"))
        test_abort("no guard page for the one-page stack");

    /* Set every accessed and dirty bit the rounds would otherwise make the CPU set: the walk's
     * A/D writes into the L1 must not show up as page-table writes inside a round. */
    for (unsigned int p = 0; p < BUF_PAGES; p++)
        buffer[p][0] = 0;
    stack_pages[1][PAGE_SIZE - 1] = 0;

    printf("logdirty: buffer pfn 0x%lx (%u pages), stack pfn 0x%lx, console ring pfn 0x%lx, "
           "buffer L1 pfn 0x%lx\n", (unsigned long)buffer_pfn, BUF_PAGES, (unsigned long)stack_pfn,
           (unsigned long)ring_pfn, (unsigned long)l1_pfn);
    run_on_stack(rounds, stack_pages[1] + PAGE_SIZE);
}
