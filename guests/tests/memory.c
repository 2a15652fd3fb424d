/* memory.c: test guest for direct-paging memory management (xen-pv-abi.md §1.8, §2.3, §4.1).
 * Checks XENMEM_machphys_mapping and XENMEM_memory_map, that P2M and M2P agree, the refusals
 * page-table validation must give (writable mapping of a page-table frame, PCD/PWT for a domU,
 * a frame the domain does not own, a VA without an L1, pinning a writable frame, pinning twice,
 * unpinning an unpinned frame, a writable frame as top-level table), -EFAULT for wild pointers
 * with the domain still running afterwards, the three ways to change an L1 entry (mmu_update,
 * update_va_mapping, a plain store into a read-only L1 in use: writable page tables), a new L1
 * pinned, hooked into the L2 with mmu_update, used, unhooked and unpinned, and a copied
 * top-level table pinned and loaded with MMUEXT_NEW_BASEPTR. The guest enables
 * VMASST_TYPE_writable_pagetables first, as Linux does. Error numbers follow Xen
 * (xen/arch/x86/mm.c): type conflicts while taking a writable mapping give -EBUSY
 * (get_page_from_l1e), disallowed PTE flags and type conflicts when pinning or loading a table
 * -EINVAL (__get_page_type), a frame outside RAM -EPERM (treated as MMIO without permission).
 */
#include "console.h"
#include "guest.h"
#include "hypercall.h"
#include "libc.h"
#include "mm.h"
#include "pv.h"
#include "shared.h"
#include "test.h"
#include "trap.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))
static unsigned long scratch[PAGE_SIZE / sizeof(long)] PAGE_ALIGNED;
static unsigned long page_a[PAGE_SIZE / sizeof(long)] PAGE_ALIGNED;
static unsigned long page_b[PAGE_SIZE / sizeof(long)] PAGE_ALIGNED;
pte_t l1_page[PTES_PER_TABLE] PAGE_ALIGNED;    /* global: named in inline asm */
static pte_t top_copy[PTES_PER_TABLE] PAGE_ALIGNED;
#if defined(__i386__)
static pte_t l2_copy[PTES_PER_TABLE] PAGE_ALIGNED;    /* PAE: the slot-3 L2 cannot be shared */
#endif

#define PATTERN_SCRATCH 0x5c5c5c5cUL
#define PATTERN_A       0xa1a1a1a1UL
#define PATTERN_B       0xb2b2b2b2UL
#define WILD            ((void *)0x40000000UL)     /* canonical, never mapped here */

#if defined(__x86_64__)
# define TOP_LEVEL 4
# define PIN_TOP   MMUEXT_PIN_L4_TABLE
#else
# define TOP_LEVEL 3
# define PIN_TOP   MMUEXT_PIN_L3_TABLE
#endif

static xen_ulong_t top_mfn(void)
{
    return mm_virt_to_mfn((void *)(unsigned long)xen_start_info->pt_base);
}

static xen_ulong_t frame_of(pte_t e) { return (xen_ulong_t)((e & PTE_FRAME_MASK) >> PAGE_SHIFT); }

static void fill(unsigned long *page, unsigned long pattern)
{
    for (unsigned int i = 0; i < PAGE_SIZE / sizeof(long); i++)
        page[i] = pattern;
}

/* Stores into page tables run between two labels; if one faults anyway (Xen refused to emulate
 * it), the #PF handler records it and resumes after the block, so the check fails and the test
 * goes on. */
volatile unsigned long guard_start __attribute__((used)), guard_end __attribute__((used));
static volatile unsigned int guarded_faults;
#if defined(__x86_64__)
# define GUARD_BEGIN "movq $1f, guard_start(%%rip)\n\tmovq $2f, guard_end(%%rip)\n1:\t"
#else
# define GUARD_BEGIN "movl $1f, guard_start\n\tmovl $2f, guard_end\n1:\t"
#endif
#define GUARD_END "\n2:"

static void on_page_fault(struct trap_regs *r)
{
    if (r->ip < guard_start || r->ip >= guard_end)
        trap_unexpected(r);
    printf("  (#PF at ip 0x%lx, cr2 0x%lx, error 0x%lx: the store was not emulated)\n",
           (unsigned long)r->ip, (unsigned long)xen_vcpu->cr2, (unsigned long)r->error_code);
    guarded_faults++;
    r->ip = guard_end;
}

/* Plain store of a PTE through a pointer, the way a guest kernel does it: PV64 one 8-byte move;
 * PV32 PAE the high half first, then the low half that holds the present bit (as Linux's
 * native_set_pte). The encodings are fixed (MOV Ev,Gv) so the test does not depend on gcc. */
static void store_pte(volatile pte_t *p, pte_t v)
{
#if defined(__x86_64__)
    __asm__ volatile (GUARD_BEGIN "movq %1, (%0)" GUARD_END : : "r"(p), "r"(v) : "memory");
#else
    __asm__ volatile (GUARD_BEGIN "movl %1, 4(%0)\n\tmovl %2, (%0)" GUARD_END
                      : : "r"(p), "r"((uint32_t)(v >> 32)), "r"((uint32_t)v) : "memory");
#endif
}

/* The same with the other store encoding, MOV moffs,eAX (A3): the address is in the instruction.
 * PV32 writes only the low half (the high half, frame bits 32+, stays 0 for our frames). */
static void store_l1_page_0_moffs(pte_t v)
{
#if defined(__x86_64__)
    __asm__ volatile (GUARD_BEGIN "movabsq %%rax, l1_page" GUARD_END : : "a"(v) : "memory");
#else
    __asm__ volatile (GUARD_BEGIN "movl %%eax, l1_page" GUARD_END : : "a"((uint32_t)v) : "memory");
#endif
}

static void test_machphys(void)
{
    struct xen_machphys_mapping m;
    memset(&m, 0, sizeof m);
    long rc = HYPERVISOR_memory_op(XENMEM_machphys_mapping, &m);
    xen_ulong_t max = 0;
    for (xen_ulong_t pfn = 0; pfn < xen_start_info->nr_pages; pfn++)
        if (mm_pfn_to_mfn(pfn) > max)
            max = mm_pfn_to_mfn(pfn);
    check(rc == 0 && m.v_start == MACH2PHYS_VIRT_START && m.v_end == MACH2PHYS_VIRT_END,
          "XENMEM_machphys_mapping: rc %ld, M2P at 0x%lx-0x%lx", rc, (unsigned long)m.v_start,
          (unsigned long)m.v_end);
    check(rc == 0 && m.max_mfn >= max, "XENMEM_machphys_mapping: max_mfn 0x%lx covers our highest "
          "MFN 0x%lx", (unsigned long)m.max_mfn, (unsigned long)max);
}

static void test_memory_map(void)
{
    static struct e820_entry map[16];
    struct xen_memory_map mm = { .nr_entries = 16, .buffer = (unsigned long)map };
    long rc = HYPERVISOR_memory_op(XENMEM_memory_map, &mm);
    if (rc == -XEN_ENOSYS) {
        /* xen-pv-abi.md §2.3: -ENOSYS when the toolstack set no map; guests then assume one RAM
         * entry of nr_pages. */
        printf("  XENMEM_memory_map: -ENOSYS (no map set by the toolstack)\n");
        return;
    }
    if (!check(rc == 0 && mm.nr_entries >= 1 && mm.nr_entries <= 16,
               "XENMEM_memory_map: rc %ld, %u entries", rc, (unsigned int)mm.nr_entries))
        return;
    char a[24], b[24];
    int covers = 0;
    uint64_t ram = (uint64_t)xen_start_info->nr_pages << PAGE_SHIFT;
    for (unsigned int i = 0; i < mm.nr_entries; i++) {
        printf("    [%s +%s) type %u\n", u64_hex(a, map[i].addr), u64_hex(b, map[i].size),
               (unsigned int)map[i].type);
        if (map[i].type == E820_RAM && map[i].addr == 0 && map[i].size >= ram)
            covers = 1;
    }
    check(covers, "XENMEM_memory_map: a RAM entry from 0 covers all %lu pages",
          (unsigned long)xen_start_info->nr_pages);
}

static void test_p2m_m2p(void)
{
    unsigned long bad = 0;
    for (xen_ulong_t pfn = 0; pfn < xen_start_info->nr_pages; pfn++)
        if (xen_mfn_to_pfn(mm_pfn_to_mfn(pfn)) != pfn)
            bad++;
    check(bad == 0, "M2P[P2M[pfn]] == pfn for all %lu pages (%lu differ)",
          (unsigned long)xen_start_info->nr_pages, bad);
}

static int scratch_intact(void) { return scratch[0] == PATTERN_SCRATCH; }

static void test_refusals(void)
{
    void *top = (void *)(unsigned long)xen_start_info->pt_base;
    volatile pte_t *top_pte = mm_walk((unsigned long)top, 1);
    check(top_pte && !(*top_pte & _PAGE_RW), "the top-level table is mapped read-only");
    check_rc(mm_map(top, top_mfn(), PTE_KERNEL_RW), -XEN_EBUSY,
             "update_va_mapping: top-level table writable at its own VA");
    check(top_pte && !(*top_pte & _PAGE_RW), "  ... and its mapping stayed read-only");

    fill(scratch, PATTERN_SCRATCH);
    volatile pte_t *l2e = mm_walk((unsigned long)scratch, 2);
    xen_ulong_t l1_mfn = frame_of(*l2e);
    /* The same L1 through the bootstrap mapping (page-table frames are mapped there read-only). */
    volatile pte_t *l1_bootstrap =
        (volatile pte_t *)((unsigned long)mm_walk((unsigned long)scratch, 1) & ~(PAGE_SIZE - 1UL));
    check_rc(mm_map(scratch, l1_mfn, PTE_KERNEL_RW), -XEN_EBUSY,
             "update_va_mapping: an L1 in use mapped writable");
    check(scratch_intact(), "  ... and the old mapping is untouched");
    check_rc(mm_mmu_update(mm_virt_to_machine(mm_walk((unsigned long)scratch, 1)) |
                           MMU_NORMAL_PT_UPDATE, ((pte_t)top_mfn() << PAGE_SHIFT) | PTE_KERNEL_RW),
             -XEN_EBUSY, "mmu_update: an L1 entry mapping the top-level table writable");
    check(scratch_intact(), "  ... and the old mapping is untouched");
    if (check_rc(mm_map(scratch, l1_mfn, PTE_KERNEL_RO), 0,
                 "update_va_mapping: the same L1 mapped read-only")) {
        volatile pte_t *view = (volatile pte_t *)scratch;
        unsigned int same = 0;
        for (unsigned int i = 0; i < PTES_PER_TABLE; i++)
            same += view[i] == l1_bootstrap[i];
        check(same == PTES_PER_TABLE, "  ... reads the same %u entries as the bootstrap mapping",
              same);
        check_rc(mm_set_writable(scratch), 0, "update_va_mapping: scratch page back");
    }
    check(scratch_intact(), "scratch page holds its data again");

    check_rc(mm_map(scratch, mm_virt_to_mfn(scratch), PTE_KERNEL_RW | _PAGE_PCD | _PAGE_PWT),
             -XEN_EINVAL, "update_va_mapping: PCD|PWT in a domU's PTE");
    check_rc(mm_map(scratch, 0xFFFFFFF, PTE_KERNEL_RW), -XEN_EPERM,
             "update_va_mapping: frame 0xfffffff outside RAM (not ours)");
    check(scratch_intact(), "  ... and the old mapping is untouched");
    check_rc(mm_map(WILD, mm_virt_to_mfn(scratch), PTE_KERNEL_RW), -XEN_EINVAL,
             "update_va_mapping: VA 0x40000000 has no L1");
}

static void test_efault(void)
{
    check_rc(HYPERVISOR_mmu_update(WILD, 1, 0, DOMID_SELF), -XEN_EFAULT,
             "mmu_update(requests at 0x40000000)");
    check_rc(HYPERVISOR_mmuext_op(WILD, 1, 0, DOMID_SELF), -XEN_EFAULT,
             "mmuext_op(ops at 0x40000000)");
    check_rc(HYPERVISOR_memory_op(XENMEM_machphys_mapping, WILD), -XEN_EFAULT,
             "memory_op(machphys_mapping, 0x40000000)");
    check_rc(HYPERVISOR_xen_version(XENVER_extraversion, WILD), -XEN_EFAULT,
             "xen_version(extraversion, 0x40000000)");
    check_rc(HYPERVISOR_event_channel_op(EVTCHNOP_status, WILD), -XEN_EFAULT,
             "event_channel_op(status, 0x40000000)");
    check_rc(HYPERVISOR_set_trap_table(WILD), -XEN_EFAULT, "set_trap_table(0x40000000)");
#if defined(__x86_64__)
    check_rc(HYPERVISOR_xen_version(XENVER_extraversion, (void *)0xFFFF830000000000UL),
             -XEN_EFAULT, "xen_version(extraversion, Xen's own area 0xffff830000000000)");
    check_rc(HYPERVISOR_xen_version(XENVER_extraversion, (void *)0x8000000000000000UL),
             -XEN_EFAULT, "xen_version(extraversion, non-canonical 0x8000000000000000)");
#endif
    char extra[16];
    check(HYPERVISOR_xen_version(XENVER_extraversion, extra) == 0,
          "the domain is still running and hypercalls still work");
}

/* After an update that pointed page_a's VA at page_b's frame. */
static void swap_check(const char *how, volatile pte_t *pte, pte_t swapped)
{
    mm_invlpg(page_a);
    check(page_a[0] == PATTERN_B && frame_of(*pte) == frame_of(swapped),
          "%s: page_a's VA now shows page_b", how);
}

static void test_l1_updates(void)
{
    fill(page_a, PATTERN_A);
    fill(page_b, PATTERN_B);
    volatile pte_t *pte = mm_walk((unsigned long)page_a, 1);
    volatile pte_t *pte_of_l1 = mm_walk((unsigned long)pte, 1);
    check(pte_of_l1 && !(*pte_of_l1 & _PAGE_RW),
          "the L1 mapping page_a is itself mapped read-only");
    pte_t orig = *pte;
    pte_t swapped = (orig & ~PTE_FRAME_MASK) | ((pte_t)mm_virt_to_mfn(page_b) << PAGE_SHIFT);
    uint64_t ptr = mm_virt_to_machine(pte);

    unsigned int faults = guarded_faults;
    store_pte(pte, swapped);                       /* #PF in Xen -> ptwr emulation */
    swap_check("plain store into the read-only L1 (writable page tables)", pte, swapped);
    store_pte(pte, orig);
    mm_invlpg(page_a);
    check(page_a[0] == PATTERN_A && frame_of(*pte) == frame_of(orig) && guarded_faults == faults,
          "plain store of the old entry: page_a is back, no #PF reached the guest");

    check_rc(mm_mmu_update(ptr | MMU_NORMAL_PT_UPDATE, swapped), 0,
             "mmu_update(MMU_NORMAL_PT_UPDATE, page_a -> page_b)");
    swap_check("mmu_update", pte, swapped);
    check_rc(mm_mmu_update(ptr | MMU_PT_UPDATE_PRESERVE_AD, orig), 0,
             "mmu_update(MMU_PT_UPDATE_PRESERVE_AD, back)");
    mm_invlpg(page_a);
    check(page_a[0] == PATTERN_A, "  ... page_a is back");

    check_rc(HYPERVISOR_update_va_mapping((unsigned long)page_a, swapped, UVMF_INVLPG), 0,
             "update_va_mapping(page_a -> page_b, UVMF_INVLPG)");
    swap_check("update_va_mapping", pte, swapped);
    check_rc(HYPERVISOR_update_va_mapping((unsigned long)page_a, orig, UVMF_TLB_FLUSH), 0,
             "update_va_mapping(back, UVMF_TLB_FLUSH)");
    check(page_a[0] == PATTERN_A, "  ... page_a is back");
}

static void test_own_l1(void)
{
    fill(page_a, PATTERN_A);
    fill(page_b, PATTERN_B);
    xen_ulong_t l1_mfn = mm_virt_to_mfn(l1_page);
    memset(l1_page, 0, sizeof l1_page);
    l1_page[0] = ((pte_t)mm_virt_to_mfn(page_a) << PAGE_SHIFT) | PTE_KERNEL_RW;
    l1_page[1] = ((pte_t)mm_virt_to_mfn(page_b) << PAGE_SHIFT) | PTE_KERNEL_RO;

    check_rc(mm_mmuext(MMUEXT_PIN_L1_TABLE, l1_mfn, 0), -XEN_EINVAL,
             "mmuext_op(PIN_L1_TABLE) of a frame still mapped writable");
    check_rc(mm_set_readonly(l1_page), 0, "update_va_mapping: new L1 page read-only");
    check_rc(mm_mmuext(MMUEXT_PIN_L1_TABLE, l1_mfn, 0), 0, "mmuext_op(PIN_L1_TABLE)");
    check_rc(mm_mmuext(MMUEXT_PIN_L1_TABLE, l1_mfn, 0), -XEN_EINVAL,
             "mmuext_op(PIN_L1_TABLE) again (already pinned)");
    check_rc(mm_set_writable(l1_page), -XEN_EBUSY, "update_va_mapping: pinned L1 writable");

    /* Hook it into the first free slot of the L2 that maps VA 0. */
    volatile pte_t *l2 = mm_walk(0, 2);
    unsigned int slot = 2;
    while (slot < PTES_PER_TABLE && (l2[slot] & _PAGE_PRESENT))
        slot++;
    if (!check(slot < PTES_PER_TABLE, "free L2 slot %u (VA 0x%lx)", slot,
               (unsigned long)slot << 21))
        return;
    volatile unsigned long *win = (volatile unsigned long *)((unsigned long)slot << 21);
    uint64_t l2e_ma = mm_virt_to_machine(&l2[slot]);
    pte_t l2e = ((pte_t)l1_mfn << PAGE_SHIFT) | PTE_KERNEL_RW | _PAGE_USER;
    if (!check_rc(mm_mmu_update(l2e_ma | MMU_NORMAL_PT_UPDATE, l2e), 0,
                  "mmu_update: L2 entry -> the pinned L1"))
        return;
    check(win[0] == PATTERN_A && win[PAGE_SIZE / sizeof(long)] == PATTERN_B,
          "the new L1 maps page_a and page_b at 0x%lx", (unsigned long)win);
    win[1] = 0x12345678;
    check(page_a[1] == 0x12345678, "a store through the new writable mapping reaches page_a");

    unsigned int faults = guarded_faults;
    store_l1_page_0_moffs(((pte_t)mm_virt_to_mfn(page_b) << PAGE_SHIFT) | PTE_KERNEL_RW);
    mm_invlpg((void *)win);
    check(win[0] == PATTERN_B && guarded_faults == faults,
          "plain store (MOV moffs,eAX) into our read-only, hooked L1: entry 0 -> page_b");

    check_rc(mm_mmu_update(l2e_ma | MMU_NORMAL_PT_UPDATE, 0), 0, "mmu_update: L2 entry cleared");
    check_rc(mm_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), 0, "mmuext_op(TLB_FLUSH_LOCAL)");
    check_rc(mm_mmuext(MMUEXT_UNPIN_TABLE, l1_mfn, 0), 0, "mmuext_op(UNPIN_TABLE)");
    check_rc(mm_mmuext(MMUEXT_UNPIN_TABLE, l1_mfn, 0), -XEN_EINVAL,
             "mmuext_op(UNPIN_TABLE) of a frame not pinned");
    check_rc(mm_set_writable(l1_page), 0, "update_va_mapping: unpinned L1 writable again");
}

static void test_new_baseptr(void)
{
    const pte_t *top = (const pte_t *)(unsigned long)xen_start_info->pt_base;
    xen_ulong_t old = top_mfn(), copy = mm_virt_to_mfn(top_copy);

    /* A writable page as the top-level table must be refused. It holds a real copy, so a
     * hypervisor that wrongly accepts it keeps the guest running long enough to say so. */
    memcpy(top_copy, top, PAGE_SIZE);
    long rc = mm_mmuext(MMUEXT_NEW_BASEPTR, copy, 0);
    if (rc == 0)
        mm_mmuext(MMUEXT_NEW_BASEPTR, old, 0);
    check_rc(rc, -XEN_EINVAL, "mmuext_op(NEW_BASEPTR) of a writable page");

#if defined(__i386__)
    /* Slot 3's L2 becomes Xen's "pae_xen_l2" and cannot be shared: give the copy its own. */
    const pte_t *l2_3 = mm_mfn_to_virt(frame_of(top[3]));
    memcpy(l2_copy, l2_3, PAGE_SIZE);
    top_copy[3] = (top[3] & ~PTE_FRAME_MASK) | ((pte_t)mm_virt_to_mfn(l2_copy) << PAGE_SHIFT);
    check_rc(mm_set_readonly(l2_copy), 0, "update_va_mapping: copied slot-3 L2 read-only");
#endif
    check_rc(mm_set_readonly(top_copy), 0, "update_va_mapping: copied top-level table read-only");
    if (!check_rc(mm_mmuext(PIN_TOP, copy, 0), 0,
                  TOP_LEVEL == 4 ? "mmuext_op(PIN_L4_TABLE, copy)"
                                 : "mmuext_op(PIN_L3_TABLE, copy)"))
        return;
    if (check_rc(mm_mmuext(MMUEXT_NEW_BASEPTR, copy, 0), 0, "mmuext_op(NEW_BASEPTR, copy)")) {
        fill(page_a, PATTERN_A);
        check(page_a[7] == PATTERN_A, "running on the copied tables: memory reads and writes work");
        check_rc(mm_mmuext(MMUEXT_NEW_BASEPTR, old, 0), 0, "mmuext_op(NEW_BASEPTR, original)");
    }
    check_rc(mm_mmuext(MMUEXT_UNPIN_TABLE, copy, 0), 0, "mmuext_op(UNPIN_TABLE, copy)");
    check_rc(mm_set_writable(top_copy), 0, "update_va_mapping: copy writable again");
#if defined(__i386__)
    check_rc(mm_set_writable(l2_copy), 0, "update_va_mapping: slot-3 L2 copy writable again");
#endif
}

void guest_main(start_info_t *si)
{
    console_init(si);
    test_begin("memory");
    if (!check_rc(shared_info_map(si), 0, "update_va_mapping(shared_info)"))
        test_abort("update_va_mapping does not work");
    check_rc(trap_init(), 0, "set_trap_table(vectors 0-19)");
    check_rc(trap_register(TRAP_page_fault, 0, on_page_fault), 0, "set_trap_table(#PF)");
    /* Writable page tables are emulated only for guests that ask (xen/arch/x86/traps.c
     * fixup_page_fault checks VM_ASSIST(d, writable_pagetables)); Linux asks at boot. */
    check_rc(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0,
             "vm_assist(enable, writable_pagetables)");

    test_machphys();
    test_memory_map();
    test_p2m_m2p();
    test_refusals();
    test_efault();
    test_l1_updates();
    test_own_l1();
    test_new_baseptr();
    test_finish();
}
