// One lane of SSE/SSE2 floating point: binary32 and binary64 arithmetic, MIN/MAX, compares,
// conversions, with MXCSR rounding (RC), DAZ and FTZ, and the exception flags as the SDM gives
// them (vol. 1, 11.5 "SSE/SSE2 exceptions", table 4-7 for NaN results; vol. 2 per instruction).
// NaN rules: an SNaN operand is invalid; the result is the first source's NaN, else the second's,
// made quiet; an invalid operation without NaN operands gives the default NaN (sign set). A NaN
// operand suppresses the denormal flag. Pre-computation conditions (IE DE ZE) collect in fpFlags,
// post-computation ones (OE UE PE) in postFlags: an instruction commits nothing if either has an
// unmasked bit (beginFp/endFp). Invariant: lanes never touch memory or registers.
import {
  FE_IE, FE_DE, FE_OE, FE_UE, FE_PE, CLS_ZERO, CLS_NORMAL, CLS_INF, CLS_QNAN, CLS_SNAN, CLS_DEFNAN,
  fpFlags, opCond, clearFpFlags, addFpFlags, unpack32, unpack64, unpackInt, resultFromA, roundCore,
  packRounded32, packRounded64, fpAdd, fpMul, fpDiv, fpSqrt, fpCompare, toInt, intResult,
  aCls, bCls, aDen, bDen, aSign, rCls, rSign, oOvf, oTiny, oInexact, oInexactWide, RC_ZERO, CMP_LT, CMP_GT, CMP_EQ, CMP_UN,
} from '../fp/softfloat';
import { getMxcsr, setMxcsr, raiseXM } from './regs';

export const OP_ADD: u32 = 0;
export const OP_SUB: u32 = 1;
export const OP_MUL: u32 = 2;
export const OP_DIV: u32 = 3;
export const OP_MIN: u32 = 4;
export const OP_MAX: u32 = 5;
export const OP_SQRT: u32 = 6;

// ---- Per-instruction MXCSR state ----
let mx: u32 = 0x1f80;
let rmode: u32 = 0;
let daz: bool = false;
let ftz: bool = false;
let postFlags: u32 = 0;

/** Starts an instruction: latches MXCSR (rounding, DAZ, FTZ, masks) and clears the conditions. */
export function beginFp(): void {
  mx = getMxcsr();
  rmode = (mx >> 13) & 3;
  daz = (mx & 0x40) != 0;
  ftz = (mx & 0x8000) != 0 && (mx & 0x800) != 0; // FTZ acts only with underflow masked
  clearFpFlags();
  postFlags = 0;
}

/**
 * Ends an instruction's computation: an unmasked pre-computation condition sets only the
 * pre-computation flags; otherwise every flag is set. Returns true when the results may be written,
 * false after raising #XM (or #UD without CR4.OSXMMEXCPT).
 */
export function endFp(): bool {
  const masks = (mx >> 7) & 0x3f;
  const pre = fpFlags & 0x3f;
  if ((pre & ~masks) != 0) { setMxcsr(mx | pre); raiseXM(); return false; }
  const all = pre | postFlags;
  if (all != 0) setMxcsr(mx | all);
  if ((postFlags & ~masks) != 0) { raiseXM(); return false; }
  return true;
}

/**
 * The post-computation flags of one rounded result. An unmasked overflow or underflow delivers no
 * result; PE then says whether the result rounded with an unbounded exponent was inexact.
 */
function postRound(): void {
  if (oOvf) { postFlags |= (mx & 0x400) == 0 ? (oInexactWide ? FE_OE | FE_PE : FE_OE) : FE_OE | FE_PE; return; }
  if (oTiny) {
    if ((mx & 0x800) == 0) { postFlags |= oInexactWide ? FE_UE | FE_PE : FE_UE; return; }
    if (oInexact) postFlags |= FE_UE | FE_PE;
    return;
  }
  if (oInexact) postFlags |= FE_PE;
}

function packR32(): u32 {
  if (rCls == CLS_ZERO) return rSign << 31;
  if (rCls == CLS_INF) return (rSign << 31) | 0x7f800000;
  if (rCls == CLS_DEFNAN) return 0xffc00000;
  roundCore(24, 127, rmode, ftz);
  postRound();
  return packRounded32();
}
function packR64(): u64 {
  if (rCls == CLS_ZERO) return <u64>rSign << 63;
  if (rCls == CLS_INF) return (<u64>rSign << 63) | 0x7ff0000000000000;
  if (rCls == CLS_DEFNAN) return 0xfff8000000000000;
  roundCore(53, 1023, rmode, ftz);
  postRound();
  return packRounded64();
}

@inline function isNaNCls(c: u32): bool { return c == CLS_QNAN || c == CLS_SNAN; }

/** The bits a DAZ-flushed operand reads as (a denormal becomes a zero of its sign). */
@inline function daz32(v: u32): u32 { return daz && (v & 0x7f800000) == 0 ? v & 0x80000000 : v; }
@inline function daz64(v: u64): u64 { return daz && (v & 0x7ff0000000000000) == 0 ? v & 0x8000000000000000 : v; }

function compute(op: u32): void {
  switch (op) {
    case OP_ADD: fpAdd(false, rmode); break;
    case OP_SUB: fpAdd(true, rmode); break;
    case OP_MUL: fpMul(); break;
    case OP_DIV: fpDiv(); break;
    default: fpSqrt(); break;
  }
}

/** a op b in binary32 (OP_SQRT: sqrt(b)). */
export function lane32(op: u32, a: u32, b: u32): u32 {
  if (op == OP_SQRT) {
    unpack32(b, daz, 0);
    if (isNaNCls(aCls)) { if (aCls == CLS_SNAN) addFpFlags(FE_IE); return b | 0x400000; }
    fpSqrt();
    if (aDen && opCond == 0) addFpFlags(FE_DE); // invalid (a negative denormal) takes precedence
    return packR32();
  }
  unpack32(a, daz, 0);
  unpack32(b, daz, 1);
  if (isNaNCls(aCls) || isNaNCls(bCls)) {
    if (op >= OP_MIN) { addFpFlags(FE_IE); return daz32(b); } // MIN/MAX: any NaN is invalid; the source is returned
    if (aCls == CLS_SNAN || bCls == CLS_SNAN) addFpFlags(FE_IE);
    return isNaNCls(aCls) ? a | 0x400000 : b | 0x400000;
  }
  if (op >= OP_MIN) {
    if (aDen || bDen) addFpFlags(FE_DE);
    const c = fpCompare();
    return (op == OP_MIN ? c == CMP_LT : c == CMP_GT) ? daz32(a) : daz32(b);
  }
  compute(op);
  if ((aDen || bDen) && opCond == 0) addFpFlags(FE_DE); // IE and ZE take precedence over DE
  return packR32();
}

/** a op b in binary64 (OP_SQRT: sqrt(b)). */
export function lane64(op: u32, a: u64, b: u64): u64 {
  if (op == OP_SQRT) {
    unpack64(b, daz, 0);
    if (isNaNCls(aCls)) { if (aCls == CLS_SNAN) addFpFlags(FE_IE); return b | 0x8000000000000; }
    fpSqrt();
    if (aDen && opCond == 0) addFpFlags(FE_DE);
    return packR64();
  }
  unpack64(a, daz, 0);
  unpack64(b, daz, 1);
  if (isNaNCls(aCls) || isNaNCls(bCls)) {
    if (op >= OP_MIN) { addFpFlags(FE_IE); return daz64(b); }
    if (aCls == CLS_SNAN || bCls == CLS_SNAN) addFpFlags(FE_IE);
    return isNaNCls(aCls) ? a | 0x8000000000000 : b | 0x8000000000000;
  }
  if (op >= OP_MIN) {
    if (aDen || bDen) addFpFlags(FE_DE);
    const c = fpCompare();
    return (op == OP_MIN ? c == CMP_LT : c == CMP_GT) ? daz64(a) : daz64(b);
  }
  compute(op);
  if ((aDen || bDen) && opCond == 0) addFpFlags(FE_DE);
  return packR64();
}

// ---- Compares ----
/**
 * CMPPS/PD/SS/SD predicate `pred` (imm8 bits 2:0: EQ LT LE UNORD NEQ NLT NLE ORD) on the operands
 * already unpacked in A and B. LT LE NLT NLE signal invalid on any NaN, the others only on SNaN.
 */
function cmpPredicate(pred: u32): bool {
  const nan = isNaNCls(aCls) || isNaNCls(bCls);
  if (nan) {
    if (aCls == CLS_SNAN || bCls == CLS_SNAN || (pred & 3) == 1 || (pred & 3) == 2) addFpFlags(FE_IE);
  } else if (aDen || bDen) addFpFlags(FE_DE);
  const c = fpCompare();
  switch (pred & 7) {
    case 0: return c == CMP_EQ;
    case 1: return c == CMP_LT;
    case 2: return c == CMP_LT || c == CMP_EQ;
    case 3: return c == CMP_UN;
    case 4: return c != CMP_EQ;
    case 5: return c != CMP_LT;
    case 6: return !(c == CMP_LT || c == CMP_EQ);
    default: return c != CMP_UN;
  }
}
export function cmp32(pred: u32, a: u32, b: u32): u32 {
  unpack32(a, daz, 0);
  unpack32(b, daz, 1);
  return cmpPredicate(pred) ? 0xffffffff : 0;
}
export function cmp64(pred: u32, a: u64, b: u64): u64 {
  unpack64(a, daz, 0);
  unpack64(b, daz, 1);
  return cmpPredicate(pred) ? <u64>0xffffffffffffffff : 0;
}

/**
 * COMISS/COMISD (`signalQuiet`) and UCOMISS/UCOMISD on A and B: the ZF PF CF result
 * (unordered 111, less 001, equal 100, greater 000) as RFLAGS bits.
 */
function comis(signalQuiet: bool): u32 {
  const nan = isNaNCls(aCls) || isNaNCls(bCls);
  if (nan) {
    if (signalQuiet || aCls == CLS_SNAN || bCls == CLS_SNAN) addFpFlags(FE_IE);
  } else if (aDen || bDen) addFpFlags(FE_DE);
  const c = fpCompare();
  if (c == CMP_UN) return 0x45;
  if (c == CMP_LT) return 0x01;
  if (c == CMP_EQ) return 0x40;
  return 0;
}
export function comis32(signalQuiet: bool, a: u32, b: u32): u32 {
  unpack32(a, daz, 0);
  unpack32(b, daz, 1);
  return comis(signalQuiet);
}
export function comis64(signalQuiet: bool, a: u64, b: u64): u32 {
  unpack64(a, daz, 0);
  unpack64(b, daz, 1);
  return comis(signalQuiet);
}

// ---- Conversions ----
/** Integer (sign-extended to 64 bits) to binary32 / binary64: inexact is the only condition. */
export function intTo32(v: i64): u32 {
  unpackInt(v < 0 ? 1 : 0, v < 0 ? <u64>(-v) : <u64>v);
  resultFromA();
  return packR32();
}
export function intTo64(v: i64): u64 {
  unpackInt(v < 0 ? 1 : 0, v < 0 ? <u64>(-v) : <u64>v);
  resultFromA();
  return packR64();
}

/** The A operand to a signed integer of `bits`; NaN, infinity or overflow: IE and the indefinite value. */
function toIntLane(bits: i32, trunc: bool): u64 {
  const indefinite: u64 = bits == 64 ? 0x8000000000000000 : 0x80000000;
  if (aCls != CLS_ZERO && aCls != CLS_NORMAL) { addFpFlags(FE_IE); return indefinite; }
  if (!toInt(bits, trunc ? RC_ZERO : rmode)) { addFpFlags(FE_IE); return indefinite; }
  if (oInexact) postFlags |= FE_PE;
  return bits == 64 ? intResult : intResult & 0xffffffff;
}
export function f32ToInt(v: u32, bits: i32, trunc: bool): u64 {
  unpack32(v, daz, 0);
  return toIntLane(bits, trunc);
}
export function f64ToInt(v: u64, bits: i32, trunc: bool): u64 {
  unpack64(v, daz, 0);
  return toIntLane(bits, trunc);
}

/** binary32 to binary64 (exact; a NaN keeps its payload, made quiet). */
export function f32To64(v: u32): u64 {
  unpack32(v, daz, 0);
  if (isNaNCls(aCls)) {
    if (aCls == CLS_SNAN) addFpFlags(FE_IE);
    return (<u64>(v >> 31) << 63) | 0x7ff8000000000000 | (<u64>(v & 0x3fffff) << 29);
  }
  if (aDen) addFpFlags(FE_DE);
  if (aCls == CLS_ZERO) return <u64>aSign << 63;
  if (aCls == CLS_INF) return (<u64>aSign << 63) | 0x7ff0000000000000;
  resultFromA();
  return packR64();
}
/** binary64 to binary32 (rounded; a NaN keeps the top of its payload, made quiet). */
export function f64To32(v: u64): u32 {
  unpack64(v, daz, 0);
  if (isNaNCls(aCls)) {
    if (aCls == CLS_SNAN) addFpFlags(FE_IE);
    return (<u32>(v >> 63) << 31) | 0x7fc00000 | (<u32>(v >> 29) & 0x3fffff);
  }
  if (aDen) addFpFlags(FE_DE);
  if (aCls == CLS_ZERO) return aSign << 31;
  if (aCls == CLS_INF) return (aSign << 31) | 0x7f800000;
  resultFromA();
  return packR32();
}

// ---- Approximations (RCPPS/RCPSS, RSQRTPS/RSQRTSS) ----
// The SDM only bounds their relative error (1.5 * 2^-12); vendors differ in the low bits, so these
// give the correctly rounded binary32 value, which is within the bound. No flags; a denormal
// operand counts as zero, and a result too small for a normal becomes zero.
export function rcp32(v: u32): u32 {
  const sign = v & 0x80000000;
  const e = (v >> 23) & 0xff;
  if (e == 0xff) return (v & 0x7fffff) != 0 ? v | 0x400000 : sign;
  if (e == 0) return sign | 0x7f800000;
  const r = reinterpret<u32>(<f32>(1.0 / <f64>reinterpret<f32>(v)));
  return (r & 0x7f800000) == 0 ? r & 0x80000000 : r;
}
export function rsqrt32(v: u32): u32 {
  const sign = v & 0x80000000;
  const e = (v >> 23) & 0xff;
  if (e == 0xff) {
    if ((v & 0x7fffff) != 0) return v | 0x400000;
    return sign != 0 ? 0xffc00000 : 0;
  }
  if (e == 0) return sign | 0x7f800000;
  if (sign != 0) return 0xffc00000;
  return reinterpret<u32>(<f32>(1.0 / Math.sqrt(<f64>reinterpret<f32>(v))));
}
