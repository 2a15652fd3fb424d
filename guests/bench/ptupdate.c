/* ptupdate.c: page-table updates, `iters` times: one mmu_update(MMU_NORMAL_PT_UPDATE) request per
 * call rewrites the L1 entry that maps one page of our .bss (the "window"), alternating between
 * the frames of two other pages, and the guest then reads through the window, so each update's
 * effect on the translation is used (xen-pv-abi.md §2.3, §4.1); the loop is op_pt_run (ops.c).
 * The result is the number of reads that saw the wrong page. The original mapping is restored at
 * the end.
 */
#include "bench.h"
#include "ops.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

void guest_main(start_info_t *si)
{
    uint32_t n = bench_begin(si, "ptupdate");
    const char *failed = op_pt_init();
    if (failed)
        bench_end(0, 0, failed);
    long rc;
    uint32_t wrong = op_pt_run(n, &rc);
    long restore = op_pt_restore();
    bench_end(n, wrong, rc ? "mmu_update failed" : restore ? "cannot restore the window's mapping" :
                        wrong ? "a read through the window saw the wrong page" : 0);
}
