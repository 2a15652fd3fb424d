// Interpreter speed on a real workload: Debian's Linux 6.1 booted as a PV64 guest to /init, in this
// process (no worker), with the deterministic clock so every run retires the same instructions.
// Prints instructions retired, wall time of the run() calls, M instructions/s, and a digest of the
// console and the final registers, so runs with different switches can be checked to agree.
// Usage: npx tsx bench/linux-boot.ts [--wasm build/xenwasm.wasm] [--max 4000000000]
//          [--decode-cache on|off] [--decoded-runs on|off] [--jit on|off] [--code-page-cache on|off] [--tlb on|off] [--shadows on|off] [--trace on|off] [--quiet]
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Vm } from '../workers/vm.ts';
import type { DomainExit } from '../workers/api.ts';
import { prepareDebianGuest } from '../scripts/debian-guest.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const onOff = (name: string): number | undefined => {
  const v = opt(name, '');
  if (v === '') return undefined;
  if (v !== 'on' && v !== 'off') throw new Error(`--${name} takes on or off, got "${v}"`);
  return v === 'on' ? 1 : 0;
};

const wasmPath = opt('wasm', new URL('../build/xenwasm.wasm', import.meta.url).pathname);
const max = Number(opt('max', '4000000000'));
const quiet = argv.includes('--quiet');
const switches: [string, number | undefined][] = [
  ['setDecodeCache', onOff('decode-cache')],
  ['setDecodedRuns', onOff('decoded-runs')],
  ['setJit', onOff('jit')],
  ['setCodePageCache', onOff('code-page-cache')],
  ['setTlbEnabled', onOff('tlb')],
  ['setShadowPageTables', onOff('shadows')],
  ['setInstructionTrace', onOff('trace')],
];

const guest = prepareDebianGuest();
const module = new WebAssembly.Module(readFileSync(wasmPath));
const console_: Uint8Array[] = [];
let exited!: (e: DomainExit) => void;
const done = new Promise<DomainExit>((r) => (exited = r));
const vm = new Vm();
await vm.create({
  name: 'bench', kernel: readFileSync(guest.kernel), ramdisk: readFileSync(guest.initramfs), memory: 256,
  extra: 'console=hvc0 xenwasm.selftest', clock: 'deterministic', maxInstructions: max, coreModule: module,
}, {
  onConsole(bytes) { console_.push(bytes.slice()); if (!quiet) process.stdout.write(bytes); },
  onExit: exited,
});
const exports = (vm as unknown as { core: { exports: Record<string, (v: number) => void> } }).core.exports;
for (const [name, v] of switches) {
  if (v === undefined) continue;
  if (typeof exports[name] !== 'function') throw new Error(`this core has no ${name}() switch`);
  exports[name](v);
}
const cpu0 = process.cpuUsage();
await vm.start();
const exit = await done;
const cpu = process.cpuUsage(cpu0);
const stats = await vm.stats();
const regs = await vm.registers();
const hash = createHash('sha256');
for (const b of console_) hash.update(b);
hash.update(JSON.stringify(regs, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v)));
await vm.destroy();
console.log(JSON.stringify({
  wasm: wasmPath, switches: Object.fromEntries(switches.filter(([, v]) => v !== undefined)),
  exit: exit.state, message: exit.message?.slice(0, 80), instructions: stats.instructions,
  wall_ms: Math.round(stats.wall_ms), cpu_ms: Math.round((cpu.user + cpu.system) / 1000), mips: stats.mips, tlb_misses: stats.tlb_misses, page_walks: stats.page_walks, tlb_flushes: stats.tlb_flushes, shadow_hits: stats.shadow_hits,
  jit_blocks: stats.jit_blocks, jit_compile_ms: stats.jit_compile_ms,
  digest: hash.digest('hex').slice(0, 16),
}));
