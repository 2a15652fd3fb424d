/* int.c: the integer workload (workload.c) as a PV guest: one untimed period of passes to warm up
 * (the run with iters=0 does it too, so the harness's subtraction removes it), then `iters`
 * passes, whose checksum is the result.
 * The multiboot kernel (bench/peers/multiboot.c) and the native programs run the same workload.c,
 * compiled with the same flags, so every target must print the same checksum.
 */
#include "bench.h"
#include "workload.h"

void guest_main(start_info_t *si) __attribute__((noreturn));

void guest_main(start_info_t *si)
{
    uint32_t n = bench_begin(si, "int");
    workload_run(WORKLOAD_PERIOD, WORKLOAD_SEED);    /* warm-up, as on every target; also with iters=0 */
    bench_end(n, workload_run(n, WORKLOAD_SEED), 0);
}
