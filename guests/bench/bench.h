/* bench.h: the reporting contract of the benchmark guests (bench/README.md). A guest reads its
 * operation count from the kernel command line ("iters=<n>", xl.cfg `extra`), does exactly that
 * many operations, and prints
 *     xenwasm bench <name> (<pv32|pv64>)
 *     bench <name>: ops <n> result 0x<8 hex digits>
 *     Bench result: SUCCESS            or   Bench result: FAILURE: <reason>
 * then powers off (crashes on failure). `result` is a value the host can check (the workload's
 * checksum, or a count of operations that misbehaved). Nothing else is printed while it measures,
 * so a run with iters=0 costs what the timed loop does not: the harness subtracts it.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include "xen.h"

/* console_init, the title line, and the operation count from the command line (0 if absent).
 * A malformed count ends the run with FAILURE. */
uint32_t bench_begin(start_info_t *si, const char *name);

/* The result lines, console flush and shutdown. failure == NULL means success. */
__attribute__((noreturn)) void bench_end(uint32_t ops, uint32_t result, const char *failure);

#endif /* BENCH_H */
