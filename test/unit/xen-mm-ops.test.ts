// The rest of the memory hypercalls (xen-pv-abi.md 2.3, 3.3): mmuext_op's flushes, LDT and page
// commands, set_gdt / update_descriptor with Xen's descriptor checks, memory_op, and multicall.
import { describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import {
  pv64Domain, pv32Domain, PvDomain, HC, MMUEXT, PAGE, ARGS, ARGS2, DOMID_SELF, NR_PAGES, SHARED_INFO, P, RW, A,
  PGT_SEG_DESC, PGT_L1, PGF_FREED, EINVAL, EFAULT, ENOSYS, ESRCH, EPERM, EACCES, EOPNOTSUPP,
} from './helpers/xen-mm-domain.ts';

describe('mmuext_op: flushes, LDT, page commands', () => {
  it('TLB_FLUSH_LOCAL and TLB_FLUSH_ALL flush the TLB', () => {
    const d = pv64Domain();
    const f0 = d.counter(L.CNT_TLB_FLUSHES);
    expect(d.mmuext([[MMUEXT.TLB_FLUSH_LOCAL, 0], [MMUEXT.TLB_FLUSH_ALL, 0]])).toEqual([0n, 2]);
    expect(d.counter(L.CNT_TLB_FLUSHES)).toBe(f0 + 2n);
  });

  it('INVLPG_LOCAL drops one cached translation', () => {
    const d = pv64Domain();
    d.setU32(d.ma(46), DOMID_SELF);
    d.hc(HC.memory_op, 3, 46 * PAGE); // a guest read through va 0x2e000 fills the TLB
    expect(d.tlbTag(46 * PAGE)).not.toBe(0n);
    expect(d.mmuext([[MMUEXT.INVLPG_LOCAL, 46 * PAGE]])[0]).toBe(0n);
    expect(d.tlbTag(46 * PAGE)).toBe(0n);
  });

  it('TLB_FLUSH_MULTI with an unreadable vCPU bitmap is -EINVAL', () => {
    const d = pv64Domain();
    expect(d.mmuext([[MMUEXT.TLB_FLUSH_MULTI, 0, 0x4000000]])).toEqual([EINVAL, 0]);
    d.writeLong(ARGS2 + 64, 1);
    expect(d.mmuext([[MMUEXT.TLB_FLUSH_MULTI, 0, ARGS2 + 64]])).toEqual([0n, 1]);
  });

  it('SET_LDT records a page-aligned base and entry count, and refuses bad ones', () => {
    const d = pv64Domain();
    expect(d.mmuext([[MMUEXT.SET_LDT, 0x20000, 16]])[0]).toBe(0n);
    expect(d.pv(L.PV_LDT_BASE)).toBe(0x20000n);
    expect(d.pv32(L.PV_LDT_ENTS)).toBe(16);
    expect(d.mmuext([[MMUEXT.SET_LDT, 0x20008, 16]])[0]).toBe(EINVAL);
    expect(d.mmuext([[MMUEXT.SET_LDT, 0x20000, 8193]])[0]).toBe(EINVAL);
    expect(d.mmuext([[MMUEXT.SET_LDT, 0xffff800000000000n, 1]])[0]).toBe(EINVAL);
    expect(d.pv(L.PV_LDT_BASE)).toBe(0x20000n);
    expect(d.mmuext([[MMUEXT.SET_LDT, 0x12345, 0]])[0]).toBe(0n); // no entries: no LDT, any base
    expect(d.pv(L.PV_LDT_BASE)).toBe(0n);
  });

  it('CLEAR_PAGE zeroes a data frame and refuses a page table', () => {
    const d = pv64Domain();
    d.setU64(d.ma(45, 8), 0xffn);
    expect(d.mmuext([[MMUEXT.CLEAR_PAGE, 45]])[0]).toBe(0n);
    expect(d.u64(d.ma(45, 8))).toBe(0n);
    expect(d.mmuext([[MMUEXT.CLEAR_PAGE, 4]])[0]).toBe(EINVAL);
    expect(d.entry(4, 5)).not.toBe(0n);
  });

  it('COPY_PAGE copies into a frame that may be writable', () => {
    const d = pv64Domain();
    d.setU64(d.ma(46, 16), 0x1122334455n);
    expect(d.mmuext([[MMUEXT.COPY_PAGE, 45, 46]])[0]).toBe(0n);
    expect(d.u64(d.ma(45, 16))).toBe(0x1122334455n);
    expect(d.mmuext([[MMUEXT.COPY_PAGE, 3, 46]])[0]).toBe(EINVAL); // into the L2
    expect(d.mmuext([[MMUEXT.COPY_PAGE, 45, NR_PAGES + 5]])[0]).toBe(EINVAL); // from a frame not ours
  });

  it('answers the obsolete, privileged and unknown commands as Xen does', () => {
    const d = pv64Domain();
    expect(d.mmuext([[MMUEXT.MARK_SUPER, 8]])[0]).toBe(EOPNOTSUPP);
    expect(d.mmuext([[MMUEXT.UNMARK_SUPER, 8]])[0]).toBe(EOPNOTSUPP);
    expect(d.mmuext([[MMUEXT.FLUSH_CACHE, 0]])[0]).toBe(EACCES);
    expect(d.mmuext([[MMUEXT.FLUSH_CACHE_GLOBAL, 0]])[0]).toBe(EINVAL);
    expect(d.mmuext([[99, 0]])[0]).toBe(ENOSYS);
  });

  it('refuses a foreign page owner', () => {
    const d = pv64Domain();
    expect(d.mmuext([[MMUEXT.TLB_FLUSH_LOCAL, 0]], 1)[0]).toBe(ESRCH); // itself, by id
    expect(d.mmuext([[MMUEXT.TLB_FLUSH_LOCAL, 0]], 0)[0]).toBe(EPERM); // the host
  });

  it('uses 12-byte operations for a PV32 guest', () => {
    const d = pv32Domain();
    d.makeReadOnly(40);
    d.makeReadOnly(41);
    expect(d.mmuext([[MMUEXT.PIN_L1, 40], [MMUEXT.PIN_L1, 41]])).toEqual([0n, 2]);
    expect([d.frame(40).type, d.frame(41).type]).toEqual([PGT_L1, PGT_L1]);
  });
});

describe('set_gdt and update_descriptor', () => {
  const CODE64_DPL0 = 0x00af9a000000ffffn;
  const DATA_DPL0 = 0x00cf92000000ffffn;
  const TSS = 0x00008900_00000067n;

  function gdtFrame(d: PvDomain, mfn: number, descs: bigint[]): void {
    d.makeReadOnly(mfn);
    descs.forEach((x, i) => d.setU64(d.ma(mfn, i * 8), x));
  }
  function setGdt(d: PvDomain, frames: number[], entries: number): bigint {
    frames.forEach((f, i) => d.writeLong(ARGS + i * d.long, f));
    return d.hc(HC.set_gdt, ARGS, entries);
  }

  it('installs validated frames, raising DPLs to the guest kernel ring (PV64: 3)', () => {
    const d = pv64Domain();
    gdtFrame(d, 45, [0n, CODE64_DPL0, DATA_DPL0]);
    expect(setGdt(d, [45], 3)).toBe(0n);
    expect(d.u64(d.ma(45, 8))).toBe(0x00affa000000ffffn);
    expect(d.u64(d.ma(45, 16))).toBe(0x00cff2000000ffffn);
    expect(d.pv32(L.PV_GDT_FRAMES)).toBe(3);
    expect(d.u32(L.DOM_BASE + L.DOM_GDT_MFNS)).toBe(45);
    expect(d.frame(45)).toMatchObject({ type: PGT_SEG_DESC, count: 1 });
  });

  it('raises PV32 DPL 0 to 1, widens flat segments over the hypervisor hole and refuses 64-bit code', () => {
    const d = pv32Domain();
    // Flat code DPL 0; data with a 96 MiB limit; old PAE Linux's data segment limited to 0xf6800000.
    gdtFrame(d, 45, [0n, 0x00cf9a000000ffffn, 0x00c0920000005fffn, 0x00cff200000067ffn]);
    expect(setGdt(d, [45], 4)).toBe(0n);
    expect(d.u64(d.ma(45, 8))).toBe(0x00cfba000000ffffn);
    expect(d.u64(d.ma(45, 16))).toBe(0x00c0b20000005fffn); // below the hole: kept
    expect(d.u64(d.ma(45, 24))).toBe(0x00cff2000000ffffn); // reaches into the hole: widened to 4 GiB
    const p = pv32Domain();
    gdtFrame(p, 45, [CODE64_DPL0]);
    expect(setGdt(p, [45], 1)).toBe(EINVAL);
  });

  it('refuses a frame mapped writable, a TSS descriptor, too many entries and a bad list', () => {
    const d = pv64Domain();
    d.setU64(d.ma(46, 8), CODE64_DPL0);
    expect(setGdt(d, [46], 2)).toBe(EINVAL); // still mapped writable
    gdtFrame(d, 45, [0n, TSS]);
    expect(setGdt(d, [45], 2)).toBe(EINVAL);
    expect(d.frame(45).count).toBe(0);
    expect(setGdt(d, [45], 7169)).toBe(EINVAL);
    expect(d.hc(HC.set_gdt, 0x4000000, 2)).toBe(EFAULT);
    expect(d.pv32(L.PV_GDT_FRAMES)).toBe(0);
  });

  it('replacing the GDT releases the old frames', () => {
    const d = pv64Domain();
    gdtFrame(d, 45, []);
    gdtFrame(d, 46, []);
    expect(setGdt(d, [45], 512)).toBe(0n);
    expect(setGdt(d, [46], 16)).toBe(0n);
    expect(d.frame(45).count).toBe(0);
    expect(d.updateVa(45 * PAGE, d.pte(45, P | RW | A))).toBe(0n); // may be writable again
    expect(d.updateVa(46 * PAGE, d.pte(46, P | RW | A))).not.toBe(0n); // in use
  });

  it('keeps call gates only with DPL 0 and the guest DPL in the target RPL', () => {
    const d = pv64Domain();
    const gate = (sel: number, dpl: number) => (BigInt(sel) << 16n) | 0x1000n | (BigInt(0x8c00 | (dpl << 13)) << 32n);
    gdtFrame(d, 45, [0n, gate(0xe033, 3), 0n]);
    expect(setGdt(d, [45], 3)).toBe(0n);
    expect(d.u64(d.ma(45, 8))).toBe((0xe033n << 16n) | 0x1000n | (0x8c00n << 32n));
    gdtFrame(d, 46, [gate(0xe008, 3)]); // a gate into Xen's own code segment
    expect(setGdt(d, [46], 1)).toBe(EINVAL);
  });

  it('update_descriptor checks the descriptor and writes it into a descriptor page', () => {
    const d = pv64Domain();
    gdtFrame(d, 45, []);
    expect(setGdt(d, [45], 16)).toBe(0n);
    expect(d.hc(HC.update_descriptor, 45 * PAGE + 8, CODE64_DPL0)).toBe(0n);
    expect(d.u64(d.ma(45, 8))).toBe(0x00affa000000ffffn);
    expect(d.hc(HC.update_descriptor, 45 * PAGE + 16, TSS)).toBe(EINVAL);
    expect(d.hc(HC.update_descriptor, 45 * PAGE + 20, DATA_DPL0)).toBe(EINVAL); // not 8-aligned
    expect(d.frame(45).count).toBe(1);
  });

  it('update_descriptor writes ordinary pages but never a page table', () => {
    const d = pv64Domain();
    expect(d.hc(HC.update_descriptor, 47 * PAGE, DATA_DPL0)).toBe(0n);
    expect(d.u64(d.ma(47))).toBe(0x00cff2000000ffffn);
    expect(d.hc(HC.update_descriptor, 4 * PAGE, DATA_DPL0)).toBe(EINVAL);
    expect(d.hc(HC.update_descriptor, (NR_PAGES + 2) * PAGE, DATA_DPL0)).toBe(EINVAL);
  });

  it('update_descriptor takes the PV32 address and descriptor in halves', () => {
    const d = pv32Domain();
    expect(d.hc(HC.update_descriptor, 47 * PAGE + 8, 0, 0x0000ffff, 0x00cf9200)).toBe(0n);
    expect(d.u64(d.ma(47, 8))).toBe(0x00cfb2000000ffffn);
  });
});

describe('memory_op', () => {
  /** A xen_memory_reservation at ARGS with the extent list at ARGS2. */
  function reservation(d: PvDomain, op: number, extents: number[], order = 0, domid = DOMID_SELF, memFlags = 0): bigint {
    const w = d.long;
    extents.forEach((x, i) => d.writeLong(ARGS2 + i * w, x));
    d.writeLong(ARGS, ARGS2);
    d.writeLong(ARGS + w, extents.length);
    d.setU32(d.va(ARGS + 2 * w), order);
    d.setU32(d.va(ARGS + 2 * w + 4), memFlags);
    d.view.setUint16(d.va(ARGS + 2 * w + 8), domid, true);
    return d.hc(HC.memory_op, op, ARGS);
  }
  function query(d: PvDomain, op: number, domid: number): bigint {
    d.view.setUint16(d.va(ARGS), domid, true);
    return d.hc(HC.memory_op, op, ARGS);
  }

  it('memory_map reports one RAM entry covering the domain', () => {
    const d = pv64Domain();
    d.setU32(d.va(ARGS), 4);
    d.writeLong(ARGS + 8, ARGS2);
    expect(d.hc(HC.memory_op, 9, ARGS)).toBe(0n);
    expect(d.u32(d.va(ARGS))).toBe(1);
    expect([d.u64(d.va(ARGS2)), d.u64(d.va(ARGS2 + 8)), d.u32(d.va(ARGS2 + 16))]).toEqual([0n, BigInt(NR_PAGES * PAGE), 1]);
    d.setU32(d.va(ARGS), 0);
    expect(d.hc(HC.memory_op, 9, ARGS)).toBe(0n);
    expect(d.u32(d.va(ARGS))).toBe(0);
  });

  it('machphys_mapping gives the M2P window (PV64 8-byte, PV32 4-byte fields)', () => {
    const d = pv64Domain();
    expect(d.hc(HC.memory_op, 12, ARGS)).toBe(0n);
    expect([d.u64(d.va(ARGS)), d.u64(d.va(ARGS + 8)), d.u64(d.va(ARGS + 16))])
      .toEqual([0xffff800000000000n, 0xffff804000000000n, 0x7ffffffffn]);
    const p = pv32Domain();
    expect(p.hc(HC.memory_op, 12, ARGS)).toBe(0n);
    expect([p.u32(p.va(ARGS)), p.u32(p.va(ARGS + 4)), p.u32(p.va(ARGS + 8))]).toEqual([0xf5800000, 0xffe00000, 0x297ffff]);
  });

  it('current and maximum reservation answer for the domain itself only', () => {
    const d = pv64Domain();
    expect(query(d, 3, DOMID_SELF)).toBe(BigInt(NR_PAGES));
    expect(query(d, 4, 1)).toBe(BigInt(NR_PAGES)); // its own id works too
    expect(query(d, 3, 0)).toBe(EPERM);
    expect(query(d, 3, 9)).toBe(ESRCH);
    expect(d.hc(HC.memory_op, 3, 0x4000000)).toBe(EFAULT);
  });

  it('maximum_ram_page is one past the highest machine frame; maximum_gpfn follows shared_info', () => {
    const d = pv64Domain();
    expect(d.hc(HC.memory_op, 2, 0)).toBe(BigInt(NR_PAGES + L.XEN_EXTRA_FRAMES));
    expect(query(d, 14, DOMID_SELF)).toBe(0n);
    d.setU64(d.ma(SHARED_INFO, 3088), 0x2000n); // arch.max_pfn
    expect(query(d, 14, DOMID_SELF)).toBe(0x1fffn);
  });

  it('decrease_reservation gives back unmapped frames and refuses frames in use', () => {
    const d = pv64Domain();
    expect(reservation(d, 1, [50])).toBe(0n); // still mapped writable
    expect(d.updateVa(50 * PAGE, 0n)).toBe(0n);
    expect(d.updateVa(51 * PAGE, 0n)).toBe(0n);
    expect(reservation(d, 1, [50, 51, 4])).toBe(2n); // the third is the L1
    expect(d.frame(50).flags & PGF_FREED).toBe(PGF_FREED);
    expect(d.m2p(50)).toBe(0xffffffffffffffffn);
    expect(query(d, 3, DOMID_SELF)).toBe(BigInt(NR_PAGES - 2));
    expect(d.updateVa(52 * PAGE, d.pte(50))).not.toBe(0n); // no longer the domain's to map
  });

  it('populate_physmap reuses given-back frames, reports them and keeps the reservation at most nr_pages', () => {
    const d = pv64Domain();
    d.updateVa(50 * PAGE, 0n);
    d.setU64(d.ma(50), 0x77n);
    expect(reservation(d, 1, [50])).toBe(1n);
    expect(reservation(d, 6, [0x500, 0x501])).toBe(1n); // only one frame is free
    expect(d.u64(d.va(ARGS2))).toBe(50n); // the MFN replaces the GPFN
    expect(d.m2p(50)).toBe(0x500n);
    expect(d.u64(d.ma(50))).toBe(0n); // scrubbed
    expect(query(d, 3, DOMID_SELF)).toBe(BigInt(NR_PAGES));
  });

  it('increase_reservation hands out free frames and fails beyond the maximum', () => {
    const d = pv64Domain();
    d.updateVa(50 * PAGE, 0n);
    d.updateVa(51 * PAGE, 0n);
    expect(reservation(d, 1, [50, 51])).toBe(2n);
    expect(reservation(d, 0, [0, 0, 0])).toBe(2n);
    expect([d.u64(d.va(ARGS2)), d.u64(d.va(ARGS2 + 8))].sort()).toEqual([50n, 51n]);
  });

  it('takes aligned extents of a higher order and refuses foreign domains by doing nothing', () => {
    const d = pv64Domain();
    for (const m of [52, 53, 54, 55]) d.updateVa(m * PAGE, 0n);
    expect(reservation(d, 1, [52], 2)).toBe(1n);
    expect(reservation(d, 0, [0], 2, 7)).toBe(0n);
    expect(reservation(d, 0, [0], 10)).toBe(0n); // above a domU's largest order
    expect(reservation(d, 0, [0], 2)).toBe(1n);
    expect(d.u64(d.va(ARGS2))).toBe(52n);
  });

  it('takes the PV32 reservation layout', () => {
    const d = pv32Domain();
    d.updateVa(50 * PAGE, 0n);
    expect(reservation(d, 1, [50])).toBe(1n);
    expect(d.u32(L.M2P_BASE + 50 * 4)).toBe(0xffffffff);
    expect(reservation(d, 6, [0x300])).toBe(1n);
    expect(d.u32(d.va(ARGS2))).toBe(50);
  });

  it('answers other operations with -ENOSYS', () => {
    const d = pv64Domain();
    for (const op of [5, 7, 10, 11, 13, 63]) expect(d.hc(HC.memory_op, op, ARGS)).toBe(ENOSYS);
  });
});

describe('multicall', () => {
  function entries(d: PvDomain, calls: (number | bigint)[][]): void {
    const w = d.long;
    calls.forEach((c, i) => {
      for (let k = 0; k < 8; k++) d.writeLong(ARGS + i * 8 * w + k * w, k === 0 ? c[0] : k === 1 ? 0x5a5a : c[k - 1] ?? 0);
    });
  }
  const result = (d: PvDomain, i: number) =>
    d.pv64 ? BigInt.asIntN(64, d.u64(d.va(ARGS + i * 64 + 8))) : BigInt(d.view.getInt32(d.va(ARGS + i * 32 + 4), true));

  it('runs every entry in order and stores each result, failures included', () => {
    const d = pv64Domain();
    d.view.setUint16(d.va(ARGS2), DOMID_SELF, true);
    entries(d, [[HC.memory_op, 2], [HC.mmuext_op, 0x4000000, 1, 0, DOMID_SELF], [HC.memory_op, 3, ARGS2], [99]]);
    expect(d.hc(HC.multicall, ARGS, 4)).toBe(0n);
    expect([0, 1, 2, 3].map((i) => result(d, i))).toEqual([BigInt(NR_PAGES + L.XEN_EXTRA_FRAMES), EFAULT, BigInt(NR_PAGES), ENOSYS]);
  });

  it('batches page-table updates (Linux\'s lazy MMU mode)', () => {
    const d = pv64Domain();
    entries(d, [[HC.update_va_mapping, 46 * PAGE, d.pte(47), 0], [HC.update_va_mapping, 47 * PAGE, 0n, 1]]);
    expect(d.hc(HC.multicall, ARGS, 2)).toBe(0n);
    expect([result(d, 0), result(d, 1)]).toEqual([0n, 0n]);
    expect(d.entry(4, 47)).toBe(0n);
  });

  it('refuses a nested multicall', () => {
    const d = pv64Domain();
    entries(d, [[HC.multicall, ARGS, 1]]);
    expect(d.hc(HC.multicall, ARGS, 1)).toBe(0n);
    expect(result(d, 0)).toBe(EINVAL);
  });

  it('answers an unreadable list with -EFAULT', () => {
    const d = pv64Domain();
    expect(d.hc(HC.multicall, 0x4000000, 1)).toBe(EFAULT);
    expect(d.hc(HC.multicall, 0xffff800000000000n, 1)).toBe(EFAULT);
  });

  it('uses 32-byte entries of 4-byte fields for a PV32 guest', () => {
    const d = pv32Domain();
    d.view.setUint16(d.va(ARGS2), DOMID_SELF, true);
    entries(d, [[HC.memory_op, 3, ARGS2], [HC.memory_op, 99]]);
    expect(d.hc(HC.multicall, ARGS, 2)).toBe(0n);
    expect([result(d, 0), result(d, 1)]).toEqual([BigInt(NR_PAGES), ENOSYS]);
  });

  it('ends the batch at an iret, which leaves RAX as the frame says', () => {
    const d = pv64Domain();
    // iret frame at RSP: rax, r11, rcx, flags, rip, cs, rflags, rsp, ss (kernel to kernel: CS RPL 0).
    const sp = 0x2f000;
    [0x4242n, 0n, 0n, 0n, 0x8000n, 0xe030n, 0x202n, 0x2f800n, 0xe02bn].forEach((v, i) => d.setU64(d.va(sp + i * 8), v));
    d.setU64(L.CPU_BASE + L.CPU_GPR + 4 * 8, BigInt(sp));
    entries(d, [[HC.iret], [HC.memory_op, 2]]);
    expect(d.hc(HC.multicall, ARGS, 2)).toBe(0x4242n);
    expect(d.u64(L.CPU_BASE + L.CPU_RIP)).toBe(0x8000n);
    expect(result(d, 1)).toBe(0x5a5an); // never run
  });
});
