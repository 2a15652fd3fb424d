// The "raw" kind in mode 64: random byte strings of 1..15 bytes (legacy prefixes, REX, the integer
// opcodes of the one-byte and 0F maps, the BMI1 VEX forms) run for one instruction (step 1), to check
// decode length (out.rip), #UD, faults and the 64-bit operand and address sizes. Decoding follows
// Intel SDM vol. 2 ch. 2 (2.2.1 REX: a REX byte counts only right before the opcode; table 2-5
// RIP-relative addressing). Exclusions are those of the mode-32 raw kind (gen-raw.ts) with the
// 64-bit changes listed in excluded64(). Invariant: every address a vector can form lies below
// 1 TiB (register values are kept below 2^39, the window, or the kernel half) or in the kernel half
// or is non-canonical: the oracle's own memory lies between 1 TiB and 2^47.

import { CODE_BASE, RSP_DEFAULT, WIN_BASE, WIN_SIZE } from './builder.ts';
import { Builder64, GPR64 } from './builder64.ts';
import { fmaskFor } from './flags.ts';
import {
  excluded as excluded32, flagOperands, formOf, modrmLen, opcodes0F, prefixCount, pushTail, type Decoded,
} from './gen-raw.ts';
import { Rng, value32 } from './rng.ts';

const LEGACY = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const M64 = (1n << 64n) - 1n;
/** The oracle process maps nothing below this (its worker checks); addresses up to 2^47 + slack are refused. */
export const LOW_LIMIT = 1n << 40n;
const UNSAFE_HI = (1n << 47n) + (1n << 32n);

export interface Decoded64 {
  /** Legacy prefixes in order (REX bytes are not listed). */
  prefixes: number[];
  /** The REX byte right before the opcode, or 0. */
  rex: number;
  opsize: 16 | 32 | 64;
  asize: 32 | 64;
  f2: boolean;
  f3: boolean;
  /** 1 = one-byte map, 2 = 0F map, 3 = VEX (map 0F38 only, see vex). */
  map: 1 | 2 | 3;
  op: number;
  /** VEX fields when map = 3. */
  vex: { map: number; w: number; l: number; pp: number } | null;
  modrm: { mod: number; reg: number; rm: number } | null;
  /** Offset of the ModRM byte, and of the first byte after ModRM/SIB/displacement. */
  modrmAt: number;
  afterModrm: number;
  bytes: number[];
}

function oneByteHasModrm(op: number): boolean {
  return (op < 0x40 && (op & 7) < 4) || op === 0x62 || op === 0x63 || op === 0x69 || op === 0x6b ||
    (op >= 0x80 && op <= 0x8f) || op === 0xc0 || op === 0xc1 || op === 0xc6 || op === 0xc7 ||
    (op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) || op === 0xf6 || op === 0xf7 || op === 0xfe || op === 0xff;
}

function twoByteHasModrm(op: number): boolean {
  if ([0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x38, 0x3a, 0x77,
    0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa].includes(op)) return false;
  if (op >= 0x80 && op <= 0x8f) return false;
  if (op >= 0xc8 && op <= 0xcf) return false;
  return true;
}

export function decode64(bytes: number[]): Decoded64 {
  let i = 0, rex = 0;
  const prefixes: number[] = [];
  while (i < 14) {
    const b = bytes[i];
    if (LEGACY.has(b)) { prefixes.push(b); rex = 0; i++; }   // a REX before a legacy prefix is ignored
    else if ((b & 0xf0) === 0x40) { rex = b; i++; }
    else break;
  }
  const lastRep = [...prefixes].reverse().find((p) => p === 0xf2 || p === 0xf3);
  const opsize = rex & 8 ? 64 : prefixes.includes(0x66) ? 16 : 32;
  const asize = prefixes.includes(0x67) ? 32 : 64;
  let map: 1 | 2 | 3 = 1, op = bytes[i++], vex: Decoded64['vex'] = null, has: boolean;
  if (op === 0xc4) {
    // VEX3: C4 [R X B mmmmm] [W vvvv L pp] opcode ModRM (always VEX in 64-bit mode).
    const b1 = bytes[i], b2 = bytes[i + 1];
    vex = { map: b1 & 0x1f, w: b2 >> 7, l: (b2 >> 2) & 1, pp: b2 & 3 };
    map = 3; op = bytes[i + 2]; i += 3; has = true;
  } else if (op === 0x0f) {
    map = 2; op = bytes[i++]; has = twoByteHasModrm(op);
  } else {
    has = oneByteHasModrm(op);
  }
  let modrm: Decoded64['modrm'] = null;
  const modrmAt = i;
  let after = i;
  if (has) {
    const m = bytes[i];
    modrm = { mod: m >> 6, reg: (m >> 3) & 7, rm: m & 7 };
    after = i + modrmLen(bytes, i, 32);                         // 32- and 64-bit addressing: the same formats
  }
  return { prefixes, rex, opsize, asize, f2: lastRep === 0xf2, f3: lastRep === 0xf3, map, op, vex, modrm, modrmAt, afterModrm: after, bytes };
}

/** The mode-32 decode record of the same instruction (for the shared exclusion rules and form rows). */
function as32(d: Decoded64): Decoded {
  return {
    prefixes: d.prefixes, opsize: d.opsize === 16 ? 16 : 32, asize: 32, f3: d.f3, f2: d.f2,
    map: d.map === 3 ? 2 : d.map, op: d.op, modrm: d.modrm, afterModrm: d.afterModrm, bytes: d.bytes,
  };
}

/** Why the oracle cannot judge this encoding fairly in 64-bit mode, or null if it can. */
export function excluded64(d: Decoded64): string | null {
  const { map, op, modrm } = d;
  const reg = modrm?.reg ?? -1;
  if (map === 3) {
    // Only the BMI1 rows (CPUID.7.0:EBX[3], advertised): ANDN F2, BLSR/BLSMSK/BLSI F3, BEXTR F7, pp 0.
    const v = d.vex!;
    if (v.map === 2 && v.pp === 0 && (op === 0xf2 || op === 0xf3 || op === 0xf7)) return null;
    return 'VEX (AVX, BMI2: not advertised)';
  }
  if (map === 1) {
    if (op === 0x62) return 'EVEX';
    if (op === 0xc5) return 'VEX (AVX: not advertised)';
    if (op === 0xd6) return null;                      // SALC is #UD in 64-bit mode on every CPU
    if (op === 0x17) return null;                      // POP SS is #UD in 64-bit mode
    if (op === 0x8f && reg !== 0) return 'XOP';
    // INT 0x80 from 64-bit code enters Linux's 32-bit syscall path, which zero-extends EAX before the
    // oracle sees the event: the kernel's doing, not the CPU's (mode-32 and forms vectors cover INT 0x80).
    if (op === 0xcd && d.bytes[d.modrmAt] === 0x80) return 'INT 0x80 (Linux rewrites RAX)';
  }

  if (map === 2) {
    if (op === 0x05 || op === 0x07) return null;       // SYSCALL (an event), SYSRET (#GP at CPL 3)
    if (op === 0x38 || op === 0x3a) return '0F 38 / 0F 3A (SSSE3, SSE4, AES, SHA...: not advertised)';
  }
  return excluded32(as32(d));
}

/** Register number (0-15) of the ModRM reg field, rm field, SIB index and base, with REX. */
function regField(d: Decoded64): number { return d.modrm!.reg | ((d.rex & 4) << 1); }

/** The explicit memory operand's first address (null if none), as the CPU forms it; RIP-relative
 *  ones count from the start of the code page (their ±2 GiB reach is always safe). */
export function explicitAddress(d: Decoded64, regs: bigint[]): bigint | null {
  const b = d.bytes;
  if (d.map === 1 && d.op >= 0xa0 && d.op <= 0xa3) {  // MOV AL/rAX, moffs: 8-byte (or 67: 4-byte) address
    const n = d.asize === 64 ? 8 : 4;
    let a = 0n;
    for (let k = n - 1; k >= 0; k--) a = (a << 8n) | BigInt(b[d.modrmAt + k]);
    return a;
  }
  if (!d.modrm || d.modrm.mod === 3) return null;
  const { mod, rm } = d.modrm;
  const at = d.modrmAt;
  const rexB = (d.rex & 1) << 3, rexX = (d.rex & 2) << 2;
  let ea = 0n, p = at + 1;
  const disp = (n: number) => {
    let v = 0n;
    for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[p + k]);
    p += n;
    return BigInt.asIntN(8 * n, v);
  };
  if (rm === 4) {
    const sib = b[p++];
    const scale = BigInt(sib >> 6), idx = ((sib >> 3) & 7) | rexX, base = (sib & 7) | rexB;
    if (idx !== 4) ea += regs[idx] << scale;
    if ((sib & 7) === 5 && mod === 0) ea += disp(4);
    else ea += regs[base];
  } else if (rm === 5 && mod === 0) {
    return BigInt(CODE_BASE) + disp(4);
  } else {
    ea += regs[rm | rexB];
  }
  if (mod === 1) ea += disp(1);
  if (mod === 2) ea += disp(4);
  // BT/BTS/BTR/BTC Ev,Gv: the bit offset in the register selects any operand-sized word (SDM BT).
  if (d.map === 2 && [0xa3, 0xab, 0xb3, 0xbb].includes(d.op)) ea += BigInt.asIntN(d.opsize, regs[regField(d)]) >> 3n;
  ea &= M64;
  return d.asize === 32 ? ea & 0xffffffffn : ea;
}

/** An address the oracle's own mappings could answer (between LOW_LIMIT and just past 2^47). */
export function unsafeAddress(a: bigint): boolean {
  return a >= LOW_LIMIT - 0x10000n && a < UNSAFE_HI;
}

/** A register value that is safe to use as an address by itself, pushes and pops included. */
function safe(v: bigint): bigint {
  v &= M64;
  return v >= 1n << 39n && v < 1n << 48n ? v | (1n << 62n) : v;
}

const EDGE64 = [0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n, 0xffffffffn, 0x80000000n, 0x100000000n,
  0xffffffff80000000n, 0x7fffffffn, 0xffff800000000000n, 0x00007fffffffffffn, 0x8000000000000001n];

function value64(rng: Rng): bigint {
  return rng.weighted<() => bigint>([
    [3, () => rng.pick(EDGE64)],
    [4, () => (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())],
    [3, () => BigInt(value32(rng))],
    [2, () => BigInt.asUintN(64, -BigInt(rng.int(65536)))],
  ])();
}

function windowPointer(rng: Rng): bigint {
  return BigInt(WIN_BASE + (rng.chance(0.8) ? 8 * rng.int(WIN_SIZE / 8) : rng.int(WIN_SIZE)));
}

const LEGACY_WEIGHTS = [[4, 0x66], [3, 0x67], [2, 0xf3], [2, 0xf2], [2, 0xf0], [1, 0x26], [1, 0x2e], [1, 0x36],
  [1, 0x3e], [2, 0x64], [2, 0x65]] as const;

const OPCODES_1: number[] = [];
for (let op = 0; op < 256; op++) {
  if (LEGACY.has(op) || op === 0x0f || (op & 0xf0) === 0x40 || op === 0xc4) continue;
  if (!excluded64(decode64([op, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))) OPCODES_1.push(op);
}
const OPCODES_2 = opcodes0F((b) => Boolean(excluded64(decode64(b))));

/** Random instruction bytes (before the address checks), re-rolled until the oracle can judge them. */
export function rawBytes64(rng: Rng): number[] {
  for (;;) {
    const b: number[] = [];
    const np = prefixCount(rng);
    for (let i = 0; i < np; i++) {
      if (rng.chance(0.08)) b.push(0x40 | rng.int(16));          // a REX that a later prefix cancels
      b.push(rng.weighted(LEGACY_WEIGHTS));
    }
    if (rng.chance(0.5)) {
      if (rng.chance(0.08)) b.push(0x40 | rng.int(16));          // two REX: only the last counts
      b.push(rng.chance(0.4) ? 0x48 | rng.int(8) : 0x40 | rng.int(16));
    }
    const kind = rng.weighted([[58, 1], [27, 2], [3, 3], [12, 0]] as const);
    if (kind === 1) b.push(rng.pick(OPCODES_1));
    else if (kind === 2) b.push(0x0f, rng.pick(OPCODES_2));
    else if (kind === 3) {
      // VEX3 BMI1: R X B from a random nibble, map 2; W vvvv, L mostly 0, pp 0.
      b.push(0xc4, (rng.int(8) << 5) | 2, (rng.int(32) << 3) | (rng.chance(0.85) ? 0 : 4), rng.pick([0xf2, 0xf3, 0xf7]));
    } else b.push(rng.int(256));
    pushTail(rng, b);
    const d = decode64([...b, ...new Array(15).fill(0xcc)]);
    if (excluded64(d)) continue;
    // RIP-relative operands: often aim the displacement at the window or the code page itself.
    if (d.modrm && d.modrm.mod === 0 && d.modrm.rm === 5 && d.modrmAt + 5 <= b.length && rng.chance(0.6)) {
      const disp = rng.chance(0.7) ? WIN_BASE - CODE_BASE + rng.int(WIN_SIZE) - 8 : rng.range(-16, 64);
      for (let k = 0; k < 4; k++) b[d.modrmAt + 1 + k] = (disp >>> (8 * k)) & 0xff;
    }
    return b;
  }
}

function rawRegs(t: Builder64, rng: Rng) {
  for (let r = 0; r < 16; r++) {
    if (r === 4) {
      const v = rng.weighted<() => bigint>([[78, () => BigInt(RSP_DEFAULT)], [12, () => windowPointer(rng)], [10, () => value64(rng)]])();
      t.set(r, safe(v));
      continue;
    }
    const v = rng.weighted<() => bigint | null>([
      [22, () => null],
      [38, () => windowPointer(rng)],
      [6, () => (BigInt(rng.u32()) << 32n) | windowPointer(rng)],   // garbage above a 32-bit pointer
      [12, () => BigInt(rng.int(256))],
      [22, () => value64(rng)],
    ])();
    if (v !== null) t.set(r, safe(v));
  }
}

export function buildRaw64(rng: Rng, id: string): string {
  for (;;) {
    const t = new Builder64(rng);
    rawRegs(t, rng);
    let fl = 0x202;
    for (const bit of [0x1, 0x4, 0x10, 0x40, 0x80, 0x800]) if (rng.chance(0.5)) fl |= bit;
    if (rng.chance(0.15)) fl |= 0x400;                            // DF
    if (rng.chance(0.02)) fl |= 0x40000;                          // AC: misaligned accesses are #AC
    t.rflags = fl;
    if (rng.chance(0.4)) t.poke(Number(t.regs[4]), rng.bytes(16));
    if (rng.chance(0.3)) {                                        // non-zero data where a pointer points
      const r = rng.int(16);
      if (t.regs[r] >= BigInt(WIN_BASE) && t.regs[r] < BigInt(WIN_BASE + WIN_SIZE)) t.poke(Number(t.regs[r]), rng.bytes(16));
    }
    const code = rawBytes64(rng);
    const d = decode64([...code, ...new Array(15).fill(0xcc)]);
    const ea = explicitAddress(d, t.regs);
    if (ea !== null && unsafeAddress(ea)) continue;
    t.code = code;
    t.step = 1;
    if (d.map === 3) {
      t.fmask = fmaskFor(d.op === 0xf7 ? 'bextr' : 'bmi', { size: d.opsize });   // BMI1 (flags.ts)
    }
    const form = d.map === 3 ? undefined : formOf(as32(d));
    if (form) {
      const fo = flagOperands(form, d, Number(t.regs[1] & 0xffn));
      if (!fo) continue;                                         // undefined result in memory: re-roll
      if (fo.undefinedRm && d.modrm) t.undef.push(GPR64[d.modrm.rm | ((d.rex & 1) << 3)]);
      t.fmask = fmaskFor(form.flags, { size: fo.bits, count: fo.count });
      if (form.mnemonic === 'bswap' && d.opsize === 16) t.undef.push(GPR64[((d.op - 0xc8) & 7) | ((d.rex & 1) << 3)]);
    }
    return t.toJSON(id);
  }
}
