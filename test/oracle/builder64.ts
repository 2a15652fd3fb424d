// Builds one input test vector for mode 64 (CS 0x33): 64-bit general registers, XMM registers and
// MXCSR, the window contents, the code bytes, and ModRM/SIB/REX memory operands (Intel SDM vol. 2,
// 2.2.1 "REX prefixes", table 2-5 for RIP-relative addressing) with the address registers solved
// so the access lands where the test wants it. RIP-relative displacements are fixed up once the
// whole instruction, immediates included, is known.
// Invariants: every address a vector can touch is below 4 GiB or non-canonical (the oracle's own
// memory lies above 4 GiB); registers used to form an address are locked; memory runs only cover
// the window.

import { CODE_BASE, WIN_BASE, WIN_SIZE, RSP_DEFAULT, memRuns } from './builder.ts';
import { Rng } from './rng.ts';

export const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const M64 = (1n << 64n) - 1n;
const hex = (v: bigint) => '0x' + v.toString(16);

export type Target64 = 'window' | 'misaligned' | 'fault' | 'noncanonical';

export interface MemOperand64 {
  /** ModRM, SIB and displacement bytes (a RIP-relative disp32 is patched by finish()). */
  bytes: number[];
  /** REX.X and REX.B bits the operand needs (REX.R comes from the reg field). */
  rexXB: number;
  /** 0x67 when the operand uses 32-bit addressing. */
  prefix67: boolean;
  linear: bigint;
  size: number;
  inWindow: boolean;
  /** Offset of a RIP-relative disp32 inside `bytes`, or -1. */
  ripDisp: number;
}

export class Builder64 {
  readonly regs = new Array<bigint>(16).fill(0n);
  readonly shown = new Array<boolean>(16).fill(false);
  readonly locked = new Array<boolean>(16).fill(false);
  readonly xmm = new Map<number, bigint>();
  mxcsr = 0x1f80;
  rflags = 0x202;
  readonly mem = new Map<number, number>();
  code: number[] = [];
  fmask = 0xffffffff;
  undef: string[] = [];
  step = 0;
  /** Absolute position in `code` of a RIP-relative disp32 and the address it must reach. */
  private ripFix: { at: number; end: number; target: bigint }[] = [];

  constructor(readonly rng: Rng) {
    this.regs[4] = BigInt(RSP_DEFAULT);
  }

  set(r: number, v: bigint): boolean {
    if (this.locked[r]) return false;
    this.regs[r] = v & M64;
    this.shown[r] = true;
    return true;
  }
  lock(r: number) { this.locked[r] = true; }

  poke(addr: number, bytes: number[]) {
    bytes.forEach((b, i) => {
      const a = addr + i;
      if (a >= WIN_BASE && a < WIN_BASE + WIN_SIZE) this.mem.set(a, b & 0xff);
    });
  }
  pokeBig(addr: number, v: bigint, size: number) {
    const b: number[] = [];
    for (let i = 0; i < size; i++) b.push(Number((v >> BigInt(8 * i)) & 0xffn));
    this.poke(addr, b);
  }

  /** A linear address for `size` bytes: `align` is the alignment a well-formed access keeps. */
  chooseLinear(size: number, target: Target64, align: number): bigint {
    const rng = this.rng;
    if (target === 'window' || target === 'misaligned') {
      const room = WIN_SIZE - size;
      let off = rng.int(room + 1);
      off -= off % align;
      if (target === 'misaligned') off = Math.min(room, off + rng.range(1, Math.max(1, align - 1)));
      return BigInt(WIN_BASE + off);
    }
    if (target === 'noncanonical') return rng.pick([0x0000800000000000n, 0x7fff00000000000n, 0x8000000000000000n]) + BigInt(rng.int(0x1000));
    return BigInt(rng.weighted<() => number>([
      [3, () => WIN_BASE + WIN_SIZE - rng.range(1, size - 1 || 1)],   // straddling the end of the window
      [2, () => WIN_BASE - rng.range(1, size)],                       // straddling the start
      [2, () => 0x30000000 + rng.int(0x1000)],
      [1, () => rng.int(0x1000)],
    ])());
  }

  /**
   * A memory operand with ModRM reg field `reg` (0-15; its REX.R is the caller's) for `size` bytes
   * at an address of the chosen target; `align` is the natural alignment for the window cases.
   * `at` gives the address instead (it must be canonical unless `target` is 'noncanonical').
   */
  memOperand(reg: number, size: number, target: Target64, align: number, at?: bigint): MemOperand64 {
    const rng = this.rng;
    const linear = at ?? this.chooseLinear(size, target, align);
    const inWindow = linear >= BigInt(WIN_BASE) && linear + BigInt(size) <= BigInt(WIN_BASE + WIN_SIZE);
    const r3 = (reg & 7) << 3;
    const canonical = target !== 'noncanonical';
    const kind = rng.weighted<string>([[canonical ? 3 : 0, 'rip'], [4, 'base'], [3, 'sib'], [1, 'nobase'], [canonical ? 1 : 0, 'a32']]);
    const free = (r: number) => !this.locked[r];
    const pickReg = (avoid: number[] = []) => {
      const cands = [...Array(16).keys()].filter((r) => free(r) && !avoid.includes(r));
      return cands.length ? rng.pick(cands) : -1;
    };
    if (kind === 'rip') {
      return { bytes: [0x05 | r3, 0, 0, 0, 0], rexXB: 0, prefix67: false, linear, size, inWindow, ripDisp: 1 };
    }
    if (kind === 'nobase') {
      // [index*scale + disp32] (SIB base 101, mod 00); index rsp = none, so use another register.
      const idx = pickReg([4]);
      if (idx < 0) return this.memOperand(reg, size, target, align, at);
      const scale = rng.int(4);
      const disp = BigInt(rng.int(0x100)) - 0x80n;
      let iv = (linear - disp) / (1n << BigInt(scale));
      const rem = (linear - disp) - iv * (1n << BigInt(scale));
      const d = disp + rem;
      this.set(idx, iv); this.lock(idx);
      return {
        bytes: [0x04 | r3, (scale << 6) | ((idx & 7) << 3) | 5, ...le(d, 4)], rexXB: (idx >> 3) << 1,
        prefix67: false, linear, size, inWindow, ripDisp: -1,
      };
    }
    const a32 = kind === 'a32';
    const base = pickReg();
    if (base < 0) return { bytes: [0x05 | r3, 0, 0, 0, 0], rexXB: 0, prefix67: false, linear, size, inWindow, ripDisp: 1 };
    const mod = rng.weighted([[3, 0], [4, 1], [3, 2]] as const);
    let disp = mod === 1 ? BigInt(rng.range(-128, 127)) : mod === 2 ? BigInt(rng.range(-4096, 4096)) : 0n;
    let useSib = kind === 'sib' || (base & 7) === 4;
    let effMod: number = mod;
    if (mod === 0 && (base & 7) === 5) { effMod = 1; disp = 0n; }   // [rbp]/[r13] need a displacement
    let idx = -1, scale = 0;
    if (kind === 'sib') {
      idx = pickReg([base]);
      if (idx === 4) idx = -1;                                     // index 100 without REX.X = none
      scale = rng.int(4);
    }
    let rest = disp;
    if (idx >= 0) {
      const iv = BigInt(rng.weighted<() => number>([[4, () => rng.int(64)], [2, () => -rng.int(64)], [1, () => rng.int(0x1000)]])());
      this.set(idx, a32 ? iv & 0xffffffffn : iv);
      this.lock(idx);
      rest += this.regs[idx] * (1n << BigInt(scale));
    }
    let bv = linear - rest;
    if (a32) bv &= 0xffffffffn;
    // In 32-bit addressing the upper half of the base is ignored: make it non-zero sometimes.
    if (a32 && rng.chance(0.3)) bv |= BigInt(rng.u32()) << 32n;
    this.set(base, bv);
    this.lock(base);
    const dispBytes = effMod === 1 ? le(disp, 1) : effMod === 2 ? le(disp, 4) : [];
    let bytes: number[];
    let rexXB = (base >> 3) & 1;
    if (useSib) {
      const ix = idx >= 0 ? idx : 4;
      if (idx >= 8) rexXB |= 2;
      bytes = [(effMod << 6) | r3 | 4, (scale << 6) | ((ix & 7) << 3) | (base & 7), ...dispBytes];
    } else {
      bytes = [(effMod << 6) | r3 | (base & 7), ...dispBytes];
    }
    return { bytes, rexXB, prefix67: a32, linear, size, inWindow, ripDisp: -1 };
  }

  /** Records that code bytes [at, at+4) hold a disp32 relative to `end` (the next instruction). */
  ripRelative(at: number, end: number, target: bigint) { this.ripFix.push({ at, end, target }); }

  /** Patches RIP-relative displacements once `code` is final. */
  finish() {
    for (const f of this.ripFix) {
      const d = f.target - (BigInt(CODE_BASE) + BigInt(f.end));
      le(d, 4).forEach((b, i) => { this.code[f.at + i] = b; });
    }
  }

  toJSON(id: string, op?: string): string {
    this.fmask = (this.fmask & ~0x10000 & ~(this.step ? 0x100 : 0)) >>> 0;
    const init: Record<string, unknown> = {};
    for (let r = 0; r < 16; r++) {
      if (r === 4 ? this.regs[r] !== BigInt(RSP_DEFAULT) : this.shown[r] && this.regs[r] !== 0n) init[GPR64[r]] = hex(this.regs[r]);
    }
    init.rflags = '0x' + this.rflags.toString(16);
    for (const [i, v] of [...this.xmm.entries()].sort((a, b) => a[0] - b[0])) if (v !== 0n) init[`xmm${i}`] = hex(v);
    if (this.mxcsr !== 0x1f80) init.mxcsr = '0x' + this.mxcsr.toString(16);
    if (this.mem.size) init.mem = memRuns(this.mem);
    const v: Record<string, unknown> = {
      id, mode: 64, code: this.code.map((b) => (b & 0xff).toString(16).padStart(2, '0')).join(''),
      init, fmask: '0x' + this.fmask.toString(16), step: this.step,
    };
    if (this.undef.length) v.x_undef = this.undef;
    if (op) v.x_op = op;
    return JSON.stringify(v);
  }
}

/** Little-endian bytes of v (two's complement) in n bytes. */
export function le(v: bigint, n: number): number[] {
  const b: number[] = [];
  const u = BigInt.asUintN(8 * n, v);
  for (let i = 0; i < n; i++) b.push(Number((u >> BigInt(8 * i)) & 0xffn));
  return b;
}
