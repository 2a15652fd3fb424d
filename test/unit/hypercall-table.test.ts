// The hypercall table (workers/hypercalls.ts) is a promise to users: these tests hold the core to it.
import { describe, it, expect } from 'vitest';
import { HYPERCALLS, hypercallName } from '../../workers/hypercalls.ts';
import * as L from '../../workers/layout.gen.ts';
import { newCore } from '../helpers/core-instance.ts';

const ENOSYS = -38n;

for (const [type, key] of [[L.GUEST_PV32, 'pv32'], [L.GUEST_PV64, 'pv64']] as const) {
  describe(`hypercall table, ${key}`, () => {
    function call(nr: number, args: number[], words: number[] = []): bigint {
      const core = newCore(64);
      words.forEach((w, i) => core.view.setUint32(L.GUEST_RAM_BASE + 0x100 + 4 * i, w, true));
      core.view.setUint32(L.DOM_BASE + L.DOM_GUEST_TYPE, type, true);
      core.view.setUint32(L.DOM_BASE + L.DOM_SHARED_INFO_MFN, 64, true);
      return BigInt(core.exports.debugHypercall(nr, ...args.map(BigInt)));
    }

    it('lists every number once, in order', () => {
      const nrs = HYPERCALLS.map((r) => r.nr);
      expect(new Set(nrs).size).toBe(nrs.length);
      expect([...nrs].sort((a, b) => a - b)).toEqual(nrs);
    });

    for (const row of HYPERCALLS) {
      const status = row[key];
      if (status === 'enosys') {
        it(`${row.nr} ${row.name} returns -ENOSYS`, () => expect(call(row.nr, [0, 0, 0, 0, 0])).toBe(ENOSYS));
      } else if (row.probe) {
        it(`${row.nr} ${row.name} is handled (${status})`, () => expect(call(row.nr, row.probe!, row.probeMemory)).not.toBe(ENOSYS));
      }
    }

    it('numbers outside the table return -ENOSYS', () => {
      for (const nr of [43, 47, 56, 63, 1000]) expect(call(nr, [0, 0, 0, 0, 0])).toBe(ENOSYS);
    });
  });
}

describe('hypercall names', () => {
  it('names numbers as Xen does', () => {
    expect(hypercallName(17)).toBe('xen_version');
    expect(hypercallName(29)).toBe('sched_op');
    expect(hypercallName(49)).toBe('arch_1');
    expect(hypercallName(45)).toBe('hypercall_45');
  });
});

describe('docs/hypercalls.md', () => {
  it('is what `npm run docs:hypercalls` makes from the table', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderHypercallDoc } = await import('../../scripts/gen-hypercall-doc.ts');
    expect(readFileSync(new URL('../../docs/hypercalls.md', import.meta.url), 'utf8')).toBe(renderHypercallDoc());
  });
});
