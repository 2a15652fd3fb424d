// The shadow page tables' benchmark (issue 6): the context-switch guest (guests/bench/ctxswitch.c:
// NEW_BASEPTR among 4 address spaces, then a read through a private window and stores into 8
// shared pages after each switch) with shadows on and with shadows off, in one run, PV32 and PV64.
// Like bench/xenwasm.ts, the loop is cut out by subtraction: (run with iters=n) - (run with iters=0),
// in wall time inside the core and in guest instructions; best of `--rounds` per setting, the
// settings alternating so both see the same machine state.
// `--touch n` sets the pages each address space touches after a switch (the guest's default is 8).
//   npx tsx bench/shadows.ts [--iters 20000] [--rounds 5] [--touch 8] [--bench ctxswitch|ptupdate]
import { readFileSync } from 'node:fs';
import { Vm } from '../workers/vm.ts';
import { compileCore } from '../workers/core.ts';
import type { DomainExit, DomainStats } from '../workers/api.ts';
import { parseGuestReport } from './xenwasm.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] ?? '' : dflt;
};
const iters = Number(opt('iters', '20000'));
const rounds = Number(opt('rounds', '5'));
const bench = opt('bench', 'ctxswitch');
const touch = opt('touch', '');
if (touch !== '' && !/^\d+$/.test(touch)) throw new Error(`--touch must be a whole number, not ${touch}`);
if (!Number.isInteger(iters) || iters < 1) throw new Error(`--iters must be a positive integer, not ${opt('iters', '')}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, not ${opt('rounds', '')}`);

const coreModule = await compileCore();

interface Run { wallMs: number; instructions: number; stats: DomainStats }

async function boot(file: string, n: number, shadows: boolean): Promise<Run> {
  const vm = new Vm();
  let text = '';
  let done!: (e: DomainExit) => void;
  const stopped = new Promise<DomainExit>((r) => (done = r));
  await vm.create({
    name: file, kernel: readFileSync(new URL(`../guests/images/${file}`, import.meta.url)), memory: 32,
    extra: `iters=${n}${touch ? ` touch=${touch}` : ''}`, clock: 'realtime', coreModule, switches: { shadows },
  }, { onConsole: (b) => { text += new TextDecoder().decode(b); }, onExit: done });
  await vm.start();
  const exit = await stopped;
  const report = parseGuestReport(text);
  if (exit.state !== 'shutdown' || !report || report.failure !== null) {
    throw new Error(`${file} iters=${n} shadows ${shadows ? 'on' : 'off'}: ${report?.failure ?? exit.message ?? exit.state}`);
  }
  if (bench === 'ctxswitch' && report.result !== '0x00000000') throw new Error(`${file}: ${Number(report.result)} window reads saw another address space`);
  const stats = await vm.stats();
  await vm.destroy();
  return { wallMs: stats.wall_ms, instructions: stats.instructions, stats };
}

const results: Record<string, unknown>[] = [];
for (const type of ['pv32', 'pv64'] as const) {
  const file = `bench-${bench}-${type}.elf`;
  const best = { on: Infinity, off: Infinity };
  let instr = { on: 0, off: 0 };
  let last: Record<'on' | 'off', DomainStats | undefined> = { on: undefined, off: undefined };
  for (let r = 0; r < rounds; r++) {
    for (const setting of ['off', 'on'] as const) {
      const zero = await boot(file, 0, setting === 'on');
      const full = await boot(file, iters, setting === 'on');
      const ns = ((full.wallMs - zero.wallMs) * 1e6) / iters;
      if (ns < best[setting]) best[setting] = ns;
      instr[setting] = (full.instructions - zero.instructions) / iters;
      last[setting] = full.stats;
    }
  }
  const row = {
    guest: file, iters, touch: touch === '' ? 'default' : Number(touch),
    off_ns: Math.round(best.off), on_ns: Math.round(best.on), speedup: +(best.off / best.on).toFixed(2),
    instructions_per_op: Math.round(instr.on),
    page_walks_off: last.off!.page_walks, page_walks_on: last.on!.page_walks,
    tlb_flushes_off: last.off!.tlb_flushes, tlb_flushes_on: last.on!.tlb_flushes,
    shadow_hits_on: last.on!.shadow_hits, shadow_switches_on: last.on!.shadow_switches,
  };
  results.push(row);
  console.log(`${file}: ${iters} x ${bench}${touch ? ` touching ${touch} pages` : ''}, best of ${rounds}: shadows off ${row.off_ns} ns, on ${row.on_ns} ns per operation: ${row.speedup}x ` +
    `(page walks ${row.page_walks_off} -> ${row.page_walks_on}, TLB flushes ${row.tlb_flushes_off} -> ${row.tlb_flushes_on})`);
}
console.log(JSON.stringify(results));
