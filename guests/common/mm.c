/* mm.c: page-table helpers (mm.h). The bootstrap region maps pseudo-physical frame n at
 * VA GUEST_VIRT_BASE + n * 4096, so a table frame found in an entry (an MFN) is turned into a
 * pointer with the M2P, as Linux does in xen_setup_kernel_pagetable.
 */
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "pv.h"

xen_ulong_t mm_pfn_to_mfn(xen_ulong_t pfn)
{
    const xen_ulong_t *p2m = (const xen_ulong_t *)(unsigned long)xen_start_info->mfn_list;
    return p2m[pfn];
}

xen_ulong_t mm_virt_to_mfn(const volatile void *va)
{
    return mm_pfn_to_mfn(((unsigned long)va - GUEST_VIRT_BASE) >> PAGE_SHIFT);
}

uint64_t mm_virt_to_machine(const volatile void *va)
{
    return ((uint64_t)mm_virt_to_mfn(va) << PAGE_SHIFT) | ((unsigned long)va & (PAGE_SIZE - 1));
}

void *mm_mfn_to_virt(xen_ulong_t mfn)
{
    xen_ulong_t pfn = xen_mfn_to_pfn(mfn);
    if (pfn >= xen_start_info->nr_pages)
        return 0;
    return xen_pfn_to_virt(pfn);
}

volatile pte_t *mm_walk(unsigned long va, unsigned int level)
{
#if defined(__x86_64__)
    unsigned int top = 4;
#else
    unsigned int top = 3;
#endif
    volatile pte_t *table = (volatile pte_t *)(unsigned long)xen_start_info->pt_base;
    for (unsigned int l = top;; l--) {
        unsigned int shift = PAGE_SHIFT + 9 * (l - 1);
        unsigned int index = (unsigned int)(va >> shift) & (PTES_PER_TABLE - 1);
        if (l == 3 && top == 3)
            index &= 3;                  /* PAE: 4 entries, selected by VA bits 30-31 */
        volatile pte_t *entry = &table[index];
        if (l == level)
            return entry;
        pte_t e = *entry;
        if (!(e & _PAGE_PRESENT))
            return 0;
        table = mm_mfn_to_virt((xen_ulong_t)((e & PTE_FRAME_MASK) >> PAGE_SHIFT));
        if (!table)
            return 0;
    }
}

long mm_map(const volatile void *va, xen_ulong_t mfn, pte_t flags)
{
    return HYPERVISOR_update_va_mapping((unsigned long)va, ((pte_t)mfn << PAGE_SHIFT) | flags,
                                        UVMF_INVLPG);
}

long mm_set_readonly(const volatile void *va)
{
    return mm_map(va, mm_virt_to_mfn(va), PTE_KERNEL_RO);
}

long mm_set_writable(const volatile void *va)
{
    return mm_map(va, mm_virt_to_mfn(va), PTE_KERNEL_RW);
}

long mm_mmu_update(uint64_t ptr, uint64_t val)
{
    mmu_update_t req = { .ptr = ptr, .val = val };
    return HYPERVISOR_mmu_update(&req, 1, 0, DOMID_SELF);
}

long mm_mmuext(unsigned int cmd, unsigned long arg1, unsigned long arg2)
{
    mmuext_op_t op = { .cmd = cmd, .arg1 = arg1, .arg2 = arg2 };
    return HYPERVISOR_mmuext_op(&op, 1, 0, DOMID_SELF);
}

long mm_invlpg(const volatile void *va)
{
    return mm_mmuext(MMUEXT_INVLPG_LOCAL, (unsigned long)va, 0);
}
