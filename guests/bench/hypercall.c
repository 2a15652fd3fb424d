/* hypercall.c: the null hypercall, `iters` times: xen_version(XENVER_version, NULL), which only
 * reads the version (xen-pv-abi.md §2.3), through the hypercall page (PV32 `int $0x82`, PV64
 * `syscall`). The result is the number of calls whose answer differed from the first one.
 */
#include "bench.h"
#include "hypercall.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

void guest_main(start_info_t *si)
{
    uint32_t n = bench_begin(si, "hypercall");
    long want = HYPERVISOR_xen_version(XENVER_version, 0);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < n; i++)
        wrong += HYPERVISOR_xen_version(XENVER_version, 0) != want;
    bench_end(n, wrong, want <= 0 ? "xen_version(XENVER_version) failed" :
                        wrong ? "xen_version changed its answer during the loop" : 0);
}
