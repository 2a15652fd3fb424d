// The xenwasm side of the benchmarks, the same in Node and in the page: each benchmark guest
// (guests/images/bench-<bench>-<type>.elf) boots in a domain worker through the VmApi, with
// `iters=<n>` on its command line and the realtime clock. The timed region is cut out by
// subtraction: a run with iters=0 does everything but the loop (boot, setup, report, shutdown), so
// (run with n) - (run with 0) is the loop alone, in guest instructions (the core's retired-
// instruction counter, DomainStats.instructions) and in wall time (DomainStats.wall_ms, the time
// spent inside the core's run() slices). Every timed run has its own zero run just before it.
import type { DomainExit, DomainStats } from '../workers/api.ts';
import type { VmHandle } from '../workers/host/handle.ts';
import { measure, type TimedRun } from './measure.ts';
import type { BenchId, Measurement } from './model.ts';
import { VERIFY_PASSES, WORKLOAD_PERIOD } from './workload.ts';

export type GuestType = 'pv32' | 'pv64';

/** The benchmark guests and the operation count the calibration starts from. */
export const XENWASM_BENCHES: { bench: Exclude<BenchId, 'getppid'>; start: number }[] = [
  { bench: 'int', start: 16 },
  { bench: 'hypercall', start: 20_000 },
  { bench: 'event', start: 5_000 },
  { bench: 'ctxswitch', start: 5_000 },
  { bench: 'ptupdate', start: 10_000 },
];

/** Guest RAM for the benchmark domains (MiB): enough for every benchmark, quick to build. */
const MEMORY_MIB = 32;

export interface GuestReport {
  bench: string;
  ops: number;
  result: string;
  /** Null on SUCCESS, else the guest's reason. */
  failure: string | null;
}

/** Reads the result lines of a benchmark guest (guests/bench/bench.h) from its console text. */
export function parseGuestReport(text: string): GuestReport | undefined {
  const line = /^bench (\S+): ops (\d+) result (0x[0-9a-f]{8})\r?$/m.exec(text);
  const verdict = /^Bench result: (SUCCESS|FAILURE: (.*?))\r?$/m.exec(text);
  if (!line || !verdict) return undefined;
  return { bench: line[1], ops: Number(line[2]), result: line[3], failure: verdict[1] === 'SUCCESS' ? null : verdict[2] };
}

export interface GuestRun extends GuestReport {
  instructions: number;
  wallMs: number;
  /** The domain's counters at the end (hypercalls by name, events, page-table updates, ...). */
  stats: DomainStats;
}

export interface XenwasmDeps {
  /** A new domain worker (workers/host/node.ts or browser.ts). */
  spawn(): VmHandle;
  /** The bytes of guests/images/<file>. */
  image(file: string): Promise<Uint8Array>;
  progress?(message: string): void;
}

/** Runs benchmark guests one after another in one worker (so the core stays tiered up). */
export class XenwasmBench {
  private handle?: VmHandle;
  private images = new Map<string, Uint8Array>();

  constructor(private readonly deps: XenwasmDeps) {}

  /** Boots `file` with iters=n and waits for it to power off; throws with the guest's reason otherwise. */
  runGuest(file: string, n: number): Promise<GuestRun> {
    return this.boot(file, `iters=${n}`);
  }

  /** Boots `file` with this kernel command line; see runGuest. */
  async boot(file: string, cmdline: string): Promise<GuestRun> {
    let kernel = this.images.get(file);
    if (!kernel) {
      kernel = await this.deps.image(file);
      this.images.set(file, kernel);
    }
    const handle = (this.handle ??= this.deps.spawn());
    const decoder = new TextDecoder();
    let text = '';
    let exited!: (e: DomainExit) => void;
    const exit = new Promise<DomainExit>((resolve) => (exited = resolve));
    await handle.create(
      { name: 'bench', kernel, kernelName: file, memory: MEMORY_MIB, extra: cmdline, clock: 'realtime' },
      { onConsole: (bytes) => (text += decoder.decode(bytes, { stream: true })), onExit: (e) => exited(e) },
    );
    try {
      await handle.vm.start();
      const how = await exit;
      const stats = await handle.vm.stats();
      const report = parseGuestReport(text);
      if (!report) {
        throw new Error(`${file} ${cmdline}: ${how.state === 'shutdown' ? `shut down (${how.reason})` : how.message ?? how.state} ` +
          'without its result lines');
      }
      if (report.failure !== null) throw new Error(`${file} ${cmdline}: ${report.failure}`);
      if (how.state !== 'shutdown' || how.reason !== 'poweroff') {
        throw new Error(`${file} ${cmdline}: ended ${how.state} (${how.reason ?? how.message}) after SUCCESS`);
      }
      return { ...report, instructions: stats.instructions, wallMs: stats.wall_ms, stats };
    } finally {
      await handle.vm.destroy();
    }
  }

  /** One timed run: the run with n operations minus a run with none. */
  async timedRun(file: string, n: number): Promise<TimedRun> {
    const zero = await this.runGuest(file, 0);
    const full = await this.runGuest(file, n);
    return {
      ops: full.ops,
      seconds: Math.max(0, Math.round((full.wallMs - zero.wallMs) * 1000)) / 1e6,   // wall_ms has µs resolution
      instructions: full.instructions - zero.instructions,
      result: full.result,
    };
  }

  async measure(bench: Exclude<BenchId, 'getppid'>, type: GuestType, runs: number, seconds: number): Promise<Measurement> {
    const file = `bench-${bench}-${type}.elf`;
    const label = `xenwasm ${type.toUpperCase()}`;
    const start = XENWASM_BENCHES.find((b) => b.bench === bench)!.start;
    const base: Measurement = { bench, target: `xenwasm-${type}`, label, status: 'ok', samples: [],
      method: 'run with n minus run with 0 (instructions and wall time inside the core)' };
    try {
      this.deps.progress?.(`${label} ${bench}: calibrating`);
      const m = await measure((n) => this.timedRun(file, n), {
        start, seconds, runs, multipleOf: bench === 'int' ? WORKLOAD_PERIOD : 1,
        progress: (msg) => this.deps.progress?.(`${label} ${bench}: ${msg}`),
      });
      const out: Measurement = { ...base, ops: m.ops, samples: m.samples, result: m.result };
      if (bench === 'int') {
        const v = await this.timedRun(file, VERIFY_PASSES);
        out.verify = { passes: VERIFY_PASSES, result: v.result, instructions: v.instructions };
      }
      return out;
    } catch (e) {
      return { ...base, status: 'failed', reason: (e as Error).message.split('\n')[0] };
    }
  }

  async close(): Promise<void> {
    await this.handle?.terminate();
    this.handle = undefined;
  }
}
