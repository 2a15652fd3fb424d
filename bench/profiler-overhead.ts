// What the profiler costs (docs/profiler.md, "Overhead"): the same guests on three cores, timed in
// turns so drift hits all alike: a core built without the profiler (asc --use XW_PROFILER=0, into
// build/xenwasm.noprof.wasm), the normal core with profiling off, and the normal core with it on
// (host clock, no trace kept, records drained after every slice as the worker does).
//  - cpu loop: the interpreter on the bare machine (bench/cpu-loop.ts's loop), M instructions/s;
//  - guests: the benchmark guests (bench-hypercall, bench-event, bench-ptupdate, PV32 and PV64),
//    ns per operation = (time of iters=n) - (time of iters=0); with --benches int also the integer
//    workload (one pass = 242 000 guest instructions, --iters / 5000 passes): guest code alone.
// Times are CPU time of this process (process.cpuUsage), which other jobs on a shared machine
// disturb far less than wall time. Each figure is the median of --rounds turns, with min and max. Usage:
//   npx tsx bench/profiler-overhead.ts [--rounds 7] [--iters 200000] [--loop 30000000] [--only cpu|guests]
//                                      [--benches hypercall,event,ptupdate]
import { jitHost } from '../workers/jit/host.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Vm } from '../workers/vm.ts';
import type { DomainExit } from '../workers/api.ts';
import * as L from '../workers/layout.gen.ts';
import { summarize } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const only = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? process.argv[i + 1] : 'all';
})();
const ROUNDS = arg('rounds', 7);
const ITERS = arg('iters', 200_000);
const LOOP = arg('loop', 30_000_000);
const BENCHES = (() => {
  const i = process.argv.indexOf('--benches');
  return i >= 0 ? process.argv[i + 1].split(',') : ['hypercall', 'event', 'ptupdate'];
})();

/** Builds the core without the profiler's hooks (same options as the release target). */
async function buildWithoutProfiler(): Promise<string> {
  const out = 'build/xenwasm.noprof.wasm';
  const asc = await import('assemblyscript/asc');
  const { error } = await asc.main(['assembly/index.ts', '--config', 'asconfig.json', '--target', 'release', '--outFile', out,
    '--use', 'XW_PROFILER=0'], { stdout: process.stdout, stderr: process.stderr });
  if (error) throw new Error(`building the core without the profiler failed: ${error.message}`);
  return ROOT + out;
}

type Variant = 'no profiler' | 'profiler off' | 'profiler on';

/** CPU time of this process, ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// ---- the interpreter alone: bench/cpu-loop.ts's loop on the bare machine ----
function cpuLoopMips(module: WebAssembly.Module): number {
  const pages = Math.ceil((L.GUEST_RAM_BASE + (64 + L.XEN_EXTRA_FRAMES) * L.PAGE_SIZE) / L.WASM_PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  let ex: unknown;
  const jit = jitHost(memory, () => ex);
  const x = new WebAssembly.Instance(module, {
    env: { memory, jitCompile: jit.jitCompile, profNow: () => performance.now() * 1e6, abort: () => { throw new Error('core abort'); } },
  }).exports as Record<string, (...a: number[]) => number>;
  ex = x;
  x.coreInit(64, L.XEN_EXTRA_FRAMES);
  x.setInstructionTrace(0);
  const view = new DataView(memory.buffer);
  const bytes = new Uint8Array(memory.buffer);
  const once = () => {
    x.bareInit(64);
    bytes.set([0xb9, LOOP & 0xff, (LOOP >> 8) & 0xff, (LOOP >> 16) & 0xff, (LOOP >>> 24) & 0xff, 0x01, 0xd8, 0xff, 0xc9, 0x75, 0xfa], x.bareCodeHost());
    x.bareResetRegisters(64);
    const before = view.getBigUint64(L.CNT_BASE + L.CNT_INSTRUCTIONS, true);
    const t0 = cpuMs();
    while (x.run(1_000_000) === L.EXIT_BUDGET);
    const ms = cpuMs() - t0;
    return Number(view.getBigUint64(L.CNT_BASE + L.CNT_INSTRUCTIONS, true) - before) / ms / 1000;
  };
  once(); // warm-up: V8 tiers the core up
  return Math.max(once(), once());
}

// ---- a benchmark guest in an in-process domain ----
async function guestRun(module: WebAssembly.Module, file: string, iters: number, profile: boolean): Promise<number> {
  const vm = new Vm();
  let text = '';
  let done!: (e: DomainExit) => void;
  const exit = new Promise<DomainExit>((r) => (done = r));
  await vm.create({ kernel: readFileSync(`${ROOT}guests/images/${file}`), extra: `iters=${iters}`, memory: 32, clock: 'realtime', coreModule: module },
    { onConsole: (b) => (text += new TextDecoder().decode(b)), onExit: done });
  if (profile) await vm.startProfiling({ clock: 'host', traceRecords: 0 });
  const t0 = cpuMs();
  await vm.start();
  const how = await exit;
  const ms = cpuMs() - t0;
  const stats = await vm.stats();
  if (profile) {
    const p = await vm.stopProfiling();
    if (p.hypercalls !== stats.hypercalls_total) throw new Error(`${file}: profile counted ${p.hypercalls} hypercalls, the core ${stats.hypercalls_total}`);
  }
  await vm.destroy();
  if (how.state !== 'shutdown' || !/Bench result: SUCCESS/.test(text)) throw new Error(`${file} iters=${iters}: ${how.message ?? how.state}`);
  return ms;
}

async function nsPerOp(module: WebAssembly.Module, file: string, profile: boolean): Promise<number> {
  const n = file.startsWith('bench-int') ? Math.max(16, Math.round(ITERS / 5000 / 16) * 16) : ITERS;
  const zero = await guestRun(module, file, 0, profile);
  const full = await guestRun(module, file, n, profile);
  return ((full - zero) * 1e6) / n;
}

/** The variants in another order each round, so no variant always follows the same one. */
const rotate = <T>(list: T[], r: number): T[] => list.map((_, i) => list[(i + r) % list.length]);
const fmt = (x: number, d = 1) => x.toFixed(d);
const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${fmt(((a - b) / b) * 100, 2)}%`;

const withProfiler = await WebAssembly.compile(readFileSync(`${ROOT}build/xenwasm.wasm`));
const withoutProfiler = await WebAssembly.compile(readFileSync(await buildWithoutProfiler()));
// The switch worked when no profiler code is left: the host clock is imported only by the hooks.
if (WebAssembly.Module.imports(withoutProfiler).some((i) => i.name === 'profNow')) throw new Error('XW_PROFILER=0 left the profiler in the core');
const VARIANTS: [Variant, WebAssembly.Module, boolean][] = [
  ['no profiler', withoutProfiler, false],
  ['profiler off', withProfiler, false],
  ['profiler on', withProfiler, true],
];
console.log(`profiler overhead: ${ROUNDS} rounds, variants taken in turn (node ${process.versions.node})`);

if (only === 'all' || only === 'cpu') {
  const mips = new Map<Variant, number[]>(VARIANTS.map(([v]) => [v, []]));
  for (let r = 0; r < ROUNDS; r++) {
    // The bare machine never records (no PV domain), so "profiler on" is the same as off here.
    for (const [v, m] of rotate(VARIANTS.slice(0, 2), r)) mips.get(v)!.push(cpuLoopMips(m));
  }
  const base = summarize(mips.get('no profiler')!).median;
  for (const [v] of VARIANTS.slice(0, 2)) {
    const s = summarize(mips.get(v)!);
    console.log(`cpu loop        ${v.padEnd(13)} ${fmt(s.median)} M instr/s (min ${fmt(s.min)}, max ${fmt(s.max)})  ${pct(s.median, base)}`);
  }
}

if (only === 'all' || only === 'guests') {
  for (const bench of BENCHES) {
    for (const type of ['pv32', 'pv64']) {
      const file = `bench-${bench}-${type}.elf`;
      const ns = new Map<Variant, number[]>(VARIANTS.map(([v]) => [v, []]));
      await nsPerOp(withProfiler, file, false); // warm-up
      await nsPerOp(withoutProfiler, file, false);
      for (let r = 0; r < ROUNDS; r++) for (const [v, m, on] of rotate(VARIANTS, r)) ns.get(v)!.push(await nsPerOp(m, file, on));
      const base = summarize(ns.get('no profiler')!).median;
      for (const [v] of VARIANTS) {
        const s = summarize(ns.get(v)!);
        console.log(`${`${bench} ${type}`.padEnd(15)} ${v.padEnd(13)} ${fmt(s.median)} ns/op (min ${fmt(s.min)}, max ${fmt(s.max)})  ${pct(s.median, base)}`);
      }
    }
  }
}
