/* workload.h: the integer workload of the benchmarks, one C source for every target (xenwasm PV32
 * and PV64 guests, the multiboot kernel for v86 and QEMU, native Linux programs): sorting, hashing,
 * string and pointer work, a tree, a small bytecode interpreter and a little arithmetic.
 * Invariants: pure computation on static data (no calls outside workload.c, no libgcc, no
 * floating point), deterministic, and independent of where it is loaded (no pointer values enter
 * the result), so the same object code retires the same instructions on every machine and every
 * target returns the same checksum for the same (iterations, seed).
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdint.h>

/* Runs `iterations` passes and returns the checksum of all of them. Pass i works on data made
 * from seed and i % WORKLOAD_PERIOD and shares no state with other passes except the checksum, so
 * any WORKLOAD_PERIOD consecutive passes retire the same number of instructions: for a count that
 * is a multiple of the period, instructions per pass is exact whatever the count. */
uint32_t workload_run(uint32_t iterations, uint32_t seed);

#define WORKLOAD_PERIOD 16

/* The seed every target uses, so their checksums can be compared. */
#define WORKLOAD_SEED 0x2545f491u

#endif /* WORKLOAD_H */
