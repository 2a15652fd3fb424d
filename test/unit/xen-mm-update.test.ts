// mmu_update and update_va_mapping (xen-pv-abi.md 2.3; xen/mmu-update.ts, xen/va-mapping.ts):
// validated entry updates, preserve-AD, M2P updates, the done count, foreign domains, and the TLB
// invalidation and flush flags of update_va_mapping.
import { describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import {
  pv64Domain, pv32Domain, HC, MMUEXT, PAGE, ARGS, ARGS2, DOMID, DOMID_SELF, NR_PAGES, P, RW, US, A, D, NX, GUEST_KERNEL,
  PGT_L1, PGT_WRITABLE, EINVAL, EBUSY, EFAULT, ENOSYS, ESRCH, EPERM,
} from './helpers/xen-mm-domain.ts';

const DOMID_IO = 0x7ff1;

describe('mmu_update', () => {
  it('writes a validated L1 entry, moves the references and counts the update', () => {
    const d = pv64Domain();
    const before = d.counter(L.CNT_PT_UPDATES);
    expect(d.mmuUpdate([[d.ptr(4, 50), d.pte(51, P | A)]])).toEqual([0n, 1]);
    expect(d.entry(4, 50)).toBe(d.pte(51, P | A) | US | GUEST_KERNEL);
    expect(d.frame(50).count).toBe(0); // its writable mapping is gone
    expect(d.frame(51).count).toBe(1); // the new mapping is read-only: no new reference
    expect(d.counter(L.CNT_PT_UPDATES)).toBe(before + 1n);
  });

  it('stops at the first failure and reports how many requests succeeded', () => {
    const d = pv64Domain();
    const [rc, done] = d.mmuUpdate([
      [d.ptr(4, 50), 0n],
      [d.ptr(4, 51), d.pte(2)], // maps the L3 writable
      [d.ptr(4, 52), 0n],
    ]);
    expect([rc, done]).toEqual([EBUSY, 1]);
    expect(d.entry(4, 50)).toBe(0n);
    expect(d.entry(4, 51) & RW).toBe(RW); // unchanged
    expect(d.entry(4, 52)).not.toBe(0n); // never reached
  });

  it('MMU_PT_UPDATE_PRESERVE_AD keeps the current A and D bits', () => {
    const d = pv64Domain();
    expect(d.entry(4, 50) & (A | D)).toBe(A | D);
    expect(d.mmuUpdate([[d.ptr(4, 50, 2), d.pte(50, P | RW)]])[0]).toBe(0n);
    expect(d.entry(4, 50) & (A | D)).toBe(A | D);
    expect(d.mmuUpdate([[d.ptr(4, 50, 0), d.pte(50, P | RW)]])[0]).toBe(0n);
    expect(d.entry(4, 50) & (A | D)).toBe(0n);
    d.setEntry(4, 51, d.entry(4, 51) | A | D);
    expect(d.mmuUpdate([[d.ptr(4, 51, 2), d.pte(52, P)]])[0]).toBe(0n); // another frame: full validation
    expect(d.entry(4, 51) & (A | D)).toBe(A | D);
  });

  it('MMU_MACHPHYS_UPDATE sets the M2P entry of a frame the domain owns', () => {
    const d = pv64Domain();
    expect(d.mmuUpdate([[BigInt(50 * PAGE) | 1n, 0x1234n]])).toEqual([0n, 1]);
    expect(d.m2p(50)).toBe(0x1234n);
    expect(d.mmuUpdate([[BigInt((NR_PAGES + 3) * PAGE) | 1n, 7n]])).toEqual([EINVAL, 0]);
  });

  it('MMU_MACHPHYS_UPDATE writes 4-byte entries for a PV32 guest', () => {
    const d = pv32Domain();
    expect(d.mmuUpdate([[BigInt(50 * PAGE) | 1n, 0x4321n]])[0]).toBe(0n);
    expect(d.u32(L.M2P_BASE + 50 * 4)).toBe(0x4321);
    expect(d.u32(L.M2P_BASE + 51 * 4)).toBe(51);
  });

  it('writes an ordinary frame as a plain write, but not a page table mapped by nobody', () => {
    const d = pv64Domain();
    expect(d.mmuUpdate([[d.ptr(45, 3), 0x5555n]])[0]).toBe(0n);
    expect(d.entry(45, 3)).toBe(0x5555n);
    expect(d.frame(45)).toMatchObject({ type: PGT_WRITABLE, count: 1 });
    d.makeReadOnly(40);
    expect(d.mmuext([[MMUEXT.PIN_L1, 40]])[0]).toBe(0n);
    expect(d.mmuUpdate([[d.ptr(40, 3), d.pte(4)]])[0]).toBe(EBUSY); // validated as an L1 entry
  });

  it('refuses updates of frames the domain does not own', () => {
    const d = pv64Domain();
    expect(d.mmuUpdate([[d.ptr(NR_PAGES + 2, 0), 0n]])).toEqual([EINVAL, 0]);
    expect(d.mmuUpdate([[d.ptr(9000, 0), 0n]])).toEqual([EINVAL, 0]);
  });

  it('refuses updates of the Xen slots of an L4', () => {
    const d = pv64Domain();
    expect(d.mmuUpdate([[d.ptr(1, 256), 0n]])[0]).toBe(EINVAL);
    expect(d.mmuUpdate([[d.ptr(1, 255), 0n]])[0]).toBe(0n);
  });

  it('refuses updates of PV32 L3 slots 3 and above', () => {
    const d = pv32Domain();
    expect(d.mmuUpdate([[d.ptr(1, 3), 0n]])[0]).toBe(EINVAL);
    expect(d.mmuUpdate([[d.ptr(1, 2), 0n]])[0]).toBe(0n);
  });

  it('refuses updates of Xen\'s slots of the PV32 slot-3 L2 with -EPERM', () => {
    const d = pv32Domain();
    expect(d.mmuUpdate([[d.ptr(4, 428), 0n]])[0]).toBe(EPERM);
    expect(d.mmuUpdate([[d.ptr(4, 427), d.pte(3, P | RW | A)]])[0]).toBe(0n);
    expect(d.mmuUpdate([[d.ptr(4, 426), d.pte(3, P | RW | A)]], DOMID_IO)[0]).toBe(EINVAL); // not an L1
  });

  it('answers unknown commands with -ENOSYS', () => {
    const d = pv64Domain();
    expect(d.mmuUpdate([[d.ptr(45, 0) | 5n, 0n]])).toEqual([ENOSYS, 0]);
  });

  it('answers an unreadable request list with -EFAULT', () => {
    const d = pv64Domain();
    expect(d.hc(HC.mmu_update, 0x4000000, 1, ARGS2, DOMID_SELF)).toBe(EFAULT); // not mapped
    expect(d.u32(d.va(ARGS2))).toBe(0);
    expect(d.hc(HC.mmu_update, 0xffff800000000000n, 1, 0, DOMID_SELF)).toBe(EFAULT); // Xen's range
  });

  it('refuses foreign domains: itself by id (-ESRCH), unknown (-ESRCH), DOMID_IO mappings of RAM (-EBUSY)', () => {
    const d = pv64Domain();
    expect(d.mmuUpdate([[d.ptr(4, 50), 0n]], DOMID)[0]).toBe(ESRCH);
    expect(d.mmuUpdate([[d.ptr(4, 50), 0n]], 77)[0]).toBe(ESRCH);
    expect(d.mmuUpdate([[d.ptr(4, 50), d.pte(51)]], DOMID_IO)[0]).toBe(EBUSY);
    expect(d.mmuUpdate([[d.ptr(4, 50), 0n]], 0)[0]).toBe(EPERM); // the host (dom0)
    expect(d.mmuUpdate([[d.ptr(4, 50), 0n]], ((DOMID + 1) << 16) | DOMID_SELF)[0]).toBe(0n); // tables: our own
  });

  it('with shadows off, flushes the TLB before the guest runs again when a present entry changes', () => {
    const d = pv64Domain({ shadows: false });
    const flushes = d.counter(L.CNT_TLB_FLUSHES);
    expect(d.mmuUpdate([[d.ptr(4, 60), 0n]])[0]).toBe(0n);
    expect(d.counter(L.CNT_TLB_FLUSHES)).toBe(flushes + 1n);
    expect(d.mmuUpdate([[d.ptr(4, 60), 0n]])[0]).toBe(0n); // was not present: nothing to forget
    expect(d.counter(L.CNT_TLB_FLUSHES)).toBe(flushes + 1n);
  });
});

describe('mmu_update with shadow page tables', () => {
  it('a changed present entry drops exactly the TLB and shadow entries derived from it, without a flush', () => {
    const d = pv64Domain();
    d.setU32(d.ma(46), DOMID_SELF);
    d.setU32(d.ma(47), DOMID_SELF);
    d.hc(HC.memory_op, 3, 46 * PAGE); // guest reads through va 0x2e000 and 0x2f000 fill TLB and shadow
    d.hc(HC.memory_op, 3, 47 * PAGE);
    expect(d.tlbTag(46 * PAGE)).not.toBe(0n);
    expect(d.shadowTag(46 * PAGE)).not.toBe(0n);
    const flushes = d.counter(L.CNT_TLB_FLUSHES);
    const invalidated = d.counter(L.CNT_SHADOW_INVALIDATIONS);
    expect(d.mmuUpdate([[d.ptr(4, 46), 0n]])[0]).toBe(0n);
    expect(d.tlbTag(46 * PAGE)).toBe(0n);
    expect(d.shadowTag(46 * PAGE)).toBe(0n);
    expect(d.tlbTag(47 * PAGE)).not.toBe(0n); // the neighbour came from another entry: kept
    expect(d.shadowTag(47 * PAGE)).not.toBe(0n);
    expect(d.counter(L.CNT_TLB_FLUSHES)).toBe(flushes);
    expect(d.counter(L.CNT_SHADOW_INVALIDATIONS)).toBe(invalidated + 1n);
    expect(d.core.exports.shadowAudit()).toBe(0);
  });
});

describe('update_va_mapping', () => {
  /** current_reservation reads a domid_t at `va`: a way to see which frame the guest sees there. */
  function seen(d: ReturnType<typeof pv64Domain>, va: number): bigint { return d.hc(HC.memory_op, 3, va); }

  it('rewrites the L1 entry of va and the guest sees the new frame at once', () => {
    const d = pv64Domain();
    d.setU32(d.ma(46), 0x1234); // not a domid the domain may name
    d.setU32(d.ma(47), DOMID_SELF);
    expect(seen(d, 46 * PAGE)).toBe(ESRCH); // caches the translation
    expect(d.updateVa(46 * PAGE, d.pte(47))).toBe(0n);
    expect(d.entry(4, 46)).toBe(d.pte(47) | US | GUEST_KERNEL);
    expect(seen(d, 46 * PAGE)).toBe(BigInt(NR_PAGES));
    expect(d.frame(47).count).toBe(2);
    expect(d.frame(46).count).toBe(0);
  });

  it('takes the PV32 PTE in two halves', () => {
    const d = pv32Domain();
    expect(d.updateVa(46 * PAGE, d.pte(47) | NX)).toBe(0n);
    expect(d.entry(3, 46)).toBe(d.pte(47) | NX);
  });

  it('refuses a va with no L1 table, or in Xen\'s part of the address space', () => {
    const d = pv64Domain();
    expect(d.updateVa(0x40000000, 0n)).toBe(EINVAL);
    expect(d.updateVa(0xffff800000001000n, 0n)).toBe(EINVAL);
    const p = pv32Domain();
    expect(p.updateVa(0xf5800000, 0n)).toBe(EINVAL);
  });

  it('refuses to map a page table writable and changes nothing', () => {
    const d = pv64Domain();
    const before = d.entry(4, 46);
    expect(d.updateVa(46 * PAGE, d.pte(3))).toBe(EBUSY);
    expect(d.entry(4, 46)).toBe(before);
  });

  it('UVMF_TLB_FLUSH flushes the whole TLB; UVMF_NONE and UVMF_INVLPG do not', () => {
    const d = pv64Domain();
    const f0 = d.counter(L.CNT_TLB_FLUSHES);
    expect(d.updateVa(46 * PAGE, d.pte(47), 0)).toBe(0n);
    expect(d.updateVa(46 * PAGE, d.pte(48), 2)).toBe(0n);
    expect(d.counter(L.CNT_TLB_FLUSHES)).toBe(f0);
    expect(d.updateVa(46 * PAGE, d.pte(46), 1)).toBe(0n);
    expect(d.counter(L.CNT_TLB_FLUSHES)).toBe(f0 + 1n);
  });

  it('UVMF_INVLPG drops the cached translation of va even when the entry did not change', () => {
    const d = pv64Domain();
    d.setU32(d.ma(46), DOMID_SELF);
    seen(d, 46 * PAGE);
    expect(d.tlbTag(46 * PAGE)).not.toBe(0n);
    expect(d.updateVa(46 * PAGE, d.pte(46), 0)).toBe(0n); // same entry, no flush asked: kept
    expect(d.tlbTag(46 * PAGE)).not.toBe(0n);
    expect(d.updateVa(46 * PAGE, d.pte(46), 2)).toBe(0n);
    expect(d.tlbTag(46 * PAGE)).toBe(0n);
  });

  it('drops the cached translation of va whenever its entry changes', () => {
    const d = pv64Domain();
    d.setU32(d.ma(46), DOMID_SELF);
    seen(d, 46 * PAGE);
    expect(d.updateVa(46 * PAGE, d.pte(46, P | A | D), 0)).toBe(0n); // now read-only
    expect(d.tlbTag(46 * PAGE)).toBe(0n);
  });

  it('UVMF_MULTI reads the vCPU bitmap: bit 0 flushes, 0 does not, an unreadable one is -EFAULT', () => {
    const d = pv64Domain();
    const f0 = d.counter(L.CNT_TLB_FLUSHES);
    d.writeLong(ARGS, 1);
    expect(d.updateVa(46 * PAGE, d.pte(47), BigInt(ARGS) | 1n)).toBe(0n);
    expect(d.counter(L.CNT_TLB_FLUSHES)).toBe(f0 + 1n);
    d.writeLong(ARGS, 0);
    expect(d.updateVa(46 * PAGE, d.pte(48), BigInt(ARGS) | 1n)).toBe(0n);
    expect(d.counter(L.CNT_TLB_FLUSHES)).toBe(f0 + 1n);
    expect(d.updateVa(46 * PAGE, d.pte(49), 0x4000000n | 1n)).toBe(EFAULT);
    expect((d.entry(4, 46) >> 12n) & 0xfffffn).toBe(49n); // the entry was written before the bitmap was read
  });

  it('works in an L1 hooked in by mmu_update, and not once it is unhooked', () => {
    const d = pv64Domain();
    d.makeReadOnly(40); // an L1-shaped frame that nobody uses as a table
    d.mmuUpdate([[d.ptr(3, 1), (40n << 12n) | P | RW | A]]); // hook it into the L2: now typed L1
    expect(d.frame(40)).toMatchObject({ type: PGT_L1, count: 1 });
    d.setEntry(40, 0, 0n);
    expect(d.updateVa(0x200000, d.pte(41, P))).toBe(0n);
    expect(d.entry(40, 0)).toBe(d.pte(41, P) | US | GUEST_KERNEL);
    expect(d.mmuUpdate([[d.ptr(3, 1), 0n]])[0]).toBe(0n);
    expect(d.frame(40).count).toBe(0);
    expect(d.updateVa(0x200000, d.pte(41, P))).toBe(EINVAL);
  });
});
