// Selecting an address space's shadow on a CR3 load (assembly/mmu/shadow.ts shadowSwitch, reached
// through mmuext_op NEW_BASEPTR): a known top-level table gets its own slot back, a new one a free
// slot, and with all SHADOW_SLOTS taken the least recently used slot is recycled; a table that lost
// its last reference loses its slot, so loading it again starts a fresh shadow. The slot is found
// through an index by root (a bucket of slot bits per root hash), which these cases keep honest:
// a stale or missing index entry shows as a wrong slot or a wrong new/switch count.
import { describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { pv64Domain, pv32Domain, PvDomain, MMUEXT, P, RW, A } from './helpers/xen-mm-domain.ts';

const slotRoot = (d: PvDomain, slot: number) => d.u64(L.SHADOW_META_BASE + slot * L.SHADOW_META_STRIDE + L.SHADOW_META_ROOT);
const slotInUse = (d: PvDomain, slot: number) => d.u32(L.SHADOW_META_BASE + slot * L.SHADOW_META_STRIDE + L.SHADOW_META_IN_USE);
const current = (d: PvDomain) => d.core.exports.shadowCurrentSlot() as number;

/** Pins `n` PV64 L4 tables from mfn `first` on, each sharing the bootstrap L3 (mfn 2). */
function pinL4s(d: PvDomain, first: number, n: number): number[] {
  const roots: number[] = [];
  for (let m = first; m < first + n; m++) {
    d.makeReadOnly(m);
    d.setEntry(m, 0, (2n << 12n) | P | RW | A);
    expect(d.mmuext([[MMUEXT.PIN_L4, m]])[0]).toBe(0n);
    roots.push(m);
  }
  return roots;
}

/** NEW_BASEPTR to `mfn`; checks the selected slot holds that root and returns the slot. */
function load(d: PvDomain, mfn: number): number {
  expect(d.mmuext([[MMUEXT.NEW_BASEPTR, mfn]])[0]).toBe(0n);
  expect(d.cr3()).toBe(BigInt(mfn) << 12n);
  const s = current(d);
  expect(slotRoot(d, s)).toBe(BigInt(mfn) << 12n);
  expect(slotInUse(d, s)).toBe(1);
  return s;
}

describe('shadow slot selection on a CR3 load', () => {
  it('gives each new top-level table a free slot, and a known one its own slot back', () => {
    const d = pv64Domain();
    const boot = current(d);
    const roots = pinL4s(d, 8, 6);
    const new0 = d.counter(L.CNT_SHADOW_NEW), sw0 = d.counter(L.CNT_SHADOW_SWITCHES);
    const slots = roots.map((m) => load(d, m));
    expect(new Set([boot, ...slots]).size).toBe(roots.length + 1);
    expect(d.counter(L.CNT_SHADOW_NEW)).toBe(new0 + BigInt(roots.length));
    for (let round = 0; round < 3; round++) {
      roots.forEach((m, i) => expect(load(d, m)).toBe(slots[i]));
      expect(load(d, 1)).toBe(boot);
    }
    expect(d.counter(L.CNT_SHADOW_NEW)).toBe(new0 + BigInt(roots.length));
    expect(d.counter(L.CNT_SHADOW_SWITCHES)).toBe(sw0 + BigInt(3 * (roots.length + 1)));
  });

  it('with every slot taken, recycles the least recently used one and finds the others where they were', () => {
    const d = pv64Domain();
    const boot = current(d);
    const roots = pinL4s(d, 8, L.SHADOW_SLOTS + 1); // with the bootstrap L4: two more roots than slots
    const slotOf = new Map<number, number>();
    for (const m of roots.slice(0, L.SHADOW_SLOTS - 1)) slotOf.set(m, load(d, m)); // now every slot is taken
    expect(load(d, 1)).toBe(boot);
    const new0 = d.counter(L.CNT_SHADOW_NEW);
    // roots[0] is the least recently used: the next new root takes its slot.
    const recycled = load(d, roots[L.SHADOW_SLOTS - 1]);
    expect(recycled).toBe(slotOf.get(roots[0]));
    expect(d.counter(L.CNT_SHADOW_NEW)).toBe(new0 + 1n);
    // The others are still found in their slots (switches, not new shadows).
    for (const m of roots.slice(1, L.SHADOW_SLOTS - 1)) expect(load(d, m)).toBe(slotOf.get(m));
    expect(load(d, 1)).toBe(boot);
    expect(d.counter(L.CNT_SHADOW_NEW)).toBe(new0 + 1n);
    // roots[0] lost its slot: loading it is a new shadow again, in the slot least recently used now.
    expect(load(d, roots[0])).toBe(recycled);
    expect(d.counter(L.CNT_SHADOW_NEW)).toBe(new0 + 2n);
    // ... which was roots[L.SHADOW_SLOTS - 1]'s: it is new again too, and takes the next least recent slot.
    expect(load(d, roots[L.SHADOW_SLOTS - 1])).toBe(slotOf.get(roots[1]));
    expect(d.counter(L.CNT_SHADOW_NEW)).toBe(new0 + 3n);
  });

  it('drops the slot of a table that lost its last reference, so loading it again starts a fresh shadow', () => {
    const d = pv64Domain();
    const [t] = pinL4s(d, 8, 1);
    const s = load(d, t);
    load(d, 1);
    expect(slotRoot(d, s)).toBe(BigInt(t) << 12n);
    expect(d.mmuext([[MMUEXT.UNPIN, t]])[0]).toBe(0n); // its count reaches 0: the guest may now write it
    expect(slotInUse(d, s)).toBe(0);
    expect(d.mmuext([[MMUEXT.PIN_L4, t]])[0]).toBe(0n);
    const new0 = d.counter(L.CNT_SHADOW_NEW), sw0 = d.counter(L.CNT_SHADOW_SWITCHES);
    load(d, t);
    expect(d.counter(L.CNT_SHADOW_NEW)).toBe(new0 + 1n);
    expect(d.counter(L.CNT_SHADOW_SWITCHES)).toBe(sw0);
  });

  it('selects PV32 PAE L3 roots the same way', () => {
    const d = pv32Domain();
    const boot = current(d);
    const slots: number[] = [];
    for (const [l3, l2] of [[40, 41], [42, 43], [44, 45]]) {
      d.makeReadOnly(l3);
      d.makeReadOnly(l2);
      d.setEntry(l3, 0, (2n << 12n) | P); // the bootstrap L2 of slot 0, and a slot-3 L2 of its own
      d.setEntry(l3, 3, (BigInt(l2) << 12n) | P);
      expect(d.mmuext([[MMUEXT.PIN_L3, l3]])[0]).toBe(0n);
      slots.push(load(d, l3));
    }
    const new0 = d.counter(L.CNT_SHADOW_NEW);
    for (let round = 0; round < 2; round++) {
      [40, 42, 44].forEach((m, i) => expect(load(d, m)).toBe(slots[i]));
      expect(load(d, 1)).toBe(boot);
    }
    expect(d.counter(L.CNT_SHADOW_NEW)).toBe(new0);
  });
});
