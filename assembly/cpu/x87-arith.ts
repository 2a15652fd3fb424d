// x87 arithmetic on 80-bit extended values (Intel SDM vol. 1, 8.5 "x87 FPU floating-point exception
// conditions", 4.8.3.5 NaN rules, table 4-7; vol. 2 per instruction): the basic operations rounded
// to the precision control (24/53/64 bits) with the rounding control, NaN propagation (the NaN
// with the larger significand; SNaN made quiet; the real indefinite for invalid operations),
// conversions between the memory formats (binary32/64, integers, packed BCD), compares, and the
// special operations (FRNDINT FSCALE FXTRACT FPREM FPREM1 FSQRT FXAM). Unmasked overflow and
// underflow deliver the result with the exponent adjusted by 24576 (8.4.1). The transcendental
// instructions go through binary64 and are only as accurate as that.
// Results go to resSig/resSe; conditions accumulate in xf; the C1 rounding bit in resUp.
import {
  FE_IE, FE_DE, FE_ZE, FE_OE, FE_UE, FE_PE, RC_ZERO, CLS_ZERO, CLS_NORMAL, CLS_INF, CLS_QNAN, CLS_SNAN, CLS_BAD,
  CLS_DEFNAN, fpFlags, opCond, clearFpFlags, unpack32, unpack64, unpack80, unpackInt, resultFromA, copyAtoB,
  roundCore, roundedSig80, roundedSe80, packRounded32, packRounded64, fpAdd, fpMul, fpDiv, fpSqrt, fpCompare,
  toInt, roundIntegral, resultFrom128, adjustResultExp, saveResult, restoreResult, setResult,
  aCls, aSign, aExp, aSig, aDen, bCls, bSign, bExp, bSig, bDen, rCls, rSign, oOvf, oTiny, oInexact,
  oUp, CMP_UN,
} from './fp/softfloat';
import { INDEF_SIG, INDEF_SE, getCw, precisionBits, roundingControl, SW_C0, SW_C1, SW_C2, SW_C3 } from './x87-state';

/** The value an operation produced. */
export let resSig: u64 = 0;
export let resSe: u32 = 0;
/** Exception conditions of the current instruction (IE DE ZE OE UE PE, and SF for stack faults). */
export let xf: u32 = 0;
/** The result was rounded up in magnitude (C1). */
export let resUp: bool = false;
/** An unmasked overflow or underflow into a memory format: nothing may be stored. */
export let resNoStore: bool = false;

/** The memory operand of an arithmetic or compare instruction was a denormal (DE unless a NaN or
 *  an invalid operation takes precedence). */
let memDen: bool = false;
@inline export function clearXf(): void { xf = 0; resUp = false; resNoStore = false; memDen = false; }
@inline export function addXf(f: u32): void { xf |= f; }
@inline function setRes(sig: u64, se: u32): void { resSig = sig; resSe = se; }
@inline function setIndefinite(): void { resSig = INDEF_SIG; resSe = INDEF_SE; }

@inline function isNaN80(sig: u64, se: u32): bool { return (se & 0x7fff) == 0x7fff && (sig << 1) != 0 && (sig >> 63) != 0; }

/** NaN propagation for one or two operands (at least one a NaN): the x87 rules of table 4-7. */
function nanResult(aS: u64, aE: u32, bS: u64, bE: u32, two: bool): void {
  const an = isNaN80(aS, aE), bn = two && isNaN80(bS, bE);
  const aSnan = an && (aS & 0x4000000000000000) == 0, bSnan = bn && (bS & 0x4000000000000000) == 0;
  if (aSnan || bSnan) xf |= FE_IE;
  let takeA: bool;
  if (an && !bn) takeA = true;
  else if (bn && !an) takeA = false;
  else if (aSnan != bSnan) takeA = bSnan; // an SNaN and a QNaN: the QNaN
  else {
    const am = aS & 0x7fffffffffffffff, bm = bS & 0x7fffffffffffffff;
    takeA = am > bm || (am == bm && (aE & 0x8000) <= (bE & 0x8000));
  }
  if (takeA) setRes(aS | 0xc000000000000000, aE);
  else setRes(bS | 0xc000000000000000, bE);
}

/**
 * Delivers R rounded to `p` bits in the extended exponent range: masked overflow gives infinity or
 * the largest value, masked underflow a denormal; unmasked ones the exponent-adjusted result.
 */
export function deliver80(p: i32): void {
  if ((xf & ~getCw() & (FE_IE | FE_DE | FE_ZE)) != 0) return; // unmasked pre-computation condition: no result
  if (rCls == CLS_ZERO) { setRes(0, rSign << 15); return; }
  if (rCls == CLS_INF) { setRes(0x8000000000000000, (rSign << 15) | 0x7fff); return; }
  if (rCls == CLS_DEFNAN) { xf |= FE_IE; setIndefinite(); return; }
  const rc = roundingControl();
  const cw = getCw();
  saveResult();
  roundCore(p, 16383, rc, false);
  // Only FSCALE can go out of range by more than the 24576 bias: then the bias-adjusted result
  // overflows or underflows again and a signed infinity (C1 = 1) or zero (C1 = 0) is delivered,
  // with PE (SDM vol. 1 8.5.4 / 8.5.5 "massive overflow/underflow"; measured on AMD Zen 5:
  // 1.0 * 2^40960 with OM unmasked gives +inf and OE PE C1 in every rounding mode, 1.0 * 2^-40959
  // with UM unmasked gives +0 and UE PE, C1 = 0).
  if (oOvf && (cw & FE_OE) == 0) {
    restoreResult();
    adjustResultExp(-24576);
    roundCore(p, 16383, rc, false);
    if (oOvf) { xf |= FE_OE | FE_PE; resUp = true; setRes(0x8000000000000000, (rSign << 15) | 0x7fff); return; }
    xf |= oInexact ? FE_OE | FE_PE : FE_OE;
  } else if (oTiny && (cw & FE_UE) == 0) {
    restoreResult();
    adjustResultExp(24576);
    roundCore(p, 16383, rc, false);
    if (oTiny) { xf |= FE_UE | FE_PE; setRes(0, rSign << 15); return; }
    xf |= oInexact ? FE_UE | FE_PE : FE_UE;
  } else if (oOvf) xf |= FE_OE | FE_PE;
  else if (oTiny) { if (oInexact) xf |= FE_UE | FE_PE; }
  else if (oInexact) xf |= FE_PE;
  resUp = oUp;
  setRes(roundedSig80(p), roundedSe80());
}

// ---- Two-operand arithmetic ----
export const X_ADD: u32 = 0;
export const X_MUL: u32 = 1;
export const X_SUB: u32 = 4; // a - b
export const X_SUBR: u32 = 5; // b - a
export const X_DIV: u32 = 6; // a / b
export const X_DIVR: u32 = 7; // b / a

/** res = a op b (op in the /digit numbering of D8: ADD MUL . . SUB SUBR DIV DIVR), rounded to PC. */
export function arith(op: u32, aS: u64, aE: u32, bS: u64, bE: u32): void {
  // Reversed forms swap the operands (NaN choice follows the operand order as encoded).
  let xS = aS, xE = aE, yS = bS, yE = bE;
  if (op == X_SUBR || op == X_DIVR) { xS = bS; xE = bE; yS = aS; yE = aE; }
  unpack80(xS, xE, 0);
  unpack80(yS, yE, 1);
  if (aCls == CLS_BAD || bCls == CLS_BAD) { xf |= FE_IE; setIndefinite(); return; }
  if (aCls >= CLS_QNAN || bCls >= CLS_QNAN) { nanResult(aS, aE, bS, bE, true); return; }
  const den = aDen || bDen || memDen;
  clearFpFlags();
  const rc = roundingControl();
  switch (op) {
    case X_ADD: fpAdd(false, rc); break;
    case X_MUL: fpMul(); break;
    case X_SUB: case X_SUBR: fpAdd(true, rc); break;
    default: fpDiv(); break;
  }
  xf |= fpFlags;
  if (den && opCond == 0) xf |= FE_DE;
  deliver80(precisionBits());
}

/** res = sqrt(a), rounded to PC. */
export function sqrt80(aS: u64, aE: u32): void {
  unpack80(aS, aE, 0);
  if (aCls == CLS_BAD) { xf |= FE_IE; setIndefinite(); return; }
  if (aCls >= CLS_QNAN) { nanResult(aS, aE, 0, 0, false); return; }
  clearFpFlags();
  fpSqrt();
  xf |= fpFlags;
  if (aDen && opCond == 0) xf |= FE_DE;
  deliver80(precisionBits());
}

// ---- Loads (memory formats to extended: exact) ----
/**
 * binary32/binary64 (`double`) to extended; a denormal is DE. For FLD (`quiet`) an SNaN is invalid
 * and made quiet; an arithmetic operand keeps it signalling, so that the operation's NaN rules see it.
 */
export function loadFloat(v: u64, double: bool, quiet: bool = true): void {
  if (double) unpack64(v, false, 0); else unpack32(<u32>v, false, 0);
  const sign = aSign << 15;
  if (aCls == CLS_QNAN || aCls == CLS_SNAN) {
    const payload = double ? (v & 0xfffffffffffff) << 11 : (v & 0x7fffff) << 40;
    if (aCls == CLS_SNAN && quiet) { xf |= FE_IE; setRes(0xc000000000000000 | payload, sign | 0x7fff); return; }
    setRes(0x8000000000000000 | payload, sign | 0x7fff);
    return;
  }
  if (aDen) { if (quiet) xf |= FE_DE; else memDen = true; }
  if (aCls == CLS_ZERO) { setRes(0, sign); return; }
  if (aCls == CLS_INF) { setRes(0x8000000000000000, sign | 0x7fff); return; }
  setRes(aSig, sign | <u32>(aExp + 16383));
}
/** A signed integer to extended (exact). */
export function loadInt(v: i64): void {
  unpackInt(v < 0 ? 1 : 0, v < 0 ? <u64>(-v) : <u64>v);
  if (aCls == CLS_ZERO) { setRes(0, 0); return; }
  setRes(aSig, (aSign << 15) | <u32>(aExp + 16383));
}

// ---- Stores (extended to memory formats) ----
/** Extended to binary32/binary64 in the rounding control (not PC). Unmasked OE/UE: resNoStore. */
export function storeFloat(aS: u64, aE: u32, double: bool): u64 {
  unpack80(aS, aE, 0);
  const sign = <u64>aSign;
  if (aCls == CLS_BAD) { xf |= FE_IE; return double ? 0xfff8000000000000 : 0xffc00000; }
  if (aCls == CLS_QNAN || aCls == CLS_SNAN) {
    if (aCls == CLS_SNAN) xf |= FE_IE;
    return double ? (sign << 63) | 0x7ff8000000000000 | ((aS >> 11) & 0xfffffffffffff)
      : (sign << 31) | 0x7fc00000 | ((aS >> 40) & 0x7fffff);
  }
  if (aCls == CLS_ZERO) return double ? sign << 63 : sign << 31;
  if (aCls == CLS_INF) return double ? (sign << 63) | 0x7ff0000000000000 : (sign << 31) | 0x7f800000;
  // A denormal source is not a DE condition for a store (as on the reference CPU).
  resultFromA();
  const cw = getCw();
  if (double) roundCore(53, 1023, roundingControl(), false);
  else roundCore(24, 127, roundingControl(), false);
  resUp = oUp;
  if (oOvf) {
    if ((cw & FE_OE) == 0) { resNoStore = true; resUp = false; xf |= FE_OE; } // unmasked: nothing stored, no PE, C1 0
    else xf |= FE_OE | FE_PE;
  } else if (oTiny) {
    if ((cw & FE_UE) == 0) { resNoStore = true; resUp = false; xf |= FE_UE; }
    else if (oInexact) xf |= FE_UE | FE_PE;
  } else if (oInexact) xf |= FE_PE;
  return double ? packRounded64() : <u64>packRounded32();
}

/**
 * Extended to a signed integer of `bits` (16, 32, 64), rounded per RC or truncated. Returns false
 * for a NaN, infinity, unsupported value or overflow (IE; the caller stores the integer indefinite).
 */
export function storeInt(aS: u64, aE: u32, bits: i32, trunc: bool): bool {
  unpack80(aS, aE, 0);
  if (aCls != CLS_ZERO && aCls != CLS_NORMAL) { xf |= FE_IE; return false; }
  if (!toInt(bits, trunc ? RC_ZERO : roundingControl())) { xf |= FE_IE; resUp = false; return false; }
  if (oInexact) xf |= FE_PE;
  resUp = oUp;
  return true;
}

/** Packed BCD (18 digits, sign in bit 79) to extended; invalid digits give an undefined value here. */
export function loadBcd(lo: u64, hi: u32): void {
  let v: u64 = 0;
  for (let i = 8; i >= 0; i--) {
    const byte = <u32>(i == 8 ? hi & 0xff : (lo >> (<u64>i * 8)) & 0xff);
    v = v * 100 + <u64>(((byte >> 4) & 15) * 10 + (byte & 15));
  }
  const neg = (hi & 0x8000) != 0;
  unpackInt(neg ? 1 : 0, v);
  if (aCls == CLS_ZERO) { setRes(0, neg ? 0x8000 : 0); return; }
  setRes(aSig, (aSign << 15) | <u32>(aExp + 16383));
}
/** BCD result of storeBcd: 8 low bytes and the 2 high ones. */
export let bcdLo: u64 = 0;
export let bcdHi: u32 = 0;
/** Extended to packed BCD (rounded per RC); out of range or not a number: IE and the BCD indefinite. */
export function storeBcd(aS: u64, aE: u32): void {
  unpack80(aS, aE, 0);
  let ok = aCls == CLS_ZERO || aCls == CLS_NORMAL;
  let mag: u64 = 0;
  if (ok && aCls == CLS_NORMAL) {
    if (aExp >= 64) ok = false;
    else {
      mag = roundIntegral(roundingControl());
      if (oUp && mag == 0) ok = false;
      else if (mag > 999999999999999999) ok = false;
      if (ok && oInexact) xf |= FE_PE;
      resUp = oUp;
    }
  }
  if (!ok) { xf |= FE_IE; resUp = false; bcdHi = 0xffff; bcdLo = 0xc000000000000000; return; }
  let lo: u64 = 0;
  for (let i: u64 = 0; i < 8; i++) { const d = mag % 100; mag /= 100; lo |= ((d / 10) << 4 | (d % 10)) << (i * 8); }
  const d = mag % 100;
  bcdLo = lo;
  bcdHi = <u32>((d / 10) << 4 | (d % 10)) | (aSign != 0 ? 0x8000 : 0);
}

// ---- Compares ----
/**
 * Compares a with b: FCOM/FCOMI (`signalQuiet`: any NaN is invalid) or FUCOM/FUCOMI (only SNaN).
 * Returns the condition codes C3 C2 C0 (at their status-word positions): 000 greater, 001 less,
 * 100 equal, 111 unordered.
 */
export function compare80(aS: u64, aE: u32, bS: u64, bE: u32, signalQuiet: bool): u32 {
  unpack80(aS, aE, 0);
  unpack80(bS, bE, 1);
  if (aCls == CLS_BAD || bCls == CLS_BAD) { xf |= FE_IE; return SW_C3 | SW_C2 | SW_C0; }
  if (aCls >= CLS_QNAN || bCls >= CLS_QNAN) {
    if (signalQuiet || aCls == CLS_SNAN || bCls == CLS_SNAN) xf |= FE_IE;
    return SW_C3 | SW_C2 | SW_C0;
  }
  if (aDen || bDen || memDen) xf |= FE_DE;
  const c = fpCompare();
  if (c == CMP_UN) return SW_C3 | SW_C2 | SW_C0;
  if (c < 0) return SW_C0;
  if (c == 0) return SW_C3;
  return 0;
}

/** FXAM: C3 C2 C0 class codes and C1 = sign (empty is handled by the caller). */
export function examine(aS: u64, aE: u32): u32 {
  unpack80(aS, aE, 0);
  const c1 = (aE & 0x8000) != 0 ? SW_C1 : 0;
  switch (aCls) {
    case CLS_BAD: return c1;
    case CLS_QNAN: case CLS_SNAN: return c1 | SW_C0;
    case CLS_INF: return c1 | SW_C2 | SW_C0;
    case CLS_ZERO: return c1 | SW_C3;
    default: return c1 | (aDen ? SW_C3 | SW_C2 : SW_C2);
  }
}

// ---- Special operations on ST(0) ----
/** FRNDINT: round to an integral value per RC (no precision control). */
export function roundInt80(aS: u64, aE: u32): void {
  unpack80(aS, aE, 0);
  if (aCls == CLS_BAD) { xf |= FE_IE; setIndefinite(); return; }
  if (aCls >= CLS_QNAN) { nanResult(aS, aE, 0, 0, false); return; }
  if (aCls != CLS_NORMAL || aExp >= 63) { setRes(aS, aE); if (aDen) xf |= FE_DE; return; }
  if (aDen) { xf |= FE_DE; if ((getCw() & FE_DE) == 0) return; } // unmasked: no result, no PE
  const sign = aSign;
  const k = roundIntegral(roundingControl());
  if (oInexact) xf |= FE_PE;
  resUp = oUp;
  if (oUp && k == 0) { setRes(0x8000000000000000, (sign << 15) | (16383 + 64)); return; } // 2^64
  unpackInt(sign, k);
  if (aCls == CLS_ZERO) { setRes(0, sign << 15); return; }
  setRes(aSig, (sign << 15) | <u32>(aExp + 16383));
}

/** FSCALE: a * 2^trunc(b), rounded only where the range requires it (64-bit precision). */
export function scale80(aS: u64, aE: u32, bS: u64, bE: u32): void {
  unpack80(aS, aE, 0);
  unpack80(bS, bE, 1);
  if (aCls == CLS_BAD || bCls == CLS_BAD) { xf |= FE_IE; setIndefinite(); return; }
  if (aCls >= CLS_QNAN || bCls >= CLS_QNAN) { nanResult(aS, aE, bS, bE, true); return; }
  if (aDen || bDen) xf |= FE_DE;
  if (bCls == CLS_INF) {
    if (bSign == 0) {
      if (aCls == CLS_ZERO) { xf |= FE_IE; setIndefinite(); return; }
      setRes(0x8000000000000000, (aSign << 15) | 0x7fff); // finite or infinite: infinity
      return;
    }
    if (aCls == CLS_INF) { xf |= FE_IE; setIndefinite(); return; }
    setRes(0, aSign << 15);
    return;
  }
  if (aCls != CLS_NORMAL) { setRes(aS, aE); return; }
  // trunc(b), clamped well beyond the exponent range.
  let n: i32 = 0;
  if (bCls == CLS_NORMAL) {
    if (bExp >= 20) n = 1 << 20;
    else if (bExp >= 0) n = <i32>(bSig >> <u64>(63 - bExp));
    if (bSign != 0) n = -n;
  }
  setResult(aSign, aExp + n, aSig, 0);
  deliver80(64);
}

/** FXTRACT: exponent of a (as a value) in resSig/resSe, significand in sigSig/sigSe. */
export let sigSig: u64 = 0;
export let sigSe: u32 = 0;
export function extract80(aS: u64, aE: u32): void {
  unpack80(aS, aE, 0);
  if (aCls == CLS_BAD) { xf |= FE_IE; setIndefinite(); sigSig = INDEF_SIG; sigSe = INDEF_SE; return; }
  if (aCls >= CLS_QNAN) { nanResult(aS, aE, 0, 0, false); sigSig = resSig; sigSe = resSe; return; }
  if (aCls == CLS_ZERO) { xf |= FE_ZE; setRes(0x8000000000000000, 0xffff); sigSig = aS; sigSe = aE; return; }
  if (aCls == CLS_INF) { setRes(0x8000000000000000, 0x7fff); sigSig = aS; sigSe = aE; return; }
  if (aDen) xf |= FE_DE;
  sigSig = aSig;
  sigSe = (aSign << 15) | 16383;
  loadInt(<i64>aExp);
}

/**
 * FPREM (`nearest` false: quotient truncated) and FPREM1 (quotient rounded to nearest even):
 * res = a - q*b, exact. Returns the condition codes: C2 set when the reduction is partial (the
 * exponent difference d is 64 or more: a is reduced by b * 2^(d - N) only, N = 32 + (d mod 32), as
 * the reference CPU does), else C0 C3 C1 = the quotient's bits 2, 1, 0.
 */
export const PREM_N: i32 = 32;
export function remainder80(aS: u64, aE: u32, bS: u64, bE: u32, nearest: bool): u32 {
  unpack80(aS, aE, 0);
  unpack80(bS, bE, 1);
  if (aCls == CLS_BAD || bCls == CLS_BAD) { xf |= FE_IE; setIndefinite(); return 0; }
  if (aCls >= CLS_QNAN || bCls >= CLS_QNAN) { nanResult(aS, aE, bS, bE, true); return 0; }
  if (aCls == CLS_INF || bCls == CLS_ZERO) { xf |= FE_IE; setIndefinite(); return 0; }
  if (aDen || bDen) xf |= FE_DE;
  if (aCls == CLS_ZERO) { setRes(aS, aE); return 0; }
  if (bCls == CLS_INF) { resultFromA(); deliver80(64); return 0; } // a, normalised (a pseudo-denormal too)
  const A = aSig, B = bSig, sign = aSign;
  let d = aExp - bExp;
  if (d < 0) {
    // |a| < |b|: q = 0, except that FPREM1 rounds |a| > |b|/2 (d = -1 and A > B) up to q = 1.
    if (!nearest || d < -1 || A <= B) { resultFromA(); deliver80(64); return 0; } // a itself (tiny: underflow)
    const lo = (B << 1) - A;
    const hi = (B >> 63) - ((B << 1) < A ? 1 : 0);
    resultFrom128(sign ^ 1, hi, lo, aExp + 64); // (2B - A) * 2^(aExp - 63)
    deliver80(64);
    return SW_C1;
  }
  const partial = d >= 64;
  let be = bExp;
  if (partial) { const n = PREM_N + (d & 31); d = n; be = aExp - n; } // 32..63, in steps of 32 bits
  // Restoring division of A * 2^d by B: q < 2^(d+1), remainder r < B.
  let q: u64 = 0, r: u64 = 0;
  for (let i = 63 + d; i >= 0; i--) {
    const bit = i >= d ? (A >> <u64>(i - d)) & 1 : 0;
    const carry = r >> 63;
    r = (r << 1) | bit;
    q <<= 1;
    if (carry != 0 || r >= B) { r -= B; q |= 1; }
  }
  let rs = sign;
  if (nearest && !partial) {
    const carry = r >> 63, twice = r << 1;
    if (carry != 0 || twice > B || (twice == B && (q & 1) != 0)) { q++; r = B - r; rs ^= 1; }
  }
  if (r == 0) setRes(0, rs << 15);
  else { resultFrom128(rs, 0, r, be + 64); deliver80(64); } // r * 2^(be - 63)
  if (partial) return SW_C2;
  let cc: u32 = 0;
  if ((q & 4) != 0) cc |= SW_C0;
  if ((q & 2) != 0) cc |= SW_C3;
  if ((q & 1) != 0) cc |= SW_C1;
  return cc;
}

// ---- Transcendentals, through binary64 ----
/** ST(0) as a binary64 (round to nearest). */
function toF64(aS: u64, aE: u32): f64 {
  unpack80(aS, aE, 0);
  if (aCls == CLS_ZERO) return aSign != 0 ? -0.0 : 0.0;
  if (aCls == CLS_INF) return aSign != 0 ? -Infinity : Infinity;
  if (aCls != CLS_NORMAL) return NaN;
  resultFromA();
  roundCore(53, 1023, 0, false);
  return reinterpret<f64>(packRounded64());
}
/** A binary64 result into res (exact), with PE (these results are never exact here). */
export function fromF64(v: f64): void {
  unpack64(reinterpret<u64>(v), false, 0);
  if (aCls >= CLS_QNAN) { xf |= FE_IE; setIndefinite(); return; }
  if (aCls == CLS_ZERO) { setRes(0, aSign << 15); return; }
  if (aCls == CLS_INF) { setRes(0x8000000000000000, (aSign << 15) | 0x7fff); return; }
  setRes(aSig, (aSign << 15) | <u32>(aExp + 16383));
  xf |= FE_PE;
}
/** Checks the operands of a transcendental: false when the result is already decided (NaN, invalid). */
export function transOperands(aS: u64, aE: u32, bS: u64, bE: u32, two: bool): bool {
  unpack80(aS, aE, 0);
  const ac = aCls, ad = aDen;
  if (two) unpack80(bS, bE, 1); else copyAtoB();
  if (ac == CLS_BAD || bCls == CLS_BAD) { xf |= FE_IE; setIndefinite(); return false; }
  if (ac >= CLS_QNAN || bCls >= CLS_QNAN) { nanResult(aS, aE, bS, bE, two); return false; }
  if (ad || bDen) xf |= FE_DE;
  return true;
}
export function f64Of(aS: u64, aE: u32): f64 { return toF64(aS, aE); }

