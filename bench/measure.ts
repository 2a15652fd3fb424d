// How every target is timed the same way: calibrate the operation count until one run lasts about
// the target time, then repeat the timed run and keep each run's seconds and instructions. A run
// whose guest reports a different result than the first one (the workload is deterministic for a
// given count) is an error, not a sample.
import type { Sample } from './model.ts';

/** One run of a benchmark with `ops` operations, as the target reports it. */
export interface TimedRun {
  ops: number;
  /** Seconds of the timed region only. */
  seconds: number;
  instructions?: number;
  /** The guest's result value (checksum or error count), e.g. "0x4f3121f5". */
  result: string;
}

export interface MeasureOptions {
  /** Operation count of the first calibration run. */
  start: number;
  /** Wanted seconds per timed run. */
  seconds: number;
  runs: number;
  /** Largest operation count the target accepts. */
  maxOps?: number;
  /** Timed runs use a multiple of this count (the workload's period: exact instructions per pass). */
  multipleOf?: number;
  progress?(message: string): void;
}

export interface Measured {
  ops: number;
  samples: Sample[];
  result: string;
}

const MAX_OPS = 0xffffffff;

/**
 * Finds the count whose run lasts about `seconds`: grows the count until a run lasts a tenth of
 * that, extrapolates, then runs the extrapolated count once and extrapolates again from it (the
 * short runs may still include a JIT's warm-up, which made v86 look several times slower). The
 * calibration runs also warm the target up.
 */
export async function calibrate(runOnce: (ops: number) => Promise<TimedRun>, opts: MeasureOptions): Promise<number> {
  const max = opts.maxOps ?? MAX_OPS;
  const unit = opts.multipleOf ?? 1;
  const top = Math.max(unit, Math.floor(max / unit) * unit);
  const scale = (ops: number, r: TimedRun) => {
    const scaled = r.seconds > 0 ? (ops * opts.seconds) / r.seconds : ops * 10;
    return Math.max(unit, Math.min(top, Math.round(scaled / unit) * unit));
  };
  let ops = Math.max(1, Math.min(max, Math.round(opts.start)));
  for (;;) {
    const r = await runOnce(ops);
    if (r.seconds >= opts.seconds * 0.1 || ops >= max) {
      const estimate = scale(ops, r);
      return scale(estimate, await runOnce(estimate));
    }
    const grow = r.seconds > 0 ? Math.min(100, Math.max(2, (opts.seconds * 0.2) / r.seconds)) : 100;
    ops = Math.min(max, Math.ceil(ops * grow));
  }
}

/** Calibrates, then runs `runs` timed runs with one operation count. */
export async function measure(runOnce: (ops: number) => Promise<TimedRun>, opts: MeasureOptions): Promise<Measured> {
  const ops = await calibrate(runOnce, opts);
  const samples: Sample[] = [];
  let result: string | undefined;
  for (let i = 0; i < opts.runs; i++) {
    opts.progress?.(`run ${i + 1}/${opts.runs} (${ops} ops)`);
    const r = await runOnce(ops);
    if (r.ops !== ops) throw new Error(`the guest reported ${r.ops} operations, asked for ${ops}`);
    if (result !== undefined && r.result !== result) {
      throw new Error(`the result changed between runs of ${ops} operations: ${result}, then ${r.result}`);
    }
    result = r.result;
    samples.push(r.instructions === undefined ? { seconds: r.seconds } : { seconds: r.seconds, instructions: r.instructions });
  }
  return { ops, samples, result: result ?? '' };
}
