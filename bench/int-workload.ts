// The integer workload of the benchmark guests (guests/bench/workload.c in bench-int-<type>.elf) in
// this process with the interpreter's switches set, for A/B figures of one optimisation (npm run bench
// compares xenwasm with other emulators at the default settings). As bench/xenwasm.ts does it, the
// loop alone is timed: (run with --iters n) - (run with iters=0), in retired instructions and in time
// spent in run(); deterministic clock; best of three.
// Usage: npx tsx bench/int-workload.ts [--type pv32|pv64] [--iters 400] [--decode-cache on|off] [--wasm build/xenwasm.wasm]
import { readFileSync } from 'node:fs';
import { Vm } from '../workers/vm.ts';
import type { DomainExit, DomainStats } from '../workers/api.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const type = opt('type', 'pv32');
const iters = Number(opt('iters', '400'));
const decodeCache = opt('decode-cache', 'on');
const wasm = opt('wasm', new URL('../build/xenwasm.wasm', import.meta.url).pathname);
if (type !== 'pv32' && type !== 'pv64') throw new Error(`--type takes pv32 or pv64, got "${type}"`);
if (decodeCache !== 'on' && decodeCache !== 'off') throw new Error(`--decode-cache takes on or off, got "${decodeCache}"`);
if (!Number.isInteger(iters) || iters < 1) throw new Error(`--iters takes a whole number of at least 1, got "${opt('iters', '')}"`);

const module = new WebAssembly.Module(readFileSync(wasm));
const kernel = readFileSync(new URL(`../guests/images/bench-int-${type}.elf`, import.meta.url));

async function boot(n: number): Promise<DomainStats> {
  let exited!: (e: DomainExit) => void;
  const done = new Promise<DomainExit>((resolve) => (exited = resolve));
  const vm = new Vm();
  let text = '';
  const decoder = new TextDecoder();
  await vm.create({ name: 'bench', kernel, memory: 32, extra: `iters=${n}`, clock: 'deterministic', coreModule: module }, {
    onConsole(bytes) { text += decoder.decode(bytes, { stream: true }); },
    onExit: exited,
  });
  (vm as unknown as { core: { exports: { setDecodeCache(on: number): void } } }).core.exports.setDecodeCache(decodeCache === 'on' ? 1 : 0);
  await vm.start();
  await done;
  const stats = await vm.stats();
  await vm.destroy();
  if (!text.includes('Bench result: SUCCESS')) throw new Error(`the guest did not report success:\n${text}`);
  return stats;
}

await boot(2); // warm-up: lets V8 tier the core up
let best = 0;
for (let round = 0; round < 3; round++) {
  const zero = await boot(0);
  const full = await boot(iters);
  const mips = (full.instructions - zero.instructions) / ((full.wall_ms - zero.wall_ms) * 1000);
  best = Math.max(best, mips);
}
console.log(`bench-int-${type}, ${iters} passes, decode cache ${decodeCache}: ${best.toFixed(1)} M guest instructions/s (best of 3)`);
