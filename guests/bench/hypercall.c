/* hypercall.c: the null hypercall, `iters` times: xen_version(XENVER_version, NULL), which only
 * reads the version (xen-pv-abi.md §2.3), through the hypercall page (PV32 `int $0x82`, PV64
 * `syscall`); the loop is op_null_run (ops.c). The result is the number of calls whose answer
 * differed from the first one.
 */
#include "bench.h"
#include "ops.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

void guest_main(start_info_t *si)
{
    uint32_t n = bench_begin(si, "hypercall");
    const char *failed = op_null_init();
    uint32_t wrong = failed ? 0 : op_null_run(n);
    bench_end(n, wrong, failed ? failed : wrong ? "xen_version changed its answer during the loop" : 0);
}
