// Builds one input test vector for mode 32: initial registers and memory, the code bytes, and the
// ModRM/SIB memory operands (32- and 16-bit addressing, Intel SDM vol. 2 tables 2-1 to 2-3) with
// the registers solved so that the effective address lands where the test wants it: in the data
// window (most of the time), in the code page, or on an unmapped page (to fault).
// Invariants: registers used to form an address are "locked" so later shaping cannot move the
// access; memory runs only cover the window; the emitted JSON follows docs/test-vectors.md.

import { fmaskFor, type FlagRule } from './flags.ts';
import { Rng, value32 } from './rng.ts';

export const CODE_BASE = 0x10000000;
export const CODE_SIZE = 0x1000;
export const WIN_BASE = 0x20000000;
export const WIN_SIZE = 0x2000;
export const RSP_DEFAULT = 0x20001000;
export const GS_BASE = WIN_BASE;
export const GS_LIMIT = 0xffff;

export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const REG_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'];
export const SEG_PREFIX = { es: 0x26, cs: 0x2e, ss: 0x36, ds: 0x3e, fs: 0x64, gs: 0x65 } as const;
export type Seg = keyof typeof SEG_PREFIX;
export const RF_CF = 0x1, RF_PF = 0x4, RF_AF = 0x10, RF_ZF = 0x40, RF_SF = 0x80, RF_DF = 0x400, RF_OF = 0x800;
export const RF_AC = 0x40000, RF_TF = 0x100, RF_RF = 0x10000;

const u32 = (x: number) => x >>> 0;
const hex = (x: number) => '0x' + u32(x).toString(16);

/** Where a memory operand should point. */
export type Target = 'window' | 'code' | 'fault';

export interface MemOperand {
  /** ModRM, SIB and displacement bytes. */
  bytes: number[];
  /** Linear address the access starts at (32-bit). */
  linear: number;
  size: number;
  seg: Seg;
  /** The whole operand lies in the window. */
  inWindow: boolean;
  /** Registers the address is formed from. */
  regs: number[];
}

/** The `init.mem` object of a vector (docs/test-vectors.md): the bytes set in the window as runs of
 *  consecutive addresses, "0x<start>": "<hex bytes>", in address order. */
export function memRuns(bytes: Map<number, number>): Record<string, string> {
  const addrs = [...bytes.keys()].sort((a, b) => a - b);
  const mem: Record<string, string> = {};
  let start = addrs[0], run: number[] = [], prev = start - 1;
  const flush = () => { if (run.length) mem[hex(start)] = run.map((b) => b.toString(16).padStart(2, '0')).join(''); };
  for (const a of addrs) {
    if (a !== prev + 1) { flush(); start = a; run = []; }
    run.push(bytes.get(a)!);
    prev = a;
  }
  flush();
  return mem;
}

export class TestBuilder {
  readonly regs = new Array<number>(8).fill(0);
  /** Registers written to init (others are absent, i.e. 0, or rsp's default). */
  readonly shown = new Array<boolean>(8).fill(false);
  readonly locked = new Array<boolean>(8).fill(false);
  rflags = 0x202;
  readonly mem = new Map<number, number>();  // linear address -> byte (window only)
  readonly prefixes: number[] = [];
  code: number[] = [];
  fmask = 0xffffffff;
  undef: string[] = [];
  step = 0;
  tags: string[] = [];

  constructor(readonly rng: Rng) {
    this.regs[ESP] = RSP_DEFAULT;
  }

  /** Sets a register unless an address depends on it; returns whether it was set. */
  set(r: number, v: number): boolean {
    if (this.locked[r]) return false;
    this.regs[r] = u32(v);
    this.shown[r] = true;
    return true;
  }
  lock(r: number) { this.locked[r] = true; }

  /** Low byte / high byte register (AL..BH encoding 0-7) read and write. */
  set8(enc: number, v: number): boolean {
    const r = enc & 3, hi = enc >= 4;
    const cur = this.regs[r];
    const nv = hi ? (cur & ~0xff00) | ((v & 0xff) << 8) : (cur & ~0xff) | (v & 0xff);
    return this.set(r, nv);
  }
  get8(enc: number): number { const r = this.regs[enc & 3]; return enc >= 4 ? (r >>> 8) & 0xff : r & 0xff; }

  /** Random values for the general registers (ESP stays at its default unless asked). */
  randomizeRegs(p: number) {
    for (let r = 0; r < 8; r++) if (r !== ESP && this.rng.chance(p)) this.set(r, value32(this.rng));
  }

  randomFlags(pDF = 0.05) {
    const rng = this.rng;
    let f = 0x202;
    for (const b of [RF_CF, RF_PF, RF_AF, RF_ZF, RF_SF, RF_OF]) if (rng.chance(0.5)) f |= b;
    if (rng.chance(pDF)) f |= RF_DF;
    this.rflags = f;
  }

  /** Writes bytes at a linear address (only the part inside the window is kept). */
  poke(addr: number, bytes: number[]) {
    bytes.forEach((b, i) => {
      const a = u32(addr + i);
      if (a >= WIN_BASE && a < WIN_BASE + WIN_SIZE) this.mem.set(a, b & 0xff);
    });
  }
  pokeN(addr: number, value: number, size: number) {
    const b: number[] = [];
    for (let i = 0; i < size; i++) b.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
    this.poke(addr, b);
  }
  peek(addr: number): number { return this.mem.get(u32(addr)) ?? 0; }
  peekN(addr: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.peek(addr + i);
    return v;
  }

  /** A linear address for an operand of `size` bytes. */
  chooseLinear(size: number, target: Target): number {
    const rng = this.rng;
    if (target === 'window') {
      const off = rng.int(WIN_SIZE - size + 1);
      return WIN_BASE + (rng.chance(0.6) ? off - (off % Math.min(size, 8)) : off);   // often aligned
    }
    if (target === 'code') return CODE_BASE + 0x800 + rng.int(0x700);
    return rng.weighted<() => number>([
      [3, () => WIN_BASE - size + rng.range(0, size - 1)],                 // below / straddling the start
      [3, () => WIN_BASE + WIN_SIZE - rng.range(size > 1 ? 1 : 0, size - 1)], // straddling the end
      [2, () => rng.u32()],
      [1, () => rng.int(0x1000)],                                          // null page
      [1, () => u32(0x100000000 - rng.range(1, 8))],                       // top of the 4 GiB
      [1, () => CODE_BASE + CODE_SIZE + rng.int(16)],                      // just past the code page
    ])();
  }

  pickTarget(pWindow = 0.85, pCode = 0.03): Target {
    const x = this.rng.u32() / 0x100000000;
    return x < pWindow ? 'window' : x < pWindow + pCode ? 'code' : 'fault';
  }

  /**
   * A memory operand: encodes ModRM (with `regField`) plus SIB/displacement for the given
   * address size, and solves the address registers so the access starts at a linear address of
   * the chosen target. `seg` null = default segment, possibly with an override chosen here.
   */
  memOperand(regField: number, size: number, asize: 16 | 32, opts: { target?: Target; seg?: Seg | null } = {}): MemOperand {
    const rng = this.rng;
    let seg: Seg | null = opts.seg === undefined ? null : opts.seg;
    if (opts.seg === undefined) {
      if (asize === 16) seg = rng.chance(0.85) ? 'gs' : rng.pick<Seg>(['ds', 'ss', 'es']);
      else if (rng.chance(0.15)) seg = rng.weighted<Seg>([[4, 'gs'], [1, 'es'], [1, 'cs'], [1, 'ss'], [1, 'ds'], [2, 'fs']]);
    }
    let target = opts.target ?? this.pickTarget();
    if (asize === 16 && seg !== 'gs' && target !== 'fault') target = 'fault';   // flat low 64 KiB: unmapped
    const base = seg === 'gs' ? GS_BASE : 0;
    let linear: number;
    if (seg === 'gs') {
      // GS: offset within the 64 KiB segment; past 0x2000 is unmapped, past the limit is #GP(0).
      if (target === 'window') linear = this.chooseLinear(size, 'window');
      else if (target === 'code') { linear = this.chooseLinear(size, 'window'); target = 'window'; }
      else linear = GS_BASE + rng.weighted<() => number>([
        [4, () => WIN_SIZE + rng.int(GS_LIMIT - WIN_SIZE)],
        [2, () => GS_LIMIT + 1 - rng.range(1, size)],
        [asize === 32 ? 2 : 0, () => GS_LIMIT + 1 + rng.int(0x10000)],
        [asize === 32 ? 1 : 0, () => rng.u32() - GS_BASE],
      ])();
    } else if (asize === 16) {
      linear = rng.int(0x10000);
    } else {
      linear = this.chooseLinear(size, target);
    }
    const ea = u32(linear - base);
    const enc = asize === 32 ? this.solve32(regField, ea) : this.solve16(regField, ea & 0xffff);
    const actual = u32(base + enc.ea);
    const inWindow = actual >= WIN_BASE && actual + size <= WIN_BASE + WIN_SIZE &&
      (seg !== 'gs' || enc.ea + size - 1 <= GS_LIMIT);
    if (seg !== null) this.prefixes.push(SEG_PREFIX[seg]);
    return { bytes: enc.bytes, linear: actual, size, seg: seg ?? (enc.ssDefault ? 'ss' : 'ds'), inWindow, regs: enc.regs };
  }

  private disp(n: number, size: number): number[] {
    const b: number[] = [];
    for (let i = 0; i < size; i++) b.push((n >>> (8 * i)) & 0xff);
    return b;
  }

  /** 32-bit addressing: picks mod/rm/SIB, then solves one register (or the displacement). */
  private solve32(regField: number, ea: number): { bytes: number[]; ea: number; regs: number[]; ssDefault: boolean } {
    const rng = this.rng;
    const mod = rng.weighted([[3, 0], [4, 1], [3, 2]] as const);
    const useSib = rng.chance(0.4);
    let rm = useSib ? 4 : rng.pick([0, 1, 2, 3, 5, 6, 7]);
    let base = -1, index = -1, scale = 0;
    let sib: number | null = null;
    if (useSib) {
      scale = rng.int(4);
      index = rng.int(8);                      // 4 = no index
      base = rng.int(8);
      sib = (scale << 6) | (index << 3) | base;
      if (index === 4) index = -1;
      if (base === 5 && mod === 0) base = -1;  // disp32, no base
    } else {
      base = rm === 5 && mod === 0 ? -1 : rm;
      if (mod === 0 && rng.chance(0.15)) { rm = 5; base = -1; }   // [disp32]
    }
    const dispSize = mod === 1 ? 1 : mod === 2 || base === -1 ? 4 : 0;
    // Registers that must keep their value (already locked) are used as they are.
    let disp = dispSize === 1 ? rng.range(-128, 127) : dispSize === 4 ? (rng.chance(0.5) ? rng.range(-4096, 4096) : rng.u32() | 0) : 0;
    const regs: number[] = [];
    const coef = new Map<number, number>();
    if (base >= 0) coef.set(base, (coef.get(base) ?? 0) + 1);
    if (index >= 0) coef.set(index, (coef.get(index) ?? 0) + (1 << scale));
    for (const r of coef.keys()) regs.push(r);
    // Value for registers other than the one we solve for.
    const solveFor = [...coef.entries()].find(([r, c]) => c === 1 && !this.locked[r])?.[0] ?? -1;
    for (const [r, c] of coef) {
      if (r === solveFor || this.locked[r]) continue;
      const v = rng.weighted<() => number>([[4, () => rng.int(64)], [2, () => -rng.int(64)], [2, () => value32(rng)],
        [2, () => (WIN_BASE + rng.int(WIN_SIZE)) / c]])();
      this.set(r, Math.floor(v));
    }
    let sum = 0;
    for (const [r, c] of coef) if (r !== solveFor) sum = u32(sum + Math.imul(this.regs[r], c));
    if (solveFor >= 0) {
      this.set(solveFor, u32(ea - sum - disp));
    } else if (dispSize === 4) {
      disp = u32(ea - sum) | 0;
    } else if (coef.size === 1) {
      // base == index (coefficient 2, 3, 5 or 9) with no disp32: get as close as possible.
      const [r, c] = [...coef.entries()][0];
      if (!this.locked[r]) this.set(r, Math.floor(u32(ea - disp) / c));
    }
    regs.forEach((r) => this.lock(r));
    let actual = u32(disp);
    for (const [r, c] of coef) actual = u32(actual + Math.imul(this.regs[r], c));
    const modrm = (mod << 6) | (regField << 3) | rm;
    const bytes = [modrm, ...(sib !== null ? [sib] : []), ...this.disp(disp, dispSize)];
    const ssDefault = base === ESP || base === EBP;
    return { bytes, ea: actual, regs, ssDefault };
  }

  /** 16-bit addressing: [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp]/[disp16] [bx]. */
  private solve16(regField: number, ea: number): { bytes: number[]; ea: number; regs: number[]; ssDefault: boolean } {
    const rng = this.rng;
    const RM16: number[][] = [[EBX, ESI], [EBX, EDI], [EBP, ESI], [EBP, EDI], [ESI], [EDI], [EBP], [EBX]];
    const mod = rng.weighted([[3, 0], [4, 1], [3, 2]] as const);
    const rm = rng.int(8);
    const regs = mod === 0 && rm === 6 ? [] : RM16[rm];
    const dispSize = mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 6) ? 2 : 0;
    let disp = dispSize === 1 ? rng.range(-128, 127) : dispSize === 2 ? rng.int(0x10000) : 0;
    const free = regs.filter((r) => !this.locked[r]);
    const solveFor = free.length ? free[free.length - 1] : -1;
    for (const r of regs) {
      if (r === solveFor || this.locked[r]) continue;
      this.set(r, (value32(rng) & 0xffff0000) | rng.int(0x2000));
    }
    let sum = 0;
    for (const r of regs) if (r !== solveFor) sum += this.regs[r];
    if (solveFor >= 0) {
      const low = (ea - sum - disp) & 0xffff;
      this.set(solveFor, ((rng.chance(0.5) ? value32(rng) : 0) & 0xffff0000) | low);
    } else if (dispSize === 2) {
      disp = (ea - sum) & 0xffff;
    }
    regs.forEach((r) => this.lock(r));
    let actual = disp;
    for (const r of regs) actual += this.regs[r];
    actual &= 0xffff;
    const modrm = (mod << 6) | (regField << 3) | rm;
    const bytes = [modrm, ...this.disp(disp, dispSize)];
    return { bytes, ea: actual, regs, ssDefault: regs.includes(EBP) };
  }

  /** Random operand bytes at a memory operand (when it lies in the window). */
  fillOperand(m: MemOperand, bytes?: number[]) {
    this.poke(m.linear, bytes ?? this.rng.bytes(m.size));
  }

  setFmask(rule: FlagRule, size: number, count?: number) {
    this.fmask = fmaskFor(rule, { size, count });
  }

  /** The input vector as a JSON line. RF is never comparable (the oracle's kernel owns it) and
   *  neither is TF when the oracle single-steps with it, so fmask leaves them out. */
  toJSON(id: string, op?: string): string {
    this.fmask = (this.fmask & ~RF_RF & ~(this.step ? RF_TF : 0)) >>> 0;
    const init: Record<string, unknown> = {};
    for (let r = 0; r < 8; r++) {
      if (r === ESP ? this.regs[r] !== RSP_DEFAULT : this.shown[r] && this.regs[r] !== 0) init[REG_NAMES[r]] = hex(this.regs[r]);
    }
    init.rflags = hex(this.rflags);
    if (this.mem.size) init.mem = memRuns(this.mem);
    const v: Record<string, unknown> = {
      id, mode: 32, code: this.code.map((b) => (b & 0xff).toString(16).padStart(2, '0')).join(''),
      init, fmask: hex(this.fmask), step: this.step,
    };
    if (this.undef.length) v.x_undef = this.undef;
    if (op) v.x_op = op;
    return JSON.stringify(v);
  }
}
