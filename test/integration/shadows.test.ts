// Shadow page tables (assembly/mmu/shadow.ts, issue 6), as a user of the emulated MMU relies on them:
// every guest that updates its page tables sees exactly what it mapped, with shadows on or off, and
// audit() finds no shadow or TLB entry that disagrees with the guest tables after any page-table
// operation; a CR3 change selects an address space's shadow instead of flushing; a changed guest
// entry invalidates what was derived from it; audit() does catch a wrong entry; the page-table view
// shows guest entries, shadow and TLB side by side.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { Vm } from '../../workers/vm.ts';
import { formatAudit } from '../../workers/shadow-view.ts';
import type { Core } from '../../workers/core.ts';
import type { DomainConfig, DomainExit, DomainStats } from '../../workers/api.ts';
import * as L from '../../workers/layout.gen.ts';

const IMAGES = fileURLToPath(new URL('../../guests/images/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['cli/xenwasm.mjs', 'run', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });

interface Run { vm: Vm; text: string; exit: DomainExit; stats: DomainStats }

/** Boots an image in this thread (the Vm class the worker uses) and waits for it to stop. */
async function boot(image: string, config: Partial<DomainConfig>, input?: { prompt: string; keys: string }): Promise<Run> {
  const vm = new Vm();
  let text = '';
  let typed = false;
  let done!: (e: DomainExit) => void;
  const stopped = new Promise<DomainExit>((r) => (done = r));
  await vm.create({
    name: image, kernel: readFileSync(IMAGES + image), memory: 32, clock: 'deterministic', maxInstructions: 400_000_000, ...config,
  }, {
    onConsole: (b) => {
      text += new TextDecoder().decode(b);
      if (input && !typed && text.includes(input.prompt)) { typed = true; void vm.sendInput(new TextEncoder().encode(input.keys)); }
    },
    onExit: done,
  });
  await vm.start();
  const exit = await stopped;
  return { vm, text, exit, stats: await vm.stats() };
}

const coreOf = (vm: Vm) => (vm as unknown as { core: Core }).core;

const GUESTS: [string, string | undefined, { prompt: string; keys: string }?][] = [
  ['test-traps', 'Test result: SUCCESS'], ['test-user', 'Test result: SUCCESS'], ['test-events', 'Test result: SUCCESS'],
  ['test-memory', 'Test result: SUCCESS'], ['test-grants', 'Test result: SUCCESS'], ['test-xenstore', 'Test result: SUCCESS'],
  ['test-console', 'Test result: SUCCESS', { prompt: 'type a line and press Enter', keys: 'hello\r' }],
  ['bench-ctxswitch', 'Bench result: SUCCESS'], ['bench-ptupdate', 'Bench result: SUCCESS'], ['hello', undefined],
];

describe('shadow page tables', () => {
  for (const shadows of [true, false]) {
    for (const type of ['pv32', 'pv64']) {
      for (const [name, verdict, input] of GUESTS) {
        it(`${name}-${type} with shadows ${shadows ? 'on' : 'off'}: audit() after every page-table operation finds 0 disagreements`, async () => {
          const r = await boot(`${name}-${type}.elf`, { extra: 'iters=300', auditPageTables: true, switches: { shadows } }, input);
          expect(r.exit.state, r.exit.message).toBe('shutdown');
          if (verdict) expect(r.text).toContain(verdict);
          expect(r.stats.audits).toBeGreaterThan(10);
          const last = await r.vm.audit();
          expect(r.stats.audit_errors, formatAudit(last)).toBe(0);
          expect(last.disagreements, formatAudit(last)).toBe(0);
        });
      }
    }
  }

  it('a CR3 change selects the address space\'s shadow instead of flushing the TLB', async () => {
    const on = await boot('bench-ctxswitch-pv64.elf', { extra: 'iters=2000', switches: { shadows: true } });
    const off = await boot('bench-ctxswitch-pv64.elf', { extra: 'iters=2000', switches: { shadows: false } });
    for (const r of [on, off]) expect(r.text).toMatch(/bench ctxswitch: ops 2000 result 0x00000000/);
    // 4 address spaces, each found again on every switch after the first visits.
    expect(on.stats.shadow_switches).toBeGreaterThanOrEqual(2000 - 4);
    expect(on.stats.shadow_new).toBeLessThan(16);
    expect(on.stats.tlb_flushes).toBeLessThan(20);
    expect(off.stats.tlb_flushes).toBeGreaterThanOrEqual(2000);
    // With the shadows kept, the pages touched after a switch no longer need page walks.
    expect(on.stats.page_walks * 20).toBeLessThan(off.stats.page_walks);
  });

  it('a changed guest entry invalidates the shadow entries derived from it (the remapped window reads the new page)', async () => {
    const r = await boot('bench-ptupdate-pv32.elf', { extra: 'iters=500', switches: { shadows: true } });
    expect(r.text).toMatch(/bench ptupdate: ops 500 result 0x00000000/);
    expect(r.stats.shadow_invalidations).toBeGreaterThanOrEqual(500);
  });

  it('audit() reports a shadow entry that disagrees with the guest tables', async () => {
    const r = await boot('hello-pv64.elf', { switches: { shadows: true } });
    const core = coreOf(r.vm);
    expect((await r.vm.audit()).disagreements).toBe(0);
    const slot = core.exports.shadowCurrentSlot!();
    expect(slot).toBeGreaterThanOrEqual(0);
    // Point the first filled entry of the current slot at another frame, as a missed invalidation would.
    const base = L.SHADOW_BASE + slot * L.SHADOW_SLOT_BYTES;
    let e = base;
    while (core.u64(e) === 0n) e += L.TLB_ENTRY_SIZE;
    const va = core.u64(e) & ~0xfffn;
    core.view.setUint32(e + 8, core.view.getUint32(e + 8, true) + L.PAGE_SIZE, true);
    const report = await r.vm.audit();
    expect(report.disagreements).toBe(1);
    expect(report.records[0]).toMatchObject({ where: 'shadow', slot, va });
    expect(report.records[0].cached.mfn).toBe(report.records[0].guest.mfn! + 1);
  });

  it('the page-table view shows the guest entries, the shadow entry and the TLB entry of each page', async () => {
    const r = await boot('hello-pv64.elf', { switches: { shadows: true } });
    const regs = await r.vm.registers();
    const view = await r.vm.pageTables(regs.rsp, 2);
    expect(view.guestType).toBe('pv64');
    expect(view.cr3).toBe(regs.cr3);
    const page = view.pages[0];
    expect(page.va).toBe(regs.rsp & ~0xfffn);
    expect(page.guest.map((g) => g.level)).toEqual([4, 3, 2, 1]);
    expect(page.guest[0].tableMfn).toBe(Number(regs.cr3 >> 12n));
    expect(page.guestMfn).not.toBeNull();
    // The stack was used: its translation is cached, and the caches agree with the guest tables.
    expect(page.shadow?.mfn ?? page.tlb?.mfn).toBe(page.guestMfn);
    if (page.tlb) expect(page.tlb.mfn).toBe(page.guestMfn);
    await expect(r.vm.pageTables(0n, 0)).rejects.toThrow(/page count/);
  });

  it('xenwasm run --audit --page-tables prints the view and the MMU counters, and audits every page-table operation', () => {
    const r = cli('hello-pv64', '--clock', 'deterministic', '--audit', '--stats', '--page-tables', '0x100000,2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/page tables of CR3 0x[0-9a-f]+ \(pv64\), shadow slot \d+:/);
    expect(r.stdout).toMatch(/ 0x0000000000101000 -> mfn 0x[0-9a-f]+\n {4}L4 mfn .*\n {4}L3 .*\n {4}L2 .*\n {4}L1 mfn 0x[0-9a-f]+\[257\] = 0x/);
    const stats = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{"instructions"'))!);
    expect(stats.mmu.audits).toBeGreaterThan(0);
    expect(stats.mmu.audit_errors).toBe(0);
    expect(stats.mmu.shadow_fills).toBeGreaterThan(0);
  });

  it('xenwasm run --no-shadows --no-tlb runs the guest the same way, without TLB hits or shadow fills', () => {
    const on = cli('hello-pv32', '--clock', 'deterministic', '--stats');
    const off = cli('hello-pv32', '--clock', 'deterministic', '--stats', '--no-shadows', '--no-tlb');
    expect(off.status, off.stderr).toBe(0);
    const stats = (out: string) => JSON.parse(out.split('\n').find((l) => l.startsWith('{"instructions"'))!);
    expect(stats(off.stdout).instructions).toBe(stats(on.stdout).instructions);
    expect(stats(off.stdout).mmu).toMatchObject({ tlb_hits: 0, shadow_fills: 0 });
    expect(off.stdout.replace(/\{"instructions".*\n?/, '')).toBe(on.stdout.replace(/\{"instructions".*\n?/, ''));
  });

  it('xenwasm run --page-tables with a malformed address is a usage error', () => {
    const r = cli('hello-pv64', '--page-tables', 'kernel');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--page-tables kernel: expected a hex virtual address/);
  });

  it('each switch can be turned off and on while a domain exists', async () => {
    const r = await boot('test-memory-pv32.elf', { switches: { tlb: false, shadows: false, decodeCache: false }, auditPageTables: true });
    expect(r.text).toContain('Test result: SUCCESS');
    expect(r.stats.tlb_hits).toBe(0);
    expect(r.stats.shadow_hits).toBe(0);
    await expect(r.vm.setSwitches({ shadows: 'yes' as unknown as boolean })).rejects.toThrow(/true or false/);
  });
});
