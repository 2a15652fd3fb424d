/* paging-lab.c: a demo guest that shows, step by step and on its console, how a paravirtualized
 * kernel manages memory under Xen's direct paging (xen-pv-abi.md §1.4, §1.8, §2.3, §4.1): its
 * page tables live in its own frames and hold machine frame numbers; they are mapped read-only to
 * it and every change goes through a hypercall that Xen validates (update_va_mapping, mmu_update,
 * mmuext_op). The lab walks its own tables, builds and pins a new L1, maps, unmaps and remaps
 * pages through it, takes page faults on purpose and shares a frame copy-on-write, as fork() does.
 * Every sentence it prints about the system was checked first (common/demo.h).
 */
#include "console.h"
#include "demo.h"
#include "frames.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "mm.h"
#include "probe.h"
#include "ptwalk.h"
#include "pv.h"
#include "shared.h"
#include "test.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define PTE_COW     0x200ULL          /* bit 9, one of the three bits the CPU leaves to the OS */
#define TEXT_MAX    24

/* The frames the lab works with (from the frame pool) and the window its own L1 maps. */
static char *frame_a, *frame_b, *frame_c;
static pte_t *lab_l1;                 /* the new L1, at its bootstrap VA (read-only once pinned) */
static char *window;                  /* VA mapped by lab_l1 entry 0 */
static unsigned int cow_sharers;      /* mappings of frame C still marked copy-on-write */
static unsigned int cow_copies, cow_upgrades;

static unsigned long lab_data = 0x1abda7a;

static xen_ulong_t mfn_of(const void *va) { return mm_virt_to_mfn(va); }
static pte_t pte_for(const void *frame, pte_t flags) { return ((pte_t)mfn_of(frame) << PAGE_SHIFT) | flags; }
static char *win(unsigned int entry) { return window + entry * PAGE_SIZE; }

/* update_va_mapping(va, pte, UVMF_INVLPG) for a page of the window. */
static long set_window(unsigned int entry, pte_t pte)
{
    return HYPERVISOR_update_va_mapping((unsigned long)win(entry), pte, UVMF_INVLPG);
}

/* The text at a VA (reads stop at a NUL or TEXT_MAX bytes). */
static const char *text_at(char *buf, const volatile char *va)
{
    unsigned int i = 0;
    for (; i < TEXT_MAX && va[i]; i++)
        buf[i] = va[i];
    buf[i] = 0;
    return buf;
}

static int shows(const volatile char *va, const char *want)
{
    char buf[TEXT_MAX + 1];
    return strncmp(text_at(buf, va), want, TEXT_MAX) == 0;
}

/* ---- the #PF handler: probes first, then copy-on-write ------------------------------------- */
static void on_page_fault(struct trap_regs *r)
{
    if (probe_fixup(r))
        return;
    unsigned long cr2 = (unsigned long)xen_vcpu->cr2;
    unsigned long off = cr2 - (unsigned long)window;
    if (TRAP_FROM_USER(r) || cr2 < (unsigned long)window || off >= PTES_PER_TABLE * PAGE_SIZE ||
        (r->error_code & (PFEC_present | PFEC_write)) != (PFEC_present | PFEC_write))
        trap_unexpected(r);
    unsigned int entry = (unsigned int)(off >> PAGE_SHIFT);
    pte_t pte = lab_l1[entry];
    if (!(pte & PTE_COW))
        trap_unexpected(r);
    xen_ulong_t mfn = (xen_ulong_t)((pte & PTE_FRAME_MASK) >> PAGE_SHIFT);
    char *shared = mm_mfn_to_virt(mfn);
    char ec[48];
    printf("    #PF handler: write to 0x%lx, error code 0x%lx (%s), on a copy-on-write page\n",
           cr2, (unsigned long)r->error_code, demo_pf_bits(ec, (unsigned long)r->error_code));
    long rc;
    if (cow_sharers > 1) {
        char *copy = frame_alloc();
        if (!copy)
            demo_fail("copy-on-write: the frame pool is empty");
        memcpy(copy, shared, PAGE_SIZE);
        rc = set_window(entry, pte_for(copy, PTE_KERNEL_RW));
        demo_check(rc == 0, "update_va_mapping to succeed", "    copied frame mfn 0x%lx to a new "
                   "frame mfn 0x%lx and mapped it writable at 0x%lx (update_va_mapping rc %ld)",
                   (unsigned long)mfn, (unsigned long)mfn_of(copy), cr2 & ~(PAGE_SIZE - 1UL), rc);
        cow_copies++;
    } else {
        rc = set_window(entry, (pte & PTE_FRAME_MASK) | PTE_KERNEL_RW);
        demo_check(rc == 0, "update_va_mapping to succeed", "    nobody else maps frame mfn 0x%lx "
                   "any more: made it writable in place, no copy (update_va_mapping rc %ld)",
                   (unsigned long)mfn, rc);
        cow_upgrades++;
    }
    cow_sharers--;
    printf("    returning to the faulting store, which runs again\n");
}

/* ---- the steps ------------------------------------------------------------------------------ */
static void step_walk(const start_info_t *si)
{
    demo_section("1. Where the kernel's page tables are");
    xen_ulong_t top = pt_boot_top();
    printf("  Xen gave us the top-level table at VA 0x%lx (start_info.pt_base), machine frame "
           "0x%lx;\n  %u levels: %s\n", (unsigned long)si->pt_base, (unsigned long)top, PT_LEVELS,
           PT_LEVELS == 4 ? "L4 -> L3 -> L2 -> L1 -> page (x86-64 4-level paging)"
                          : "L3 (4 entries) -> L2 -> L1 -> page (PAE paging)");
    printf("  walking VA %p, the kernel variable lab_data (= 0x%lx):\n", (void *)&lab_data, lab_data);
    struct pt_walk w;
    pt_walk(top, (unsigned long)&lab_data, &w);
    pt_print(&w);
    xen_ulong_t pfn = ((unsigned long)&lab_data - GUEST_VIRT_BASE) >> PAGE_SHIFT;
    demo_check(w.mapped && (w.machine >> PAGE_SHIFT) == mm_pfn_to_mfn(pfn), "the walk to end at "
               "P2M[pfn]", "the frame the walk ends at is the one the P2M list gives: pfn 0x%lx -> "
               "machine frame 0x%lx", (unsigned long)pfn, (unsigned long)mm_pfn_to_mfn(pfn));
}

static void step_read_only(void)
{
    demo_section("2. Page tables are read-only to the kernel that owns them");
    volatile pte_t *entry = mm_walk((unsigned long)&lab_data, 1);
    volatile pte_t *map_of_l1 = entry ? mm_walk((unsigned long)entry, 1) : 0;
    demo_check(map_of_l1 && (*map_of_l1 & _PAGE_PRESENT) && !(*map_of_l1 & _PAGE_RW),
               "a present, read-only mapping", "the L1 holding that entry is itself mapped at VA "
               "0x%lx, present and read-only (RW clear)", (unsigned long)entry & ~(PAGE_SIZE - 1UL));
    void *l1_page = (void *)((unsigned long)entry & ~(PAGE_SIZE - 1UL));
    long rc = mm_map(l1_page, mm_virt_to_mfn(l1_page), PTE_KERNEL_RW);
    demo_check(rc == -XEN_EBUSY, "-16 (EBUSY)", "asking Xen to map it writable "
               "(update_va_mapping) is refused with %ld (EBUSY): a frame in use as a page table "
               "is never writable, so every change must go through Xen", rc);
}

static void step_build(void)
{
    demo_section("3. Building a new page table");
    frame_a = frame_alloc();
    frame_b = frame_alloc();
    frame_c = frame_alloc();
    lab_l1 = frame_alloc();
    if (!frame_a || !frame_b || !frame_c || !lab_l1)
        demo_fail("the frame pool has fewer than 4 free frames");
    memcpy(frame_a, "frame A", 8);
    memcpy(frame_b, "frame B", 8);
    memcpy(frame_c, "shared v1", 10);
    printf("  took 4 free frames (machine frames 0x%lx, 0x%lx, 0x%lx, 0x%lx): A, B, C hold text, "
           "the fourth becomes an L1\n", (unsigned long)mfn_of(frame_a), (unsigned long)mfn_of(frame_b),
           (unsigned long)mfn_of(frame_c), (unsigned long)mfn_of(lab_l1));
    lab_l1[0] = pte_for(frame_a, PTE_KERNEL_RW);
    lab_l1[1] = pte_for(frame_b, PTE_KERNEL_RW);
    printf("  the L1 maps A at entry 0 and B at entry 1, both present and writable\n");
    demo_ok(mm_set_readonly(lab_l1), "made the L1's own mapping read-only (update_va_mapping): "
            "Xen insists before it will use the frame as a page table");
    demo_ok(mm_mmuext(MMUEXT_PIN_L1_TABLE, mfn_of(lab_l1), 0), "pinned it (mmuext_op "
            "PIN_L1_TABLE): Xen checked all 512 entries map frames we own");

    volatile pte_t *l2 = mm_walk(0, 2);       /* the L2 that maps VA 0, from its first entry */
    unsigned int slot = 2;
    while (slot < PTES_PER_TABLE && (l2[slot] & _PAGE_PRESENT))
        slot++;
    if (slot == PTES_PER_TABLE)
        demo_fail("no free slot in the L2 that maps VA 0");
    window = (char *)((unsigned long)slot << 21);
    uint64_t l2e_ma = mm_virt_to_machine(&l2[slot]);
    demo_ok(mm_mmu_update(l2e_ma | MMU_NORMAL_PT_UPDATE, pte_for(lab_l1, PTE_KERNEL_RW | _PAGE_USER)),
            "pointed a free L2 entry at it (mmu_update, by the entry's machine address)");
    char buf[TEXT_MAX + 1];
    demo_check(shows(win(0), "frame A"), "\"frame A\"", "VA %p (L2 entry %u, L1 entry 0) now reads "
               "\"%s\": the text written through A's own address %p: one frame, two addresses",
               (void *)win(0), slot, text_at(buf, win(0)), (void *)frame_a);
    demo_check(shows(win(1), "frame B"), "\"frame B\"", "VA %p (L1 entry 1) reads \"%s\"",
               (void *)win(1), text_at(buf, win(1)));
}

static void expect_fault(int faulted, unsigned long va, unsigned long want_ec)
{
    char got[48], want[48];
    demo_check(faulted && probe_last.vector == TRAP_page_fault && probe_last.error_code == want_ec &&
               probe_last.cr2 == va, demo_pf_bits(want, want_ec),
               faulted ? "it faulted: #PF (vector %u) with error code 0x%lx (%s), cr2 0x%lx, "
                         "as expected" : "it did not fault (vector %u, error 0x%lx %s, cr2 0x%lx)",
               probe_last.vector, probe_last.error_code, demo_pf_bits(got, probe_last.error_code),
               probe_last.cr2);
}

static void step_unmap_remap(void)
{
    demo_section("4. Unmapping and remapping a page");
    uint64_t e0 = mm_virt_to_machine(&lab_l1[0]);
    demo_ok(mm_mmu_update(e0 | MMU_NORMAL_PT_UPDATE, 0), "cleared L1 entry 0 (mmu_update)");
    unsigned long v;
    printf("  reading VA %p again:\n", (void *)win(0));
    expect_fault(probe_read(win(0), &v), (unsigned long)win(0), 0);
    demo_ok(mm_mmu_update(e0 | MMU_NORMAL_PT_UPDATE, pte_for(frame_b, PTE_KERNEL_RW)),
            "set L1 entry 0 to frame B (mmu_update)");
    char buf[TEXT_MAX + 1];
    demo_check(shows(win(0), "frame B") && shows(win(1), "frame B"), "\"frame B\" twice",
               "VA %p now reads \"%s\", like %p: two pages of the window share frame B",
               (void *)win(0), text_at(buf, win(0)), (void *)win(1));
}

static void step_write_protect(void)
{
    demo_section("5. Write protection");
    demo_ok(set_window(1, pte_for(frame_b, PTE_KERNEL_RO)), "made L1 entry 1 read-only "
            "(update_va_mapping: still frame B, RW cleared)");
    printf("  writing to VA %p:\n", (void *)win(1));
    expect_fault(probe_write(win(1), 0x2121), (unsigned long)win(1), PFEC_present | PFEC_write);
    char buf[TEXT_MAX + 1];
    demo_check(shows(win(1), "frame B"), "\"frame B\"", "the page still reads \"%s\"",
               text_at(buf, win(1)));
    memcpy(win(0), "B, via entry 0", 15);
    demo_check(shows(win(1), "B, via entry 0"), "the new text", "a write through VA %p (entry 0, "
               "still writable) shows at %p: \"%s\": protection belongs to the mapping, not the frame",
               (void *)win(0), (void *)win(1), text_at(buf, win(1)));
}

static void step_copy_on_write(void)
{
    demo_section("6. Copy-on-write, as fork() shares a page");
    pte_t cow = pte_for(frame_c, PTE_KERNEL_RO | PTE_COW);
    demo_ok(set_window(2, cow), "mapped frame C read-only at the parent's page (L1 entry 2), "
            "marked copy-on-write in PTE bit 9");
    demo_ok(set_window(3, cow), "mapped the same frame C the same way at the child's page (entry 3)");
    cow_sharers = 2;
    char buf[TEXT_MAX + 1], buf2[TEXT_MAX + 1];
    demo_check(shows(win(2), "shared v1") && shows(win(3), "shared v1"), "\"shared v1\" twice",
               "parent (%p) and child (%p) both read \"%s\" from one frame",
               (void *)win(2), (void *)win(3), text_at(buf, win(3)));

    printf("  the child writes \"child v2\":\n");
    memcpy(win(3), "child v2", 9);           /* faults once; the handler copies; the store reruns */
    demo_check(cow_copies == 1 && shows(win(3), "child v2") && shows(win(2), "shared v1"),
               "one copy; child v2 / shared v1", "after %u copy, the child reads \"%s\" and the "
               "parent still reads \"%s\"", cow_copies, text_at(buf, win(3)), text_at(buf2, win(2)));
    demo_check((lab_l1[3] & PTE_FRAME_MASK) != (lab_l1[2] & PTE_FRAME_MASK) && (lab_l1[3] & _PAGE_RW) &&
               !(lab_l1[3] & PTE_COW), "entry 3 on another frame, writable", "the child's L1 entry "
               "now points at another frame, writable and no longer copy-on-write");

    printf("  the parent writes \"parent v2\":\n");
    memcpy(win(2), "parent v2", 10);
    demo_check(cow_copies == 1 && cow_upgrades == 1 && shows(win(2), "parent v2") &&
               shows(win(3), "child v2") && shows(frame_c, "parent v2"), "no second copy",
               "no second copy: the parent wrote frame C itself, which now reads \"%s\"",
               text_at(buf, frame_c));
}

static void step_clean_up(void)
{
    demo_section("7. Taking the page table down again");
    volatile pte_t *l2 = mm_walk(0, 2);
    unsigned int slot = (unsigned int)((unsigned long)window >> 21);
    demo_ok(mm_mmu_update(mm_virt_to_machine(&l2[slot]) | MMU_NORMAL_PT_UPDATE, 0),
            "cleared the L2 entry (mmu_update)");
    demo_ok(mm_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), "flushed the TLB (mmuext_op TLB_FLUSH_LOCAL)");
    demo_ok(mm_mmuext(MMUEXT_UNPIN_TABLE, mfn_of(lab_l1), 0), "unpinned the L1 (mmuext_op UNPIN_TABLE)");
    demo_ok(mm_set_writable(lab_l1), "mapped its frame writable again: it is ordinary memory now");
    unsigned long v;
    printf("  reading VA %p:\n", (void *)win(0));
    expect_fault(probe_read(win(0), &v), (unsigned long)win(0), 0);
}

void guest_main(start_info_t *si)
{
    console_init(si);
    demo_begin("paging lab", "paging lab: how a PV kernel maps memory");
    printf("A PV kernel keeps its own page tables in its own memory, holding machine frame numbers;\n"
           "the CPU walks them directly, and Xen checks every change before it is made.\n");
    if (shared_info_map(si))
        demo_fail("cannot map shared_info (update_va_mapping)");
    demo_ok(trap_init(), "set_trap_table: exception handlers registered");
    demo_ok(trap_register(TRAP_page_fault, 0, on_page_fault), "set_trap_table: our #PF handler");
    frames_init(si);
    printf("  %lu free frames in the pool for this lab\n", frames_free());

    step_walk(si);
    step_read_only();
    step_build();
    step_unmap_remap();
    step_write_protect();
    step_copy_on_write();
    step_clean_up();
    printf("\n");
    demo_complete();
}
