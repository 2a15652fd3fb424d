// Soft floating point shared by the SSE and x87 interpreters: binary32, binary64 and the x87 80-bit
// extended format, every rounding mode, the exact IEEE 754 exception conditions (Intel SDM vol. 1,
// 4.8 "Real numbers", 4.9 "Floating-point exception conditions"). Wasm arithmetic only rounds to
// nearest, so every result is computed here in integers: operands are unpacked into a sign, an
// unbiased exponent and a normalised 64-bit significand; results are exact 128-bit values that
// roundCore() rounds once to any precision (24/53/64 bits) and exponent range, detecting tininess
// after rounding as x86 does. Invariant: an operation never rounds twice; the slots A, B and R are
// module globals (AssemblyScript has no multiple return values), valid until the next operation.

// ---- Exception flags: the same bits in MXCSR[5:0] and the x87 status word [5:0] ----
export const FE_IE: u32 = 1; // invalid operation
export const FE_DE: u32 = 2; // denormal operand
export const FE_ZE: u32 = 4; // divide by zero
export const FE_OE: u32 = 8; // overflow
export const FE_UE: u32 = 16; // underflow
export const FE_PE: u32 = 32; // precision (inexact)

// ---- Rounding control: the same encoding in MXCSR.RC and the x87 FCW.RC ----
export const RC_NEAR: u32 = 0;
export const RC_DOWN: u32 = 1;
export const RC_UP: u32 = 2;
export const RC_ZERO: u32 = 3;

// ---- Operand classes ----
export const CLS_ZERO: u32 = 0;
export const CLS_NORMAL: u32 = 1; // finite non-zero (denormals are normalised, with the *Den flag)
export const CLS_INF: u32 = 2;
export const CLS_QNAN: u32 = 3;
export const CLS_SNAN: u32 = 4;
export const CLS_BAD: u32 = 5; // x87 unsupported encodings (pseudo-NaN/infinity, unnormal)
export const CLS_DEFNAN: u32 = 6; // result only: invalid operation, the caller supplies its default NaN

/** Pre-computation conditions raised by the operations (IE for invalid, ZE); callers read and clear it. */
export let fpFlags: u32 = 0;
/** The IE/ZE condition of the last operation alone (it takes precedence over a denormal operand). */
export let opCond: u32 = 0;
@inline export function clearFpFlags(): void { fpFlags = 0; }
@inline export function addFpFlags(f: u32): void { fpFlags |= f; }
@inline function cond(f: u32): void { opCond = f; fpFlags |= f; }

// ---- Slots: value = sig / 2^63 * 2^exp, sig normalised (bit 63 set) for CLS_NORMAL ----
export let aCls: u32 = 0;
export let aSign: u32 = 0;
export let aExp: i32 = 0;
export let aSig: u64 = 0;
export let aDen: bool = false;
export let bCls: u32 = 0;
export let bSign: u32 = 0;
export let bExp: i32 = 0;
export let bSig: u64 = 0;
export let bDen: bool = false;
/** The result before rounding: value = (rHi:rLo) / 2^127 * 2^rExp, rHi normalised. */
export let rCls: u32 = 0;
export let rSign: u32 = 0;
export let rExp: i32 = 0;
export let rHi: u64 = 0;
export let rLo: u64 = 0;

const TOP: u64 = <u64>1 << 63;

function setSlot(slot: i32, cls: u32, sign: u32, exp: i32, sig: u64, den: bool): void {
  if (slot == 0) { aCls = cls; aSign = sign; aExp = exp; aSig = sig; aDen = den; }
  else { bCls = cls; bSign = sign; bExp = exp; bSig = sig; bDen = den; }
}

/** Unpacks a binary32 into slot A (0) or B (1); with `daz` a denormal reads as a zero of its sign. */
export function unpack32(v: u32, daz: bool, slot: i32): void {
  const sign = v >> 31;
  const e = (v >> 23) & 0xff;
  const f = v & 0x7fffff;
  if (e == 0xff) { setSlot(slot, f == 0 ? CLS_INF : ((f & 0x400000) != 0 ? CLS_QNAN : CLS_SNAN), sign, 0, 0, false); return; }
  if (e == 0) {
    if (f == 0 || daz) { setSlot(slot, CLS_ZERO, sign, 0, 0, false); return; }
    const lz = <i32>clz(<u64>f);
    setSlot(slot, CLS_NORMAL, sign, -86 - lz, <u64>f << <u64>lz, true);
    return;
  }
  setSlot(slot, CLS_NORMAL, sign, <i32>e - 127, TOP | (<u64>f << 40), false);
}

/** Unpacks a binary64 into slot A (0) or B (1). */
export function unpack64(v: u64, daz: bool, slot: i32): void {
  const sign = <u32>(v >> 63);
  const e = <u32>(v >> 52) & 0x7ff;
  const f = v & 0xfffffffffffff;
  if (e == 0x7ff) { setSlot(slot, f == 0 ? CLS_INF : ((f & 0x8000000000000) != 0 ? CLS_QNAN : CLS_SNAN), sign, 0, 0, false); return; }
  if (e == 0) {
    if (f == 0 || daz) { setSlot(slot, CLS_ZERO, sign, 0, 0, false); return; }
    const lz = <i32>clz(f);
    setSlot(slot, CLS_NORMAL, sign, -1011 - lz, f << <u64>lz, true);
    return;
  }
  setSlot(slot, CLS_NORMAL, sign, <i32>e - 1023, TOP | (f << 11), false);
}

/**
 * Unpacks an 80-bit extended value (64-bit significand with explicit integer bit, 16-bit sign and
 * exponent) into slot A or B. Unnormals, pseudo-NaNs and pseudo-infinities are CLS_BAD (invalid
 * operands since the 80387); denormals and pseudo-denormals are normalised with the *Den flag.
 */
export function unpack80(sig: u64, se: u32, slot: i32): void {
  const sign = (se >> 15) & 1;
  const e = se & 0x7fff;
  if (e == 0x7fff) {
    if ((sig & TOP) == 0) { setSlot(slot, CLS_BAD, sign, 0, 0, false); return; }
    const f = sig << 1;
    setSlot(slot, f == 0 ? CLS_INF : ((f & TOP) != 0 ? CLS_QNAN : CLS_SNAN), sign, 0, 0, false);
    return;
  }
  if (e == 0) {
    if (sig == 0) { setSlot(slot, CLS_ZERO, sign, 0, 0, false); return; }
    const lz = <i32>clz(sig);
    setSlot(slot, CLS_NORMAL, sign, -16382 - lz, sig << <u64>lz, true);
    return;
  }
  if ((sig & TOP) == 0) { setSlot(slot, CLS_BAD, sign, 0, 0, false); return; }
  setSlot(slot, CLS_NORMAL, sign, <i32>e - 16383, sig, false);
}

/** Loads slot A from an unsigned 64-bit magnitude and a sign (integer sources). */
export function unpackInt(sign: u32, mag: u64): void {
  if (mag == 0) { setSlot(0, CLS_ZERO, sign, 0, 0, false); return; }
  const lz = <i32>clz(mag);
  setSlot(0, CLS_NORMAL, sign, 63 - lz, mag << <u64>lz, false);
}

/** Copies slot A to slot B. */
export function copyAtoB(): void { bCls = aCls; bSign = aSign; bExp = aExp; bSig = aSig; bDen = aDen; }
/** Copies slot A to the result (an exact value to be rounded). */
export function resultFromA(): void {
  rCls = aCls; rSign = aSign; rExp = aExp; rHi = aSig; rLo = 0;
}

// ---- 128-bit helpers ----
/** High half of the last mul64(); the low half is returned. */
export let mulHi: u64 = 0;
/** Full 64x64 -> 128-bit product; returns the low 64 bits and leaves the high ones in mulHi. */
export function mul64(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  mulHi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  return (mid << 32) | (p00 & 0xffffffff);
}

/** Shifts rHi:rLo right by d bits, OR-ing every bit shifted out into bit 0 ("jamming"). */
function shiftRightJam(d: i32): void {
  if (d <= 0) return;
  const hi = rHi, lo = rLo;
  if (d < 64) {
    const ud = <u64>d;
    rLo = (hi << (64 - ud)) | (lo >> ud) | ((lo << (64 - ud)) != 0 ? 1 : 0);
    rHi = hi >> ud;
  } else if (d == 64) {
    rLo = hi | (lo != 0 ? 1 : 0);
    rHi = 0;
  } else if (d < 128) {
    const ud = <u64>(d - 64);
    rLo = (hi >> ud) | ((hi << (64 - ud)) != 0 || lo != 0 ? 1 : 0);
    rHi = 0;
  } else {
    rLo = (hi | lo) != 0 ? 1 : 0;
    rHi = 0;
  }
}

/** Shifts rHi:rLo left until bit 127 is set (the value must be non-zero); returns the shift. */
function normalizeR(): i32 {
  if (rHi == 0) {
    const lz = <i32>clz(rLo);
    rHi = rLo << <u64>lz;
    rLo = 0;
    return 64 + lz;
  }
  const lz = <i32>clz(rHi);
  if (lz != 0) {
    rHi = (rHi << <u64>lz) | (rLo >> <u64>(64 - lz));
    rLo = rLo << <u64>lz;
  }
  return lz;
}

// ---- Rounding ----
/** Outputs of roundCore: biased exponent field, significand K (p bits, explicit leading bit). */
export let oBexp: u32 = 0;
export let oSig: u64 = 0;
/** Tiny after rounding with an unbounded exponent (x86 detects tininess after rounding). */
export let oTiny: bool = false;
/** The exponent overflowed: oBexp/oSig hold infinity (oSig = 0) or the largest finite value. */
export let oOvf: bool = false;
/** The delivered result differs from the exact one. */
export let oInexact: bool = false;
/** Rounding to p bits with an unbounded exponent is inexact (what PE reports when an unmasked
 *  overflow or underflow delivers no result, or a scaled one). */
export let oInexactWide: bool = false;
/** The magnitude was rounded up (the x87 C1 bit). */
export let oUp: bool = false;

/** Whether rounding K (with discarded bits R, bit 63 = half) away from zero is required. */
@inline function roundsUp(k: u64, r: u64, rm: u32, sign: u32): bool {
  if (r == 0) return false;
  if (rm == RC_NEAR) return r > TOP || (r == TOP && (k & 1) != 0);
  if (rm == RC_DOWN) return sign != 0;
  if (rm == RC_UP) return sign == 0;
  return false;
}

/**
 * Rounds the exact result R (CLS_NORMAL) to `p` significand bits (24, 53 or 64) in the exponent
 * range of a format with bias `bias` (127, 1023, 16383), in rounding mode `rm`. Denormal results
 * lose precision as IEEE 754 says; with `ftz` a tiny result becomes a zero of its sign (SSE FTZ,
 * reported as underflow and inexact). Sets oBexp/oSig and the condition outputs; flags are the
 * caller's (SSE and x87 report them differently).
 */
export function roundCore(p: i32, bias: i32, rm: u32, ftz: bool): void {
  const emin = 1 - bias;
  let e = rExp;
  oTiny = false;
  oOvf = false;
  oUp = false;
  const up = <u64>(64 - p);
  oInexactWide = (p == 64 ? rLo : (rHi << <u64>p) | rLo) != 0;
  if (e < emin) {
    // Tininess after rounding to p bits with an unbounded exponent: only a value just below the
    // smallest normal can round up to it.
    if (e < emin - 1) oTiny = true;
    else {
      const k = p == 64 ? rHi : rHi >> up;
      const r = p == 64 ? rLo : (rHi << <u64>p) | (rLo != 0 ? 1 : 0);
      const allOnes = p == 64 ? <u64>0xffffffffffffffff : (<u64>1 << <u64>p) - 1;
      oTiny = !(k == allOnes && roundsUp(k, r, rm, rSign));
    }
    if (oTiny && ftz) { oBexp = 0; oSig = 0; oInexact = true; return; }
    shiftRightJam(emin - e);
    e = emin;
  }
  let k: u64, r: u64;
  if (p == 64) { k = rHi; r = rLo; } else { k = rHi >> up; r = (rHi << <u64>p) | (rLo != 0 ? 1 : 0); }
  oInexact = r != 0;
  if (roundsUp(k, r, rm, rSign)) {
    oUp = true;
    k++;
    if (p == 64) { if (k == 0) { k = TOP; e++; } }
    else if (k == <u64>1 << <u64>p) { k >>= 1; e++; }
  }
  if (k == 0) { oBexp = 0; oSig = 0; return; }
  if (k < (<u64>1 << <u64>(p - 1))) { oBexp = 0; oSig = k; return; } // denormal (e == emin)
  if (e > bias) {
    oOvf = true;
    oInexact = true;
    const toInf = rm == RC_NEAR || (rm == RC_UP && rSign == 0) || (rm == RC_DOWN && rSign != 0);
    oUp = toInf;
    if (toInf) { oBexp = <u32>(2 * bias + 1); oSig = 0; }
    else { oBexp = <u32>(2 * bias); oSig = p == 64 ? <u64>0xffffffffffffffff : (<u64>1 << <u64>p) - 1; }
    return;
  }
  oBexp = <u32>(e + bias);
  oSig = k;
}

/** Packs the roundCore output as binary32 (after roundCore(24, 127, ...)). */
@inline export function packRounded32(): u32 {
  return (rSign << 31) | (oBexp << 23) | (<u32>oSig & 0x7fffff);
}
/** Packs the roundCore output as binary64 (after roundCore(53, 1023, ...)). */
@inline export function packRounded64(): u64 {
  return (<u64>rSign << 63) | (<u64>oBexp << 52) | (oSig & 0xfffffffffffff);
}
/** The 64-bit significand of an extended result rounded to p bits (after roundCore(p, 16383, ...)). */
@inline export function roundedSig80(p: i32): u64 {
  if (oBexp == 0x7fff) return TOP; // infinity
  return p == 64 ? oSig : oSig << <u64>(64 - p);
}
/** The sign and exponent word of an extended result. */
@inline export function roundedSe80(): u32 { return (rSign << 15) | oBexp; }

// ---- Operations: A op B -> R (CLS_ZERO / CLS_NORMAL unrounded / CLS_INF / CLS_DEFNAN) ----
// NaN operands are the caller's business (SSE and x87 propagate them differently).

/** R = A + B, or A - B when `negB`. An exact zero sum is +0, or -0 when rounding down. */
export function fpAdd(negB: bool, rm: u32): void {
  opCond = 0;
  const sb = negB ? bSign ^ 1 : bSign;
  if (aCls == CLS_INF || bCls == CLS_INF) {
    if (aCls == CLS_INF && bCls == CLS_INF && aSign != sb) { cond(FE_IE); rCls = CLS_DEFNAN; return; }
    rCls = CLS_INF; rSign = aCls == CLS_INF ? aSign : sb;
    return;
  }
  if (aCls == CLS_ZERO && bCls == CLS_ZERO) {
    rCls = CLS_ZERO; rSign = aSign == sb ? aSign : (rm == RC_DOWN ? 1 : 0);
    return;
  }
  if (bCls == CLS_ZERO) { resultFromA(); return; }
  if (aCls == CLS_ZERO) { rCls = CLS_NORMAL; rSign = sb; rExp = bExp; rHi = bSig; rLo = 0; return; }
  // Both finite non-zero: x has the larger exponent.
  let xs = aSign, xe = aExp, xm = aSig, ys = sb, ye = bExp, ym = bSig;
  if (ye > xe || (ye == xe && ym > xm)) {
    xs = sb; xe = bExp; xm = bSig; ys = aSign; ye = aExp; ym = aSig;
  }
  // y aligned to x, both as 128-bit values with bit 127 free for the carry.
  rHi = ym; rLo = 0;
  shiftRightJam(xe - ye + 1);
  const yh = rHi, yl = rLo;
  const xh = xm >> 1, xl = xm << 63;
  rCls = CLS_NORMAL;
  rSign = xs;
  if (xs == ys) {
    const lo = xl + yl;
    rHi = xh + yh + (lo < xl ? 1 : 0);
    rLo = lo;
  } else {
    rLo = xl - yl;
    rHi = xh - yh - (xl < yl ? 1 : 0);
    if (rHi == 0 && rLo == 0) { rCls = CLS_ZERO; rSign = rm == RC_DOWN ? 1 : 0; return; }
  }
  rExp = xe + 1 - normalizeR();
}

/** R = A * B. */
export function fpMul(): void {
  opCond = 0;
  rSign = aSign ^ bSign;
  if (aCls == CLS_INF || bCls == CLS_INF) {
    if (aCls == CLS_ZERO || bCls == CLS_ZERO) { cond(FE_IE); rCls = CLS_DEFNAN; return; }
    rCls = CLS_INF;
    return;
  }
  if (aCls == CLS_ZERO || bCls == CLS_ZERO) { rCls = CLS_ZERO; return; }
  rLo = mul64(aSig, bSig);
  rHi = mulHi;
  rCls = CLS_NORMAL;
  // The product of two values in [1, 2) lies in [1, 4).
  rExp = aExp + bExp + 1 - normalizeR();
}

/** R = A / B (ZE for a finite non-zero dividend over zero). */
export function fpDiv(): void {
  opCond = 0;
  rSign = aSign ^ bSign;
  if (aCls == CLS_INF) {
    if (bCls == CLS_INF) { cond(FE_IE); rCls = CLS_DEFNAN; return; }
    rCls = CLS_INF;
    return;
  }
  if (bCls == CLS_INF) { rCls = CLS_ZERO; return; }
  if (bCls == CLS_ZERO) {
    if (aCls == CLS_ZERO) { cond(FE_IE); rCls = CLS_DEFNAN; return; }
    cond(FE_ZE);
    rCls = CLS_INF;
    return;
  }
  if (aCls == CLS_ZERO) { rCls = CLS_ZERO; return; }
  // Restoring division of the significands: 64 quotient bits in rHi, two more in rLo, then the
  // remainder as the sticky bit. The quotient of two values in [1, 2) lies in (1/2, 2).
  const d = bSig;
  let rem = aSig;
  let e = aExp - bExp;
  let q: u64 = 1;
  if (rem >= d) rem -= d;
  else { rem = rem + (rem - d); e--; } // 2*rem - d, computed modulo 2^64 (the true value fits)
  for (let i = 0; i < 63; i++) {
    const carry = rem >> 63;
    rem <<= 1;
    q <<= 1;
    if (carry != 0 || rem >= d) { rem -= d; q |= 1; }
  }
  let lo: u64 = 0;
  for (let i = 0; i < 2; i++) {
    const carry = rem >> 63;
    rem <<= 1;
    if (carry != 0 || rem >= d) { rem -= d; lo |= <u64>1 << <u64>(63 - i); }
  }
  rHi = q;
  rLo = lo | (rem != 0 ? 1 : 0);
  rExp = e;
  rCls = CLS_NORMAL;
}

/** R = sqrt(A) (IE for a negative non-zero operand; sqrt(-0) = -0). */
export function fpSqrt(): void {
  opCond = 0;
  rSign = aSign;
  if (aCls == CLS_ZERO) { rCls = CLS_ZERO; return; }
  if (aSign != 0) { cond(FE_IE); rCls = CLS_DEFNAN; return; }
  if (aCls == CLS_INF) { rCls = CLS_INF; return; }
  // X = sig * 2^63 (even exponent) or sig * 2^64 (odd): floor(sqrt(X)) has exactly 64 bits.
  const odd = (aExp & 1) != 0;
  const xh = odd ? aSig : aSig >> 1;
  const xl = odd ? <u64>0 : aSig << 63;
  // An estimate within about 2^12 of the root (binary64 keeps 53 of its 64 bits), then the exact
  // root by a binary search over the 2^15 integers from 2^13 below the estimate.
  const xf = <f64>xh * 18446744073709551616.0 + <f64>xl;
  const est = Math.sqrt(xf);
  let root: u64 = est >= 18446744073709551615.0 ? <u64>0xffffffffffffffff : <u64>est;
  root -= 0x2000;
  for (let bit = 14; bit >= 0; bit--) {
    const t = root + (<u64>1 << <u64>bit);
    if (t < root) continue; // past 2^64: too large anyway
    const sl = mul64(t, t);
    const sh = mulHi;
    if (sh < xh || (sh == xh && sl <= xl)) root = t;
  }
  // Remainder X - root^2 decides the round bit (rem > root: above the half) and the sticky bit.
  const sl = mul64(root, root);
  const sh = mulHi;
  const remL = xl - sl;
  const remH = xh - sh - (xl < sl ? 1 : 0);
  const above = remH != 0 || remL > root;
  rHi = root;
  rLo = (above ? TOP : 0) | ((remH | remL) != 0 ? 1 : 0);
  rExp = odd ? (aExp - 1) >> 1 : aExp >> 1;
  rCls = CLS_NORMAL;
}

// ---- Comparison ----
export const CMP_LT: i32 = -1;
export const CMP_EQ: i32 = 0;
export const CMP_GT: i32 = 1;
export const CMP_UN: i32 = 2;

/** Compares A with B: CMP_LT / CMP_EQ / CMP_GT, or CMP_UN when either is a NaN (or CLS_BAD). */
export function fpCompare(): i32 {
  if (aCls >= CLS_QNAN || bCls >= CLS_QNAN) return CMP_UN;
  if (aCls == CLS_ZERO && bCls == CLS_ZERO) return CMP_EQ;
  if (aSign != bSign) return aSign != 0 ? CMP_LT : CMP_GT;
  // Same sign: compare magnitudes (zero < finite < infinity), then flip for negatives.
  let m: i32;
  if (aCls != bCls) m = aCls == CLS_ZERO || bCls == CLS_INF ? CMP_LT : CMP_GT;
  else if (aCls != CLS_NORMAL) m = CMP_EQ;
  else if (aExp != bExp) m = aExp < bExp ? CMP_LT : CMP_GT;
  else m = aSig == bSig ? CMP_EQ : (aSig < bSig ? CMP_LT : CMP_GT);
  return aSign != 0 ? -m : m;
}

// ---- Conversion to integers ----
/** The value of the last toInt() that did not overflow. */
export let intResult: u64 = 0;
/**
 * Converts A (CLS_ZERO / CLS_NORMAL / CLS_INF) to a signed integer of `bits` (16, 32 or 64) in
 * rounding mode `rm` (RC_ZERO truncates). Returns false when the value does not fit (or is
 * infinite): the caller raises IE and stores its "integer indefinite". Sets oInexact otherwise.
 */
export function toInt(bits: i32, rm: u32): bool {
  oInexact = false;
  oUp = false;
  if (aCls == CLS_ZERO) { intResult = 0; return true; }
  if (aCls != CLS_NORMAL) return false;
  if (aExp >= 64) return false;
  let k = roundIntegral(rm);
  if (oUp && k == 0) return false; // rounded up to 2^64
  const limit: u64 = (<u64>1 << <u64>(bits - 1)) - (aSign != 0 ? 0 : 1);
  if (k > limit) { oInexact = false; oUp = false; return false; }
  intResult = aSign != 0 ? <u64>(-(<i64>k)) : k;
  return true;
}

/**
 * The magnitude of A (CLS_NORMAL, aExp < 64) rounded to an integer in mode `rm`, modulo 2^64 (a
 * carry out of 2^64 - 1 gives 0 with oUp set). Sets oInexact and oUp (magnitude rounded up).
 */
export function roundIntegral(rm: u32): u64 {
  rHi = aSig; rLo = 0; rSign = aSign;
  shiftRightJam(63 - aExp);
  let k = rHi;
  const r = rLo;
  oInexact = r != 0;
  oUp = roundsUp(k, r, rm, aSign);
  if (oUp) k++;
  return k;
}

/** Loads the result R from an exact 128-bit value hi:lo (non-zero) times 2^(exp - 127). */
export function resultFrom128(sign: u32, hi: u64, lo: u64, exp: i32): void {
  rCls = CLS_NORMAL; rSign = sign; rHi = hi; rLo = lo;
  rExp = exp - normalizeR();
}
/** Overrides the exponent of R (x87 bias adjustment of an unmasked overflow or underflow). */
export function adjustResultExp(delta: i32): void { rExp += delta; }
/** Saves / restores R around a second rounding of the same value. */
let sHi: u64 = 0, sLo: u64 = 0, sExp: i32 = 0;
export function saveResult(): void { sHi = rHi; sLo = rLo; sExp = rExp; }
export function restoreResult(): void { rHi = sHi; rLo = sLo; rExp = sExp; }
/** Sets R directly (a constant or an exact value): value = (hi:lo) / 2^127 * 2^exp, hi normalised. */
export function setResult(sign: u32, exp: i32, hi: u64, lo: u64): void {
  rCls = CLS_NORMAL; rSign = sign; rExp = exp; rHi = hi; rLo = lo;
}
