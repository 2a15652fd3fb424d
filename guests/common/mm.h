/* mm.h: page-table helpers for the test guests on top of direct paging (xen-pv-abi.md §1.4, §1.8,
 * §2.3, §4.1): P2M/M2P translation, walking the bootstrap tables from start_info.pt_base (their
 * frames are mapped read-only inside the bootstrap region, found through the M2P), and one-op
 * wrappers for update_va_mapping, mmu_update and mmuext_op. PTEs are 8 bytes in both guest types.
 */
#ifndef MM_H
#define MM_H

#include "xen.h"
#include "xen-mm.h"

extern start_info_t *xen_start_info;                  /* common/start-pv*.S */

xen_ulong_t mm_pfn_to_mfn(xen_ulong_t pfn);           /* P2M (start_info.mfn_list) */
xen_ulong_t mm_virt_to_mfn(const volatile void *va);  /* for VAs in the bootstrap region */
void *mm_mfn_to_virt(xen_ulong_t mfn);                /* via the M2P; NULL if not our RAM */
uint64_t mm_virt_to_machine(const volatile void *va); /* machine address of a byte */

/* Pointer to the page-table entry at `level` (1 = L1 ... 4 = PV64 L4, 3 = PV32 L3) that maps va
 * in the bootstrap tables, or NULL if a higher-level entry on the way is not present. */
volatile pte_t *mm_walk(unsigned long va, unsigned int level);

/* update_va_mapping(va, mfn << 12 | flags, UVMF_INVLPG). */
long mm_map(const volatile void *va, xen_ulong_t mfn, pte_t flags);
/* Remaps va onto its own P2M frame read-only / writable (UVMF_INVLPG). */
long mm_set_readonly(const volatile void *va);
long mm_set_writable(const volatile void *va);

long mm_mmu_update(uint64_t ptr, uint64_t val);                     /* one request */
long mm_mmuext(unsigned int cmd, unsigned long arg1, unsigned long arg2);
long mm_invlpg(const volatile void *va);                            /* MMUEXT_INVLPG_LOCAL */

#define PTE_KERNEL_RW  (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_KERNEL_RO  (_PAGE_PRESENT | _PAGE_ACCESSED)

#endif /* MM_H */
