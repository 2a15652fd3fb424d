// A small PV domain built by hand for the page-type tests (xen/mm.ts and friends): 64 frames of RAM,
// bootstrap page tables written like the domain builder's, pinned through the core's pinInitialTables
// export, then hypercalls made through debugHypercall as from the guest kernel.
//   PV64: L4 = mfn 1, L3 = 2, L2 = 3, L1 = 4; VA n*4096 -> mfn n for n < 64 (tables read-only).
//   PV32: L3 = mfn 1, L2 (slot 0) = 2, L1 = 3, slot-3 L2 = 4; VA n*4096 -> mfn n likewise.
// shared_info is mfn 64 (the first Xen-owned frame). The frame-type values mirror xen/mm.ts.
import * as L from '../../../workers/layout.gen.ts';
import { newCore, type TestCore } from '../../helpers/core-instance.ts';

export const NR_PAGES = 64;
export const SHARED_INFO = NR_PAGES;
export const DOMID = 1;
export const DOMID_SELF = 0x7ff0;
export const PAGE = 4096;

// xen/mm.ts frame types and flags.
export const PGT_NONE = 0, PGT_L1 = 1, PGT_L2 = 2, PGT_L3 = 3, PGT_L4 = 4, PGT_SEG_DESC = 5, PGT_WRITABLE = 6;
export const PGF_PINNED = 1, PGF_VALIDATED = 2, PGF_PAE_XEN_L2 = 4, PGF_FREED = 8;

// Page-table entry bits.
export const P = 1n, RW = 2n, US = 4n, PWT = 8n, PCD = 0x10n, A = 0x20n, D = 0x40n, PSE = 0x80n, G = 0x100n;
export const GUEST_KERNEL = 1n << 52n;
export const NX = 1n << 63n;

// Errors (negated Xen errnos).
export const EPERM = -1n, ESRCH = -3n, EFAULT = -14n, EBUSY = -16n, EINVAL = -22n, EACCES = -13n, ENOSYS = -38n,
  EOPNOTSUPP = -95n;

// Hypercall numbers.
export const HC = {
  mmu_update: 1, set_gdt: 2, update_descriptor: 10, memory_op: 12, multicall: 13, update_va_mapping: 14,
  xen_version: 17, vm_assist: 21, iret: 23, mmuext_op: 26, sched_op: 29,
} as const;

export const MMUEXT = {
  PIN_L1: 0, PIN_L2: 1, PIN_L3: 2, PIN_L4: 3, UNPIN: 4, NEW_BASEPTR: 5, TLB_FLUSH_LOCAL: 6, INVLPG_LOCAL: 7,
  TLB_FLUSH_MULTI: 8, INVLPG_MULTI: 9, TLB_FLUSH_ALL: 10, INVLPG_ALL: 11, FLUSH_CACHE: 12, SET_LDT: 13,
  NEW_USER_BASEPTR: 15, CLEAR_PAGE: 16, COPY_PAGE: 17, FLUSH_CACHE_GLOBAL: 18, MARK_SUPER: 19, UNMARK_SUPER: 20,
} as const;

/** Scratch guest pages for hypercall arguments (ordinary RW data pages in both layouts). */
export const ARGS = 0x30000; // mfn 48
export const ARGS2 = 0x31000; // mfn 49

export type GuestType = 'pv64' | 'pv32';

export class PvDomain {
  constructor(readonly core: TestCore, readonly type: GuestType, readonly top: number) {}

  get pv64(): boolean { return this.type === 'pv64'; }
  get view(): DataView { return this.core.view; }

  /** Runs hypercall `nr` as the guest kernel; returns RAX as a signed value. */
  hc(nr: number, ...args: (number | bigint)[]): bigint {
    const a = [0, 1, 2, 3, 4].map((i) => BigInt.asUintN(64, BigInt(args[i] ?? 0)));
    const r = BigInt(this.core.exports.debugHypercall(nr, ...a));
    return this.pv64 ? r : BigInt.asIntN(32, r);
  }

  // ---- Machine memory ----
  ma(mfn: number, off = 0): number { return L.GUEST_RAM_BASE + mfn * PAGE + off; }
  u64(addr: number): bigint { return this.view.getBigUint64(addr, true); }
  setU64(addr: number, v: bigint): void { this.view.setBigUint64(addr, BigInt.asUintN(64, v), true); }
  u32(addr: number): number { return this.view.getUint32(addr, true); }
  setU32(addr: number, v: number): void { this.view.setUint32(addr, v >>> 0, true); }
  entry(mfn: number, slot: number): bigint { return this.u64(this.ma(mfn, slot * 8)); }
  setEntry(mfn: number, slot: number, v: bigint): void { this.setU64(this.ma(mfn, slot * 8), v); }
  /** Guest VA in the bootstrap mapping -> host address (VA n*4096 is mfn n). */
  va(va: number): number { return this.ma(Math.floor(va / PAGE), va % PAGE); }
  writeLong(va: number, v: bigint | number): void {
    if (this.pv64) this.setU64(this.va(va), BigInt(v));
    else this.setU32(this.va(va), Number(BigInt.asUintN(32, BigInt(v))));
  }
  get long(): number { return this.pv64 ? 8 : 4; }

  // ---- Core state ----
  frame(mfn: number): { type: number; flags: number; count: number } {
    const at = L.FRAME_TYPE_BASE + mfn * L.FRAME_INFO_SIZE;
    return { type: this.core.bytes[at], flags: this.core.bytes[at + 1], count: this.view.getUint16(at + 2, true) };
  }
  pv(field: number): bigint { return this.u64(L.DOM_BASE + L.DOM_VCPU + field); }
  pv32(field: number): number { return this.u32(L.DOM_BASE + L.DOM_VCPU + field); }
  cr3(): bigint { return this.u64(L.CPU_BASE + L.CPU_CR3); }
  counter(off: number): bigint { return this.u64(L.CNT_BASE + off); }
  m2p(mfn: number): bigint {
    return this.pv64 ? this.u64(L.M2P_BASE + mfn * 8) : BigInt(this.u32(L.M2P_BASE + mfn * 4));
  }
  /** The software TLB's tag for `va` (0 when no translation is cached). */
  /** The TLB tag cached for `va` in the current address space (mmu/tlb.ts: slot + 1 tags and salts the index), or 0. */
  tlbTag(va: number): bigint {
    const asid = this.core.exports.shadowCurrentSlot() + 1;
    const index = (Math.floor(va / PAGE) ^ (asid * 0x2f1)) & (L.TLB_ENTRIES - 1);
    const tag = this.u64(L.TLB_BASE + index * L.TLB_ENTRY_SIZE);
    return (tag & ~0xfffn) === BigInt(va - (va % PAGE)) && ((tag >> 1n) & 0x7ffn) === BigInt(asid) ? tag : 0n;
  }
  /** The current address space's shadow entry tag for `va`, or 0 (shadows off or not filled). */
  shadowTag(va: number): bigint {
    const slot = this.core.exports.shadowCurrentSlot();
    if (slot < 0) return 0n;
    const e = L.SHADOW_BASE + slot * L.SHADOW_SLOT_BYTES + (Math.floor(va / PAGE) & (L.SHADOW_SLOT_ENTRIES - 1)) * L.TLB_ENTRY_SIZE;
    const tag = this.u64(e);
    return (tag & ~0xfffn) === BigInt(va - (va % PAGE)) ? tag : 0n;
  }
  exitMessage(): string {
    const len = this.u32(L.EXIT_BASE + L.EXIT_MSG_LEN);
    return new TextDecoder().decode(this.core.bytes.slice(L.EXIT_BASE + L.EXIT_MSG, L.EXIT_BASE + L.EXIT_MSG + len));
  }

  /** A data PTE for `mfn` as this guest type writes it (PV64 builder style: no U on L1). */
  pte(mfn: number, flags: bigint = P | RW | A | D): bigint { return (BigInt(mfn) << 12n) | flags; }

  /** The L1 frame mapping the bootstrap region and the slot for `va`. */
  get l1(): number { return this.pv64 ? 4 : 3; }

  // ---- Hypercall helpers ----
  /** mmu_update with requests written at ARGS; `done` lands at ARGS2. Returns [rc, done]. */
  mmuUpdate(reqs: [bigint, bigint][], foreigndom = DOMID_SELF): [bigint, number] {
    reqs.forEach(([ptr, val], i) => {
      this.setU64(this.va(ARGS + i * 16), ptr);
      this.setU64(this.va(ARGS + i * 16 + 8), val);
    });
    this.setU32(this.va(ARGS2), 0xdead);
    const rc = this.hc(HC.mmu_update, ARGS, reqs.length, ARGS2, foreigndom);
    return [rc, this.u32(this.va(ARGS2))];
  }
  /** Machine address of slot `slot` of table `mfn` (the `ptr` of an mmu_update request). */
  ptr(mfn: number, slot: number, cmd = 0): bigint { return BigInt(mfn * PAGE + slot * 8 + cmd); }

  /** mmuext_op with ops {cmd, arg1, arg2} written at ARGS; `done` at ARGS2. Returns [rc, done]. */
  mmuext(ops: [number, bigint | number, (bigint | number)?][], foreigndom = DOMID_SELF): [bigint, number] {
    const size = this.pv64 ? 24 : 12;
    ops.forEach(([cmd, arg1, arg2], i) => {
      const at = ARGS + i * size;
      this.setU32(this.va(at), cmd);
      this.writeLong(at + (this.pv64 ? 8 : 4), BigInt(arg1));
      this.writeLong(at + (this.pv64 ? 16 : 8), BigInt(arg2 ?? 0));
    });
    this.setU32(this.va(ARGS2), 0xdead);
    const rc = this.hc(HC.mmuext_op, ARGS, ops.length, ARGS2, foreigndom);
    return [rc, this.u32(this.va(ARGS2))];
  }

  /** update_va_mapping(va, pte, flags) in this ABI's register form. */
  updateVa(va: number | bigint, pte: bigint, flags: bigint | number = 0): bigint {
    if (this.pv64) return this.hc(HC.update_va_mapping, va, pte, flags);
    return this.hc(HC.update_va_mapping, va, pte & 0xffffffffn, pte >> 32n, flags);
  }

  /** Remaps the bootstrap VA of `mfn` read-only (as a guest does before using a frame as a table). */
  makeReadOnly(mfn: number): void {
    const rc = this.updateVa(mfn * PAGE, this.pte(mfn, P | A));
    if (rc !== 0n) throw new Error(`could not remap mfn ${mfn} read-only: ${rc}`);
  }
}

const CPU_SEG_SEL = (seg: number) => L.CPU_BASE + L.CPU_SEG + seg * L.SEG_STRIDE + L.SEG_SEL;

function writeCommon(core: TestCore, type: GuestType): void {
  const v = core.view;
  v.setUint32(L.DOM_BASE + L.DOM_GUEST_TYPE, type === 'pv64' ? L.GUEST_PV64 : L.GUEST_PV32, true);
  v.setUint32(L.DOM_BASE + L.DOM_SHARED_INFO_MFN, SHARED_INFO, true);
  v.setUint32(L.DOM_BASE + L.DOM_DOMID, DOMID, true);
  v.setBigUint64(L.DOM_BASE + L.DOM_VCPU + L.PV_VCPU_INFO_MA, BigInt(SHARED_INFO * PAGE), true);
  // M2P identity for RAM, as the builder writes it.
  for (let m = 0; m < NR_PAGES; m++) {
    if (type === 'pv64') v.setBigUint64(L.M2P_BASE + m * 8, BigInt(m), true);
    else v.setUint32(L.M2P_BASE + m * 4, m, true);
  }
  const pv64 = type === 'pv64';
  const sel = (seg: number, value: number) => v.setUint16(CPU_SEG_SEL(seg), value, true);
  sel(1, pv64 ? 0xe033 : 0xe019);
  sel(2, pv64 ? 0xe02b : 0xe021);
  for (const s of [0, 3, 4, 5]) sel(s, pv64 ? 0 : 0xe021);
  v.setUint32(L.DOM_BASE + L.DOM_VCPU + L.PV_KERNEL_MODE, pv64 ? 1 : 0, true);
  v.setBigUint64(L.CPU_BASE + L.CPU_RFLAGS, 0x202n, true);
}

export interface DomainOptions {
  /** Edits the tables after they are written and before they are pinned. */
  tweak?: (d: PvDomain) => void;
  /** Leave the tables unpinned (the test pins them itself). */
  noPin?: boolean;
  /** Shadow page tables (mmu/shadow.ts; default on, as for every PV domain): off = a CR3 load or a
   *  changed entry flushes the untagged TLB, as before shadows. */
  shadows?: boolean;
}

function finish(core: TestCore, d: PvDomain, opts: DomainOptions): PvDomain {
  opts.tweak?.(d);
  if (opts.noPin) return d;
  const rc = core.exports.pinInitialTables(d.top);
  if (rc !== 0) throw new Error(`pinInitialTables failed (${rc}): ${d.exitMessage()}`);
  if (core.exports.domainStart() !== 0) throw new Error(`domainStart failed: ${d.exitMessage()}`);
  if (opts.shadows === false) core.exports.setShadowPageTables(0);
  return d;
}

/** PV64 domain with the 4-level bootstrap tables described above. */
export function pv64Domain(opts: DomainOptions = {}): PvDomain {
  const core = newCore(NR_PAGES);
  writeCommon(core, 'pv64');
  const d = new PvDomain(core, 'pv64', 1);
  const upper = P | RW | US | A | D;
  d.setEntry(1, 0, (2n << 12n) | upper);
  d.setEntry(2, 0, (3n << 12n) | upper);
  d.setEntry(3, 0, (4n << 12n) | upper);
  for (let m = 0; m < NR_PAGES; m++) d.setEntry(4, m, d.pte(m, m >= 1 && m <= 4 ? P | A : P | RW | A | D));
  return finish(core, d, opts);
}

/** PV32 (PAE) domain: L3 at mfn 1 with slot 0 -> L2 mfn 2 -> L1 mfn 3, slot 3 -> L2 mfn 4. */
export function pv32Domain(opts: DomainOptions = {}): PvDomain {
  const core = newCore(NR_PAGES);
  writeCommon(core, 'pv32');
  const d = new PvDomain(core, 'pv32', 1);
  d.setEntry(1, 0, (2n << 12n) | P);
  d.setEntry(1, 3, (4n << 12n) | P);
  d.setEntry(2, 0, (3n << 12n) | P | RW | US | A | D);
  for (let m = 0; m < NR_PAGES; m++) d.setEntry(3, m, d.pte(m, m >= 1 && m <= 4 ? P | A : P | RW | A | D));
  return finish(core, d, opts);
}

export function domain(type: GuestType, opts: DomainOptions = {}): PvDomain {
  return type === 'pv64' ? pv64Domain(opts) : pv32Domain(opts);
}
