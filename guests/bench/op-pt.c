/* op-pt.c: the page-table update loop (ops.h): mmu_update of one L1 entry, then a read through
 * it (xen-pv-abi.md §2.3, §4.1). Nothing here prints: the callers decide how to report.
 */
#include "guest.h"
#include "hypercall.h"
#include "mm.h"
#include "ops.h"

#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))
static volatile uint32_t window[PAGE_SIZE / 4] PAGE_ALIGNED;
static uint32_t page_a[PAGE_SIZE / 4] PAGE_ALIGNED;
static uint32_t page_b[PAGE_SIZE / 4] PAGE_ALIGNED;
static uint64_t window_ptr;
static pte_t window_original, window_map[2];
static unsigned int toggle;
static const uint32_t expect[2] = { 0xaaaa0001, 0xbbbb0002 };

const char *op_pt_init(void)
{
    page_a[0] = expect[0];
    page_b[0] = expect[1];
    volatile pte_t *pte = mm_walk((unsigned long)window, 1);
    if (!pte)
        return "no L1 entry for the window page";
    window_ptr = mm_virt_to_machine(pte) | MMU_NORMAL_PT_UPDATE;
    window_original = *pte;
    window_map[0] = ((pte_t)mm_virt_to_mfn(page_a) << PAGE_SHIFT) | PTE_KERNEL_RW;
    window_map[1] = ((pte_t)mm_virt_to_mfn(page_b) << PAGE_SHIFT) | PTE_KERNEL_RW;
    return 0;
}

uint32_t op_pt_run(uint32_t n, long *rc)
{
    uint32_t wrong = 0;
    *rc = 0;
    for (uint32_t i = 0; i < n && *rc == 0; i++, toggle ^= 1) {
        *rc = mm_mmu_update(window_ptr, window_map[toggle]);
        wrong += window[0] != expect[toggle];
    }
    return wrong;
}

long op_pt_restore(void)
{
    return mm_mmu_update(window_ptr, window_original);
}
