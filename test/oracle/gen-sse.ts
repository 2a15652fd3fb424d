// Turns one row of the SSE forms table (forms-sse.ts) into a mode-64 input vector: the mandatory
// prefix, a REX prefix (xmm8-15 and r8-r15 through R/X/B, W for the 64-bit integer forms), the
// ModRM operand as a register or a memory operand (RIP-relative, base, SIB, 32-bit addressing;
// aligned, misaligned, faulting, non-canonical), operand values shaped for the row's lane type
// (NaNs of both kinds, infinities, denormals, signed zeros, values at rounding and integer-range
// boundaries), and MXCSR with every rounding mode, DAZ, FTZ and unmasked exceptions.
// MMX registers cannot be given initial values, so an MMX row runs as `movq mmX, r64` loads, the
// instruction, and `movq r64, mmX` for a destination MMX register.
// Invariant: every memory access stays below 4 GiB or is non-canonical (see builder64.ts).

import { Builder64, type Target64 } from './builder64.ts';
import { SSE_FORMS, hasSseAttr, type Lane, type SseForm } from './forms-sse.ts';
import { Rng } from './rng.ts';

// ---- Value pools ----
const F32_SPECIAL = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
  0x7fa00000, 0x7f800001, 0xff800001, 0x7fffffff, 0xffbfffff, 0x00000001, 0x007fffff, 0x80000001, 0x807fffff,
  0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x3f000000, 0x3fc00000, 0x40200000, 0x4f000000, 0xcf000000,
  0x5f000000, 0xdf000000, 0x4effffff, 0xcf000001, 0x33800000, 0x00400000, 0x3f7fffff];
const F64_SPECIAL = [0x0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n,
  0xfff0000000000000n, 0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff4000000000000n, 0x7ff0000000000001n,
  0xfff0000000000001n, 0x7fffffffffffffffn, 0x1n, 0xfffffffffffffn, 0x8000000000000001n, 0x10000000000000n,
  0x8010000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn, 0x3fe0000000000000n, 0x3ff8000000000000n,
  0x41e0000000000000n, 0xc1e0000000000000n, 0x41dfffffffc00000n, 0xc1e0000000200000n, 0x43e0000000000000n,
  0xc3e0000000000000n, 0x43dfffffffffffffn, 0x3ca0000000000000n, 0x380fffffe0000000n, 0x36a0000000000000n,
  0x47efffffe0000000n, 0x47efffffefffffffn, 0x3fefffffffffffffn];

export function f32(rng: Rng): number {
  return rng.weighted<() => number>([
    [20, () => rng.pick(F32_SPECIAL)],
    [30, () => ((rng.int(2) << 31) | ((127 + rng.range(-24, 24)) << 23) | mant23(rng)) >>> 0],   // ordinary
    [12, () => ((rng.int(2) << 31) | (rng.range(0, 25) << 23) | mant23(rng)) >>> 0],             // tiny, denormal
    [10, () => ((rng.int(2) << 31) | (rng.range(228, 254) << 23) | mant23(rng)) >>> 0],           // huge
    [8, () => ((rng.int(2) << 31) | (0xff << 23) | (rng.int(0x7fffff) + 1)) >>> 0],                // NaNs
    [20, () => rng.u32()],
  ])();
}
function mant23(rng: Rng): number {
  return rng.weighted<() => number>([[5, () => rng.int(0x800000)], [2, () => rng.int(16) << 19], [1, () => 0x7fffff - rng.int(4)], [1, () => rng.int(4)]])();
}
export function f64(rng: Rng): bigint {
  const sign = BigInt(rng.int(2)) << 63n;
  const mant = () => rng.weighted<() => bigint>([[5, () => (BigInt(rng.u32()) << 20n) ^ BigInt(rng.int(1 << 20))],
    [2, () => BigInt(rng.int(16)) << 48n], [1, () => 0xfffffffffffffn - BigInt(rng.int(4))], [1, () => BigInt(rng.int(4))],
    [2, () => BigInt(rng.int(0x800000)) << 29n]])() & 0xfffffffffffffn;
  return rng.weighted<() => bigint>([
    [20, () => rng.pick(F64_SPECIAL)],
    [30, () => sign | (BigInt(1023 + rng.range(-54, 54)) << 52n) | mant()],
    [10, () => sign | (BigInt(rng.range(0, 56)) << 52n) | mant()],
    [8, () => sign | (BigInt(rng.range(1980, 2046)) << 52n) | mant()],
    [6, () => sign | (BigInt(rng.range(1023 - 150, 1023 - 120)) << 52n) | mant()],   // binary32 tiny range
    [4, () => sign | (BigInt(rng.range(1023 + 120, 1023 + 130)) << 52n) | mant()],   // binary32 overflow range
    [6, () => sign | (0x7ffn << 52n) | (BigInt(rng.u32()) + 1n)],
    [16, () => (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())],
  ])();
}
/** binary32 values meant for conversion to integers: halves, integer range limits. */
function cvt32(rng: Rng): number {
  return rng.weighted<() => number>([
    [3, () => f32(rng)],
    [2, () => { const f = new Float32Array([(rng.int(2) ? -1 : 1) * (rng.int(1 << rng.range(1, 24)) + rng.pick([0, 0.5, 0.25, 0.75]))]); return new Uint32Array(f.buffer)[0]; }],
    [1, () => ((rng.int(2) << 31) | ((127 + rng.range(29, 33)) << 23) | mant23(rng)) >>> 0],
    [1, () => ((rng.int(2) << 31) | ((127 + rng.range(61, 65)) << 23) | mant23(rng)) >>> 0],
  ])();
}
function cvt64(rng: Rng): bigint {
  return rng.weighted<() => bigint>([
    [3, () => f64(rng)],
    [2, () => { const f = new Float64Array([(rng.int(2) ? -1 : 1) * (rng.int(2 ** rng.range(1, 31)) + rng.pick([0, 0.5, 0.25, 0.75, 0.5000001]))]); return new BigUint64Array(f.buffer)[0]; }],
    [1, () => (BigInt(rng.int(2)) << 63n) | (BigInt(1023 + rng.range(29, 33)) << 52n) | (BigInt(rng.u32()) << 20n)],
    [1, () => (BigInt(rng.int(2)) << 63n) | (BigInt(1023 + rng.range(61, 65)) << 52n) | (BigInt(rng.u32()) << 20n)],
  ])();
}
/** An integer of `bits` with edge values likely (for saturation, compares, shifts). */
export function intN(rng: Rng, bits: number): bigint {
  const B = BigInt(bits);
  const max = (1n << B) - 1n;
  return rng.weighted<() => bigint>([
    [3, () => BigInt(rng.pick([0, 1, 2, 3]))],
    [3, () => rng.pick([max, max - 1n, 1n << (B - 1n), (1n << (B - 1n)) - 1n, (1n << (B - 1n)) + 1n])],
    [2, () => BigInt(rng.int(256))],
    [8, () => ((BigInt(rng.u32()) << 32n) | BigInt(rng.u32())) & max],
  ])();
}

/** A 128-bit register value made of lanes of the given type. */
function vec128(rng: Rng, lane: Lane): bigint {
  let v = 0n;
  const fill = (w: number, f: () => bigint) => { for (let i = 0; i < 128 / w; i++) v |= (f() & ((1n << BigInt(w)) - 1n)) << BigInt(i * w); };
  switch (lane) {
    case 'f32': fill(32, () => BigInt(f32(rng))); break;
    case 'cvt32': fill(32, () => BigInt(cvt32(rng))); break;
    case 'f64': fill(64, () => f64(rng)); break;
    case 'cvt64': fill(64, () => cvt64(rng)); break;
    case 'i8': fill(8, () => intN(rng, 8)); break;
    case 'i16': fill(16, () => intN(rng, 16)); break;
    case 'i32': fill(32, () => intN(rng, 32)); break;
    default: fill(64, () => intN(rng, 64)); break;
  }
  return v;
}

/** Makes b share lanes with a (equal values, negations): compares, MIN/MAX and exact zeros. */
function correlate(rng: Rng, a: bigint, b: bigint, lane: Lane): bigint {
  if (!rng.chance(0.35)) return b;
  const w = lane === 'f64' || lane === 'cvt64' || lane === 'i64' ? 64 : lane === 'i8' ? 8 : lane === 'i16' ? 16 : 32;
  const m = (1n << BigInt(w)) - 1n;
  let r = b;
  for (let i = 0; i < 128 / w; i++) {
    if (!rng.chance(0.5)) continue;
    const sh = BigInt(i * w);
    let x = (a >> sh) & m;
    if ((lane === 'f32' || lane === 'f64') && rng.chance(0.4)) x ^= 1n << BigInt(w - 1);   // negated
    else if ((lane === 'f32' || lane === 'f64') && rng.chance(0.3)) x ^= BigInt(rng.int(4)); // neighbour
    r = (r & ~(m << sh)) | (x << sh);
  }
  return r;
}

function mxcsrFor(rng: Rng, lane: Lane, fp: boolean): number {
  if (!fp || rng.chance(0.45)) return rng.chance(0.1) ? 0x1f80 | rng.int(64) : 0x1f80;
  let v = 0x1f80;
  v = (v & ~0x6000) | (rng.int(4) << 13);                           // rounding control
  if (rng.chance(0.2)) v |= 0x40;                                    // DAZ
  if (rng.chance(0.2)) v |= 0x8000;                                  // FTZ
  if (rng.chance(0.25)) v &= ~(1 << rng.range(7, 12));               // one exception unmasked
  if (rng.chance(0.05)) v &= ~(rng.int(64) << 7);                    // several
  if (rng.chance(0.15)) v |= rng.int(64);                            // sticky flags already set
  return v;
}

const MOVQ_MM_R64 = (mm: number, r: number) => [0x48 | (r >> 3), 0x0f, 0x6e, 0xc0 | ((mm & 7) << 3) | (r & 7)];
const MOVQ_R64_MM = (r: number, mm: number) => [0x48 | (r >> 3), 0x0f, 0x7e, 0xc0 | ((mm & 7) << 3) | (r & 7)];

/** Builds one vector from a row. */
export function buildSse(rng: Rng, form: SseForm, id: string): string {
  const t = new Builder64(rng);
  const tags: string[] = [];
  const ops = form.operands;
  const mmx = hasSseAttr(form, 'mmx');
  const fp = ['f32', 'f64', 'cvt32', 'cvt64'].includes(form.lane) || /^cvt|^comi|^ucomi/.test(form.mnemonic);
  t.mxcsr = mxcsrFor(rng, form.lane, fp);
  for (let r = 0; r < 16; r++) if (r !== 4 && rng.chance(0.15)) t.set(r, intN(rng, 64));

  // Operand roles.
  const regOp = ops.find((o) => /^(V|G|P)/.test(o));
  const rmOp = ops.find((o) => /^(W|U|M|Q|N|E)/.test(o));
  const imm = ops.includes('Ib');
  const regIsXmm = regOp?.startsWith('V'), regIsMm = regOp?.startsWith('P'), regIsGpr = regOp?.startsWith('G');
  const rmKind = rmOp?.[0] ?? '';
  const rmSize = rmOp === undefined ? 0 : /^(Wd|Md|Ed)$/.test(rmOp) ? 4 : /^(Wq|Mq|Q)$/.test(rmOp) ? 8
    : rmOp === 'Ey' ? 8 : 16;

  // REX: W for 64-bit integer forms (sometimes elsewhere: it is ignored there); R/X/B as needed.
  const wantW = ops.some((o) => o.endsWith('y')) ? rng.chance(0.5) : rng.chance(0.1);
  let reg = form.digit >= 0 ? form.digit : rng.int(regIsMm ? 8 : 16);
  if (regIsMm) reg = rng.int(8) | (rng.chance(0.1) ? 8 : 0);       // REX.R is ignored for MMX registers
  let rex = wantW ? 0x48 : 0;
  if (reg >= 8) rex |= 0x44;

  // The r/m operand: register or memory.
  const memOnly = rmKind === 'M';
  const regOnly = rmKind === 'U' || rmKind === 'N';
  const isMem = rmOp !== undefined && (memOnly ? rng.chance(0.97) : regOnly ? rng.chance(0.03) : rng.chance(0.5));
  let modrm: number[] = [];
  let rmReg = 0;
  let memLinear = 0n, memIn = false;
  let mem = null as ReturnType<Builder64['memOperand']> | null;
  const pre: number[] = [];
  if (rmOp !== undefined || form.digit >= 0) {
    if (isMem) {
      const a16 = hasSseAttr(form, 'a16');
      const size = rmSize;
      const target = rng.weighted<Target64>([[86, 'window'], [a16 ? 7 : 3, 'misaligned'], [5, 'fault'], [2, 'noncanonical']]);
      const align = a16 ? 16 : rng.chance(0.7) ? Math.min(size, 8) : 1;
      mem = t.memOperand(reg, size, target, align);
      modrm = mem.bytes;
      rex |= mem.rexXB ? 0x40 | mem.rexXB : 0;
      if (mem.prefix67) { pre.push(0x67); tags.push('a32'); }
      memLinear = mem.linear; memIn = mem.inWindow;
      if (rng.chance(0.05)) { pre.push(rng.pick([0x64, 0x65, 0x2e, 0x3e])); tags.push('seg'); }
      if (rng.chance(0.02)) { t.rflags |= 0x40000; tags.push('ac'); }
    } else if (rmOp !== undefined || form.digit >= 0) {
      rmReg = rmKind === 'Q' || rmKind === 'N' ? rng.int(8) : rng.int(16);
      if (rmReg >= 8) rex |= 0x41;
      if ((rmKind === 'Q' || rmKind === 'N') && rng.chance(0.1)) rex |= 0x41;   // REX.B ignored for MMX
      modrm = [0xc0 | ((reg & 7) << 3) | (rmReg & 7)];
    }
  }
  if (rng.chance(0.05) && rex === 0) rex = 0x40;                      // an empty REX

  // Values: XMM operands, GPR operands, memory.
  const lane = form.lane;
  const vecVal = () => vec128(rng, lane);
  const mmVals = new Map<number, bigint>();
  let aVal = 0n;
  if (regIsXmm) { aVal = vecVal(); t.xmm.set(reg, aVal); }
  if (regIsMm) { aVal = vecVal() & ((1n << 64n) - 1n); mmVals.set(reg & 7, aVal); }
  if (regIsGpr && !t.locked[reg]) t.set(reg, intN(rng, 64));
  if (!isMem && rmOp !== undefined) {
    if (rmKind === 'W' || rmKind === 'U') t.xmm.set(rmReg, rmReg === reg && regIsXmm ? aVal : correlate(rng, aVal, vecVal(), lane));
    else if (rmKind === 'Q' || rmKind === 'N') { if (!mmVals.has(rmReg)) mmVals.set(rmReg, correlate(rng, aVal, vecVal(), lane) & ((1n << 64n) - 1n)); }
    else if (rmKind === 'E') t.set(rmReg, lane === 'i16' ? intN(rng, 32) : intN(rng, 64));
  }
  if (isMem && memIn) {
    const v = rmKind === 'E' ? intN(rng, 64) : correlate(rng, aVal, vecVal(), lane);
    t.pokeBig(Number(memLinear), v, rmSize);
  }
  // Store forms (W,V / M,V): the source is the reg-field XMM register.
  if (ops.length >= 2 && /^(W|M)/.test(ops[0]) && ops[1] === 'V') { aVal = vecVal(); t.xmm.set(reg, aVal); }
  if (ops.length >= 2 && /^(Q|M)/.test(ops[0]) && ops[1] === 'P') { aVal = vecVal() & ((1n << 64n) - 1n); mmVals.set(reg & 7, aVal); }
  if (ops[0] === 'Ey' && ops[1] === 'V') { t.xmm.set(reg, vecVal()); }
  if (ops[0] === 'Ey' && ops[1] === 'P') { mmVals.set(reg & 7, vecVal() & ((1n << 64n) - 1n)); }

  // Immediate.
  let immBytes: number[] = [];
  if (imm) {
    if (hasSseAttr(form, 'shift')) immBytes = [rng.weighted<() => number>([[6, () => rng.int(16)], [2, () => rng.range(16, 70)], [1, () => rng.int(256)]])()];
    else if (hasSseAttr(form, 'cmp')) immBytes = [rng.chance(0.9) ? rng.int(8) : rng.int(256)];
    else immBytes = [rng.int(256)];
  }

  // Special operands.
  if (hasSseAttr(form, 'maskmov')) {
    const n = form.prefix === 0x66 ? 16 : 8;
    const tgt = rng.weighted<Target64>([[85, 'window'], [10, 'fault'], [5, 'misaligned']]);
    const lin = t.chooseLinear(n, tgt, 1);
    t.set(7, lin); t.lock(7);
    if (rng.chance(0.1)) { pre.push(0x67); tags.push('a32'); }
  }
  if (hasSseAttr(form, 'mxcsr') && isMem && memIn) {
    let v = (rng.u32() & 0xffbf) | (rng.chance(0.5) ? 0x1f80 : 0);
    if (rng.chance(0.2)) v |= 1 << rng.pick([16, 18, 24, 31]);   // not 17: AMD's MM bit
    t.pokeBig(Number(memLinear), BigInt(v >>> 0), 4);
  }
  if (hasSseAttr(form, 'undef') && regIsXmm) t.undef.push(`xmm${reg}`);

  // MMX registers get their values from general registers (a prologue) and report through one.
  const prologue: number[] = [];
  const epilogue: number[] = [];
  const freeGpr = () => {
    const c = [...Array(16).keys()].filter((r) => r !== 4 && !t.locked[r] && r !== reg);
    const r = rng.pick(c);
    t.lock(r);
    return r;
  };
  if (mmx) {
    for (const [mm, v] of mmVals) {
      const r = freeGpr();
      t.set(r, v);
      prologue.push(...MOVQ_MM_R64(mm, r));
    }
    const dstMm = regIsMm && ops[0].startsWith('P') ? reg & 7 : ops[0] === 'Q' && !isMem ? rmReg & 7 : ops[0] === 'N' ? rmReg & 7 : -1;
    if (dstMm >= 0) epilogue.push(...MOVQ_R64_MM(freeGpr(), dstMm));
  }

  // Assemble: [prologue] [67/segment] [mandatory prefix] [REX] 0F op modrm imm [epilogue].
  const mand = form.prefix ? [form.prefix] : [];
  const insn = [...pre, ...mand, ...(rex ? [rex] : []), ...form.opcode, ...modrm, ...immBytes];
  const start = prologue.length;
  t.code = [...prologue, ...insn, ...epilogue];
  if (mem && mem.ripDisp >= 0) {
    const at = start + pre.length + mand.length + (rex ? 1 : 0) + form.opcode.length + mem.ripDisp;
    t.ripRelative(at, start + insn.length, memLinear);
  }
  t.finish();
  if (!mmx && rng.chance(0.05)) t.step = 1;
  const op = [form.name, ...tags].join(' ');
  return t.toJSON(id, op);
}

export { SSE_FORMS };
