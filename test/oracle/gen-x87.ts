// x87 vectors for mode 64 as short code sequences, since the oracle starts every test from the
// FNINIT state: load 0..8 extended values from a table in the window (fld tbyte [rsi+16k]), load
// a control word (fldcw [rbx]: precision, rounding, exception masks), run the instruction under
// test (register or memory forms; memory operands as in gen-sse.ts), sometimes a waiting
// instruction to collect a pending #MF, and end with fnsave [rbp]: the 108-byte image exposes
// the control, status and tag words, FIP/FOP/FDP and all eight registers in memw.
// The transcendental instructions (F2XM1 FYL2X FPTAN FPATAN FSIN FCOS FSINCOS FYL2XP1) are not
// generated: their last bits are the vendor's, not architectural.
// Invariant: every address stays below 4 GiB or is non-canonical (builder64.ts).

import { Builder64, type Target64 } from './builder64.ts';
import { f32, f64, intN } from './gen-sse.ts';
import { Rng } from './rng.ts';

const WIN = 0x20000000;
const TABLE = WIN + 0x100;    // rsi: the values loaded onto the stack
const CWORD = WIN + 0x80;     // rbx: the control word
const SAVE = WIN + 0x800;     // rbp: the fnsave image
const RBX = 3, RBP = 5, RSI = 6;

type Vals = 'any' | 'int' | 'scale' | 'prem' | 'small';
type MemKind = 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'cw' | 'env' | 'save' | 'none';

export interface X87Form {
  name: string;
  weight: number;
  /** Escape byte and, for register forms, the second byte base (+i added when `sti`). */
  esc: number;
  /** ModRM digit for memory forms (-1 for register forms). */
  digit: number;
  /** Register forms: the ModRM byte (low 3 bits replaced by i when sti). */
  modrm: number;
  sti: boolean;
  mem: MemKind;
  /** Memory operand size in bytes. */
  size: number;
  /** Values pushed before the instruction: [min, max]. */
  depth: [number, number];
  vals: Vals;
  /** Extra bytes before the instruction (e.g. a 66 prefix for the 16-bit environment). */
  pre?: number[];
  /** Instead of an escape: other bytes (MMX instructions, which share the x87 registers). */
  raw?: (rng: Rng) => number[];
}

function R(name: string, esc: number, modrm: number, sti: boolean, depth: [number, number], vals: Vals = 'any', weight = 1): X87Form {
  return { name, weight, esc, digit: -1, modrm, sti, mem: 'none', size: 0, depth, vals };
}
function M(name: string, esc: number, digit: number, mem: MemKind, size: number, depth: [number, number], vals: Vals = 'any', weight = 1, pre?: number[]): X87Form {
  return { name, weight, esc, digit, modrm: 0, sti: false, mem, size, depth, vals, pre };
}

const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const ARITH_DC = ['fadd', 'fmul', 'fcom2', 'fcomp3', 'fsubr', 'fsub', 'fdivr', 'fdiv'];
const ARITH_DE = ['faddp', 'fmulp', 'fcomp5', '', 'fsubrp', 'fsubp', 'fdivrp', 'fdivp'];

export const X87_FORMS: X87Form[] = [
  // arithmetic and compares, memory operands
  ...ARITH.map((m, d) => M(`${m} m32fp`, 0xd8, d, 'f32', 4, [0, 3], 'any', 2)),
  ...ARITH.map((m, d) => M(`${m} m64fp`, 0xdc, d, 'f64', 8, [0, 3], 'any', 2)),
  ...ARITH.map((m, d) => M(`fi${m.slice(1)} m32int`, 0xda, d, 'i32', 4, [0, 3])),
  ...ARITH.map((m, d) => M(`fi${m.slice(1)} m16int`, 0xde, d, 'i16', 2, [0, 3])),
  // arithmetic and compares, register operands
  ...ARITH.map((m, d) => R(`${m} st0,sti`, 0xd8, 0xc0 | (d << 3), true, [0, 4], 'any', 3)),
  ...ARITH_DC.map((m, d) => R(`${m} sti,st0`, 0xdc, 0xc0 | (d << 3), true, [0, 4], 'any', d === 2 || d === 3 ? 1 : 3)),
  ...ARITH_DE.flatMap((m, d) => (m ? [R(`${m} sti,st0`, 0xde, 0xc0 | (d << 3), true, [0, 4], 'any', d === 2 ? 1 : 3)] : [])),
  R('fcompp', 0xde, 0xd9, false, [0, 3], 'any', 2), R('fucompp', 0xda, 0xe9, false, [0, 3], 'any', 2),
  R('fucom sti', 0xdd, 0xe0, true, [0, 3], 'any', 2), R('fucomp sti', 0xdd, 0xe8, true, [0, 3], 'any', 2),
  R('fucomi sti', 0xdb, 0xe8, true, [0, 3], 'any', 2), R('fcomi sti', 0xdb, 0xf0, true, [0, 3], 'any', 2),
  R('fucomip sti', 0xdf, 0xe8, true, [0, 3], 'any', 2), R('fcomip sti', 0xdf, 0xf0, true, [0, 3], 'any', 2),
  // loads
  M('fld m32fp', 0xd9, 0, 'f32', 4, [0, 8], 'any', 3), M('fld m64fp', 0xdd, 0, 'f64', 8, [0, 8], 'any', 3),
  M('fld m80fp', 0xdb, 5, 'f80', 10, [0, 8], 'any', 2), M('fild m16int', 0xdf, 0, 'i16', 2, [0, 8]),
  M('fild m32int', 0xdb, 0, 'i32', 4, [0, 8]), M('fild m64int', 0xdf, 5, 'i64', 8, [0, 8]),
  M('fbld m80bcd', 0xdf, 4, 'bcd', 10, [0, 8]),
  // stores
  M('fst m32fp', 0xd9, 2, 'none', 4, [0, 2], 'any', 3), M('fstp m32fp', 0xd9, 3, 'none', 4, [0, 2], 'any', 2),
  M('fst m64fp', 0xdd, 2, 'none', 8, [0, 2], 'any', 3), M('fstp m64fp', 0xdd, 3, 'none', 8, [0, 2], 'any', 2),
  M('fstp m80fp', 0xdb, 7, 'none', 10, [0, 2]),
  M('fist m16int', 0xdf, 2, 'none', 2, [0, 2], 'int', 2), M('fistp m16int', 0xdf, 3, 'none', 2, [0, 2], 'int'),
  M('fist m32int', 0xdb, 2, 'none', 4, [0, 2], 'int', 2), M('fistp m32int', 0xdb, 3, 'none', 4, [0, 2], 'int'),
  M('fistp m64int', 0xdf, 7, 'none', 8, [0, 2], 'int', 2),
  M('fisttp m16int', 0xdf, 1, 'none', 2, [0, 2], 'int'), M('fisttp m32int', 0xdb, 1, 'none', 4, [0, 2], 'int'),
  M('fisttp m64int', 0xdd, 1, 'none', 8, [0, 2], 'int'), M('fbstp m80bcd', 0xdf, 6, 'none', 10, [0, 2], 'int', 2),
  // stack and register operations
  R('fld sti', 0xd9, 0xc0, true, [0, 8], 'any', 2), R('fxch sti', 0xd9, 0xc8, true, [0, 4], 'any', 2),
  R('fst sti', 0xdd, 0xd0, true, [0, 4]), R('fstp sti', 0xdd, 0xd8, true, [0, 4], 'any', 2),
  R('ffree sti', 0xdd, 0xc0, true, [0, 4]), R('ffreep sti', 0xdf, 0xc0, true, [0, 4]),
  R('fstp1 sti', 0xd9, 0xd8, true, [0, 3]), R('fxch4 sti', 0xdd, 0xc8, true, [0, 3]), R('fxch7 sti', 0xdf, 0xc8, true, [0, 3]),
  R('fstp8 sti', 0xdf, 0xd0, true, [0, 3]), R('fstp9 sti', 0xdf, 0xd8, true, [0, 3]),
  R('fchs', 0xd9, 0xe0, false, [0, 2]), R('fabs', 0xd9, 0xe1, false, [0, 2]), R('ftst', 0xd9, 0xe4, false, [0, 2], 'any', 2),
  R('fxam', 0xd9, 0xe5, false, [0, 2], 'any', 3),
  R('fld1', 0xd9, 0xe8, false, [0, 8]), R('fldl2t', 0xd9, 0xe9, false, [0, 8]), R('fldl2e', 0xd9, 0xea, false, [0, 8]),
  R('fldpi', 0xd9, 0xeb, false, [0, 8]), R('fldlg2', 0xd9, 0xec, false, [0, 8]), R('fldln2', 0xd9, 0xed, false, [0, 8]),
  R('fldz', 0xd9, 0xee, false, [0, 8]),
  R('fsqrt', 0xd9, 0xfa, false, [0, 2], 'any', 4), R('frndint', 0xd9, 0xfc, false, [0, 2], 'int', 3),
  R('fscale', 0xd9, 0xfd, false, [0, 3], 'scale', 3), R('fxtract', 0xd9, 0xf4, false, [0, 8], 'any', 2),
  R('fprem', 0xd9, 0xf8, false, [0, 3], 'prem', 4), R('fprem1', 0xd9, 0xf5, false, [0, 3], 'prem', 4),
  R('fdecstp', 0xd9, 0xf6, false, [0, 3]), R('fincstp', 0xd9, 0xf7, false, [0, 3]), R('fnop', 0xd9, 0xd0, false, [0, 2]),
  ...['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'].map((m, d) => R(`${m} st0,sti`, 0xda, 0xc0 | (d << 3), true, [0, 3])),
  ...['fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'].map((m, d) => R(`${m} st0,sti`, 0xdb, 0xc0 | (d << 3), true, [0, 3])),
  // control
  R('fnstsw ax', 0xdf, 0xe0, false, [0, 3], 'any', 2), M('fnstsw m2byte', 0xdd, 7, 'none', 2, [0, 3]),
  M('fnstcw m2byte', 0xd9, 7, 'none', 2, [0, 2]), M('fldcw m2byte', 0xd9, 5, 'cw', 2, [0, 3], 'any', 2),
  R('fnclex', 0xdb, 0xe2, false, [0, 3]), R('fninit', 0xdb, 0xe3, false, [0, 3]),
  M('fnstenv m28', 0xd9, 6, 'none', 28, [0, 4], 'any', 2), M('fnstenv m14', 0xd9, 6, 'none', 14, [0, 4], 'any', 1, [0x66]),
  M('fldenv m28', 0xd9, 4, 'env', 28, [0, 8], 'any', 2), M('fldenv m14', 0xd9, 4, 'env', 14, [0, 8], 'any', 1, [0x66]),
  M('fnsave m108', 0xdd, 6, 'none', 108, [0, 8], 'any', 2), M('frstor m108', 0xdd, 4, 'save', 108, [0, 2], 'any', 2),
  M('frstor m94', 0xdd, 4, 'save', 94, [0, 2], 'any', 1, [0x66]),
  // MMX instructions on the x87 registers: TOP becomes 0, all tags valid, MMn = physical register n
  { ...R('movq mm,r64', 0, 0, false, [0, 8], 'any', 2), raw: (rng) => [0x48 | rng.int(2), 0x0f, 0x6e, 0xc0 | (rng.int(8) << 3) | rng.int(8)] },
  { ...R('movq r64,mm', 0, 0, false, [0, 8], 'any', 1), raw: (rng) => [0x48 | rng.int(2), 0x0f, 0x7e, 0xc0 | (rng.int(8) << 3) | rng.int(8)] },
  { ...R('paddb mm,mm', 0, 0, false, [0, 8], 'any', 1), raw: (rng) => [0x0f, 0xfc, 0xc0 | (rng.int(8) << 3) | rng.int(8)] },
  { ...R('emms', 0, 0, false, [0, 8], 'any', 1), raw: () => [0x0f, 0x77] },
];

// ---- Values ----
/** An 80-bit extended value: [significand, sign and exponent]. */
function f80(rng: Rng, vals: Vals): [bigint, number] {
  const sign = rng.int(2) << 15;
  const rnd64 = () => (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
  const norm = () => rnd64() | (1n << 63n);
  const sigShape = () => rng.weighted<() => bigint>([[6, norm], [2, () => (1n << 63n) | (BigInt(rng.int(256)) << 55n)],
    [1, () => 0xffffffffffffffffn - BigInt(rng.int(4))], [1, () => (1n << 63n) | BigInt(rng.int(4))],
    [1, () => (1n << 63n) | (BigInt(rng.u32()) << 11n)], [1, () => (1n << 63n) | (BigInt(rng.u32() >>> 8) << 40n)]])();
  if (vals === 'int') {
    return rng.weighted<() => [bigint, number]>([
      [4, () => { const e = rng.range(0, 64); return [sigShape(), sign | (16383 + e)]; }],   // integers and halves near the ranges
      [2, () => { const e = rng.range(14, 16); return [sigShape(), sign | (16383 + e)]; }],
      [2, () => { const e = rng.range(30, 32); return [sigShape(), sign | (16383 + e)]; }],
      [2, () => { const e = rng.range(58, 64); return [sigShape(), sign | (16383 + e)]; }],
      [1, () => [(1n << 63n) | (1n << 62n), sign | (16383 + rng.range(-2, 3))]],             // x.5
      [2, () => f80(rng, 'any')],
    ])();
  }
  return rng.weighted<() => [bigint, number]>([
    [30, () => [sigShape(), sign | (16383 + rng.range(-70, 70))]],
    [4, () => [0n, sign]],                                                     // zero
    [3, () => [1n << 63n, sign | 0x7fff]],                                     // infinity
    [3, () => [(3n << 62n) | BigInt(rng.int(1 << 20)), sign | 0x7fff]],        // QNaN
    [3, () => [(1n << 63n) | (BigInt(rng.int(1 << 20)) + 1n), sign | 0x7fff]], // SNaN
    [1, () => [3n << 62n, 0xffff]],                                            // the indefinite
    [4, () => [rnd64() >> BigInt(rng.int(64)) & ((1n << 63n) - 1n) || 1n, sign]], // denormal
    [1, () => [norm(), sign]],                                                 // pseudo-denormal
    [1, () => [rnd64() & ((1n << 63n) - 1n), sign | rng.range(1, 0x7ffe)]],    // unnormal
    [1, () => [rnd64() & ((1n << 63n) - 1n), sign | 0x7fff]],                  // pseudo-NaN / pseudo-infinity
    [3, () => [sigShape(), sign | rng.range(1, 80)]],                          // tiny
    [3, () => [sigShape(), sign | rng.range(0x7fff - 80, 0x7ffe)]],            // huge
    [2, () => [sigShape(), sign | (16383 + rng.pick([-126, -127, -149, -150, 127, 128, -1022, -1023, -1074, -1075, 1023, 1024]) + rng.range(-1, 1))]],
    [vals === 'small' ? 6 : 0, () => [sigShape(), sign | (16383 + rng.range(-5, 5))]],
  ])();
}

function controlWord(rng: Rng): number {
  let cw = 0x0040 | 0x3f;
  cw |= rng.weighted([[5, 3], [3, 2], [3, 0], [1, 1]] as const) << 8;  // precision: 64, 53, 24 bits, reserved
  cw |= rng.int(4) << 10;                                               // rounding
  if (rng.chance(0.3)) cw &= ~(1 << rng.int(6));                        // one exception unmasked
  if (rng.chance(0.05)) cw &= ~rng.int(64);
  if (rng.chance(0.05)) cw |= 0x1000;                                   // the 287's infinity control
  return cw;
}

function le(v: bigint, n: number): number[] {
  const b: number[] = [];
  for (let i = 0; i < n; i++) b.push(Number((BigInt.asUintN(8 * n, v) >> BigInt(8 * i)) & 0xffn));
  return b;
}

function bcd(rng: Rng): number[] {
  const b: number[] = [];
  for (let i = 0; i < 9; i++) b.push(rng.chance(0.03) ? rng.int(256) : (rng.int(10) << 4) | rng.int(10));
  b.push(rng.chance(0.5) ? 0x80 : 0);
  return b;
}

/** Builds one vector from a row. */
export function buildX87(rng: Rng, form: X87Form, id: string): string {
  const t = new Builder64(rng);
  const tags: string[] = [];
  for (let r = 0; r < 16; r++) if (r !== 4 && rng.chance(0.1)) t.set(r, intN(rng, 64));
  t.set(RSI, BigInt(TABLE)); t.lock(RSI);
  t.set(RBX, BigInt(CWORD)); t.lock(RBX);
  t.set(RBP, BigInt(SAVE)); t.lock(RBP);
  // Random arithmetic flags for FCMOVcc (and to see what FCOMI changes).
  t.rflags = 0x202 | (rng.u32() & 0x8d5);

  const code: number[] = [];
  // The stack: values from the table, pushed in order (the last one ends in ST(0)).
  const depth = rng.range(form.depth[0], form.depth[1]);
  const vals: [bigint, number][] = [];
  for (let k = 0; k < depth; k++) {
    let v = f80(rng, form.vals);
    if (form.vals === 'prem' && k === depth - 1 && vals.length && rng.chance(0.8)) {
      // FPREM: ST(0) a few binades above ST(1) (complete), sometimes 64 or more (partial).
      const e1 = vals[vals.length - 1][1] & 0x7fff;
      v = [v[0] | (1n << 63n), (v[1] & 0x8000) | Math.min(0x7ffe, Math.max(1, e1 + rng.weighted([[6, rng.range(-2, 20)], [2, rng.range(21, 63)], [2, rng.range(64, 200)]] as const)))];
    }
    if (form.vals === 'scale' && k === depth - 2 && rng.chance(0.8)) {
      v = [(1n << 63n) | (BigInt(rng.u32()) << 30n), (v[1] & 0x8000) | (16383 + rng.range(0, 14))];   // ST(1): a scale
    }
    vals.push(v);
    t.pokeBig(TABLE + 16 * k, v[0], 8);
    t.pokeBig(TABLE + 16 * k + 8, BigInt(v[1]), 2);
    code.push(0xdb, 0x6e, 16 * k);                                      // fld tbyte [rsi+16k]
  }
  // The control word.
  if (rng.chance(0.75)) {
    t.pokeBig(CWORD, BigInt(controlWord(rng)), 2);
    code.push(0xd9, 0x2b);                                              // fldcw [rbx]
    tags.push('cw');
  }
  // The instruction.
  const start = code.length;
  const pre = [...(form.pre ?? [])];
  let modrm: number[] = [];
  let rex = 0;
  let memLin = 0n, memIn = false, ripAt = -1;
  if (form.digit >= 0) {
    const target = rng.weighted<Target64>([[90, 'window'], [6, 'fault'], [2, 'misaligned'], [2, 'noncanonical']]);
    const m = t.memOperand(form.digit, form.size, target, form.size >= 8 ? 8 : form.size);
    modrm = m.bytes;
    if (m.rexXB) rex = 0x40 | m.rexXB;
    if (m.prefix67) { pre.push(0x67); tags.push('a32'); }
    if (rng.chance(0.05)) { pre.push(rng.pick([0x64, 0x65, 0x3e, 0x26])); tags.push('seg'); }
    if (rng.chance(0.1) && rex === 0) rex = 0x40 | (rng.chance(0.5) ? 8 : 0);   // REX (REX.W changes nothing here)
    memLin = m.linear; memIn = m.inWindow;
    if (m.ripDisp >= 0) ripAt = m.ripDisp;
  } else {
    const i = form.sti ? rng.int(8) : form.modrm & 7;
    modrm = [(form.modrm & ~7) | i];
  }
  const insn = form.raw ? form.raw(rng) : [...pre, ...(rex ? [rex] : []), form.esc, ...modrm];
  if (ripAt >= 0) t.ripRelative(start + pre.length + (rex ? 1 : 0) + 1 + ripAt, start + insn.length, memLin);
  code.push(...insn);
  // The memory source.
  if (memIn) {
    const a = Number(memLin);
    switch (form.mem) {
      case 'f32': t.pokeBig(a, BigInt(f32(rng)), 4); break;
      case 'f64': t.pokeBig(a, f64(rng), 8); break;
      case 'f80': { const v = f80(rng, 'any'); t.pokeBig(a, v[0], 8); t.pokeBig(a + 8, BigInt(v[1]), 2); break; }
      case 'i16': t.pokeBig(a, intN(rng, 16), 2); break;
      case 'i32': t.pokeBig(a, intN(rng, 32), 4); break;
      case 'i64': t.pokeBig(a, intN(rng, 64), 8); break;
      case 'bcd': t.poke(a, bcd(rng)); break;
      case 'cw': t.pokeBig(a, BigInt(controlWord(rng) | (rng.chance(0.1) ? rng.int(0x10000) : 0)), 2); break;
      case 'env': case 'save': {
        const env16 = form.size === 14 || form.size === 94;
        const w = env16 ? 2 : 4;
        const cw = controlWord(rng), sw = rng.chance(0.5) ? rng.int(0x10000) : rng.int(8) << 11;
        let tw = 0;
        for (let p = 0; p < 8; p++) tw |= (rng.chance(0.5) ? 3 : rng.int(4)) << (2 * p);
        const fields = [cw, sw, tw, rng.u32(), rng.u32(), rng.u32(), rng.u32()];
        fields.forEach((f, k) => t.pokeBig(a + k * w, BigInt(f >>> 0), w));
        if (form.mem === 'save') {
          for (let k = 0; k < 8; k++) { const v = f80(rng, 'any'); t.pokeBig(a + 7 * w + 10 * k, v[0], 8); t.pokeBig(a + 7 * w + 10 * k + 8, BigInt(v[1]), 2); }
        }
        break;
      }
      default: break;
    }
  }
  // A waiting instruction to collect a pending unmasked exception (#MF), sometimes.
  if (rng.chance(0.15)) { code.push(...rng.pick([[0x9b], [0xd9, 0xd0], [0xd9, 0xee]])); tags.push('wait'); }
  // The whole FPU state into memory.
  code.push(0xdd, 0x75, 0x00);                                          // fnsave [rbp]
  t.code = code;
  t.finish();
  return t.toJSON(id, [form.name, ...tags].join(' '));
}
