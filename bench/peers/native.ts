// The native reference points: the programs bench/peers/build.ts made (native.c with the workload),
// run as ordinary Linux processes. The program times its own loop with CLOCK_MONOTONIC, so process
// start and exit are outside the timed region; there is no instruction counter (the table borrows
// xenwasm's count of the same machine code).
import { spawnSync } from 'node:child_process';
import { measure, type TimedRun } from '../measure.ts';
import type { BenchId, Measurement } from '../model.ts';
import { WORKLOAD_PERIOD } from '../workload.ts';

/** "bench <what>: ops <n> result 0x<hex> time <s>.<ns>" */
export function parseNativeLine(text: string): { what: string; ops: number; result: string; seconds: number } | undefined {
  const m = /^bench (\S+): ops (\d+) result (0x[0-9a-f]{8}) time (\d+)\.(\d{9})$/m.exec(text);
  if (!m) return undefined;
  return { what: m[1], ops: Number(m[2]), result: m[3], seconds: Number(m[4]) + Number(m[5]) / 1e9 };
}

export function runNative(exe: string, what: 'int' | 'getppid', n: number): TimedRun {
  const r = spawnSync(exe, [what, String(n)], { encoding: 'utf8', timeout: 600_000 });
  if (r.error) throw new Error(`${exe}: ${r.error.message}`);
  const line = parseNativeLine(r.stdout);
  if (r.status !== 0 || !line) {
    throw new Error(`${exe} ${what} ${n} exited with ${r.status ?? r.signal}: ${(r.stdout + r.stderr).trim().split('\n')[0]}`);
  }
  return { ops: line.ops, seconds: line.seconds, result: line.result };
}

export async function measureNative(opts: {
  exe: string | undefined;
  unavailable?: string;
  bench: Extract<BenchId, 'int' | 'getppid'>;
  target: string;
  label: string;
  runs: number;
  seconds: number;
  verifyPasses?: number;
  progress?(message: string): void;
}): Promise<Measurement> {
  const base: Measurement = { bench: opts.bench, target: opts.target, label: opts.label, status: 'ok', samples: [],
    method: 'CLOCK_MONOTONIC inside the process around the loop' };
  if (!opts.exe) return { ...base, status: 'unavailable', reason: opts.unavailable ?? 'not built' };
  const exe = opts.exe;
  try {
    const m = await measure(async (n) => runNative(exe, opts.bench, n), {
      start: opts.bench === 'int' ? 160 : 100_000,
      multipleOf: opts.bench === 'int' ? WORKLOAD_PERIOD : 1,
      seconds: opts.seconds,
      runs: opts.runs,
      progress: (msg) => opts.progress?.(`${opts.label} ${opts.bench}: ${msg}`),
    });
    const out: Measurement = { ...base, ops: m.ops, samples: m.samples, result: m.result };
    if (opts.bench === 'getppid' && m.result !== '0x00000000') {
      return { ...out, status: 'failed', reason: `getppid changed its answer ${Number(m.result)} times` };
    }
    if (opts.verifyPasses) out.verify = { passes: opts.verifyPasses, result: runNative(exe, 'int', opts.verifyPasses).result };
    return out;
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message.split('\n')[0] };
  }
}
