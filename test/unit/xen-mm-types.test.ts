// Xen's page types for direct-paging PV guests (xen-pv-abi.md 4.1, xen/mm.ts): bootstrap pinning,
// validation of L1..L4 entries, type reference counts, pin/unpin and the top-level bases.
import { describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import {
  pv64Domain, pv32Domain, PvDomain, MMUEXT, PAGE, SHARED_INFO, P, RW, US, A, D, PCD, PSE, G, GUEST_KERNEL,
  PGT_NONE, PGT_L1, PGT_L2, PGT_L3, PGT_L4, PGT_WRITABLE, PGF_PINNED, PGF_VALIDATED, PGF_PAE_XEN_L2,
  EINVAL, EBUSY, EPERM,
} from './helpers/xen-mm-domain.ts';

/** Builds an L1 in `mfn` (after remapping it read-only) whose slot `slot` holds `entry`. */
function l1With(d: PvDomain, mfn: number, slot: number, entry: bigint): void {
  d.makeReadOnly(mfn);
  d.setEntry(mfn, slot, entry);
}

describe('bootstrap tables (pinInitialTables)', () => {
  it('pins the PV64 L4, types the whole tree and loads it as CR3', () => {
    const d = pv64Domain();
    expect(d.frame(1)).toEqual({ type: PGT_L4, flags: PGF_PINNED | PGF_VALIDATED, count: 2 }); // pin + CR3
    expect(d.frame(2)).toEqual({ type: PGT_L3, flags: PGF_VALIDATED, count: 1 });
    expect(d.frame(3)).toEqual({ type: PGT_L2, flags: PGF_VALIDATED, count: 1 });
    expect(d.frame(4)).toEqual({ type: PGT_L1, flags: PGF_VALIDATED, count: 1 });
    expect(d.frame(5)).toMatchObject({ type: PGT_WRITABLE, count: 1 }); // one writable mapping
    expect(d.cr3()).toBe(0x1000n);
    expect(d.pv(L.PV_KERNEL_CR3)).toBe(0x1000n);
  });

  it('refuses tables whose L1 maps a page table writable, naming the entry, and leaves nothing typed', () => {
    const pin = pv64Domain({ noPin: true, tweak: (d) => d.setEntry(4, 2, d.pte(2)) });
    expect(pin.core.exports.pinInitialTables(1)).toBe(16); // EBUSY from the L1 entry
    expect(pin.exitMessage()).toMatch(/L1 table at mfn 0x4, entry 2 .*mfn 0x2.*in use as an L3 page table/);
    for (const m of [1, 2, 3, 4]) expect(pin.frame(m)).toEqual({ type: PGT_NONE, flags: 0, count: 0 });
    expect(pin.frame(5).count).toBe(0);
  });

  it('forces U on PV64 entries and tags kernel-only pages with bit 52', () => {
    const d = pv64Domain();
    expect(d.entry(4, 5)).toBe(d.pte(5) | US | GUEST_KERNEL);
    const user = pv64Domain({ tweak: (x) => x.setEntry(4, 6, x.pte(6) | US) });
    expect(user.entry(4, 6)).toBe(user.pte(6) | US | G); // user pages get G, as on Xen
    expect(d.entry(1, 0) & (US | A)).toBe(US | A);
  });

  it('overwrites guest values in the Xen slots 256-271 of an L4', () => {
    const d = pv64Domain({ tweak: (x) => { x.setEntry(1, 256, 0x1234567n); x.setEntry(1, 271, 0x7n); x.setEntry(1, 272, 0n); } });
    expect(d.entry(1, 256)).toBe(0n);
    expect(d.entry(1, 271)).toBe(0n);
  });

  it('pins the PV32 L3, marks its slot-3 L2 and clears entries 4-511', () => {
    const d = pv32Domain({ tweak: (x) => { x.setEntry(1, 7, 0xabcn); x.setEntry(4, 500, 0x99n); } });
    expect(d.frame(1)).toEqual({ type: PGT_L3, flags: PGF_PINNED | PGF_VALIDATED, count: 2 });
    expect(d.frame(4)).toEqual({ type: PGT_L2, flags: PGF_PAE_XEN_L2 | PGF_VALIDATED, count: 1 });
    expect(d.frame(2)).toEqual({ type: PGT_L2, flags: PGF_VALIDATED, count: 1 });
    expect(d.entry(1, 7)).toBe(0n);
    expect(d.entry(4, 500)).toBe(0n); // Xen's own slots of the slot-3 L2
    expect(d.entry(1, 0)).toBe((2n << 12n) | P); // PDPTEs keep only what PAE paging allows
  });

  it('refuses a PV32 L3 without slot 3', () => {
    const d = pv32Domain({ noPin: true, tweak: (x) => x.setEntry(1, 3, 0n) });
    expect(d.core.exports.pinInitialTables(1)).toBe(22);
    expect(d.exitMessage()).toMatch(/slot 3/);
    expect(d.frame(2).count).toBe(0);
  });
});

describe('pinning', () => {
  it('PIN_L1_TABLE validates and holds a reference; UNPIN releases it', () => {
    const d = pv64Domain();
    l1With(d, 40, 0, d.pte(41));
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])).toEqual([0n, 1]);
    expect(d.frame(40)).toEqual({ type: PGT_L1, flags: PGF_PINNED | PGF_VALIDATED, count: 1 });
    expect(d.frame(41).count).toBe(2); // the bootstrap mapping and the new L1
    expect(d.mmuext([[MMUEXT.UNPIN, 40]])).toEqual([0n, 1]);
    expect(d.frame(40)).toMatchObject({ count: 0, flags: 0 });
    expect(d.frame(41).count).toBe(1);
  });

  it('refuses a second pin and an unpin of an unpinned frame with -EINVAL', () => {
    const d = pv64Domain();
    l1With(d, 40, 0, 0n);
    expect(d.mmuext([[MMUEXT.PIN_L1, 40], [MMUEXT.PIN_L1, 40]])).toEqual([EINVAL, 1]);
    expect(d.frame(40).count).toBe(1);
    expect(d.mmuext([[MMUEXT.UNPIN, 40], [MMUEXT.UNPIN, 40]])).toEqual([EINVAL, 1]);
  });

  it('refuses an L1 that maps a page table writable (-EBUSY) but accepts it read-only', () => {
    const d = pv64Domain();
    l1With(d, 40, 9, d.pte(3));
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])).toEqual([EBUSY, 0]);
    expect(d.frame(40)).toMatchObject({ type: PGT_NONE, count: 0 });
    d.setEntry(40, 9, d.pte(3, P | A));
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(0n);
  });

  it('refuses to type a frame that is still mapped writable', () => {
    const d = pv64Domain();
    expect(d.mmuext([[MMUEXT.PIN_L1, 42]])).toEqual([EINVAL, 0]);
    expect(d.frame(42)).toMatchObject({ type: PGT_WRITABLE, count: 1 });
  });

  it('refuses writable mappings of a frame while it is a page table, and allows them after unpinning', () => {
    const d = pv64Domain();
    l1With(d, 40, 0, 0n);
    d.mmuext([[MMUEXT.PIN_L1, 40]]);
    expect(d.updateVa(40 * PAGE, d.pte(40))).toBe(EBUSY);
    d.mmuext([[MMUEXT.UNPIN, 40]]);
    expect(d.updateVa(40 * PAGE, d.pte(40))).toBe(0n);
    expect(d.frame(40)).toMatchObject({ type: PGT_WRITABLE, count: 1 });
  });

  it('refuses flags a domU may not set: PCD in an L1, bit 62, PSE above L1', () => {
    const d = pv64Domain();
    l1With(d, 40, 0, d.pte(41, P | PCD));
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(EINVAL);
    d.setEntry(40, 0, d.pte(41, P) | (1n << 62n));
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(EINVAL);
    l1With(d, 43, 0, d.pte(0, P | PSE));
    expect(d.mmuext([[MMUEXT.PIN_L2, 43]])[0]).toBe(EINVAL);
  });

  it('refuses entries pointing outside the domain: Xen frames -EBUSY, no frame -EPERM; shared_info is allowed', () => {
    const d = pv64Domain();
    l1With(d, 40, 0, d.pte(SHARED_INFO + 1, P));
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(EBUSY);
    d.setEntry(40, 0, d.pte(5000, P));
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(EPERM);
    d.setEntry(40, 0, d.pte(SHARED_INFO));
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(0n);
  });

  it('refuses an L2 entry whose L1 is not the domain\'s', () => {
    const d = pv64Domain();
    l1With(d, 43, 1, (BigInt(SHARED_INFO) << 12n) | P | RW | A);
    expect(d.mmuext([[MMUEXT.PIN_L2, 43]])[0]).toBe(EINVAL);
  });

  it('ignores PIN_L4_TABLE from a PV32 guest, as Xen does', () => {
    const d = pv32Domain();
    d.makeReadOnly(40);
    expect(d.mmuext([[MMUEXT.PIN_L4, 40]])).toEqual([0n, 1]);
    expect(d.frame(40)).toMatchObject({ type: PGT_WRITABLE, count: 0 }); // untouched: its last use was a mapping
  });

  it('refuses to share a PV32 slot-3 L2 with a second L3', () => {
    const d = pv32Domain();
    l1With(d, 40, 0, (2n << 12n) | P);
    d.setEntry(40, 3, (4n << 12n) | P);
    expect(d.mmuext([[MMUEXT.PIN_L3, 40]])[0]).toBe(EINVAL);
    expect(d.frame(2).count).toBe(1); // slot 0's reference was given back
  });
});

describe('TLB safety', () => {
  it('with shadows off, typing a frame as a table flushes stale writable translations the guest did not flush', () => {
    const d = pv64Domain({ shadows: false });
    expect(d.mmuUpdate([[d.ptr(3, 1), (4n << 12n) | P | RW | A]])[0]).toBe(0n); // 0x200000+x aliases x
    const alias = 0x200000 + 40 * PAGE;
    expect(d.hc(12, 9, alias)).toBe(0n); // memory_map (capacity 0) writes a 0 there: a writable TLB entry
    expect(d.tlbTag(alias)).not.toBe(0n);
    d.makeReadOnly(40); // invalidates 0x28000 only; the alias is the guest's to flush
    expect(d.tlbTag(alias)).not.toBe(0n);
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(0n);
    expect(d.tlbTag(alias)).toBe(0n);
  });

  it('with shadows on, a writable alias goes as soon as the L1 entries it came from change', () => {
    const d = pv64Domain();
    expect(d.mmuUpdate([[d.ptr(3, 1), (4n << 12n) | P | RW | A]])[0]).toBe(0n); // 0x200000+x aliases x
    const alias = 0x200000 + 40 * PAGE;
    expect(d.hc(12, 9, alias)).toBe(0n);
    expect(d.tlbTag(alias)).not.toBe(0n);
    d.makeReadOnly(40); // the L1 is used at two places: the reverse map drops the whole address space
    expect(d.tlbTag(alias)).toBe(0n);
    expect(d.shadowTag(alias)).toBe(0n);
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(0n);
    expect(d.core.exports.shadowAudit()).toBe(0);
  });
});

describe('linear page tables', () => {
  it('allows a read-only self-map and refuses a writable one', () => {
    const d = pv64Domain();
    expect(d.mmuUpdate([[d.ptr(1, 5), (1n << 12n) | P | A]])).toEqual([0n, 1]);
    expect(d.frame(1).count).toBe(2); // a self-map holds no reference
    expect(d.mmuUpdate([[d.ptr(1, 6), (1n << 12n) | P | RW | A]])).toEqual([EINVAL, 0]);
  });

  it('refuses an entry mapping another table of the same level', () => {
    const d = pv64Domain();
    d.makeReadOnly(44);
    expect(d.mmuext([[MMUEXT.PIN_L4, 44]])[0]).toBe(0n);
    expect(d.mmuUpdate([[d.ptr(1, 7), (44n << 12n) | P | A]])).toEqual([EINVAL, 0]);
  });
});

describe('base pointers', () => {
  it('NEW_BASEPTR validates the new L4, loads it and moves the CR3 reference', () => {
    const d = pv64Domain();
    d.makeReadOnly(44);
    d.setEntry(44, 0, (2n << 12n) | P | RW | A); // shares the bootstrap L3
    expect(d.mmuext([[MMUEXT.NEW_BASEPTR, 44]])).toEqual([0n, 1]);
    expect(d.cr3()).toBe(44n << 12n);
    expect(d.pv(L.PV_KERNEL_CR3)).toBe(44n << 12n);
    expect(d.frame(44)).toMatchObject({ type: PGT_L4, count: 1 });
    expect(d.frame(1).count).toBe(1); // only the pin is left
    expect(d.frame(2).count).toBe(2);
    expect(d.mmuext([[MMUEXT.NEW_BASEPTR, 1]])[0]).toBe(0n);
    expect(d.frame(44).count).toBe(0);
    expect(d.frame(2).count).toBe(1);
  });

  it('NEW_BASEPTR refuses a frame mapped writable and keeps the old base', () => {
    const d = pv64Domain();
    expect(d.mmuext([[MMUEXT.NEW_BASEPTR, 45]])[0]).toBe(EINVAL);
    expect(d.cr3()).toBe(0x1000n);
  });

  it('NEW_USER_BASEPTR sets the PV64 user L4 with a reference; 0 removes it', () => {
    const d = pv64Domain();
    d.makeReadOnly(44);
    expect(d.mmuext([[MMUEXT.NEW_USER_BASEPTR, 44]])[0]).toBe(0n);
    expect(d.pv(L.PV_USER_CR3)).toBe(44n << 12n);
    expect(d.cr3()).toBe(0x1000n); // still in kernel mode
    expect(d.frame(44)).toMatchObject({ type: PGT_L4, count: 1 });
    expect(d.mmuext([[MMUEXT.NEW_USER_BASEPTR, 0]])[0]).toBe(0n);
    expect(d.pv(L.PV_USER_CR3)).toBe(0n);
    expect(d.frame(44).count).toBe(0);
  });

  it('NEW_USER_BASEPTR is -EINVAL for a PV32 guest', () => {
    const d = pv32Domain();
    expect(d.mmuext([[MMUEXT.NEW_USER_BASEPTR, 1]])[0]).toBe(EINVAL);
  });

  it('NEW_BASEPTR on PV32 validates a PAE L3', () => {
    const d = pv32Domain();
    d.makeReadOnly(40);
    d.makeReadOnly(41);
    d.setEntry(40, 3, (41n << 12n) | P); // an empty slot-3 L2 of its own
    expect(d.mmuext([[MMUEXT.NEW_BASEPTR, 40]])[0]).toBe(0n);
    expect(d.cr3()).toBe(40n << 12n);
    expect(d.frame(41)).toMatchObject({ type: PGT_L2, flags: PGF_PAE_XEN_L2 | PGF_VALIDATED });
    expect(d.frame(1).count).toBe(1);
  });
});

describe('type counts follow the entries', () => {
  it('unpinning the last use of a table releases what its entries held, level by level', () => {
    const d = pv64Domain();
    for (const m of [40, 41, 42]) d.makeReadOnly(m);
    d.setEntry(40, 0, (41n << 12n) | P | RW | A); // L3 -> L2 41 -> L1 42 -> data 43 (RW)
    d.setEntry(41, 0, (42n << 12n) | P | RW | A);
    d.setEntry(42, 0, d.pte(43));
    expect(d.mmuext([[MMUEXT.PIN_L3, 40]])[0]).toBe(0n);
    expect([d.frame(41).type, d.frame(42).type, d.frame(43).count]).toEqual([PGT_L2, PGT_L1, 2]);
    expect(d.mmuext([[MMUEXT.UNPIN, 40]])[0]).toBe(0n);
    expect([d.frame(41).count, d.frame(42).count, d.frame(43).count]).toEqual([0, 0, 1]);
    expect(d.updateVa(42 * PAGE, d.pte(42))).toBe(0n); // the old L1 may be writable again
  });

});
