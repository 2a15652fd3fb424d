// A system-level test machine for the specification tests of rings, paging and exceptions: the bare
// machine of bare-machine.ts switched by the core's test-only exports (assembly/testing.ts) to any
// CPL, with page tables and a GDT that the test writes into machine memory itself, so each test shows
// the exact entries it relies on (Intel SDM vol. 3: 4.4 PAE paging, 4.5 4-level paging, 3.4.5
// segment descriptors). Code runs from 0x10000000 (frame 8, as in the vectors' machine) to the
// sentinel after it, or from other pages to an INT3 (#BP) or a fault. XENWASM_DECODE_CACHE=off in the
// environment runs the machines with the decode cache switched off (results must not change).
import * as L from '../../workers/layout.gen.ts';
import { BareMachine, hexBytes, type RunResult } from './bare-machine.ts';

// Page-table entry bits (SDM vol. 3, table 4-11 / 4-19).
export const P = 1n, RW = 2n, US = 4n, PWT = 8n, PCD = 0x10n, A = 0x20n, D = 0x40n, PS = 0x80n, G = 0x100n;
export const NX = 1n << 63n;
// Control register bits.
export const CR0_PE = 1n, CR0_MP = 2n, CR0_ET = 0x10n, CR0_NE = 0x20n, CR0_WP = 1n << 16n, CR0_AM = 1n << 18n, CR0_PG = 1n << 31n;
export const CR4_PSE = 0x10n, CR4_PAE = 0x20n, CR4_PGE = 0x80n;
export const EFER_LME = 1n << 8n, EFER_NXE = 1n << 11n;
// #PF error code bits.
export const PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_I = 0x10;
// Exception vectors.
export const DE = 0, DB = 1, BP = 3, OF_ = 4, UD = 6, TS = 10, NP = 11, SS_ = 12, GP = 13, PF = 14, AC = 17;
// Segment registers in the core's numbering.
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;

export const CODE_VA = 0x10000000n;
export const GDT_VA = 0x00400000n;
/** The frame bareCodeHost() uses: the code at CODE_VA. */
export const CODE_FRAME = 8;
export const DATA_FRAME = 9;
const FIRST_FREE_FRAME = 16;

export interface SegmentSpec {
  base?: number; limit?: number; dpl?: number; present?: boolean; g?: boolean;
  /** Descriptor type nibble: code 0x8 execute-only, 0xA execute/read, 0xE conforming readable; data 0x0 RO, 0x2 RW, 0x6 RW expand-down. */
  type: number;
  /** S = 0: a system descriptor (LDT 2, TSS 9, call gate 0xC). */
  system?: boolean;
  db?: boolean; l?: boolean;
}

/** An 8-byte segment descriptor (SDM vol. 3, figure 3-8). */
export function descriptor(s: SegmentSpec): bigint {
  const base = BigInt(s.base ?? 0), limit = BigInt(s.limit ?? 0xfffff);
  const g = s.g ?? (s.limit === undefined);
  let d = limit & 0xffffn;
  d |= (base & 0xffffffn) << 16n;
  d |= BigInt(s.type & 15) << 40n;
  if (!s.system) d |= 1n << 44n;
  d |= BigInt(s.dpl ?? 0) << 45n;
  if (s.present ?? true) d |= 1n << 47n;
  d |= ((limit >> 16n) & 0xfn) << 48n;
  if (s.l) d |= 1n << 53n;
  if (s.db ?? !s.system) d |= 1n << 54n;
  if (g) d |= 1n << 55n;
  d |= ((base >> 24n) & 0xffn) << 56n;
  return d;
}
export const code32 = (dpl: number, extra: Partial<SegmentSpec> = {}) => descriptor({ type: 0xa, dpl, ...extra });
export const data32 = (dpl: number, extra: Partial<SegmentSpec> = {}) => descriptor({ type: 0x2, dpl, ...extra });

export type Paging = 'pae' | 'long' | 'legacy';

export class SystemMachine {
  readonly m: BareMachine;
  readonly paging: Paging;
  private nextFrame = FIRST_FREE_FRAME;
  /** Machine frame of the top-level table (PDPT for PAE, PML4 for long mode, PD for legacy). */
  readonly top: number;
  private cr0: bigint;
  private cr4: bigint;
  private efer: bigint;

  /**
   * A machine with paging of the given kind, the code page at CODE_VA (user, writable), the GDT page
   * at GDT_VA (supervisor), and `gdt` entries 1.. as given (entry 0 is the null descriptor).
   */
  constructor(opts: { paging?: Paging; gdt?: bigint[]; cr0?: bigint; cr4?: bigint; efer?: bigint } = {}) {
    this.m = new BareMachine(64);
    if (process.env.XENWASM_DECODE_CACHE === 'off') this.m.core.exports.setDecodeCache(0);
    this.paging = opts.paging ?? 'pae';
    this.top = this.alloc();
    this.cr0 = opts.cr0 ?? (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
    this.cr4 = opts.cr4 ?? (this.paging === 'legacy' ? CR4_PSE : CR4_PAE);
    this.efer = opts.efer ?? (this.paging === 'long' ? EFER_LME | EFER_NXE : EFER_NXE);
    this.map(CODE_VA, CODE_FRAME, P | RW | US);
    const gdtFrame = this.alloc();
    this.map(GDT_VA, gdtFrame, P | RW);
    const entries = [0n, ...(opts.gdt ?? [])];
    entries.forEach((d, i) => this.view.setBigUint64(this.frameHost(gdtFrame) + 8 * i, d, true));
    this.gdtFrame = gdtFrame;
    this.gdtLimit = entries.length * 8 - 1;
    this.applyControl();
  }
  readonly gdtFrame: number;
  readonly gdtLimit: number;

  get x() { return this.m.core.exports; }
  get view(): DataView { return this.m.view; }
  get bytes(): Uint8Array { return this.m.bytes; }
  frameHost(f: number): number { return L.GUEST_RAM_BASE + f * L.PAGE_SIZE; }
  /** A zeroed machine frame for tables, stacks or data. */
  alloc(): number {
    const f = this.nextFrame++;
    if (f >= 64) throw new Error('the test machine has 64 frames');
    this.bytes.fill(0, this.frameHost(f), this.frameHost(f) + L.PAGE_SIZE);
    return f;
  }

  /** (Re)loads CR0, CR3, CR4, EFER and GDTR (flushing the TLB) as firmware would. */
  applyControl(): this {
    this.x.testMachine(this.cr0, this.cr4, this.efer, BigInt(this.top * L.PAGE_SIZE), GDT_VA, this.gdtLimit);
    return this;
  }
  setCr0(v: bigint): this { this.cr0 = v; return this.applyControl(); }
  setEfer(v: bigint): this { this.efer = v; return this.applyControl(); }

  // ---- Page tables (entries hold machine addresses: frame << 12) ----
  private entryAddr(table: number, index: number): number { return this.frameHost(table) + 8 * index; }
  private readEntry(table: number, index: number): bigint { return this.view.getBigUint64(this.entryAddr(table, index), true); }
  private writeEntry(table: number, index: number, v: bigint): void { this.view.setBigUint64(this.entryAddr(table, index), v, true); }
  /** The next-level table under entry `index` of `table`, created (P RW US) if absent. */
  private sub(table: number, index: number, flags = P | RW | US): number {
    const e = this.readEntry(table, index);
    if (e & P) return Number((e >> 12n) & 0xffffffn);
    const f = this.alloc();
    // PAE PDPTEs carry only P (RW/US are reserved there).
    const isPdpte = this.paging === 'pae' && table === this.top;
    this.writeEntry(table, index, (BigInt(f) << 12n) | (isPdpte ? P : flags));
    return f;
  }
  /** Host address of the table entry for `va` at `level` (1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E), creating upper tables. */
  entry(va: bigint, level: number): number {
    if (this.paging === 'legacy') {
      const pdIndex = Number((va >> 22n) & 0x3ffn);
      if (level === 2) return this.frameHost(this.top) + 4 * pdIndex;
      let pde = this.view.getUint32(this.frameHost(this.top) + 4 * pdIndex, true);
      if (!(pde & 1)) {
        const f = this.alloc();
        pde = (f << 12) | 7;
        this.view.setUint32(this.frameHost(this.top) + 4 * pdIndex, pde >>> 0, true);
      }
      return this.frameHost(pde >>> 12) + 4 * Number((va >> 12n) & 0x3ffn);
    }
    const levels = this.paging === 'long' ? 4 : 3;
    let table = this.top;
    for (let lv = levels; lv > level; lv--) {
      const index = lv === 3 && levels === 3 ? Number((va >> 30n) & 3n) : Number((va >> BigInt(12 + 9 * (lv - 1))) & 511n);
      table = this.sub(table, index);
    }
    const index = level === 3 && levels === 3 ? Number((va >> 30n) & 3n) : Number((va >> BigInt(12 + 9 * (level - 1))) & 511n);
    return this.entryAddr(table, index);
  }
  /** Maps the 4 KiB page at `va` to machine frame `frame` with `flags` (P RW US A D G NX ...). */
  map(va: bigint, frame: number, flags: bigint): this {
    if (this.paging === 'legacy') this.view.setUint32(this.entry(va, 1), (frame << 12 | Number(flags & 0xfffn)) >>> 0, true);
    else this.view.setBigUint64(this.entry(va, 1), (BigInt(frame) << 12n) | flags, true);
    return this;
  }
  /** Maps a large page at level 2 (2 MiB; 4 MiB for legacy paging) or 3 (1 GiB, long mode) to machine address `ma`. */
  mapLarge(va: bigint, ma: bigint, flags: bigint, level = 2): this {
    if (this.paging === 'legacy') this.view.setUint32(this.entry(va, 2), Number((ma & 0xffc00000n) | flags | PS) >>> 0, true);
    else this.view.setBigUint64(this.entry(va, level), ma | flags | PS, true);
    return this;
  }
  /** The raw value of the entry for `va` at `level`. */
  pte(va: bigint, level = 1): bigint {
    return this.paging === 'legacy' ? BigInt(this.view.getUint32(this.entry(va, level), true)) : this.view.getBigUint64(this.entry(va, level), true);
  }
  setPte(va: bigint, v: bigint, level = 1): this {
    if (this.paging === 'legacy') this.view.setUint32(this.entry(va, level), Number(v) >>> 0, true);
    else this.view.setBigUint64(this.entry(va, level), v, true);
    return this;
  }

  // ---- Memory by machine frame ----
  write(frame: number, offset: number, bytes: Uint8Array | string): this {
    const b = typeof bytes === 'string' ? hexBytes(bytes) : bytes;
    this.bytes.set(b, this.frameHost(frame) + offset);
    return this;
  }
  read32(frame: number, offset: number): number { return this.view.getUint32(this.frameHost(frame) + offset, true); }
  write32(frame: number, offset: number, v: number): this { this.view.setUint32(this.frameHost(frame) + offset, v >>> 0, true); return this; }
  /** Writes 32-bit words (a stack frame) at `frame`:`offset`, lowest address first. */
  words(frame: number, offset: number, ws: number[]): this {
    ws.forEach((w, i) => this.write32(frame, offset + 4 * i, w));
    return this;
  }

  // ---- CPU state ----
  /** Loads a segment register from the GDT/LDT without checks (CPL = CS.RPL); throws if the descriptor read faults. */
  load(seg: number, selector: number): this {
    const v = this.x.testLoadSegment(seg, selector);
    if (v !== 0) throw new Error(`loading selector 0x${selector.toString(16)} faulted with vector ${v}`);
    return this;
  }
  /** CS:EIP, SS:ESP and DS/ES/FS/GS in one go. */
  enter(cs: number, ss: number, esp: bigint, data = ss): this {
    this.load(CS, cs).load(SS, ss).load(DS, data).load(ES, data).load(FS, data).load(GS, data);
    this.m.set('rsp', esp);
    return this;
  }
  get cpl(): number { return this.m.cpl; }
  seg(s: number) { return this.m.seg(s); }
  get rip(): bigint { return this.m.rip; }

  /** Writes `code` at CODE_VA (the rest of the page 0xCC), RIP = CODE_VA, and runs to the sentinel, a fault, or an INT3 elsewhere. */
  run(code: string | Uint8Array, maxSteps = 10_000): RunResult {
    const b = typeof code === 'string' ? hexBytes(code) : code;
    const h = this.x.bareCodeHost();
    this.bytes.fill(0xcc, h, h + L.PAGE_SIZE);
    this.bytes.set(b, h);
    this.x.testCodeWritten(); // the host wrote code: drop decoded instructions
    this.m.rip = CODE_VA;
    return this.resumeTo(b.length, maxSteps);
  }
  /** Continues from the current RIP; the sentinel is after `codeLen` bytes of the code page. */
  resumeTo(codeLen: number, maxSteps = 10_000): RunResult {
    const code = this.x.bareRun(codeLen, maxSteps);
    const r: RunResult = { exit: code === L.EXIT_SENTINEL ? 'sentinel' : code === L.EXIT_EXCEPTION ? 'exception' : code === L.EXIT_BUDGET ? 'budget' : 'other', code };
    if (r.exit === 'exception') {
      r.vector = this.m.u32(L.CPU_FAULT_VEC);
      if (this.m.u32(L.CPU_FAULT_HAS_ERR)) r.error = this.m.u32(L.CPU_FAULT_ERR);
      r.cr2 = this.m.u64(L.CPU_FAULT_CR2);
    }
    return r;
  }
}
