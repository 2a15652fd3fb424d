/* ptupdate.c: page-table updates, `iters` times: one mmu_update(MMU_NORMAL_PT_UPDATE) request per
 * call rewrites the L1 entry that maps one page of our .bss (the "window"), alternating between
 * the frames of page_a and page_b, and the guest then reads through the window, so each update's
 * effect on the translation is used (xen-pv-abi.md §2.3, §4.1). The result is the number of reads
 * that saw the wrong page. The original mapping is restored at the end.
 */
#include "bench.h"
#include "guest.h"
#include "hypercall.h"
#include "mm.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))
static volatile uint32_t window[PAGE_SIZE / 4] PAGE_ALIGNED;
static uint32_t page_a[PAGE_SIZE / 4] PAGE_ALIGNED;
static uint32_t page_b[PAGE_SIZE / 4] PAGE_ALIGNED;

void guest_main(start_info_t *si)
{
    uint32_t n = bench_begin(si, "ptupdate");
    page_a[0] = 0xaaaa0001;
    page_b[0] = 0xbbbb0002;
    volatile pte_t *pte = mm_walk((unsigned long)window, 1);
    if (!pte)
        bench_end(0, 0, "no L1 entry for the window page");
    uint64_t ptr = mm_virt_to_machine(pte) | MMU_NORMAL_PT_UPDATE;
    pte_t original = *pte;
    pte_t map[2] = {
        ((pte_t)mm_virt_to_mfn(page_a) << PAGE_SHIFT) | PTE_KERNEL_RW,
        ((pte_t)mm_virt_to_mfn(page_b) << PAGE_SHIFT) | PTE_KERNEL_RW,
    };
    const uint32_t expect[2] = { 0xaaaa0001, 0xbbbb0002 };
    uint32_t wrong = 0;
    long rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        rc = mm_mmu_update(ptr, map[i & 1]);
        wrong += window[0] != expect[i & 1];
    }
    long restore = mm_mmu_update(ptr, original);
    bench_end(n, wrong, rc ? "mmu_update failed" : restore ? "cannot restore the window's mapping" :
                        wrong ? "a read through the window saw the wrong page" : 0);
}
