// Facts about the integer workload (guests/bench/workload.c) the harness relies on: its period
// (WORKLOAD_PERIOD in workload.h: any that many consecutive passes retire the same instructions,
// so timed runs use multiples of it), the pass count of the cross-target checksum run, and how
// many untimed warm-up passes the emulators with a JIT or translation cache get first.

export const WORKLOAD_PERIOD = 16;

/** Passes of the checksum run every target does (one period). */
export const VERIFY_PASSES = WORKLOAD_PERIOD;

/**
 * Warm-up passes before `timed` timed passes in v86 and QEMU: half as many as the timed ones (at
 * least one period), enough for v86's JIT to reach its steady speed (in 0.4 s runs after a
 * one-period warm-up it was still 10-15% below it). xenwasm (an interpreter, its wasm already
 * tiered up in the long-lived worker) and native code get one period.
 */
export function emulatorWarmup(timed: number): number {
  return Math.max(WORKLOAD_PERIOD, Math.round(timed / 2 / WORKLOAD_PERIOD) * WORKLOAD_PERIOD);
}
