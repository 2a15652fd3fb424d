// Multiplication and division: MUL/IMUL/DIV/IDIV (F6/F7 /4../7), IMUL Gv,Ev (0F AF) and
// IMUL Gv,Ev,imm (69, 6B) (Intel SDM vol. 2). 64-bit operands use a 128-bit product and a 128/64
// division built from 64-bit halves. #DE for a zero divisor or a quotient that does not fit; then
// nothing is written. MUL/IMUL: CF = OF = the product does not fit the destination; SF ZF AF PF
// undefined (computed from the low half). DIV/IDIV leave all flags unchanged (all undefined).
import { raiseDE, faulted } from './fault';
import { RAX, RDX, getReg64, setReg64 } from './state';
import { opSize, fetchS8, fetchImm } from './decode';
import { decodeModrm, readE, readG, writeG, getRegN, setRegN } from './modrm';
import { setCC, CC_MUL, maskOfSize, sext } from './flags';

// 128-bit results of mulU64 / mulS64 / div helpers.
let hi128: u64 = 0;
let lo128: u64 = 0;

/** Unsigned 64 x 64 -> 128 (hi128:lo128). */
function mulU64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32;
  const b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  lo128 = (mid << 32) | (p00 & 0xffffffff);
  hi128 = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
/** Signed 64 x 64 -> 128. */
function mulS64(a: u64, b: u64): void {
  mulU64(a, b);
  if (<i64>a < 0) hi128 -= b;
  if (<i64>b < 0) hi128 -= a;
}

/** Unsigned (hi:lo) / d with hi < d: quotient in lo128, remainder in hi128. */
function divU128(hi: u64, lo: u64, d: u64): void {
  if (hi == 0) { lo128 = lo / d; hi128 = lo % d; return; }
  let r = hi;
  let q: u64 = 0;
  for (let i = 63; i >= 0; i--) {
    const top = r >> 63;
    r = (r << 1) | ((lo >> <u64>i) & 1);
    q <<= 1;
    if (top != 0 || r >= d) { r -= d; q |= 1; }
  }
  lo128 = q;
  hi128 = r;
}

/** Signed product of a and b (already sign-extended) at `size`: returns the low part, sets overflow. */
export let mulOverflow: bool = false;
export function imulN(a: u64, b: u64, size: u32): u64 {
  if (size == 8) {
    mulS64(a, b);
    // Fits when the high half is the sign extension of the low half.
    mulOverflow = hi128 != <u64>(<i64>lo128 >> 63);
    return lo128;
  }
  const p = <i64>a * <i64>b; // exact for 32-bit and smaller operands
  const low = <u64>p & maskOfSize(size);
  mulOverflow = <u64>p != sext(low, size);
  return low;
}

/** MUL E (F6/F7 /4): rDX:rAX = rAX * E (AX = AL * E for bytes). */
export function MUL_E(size: u32): void {
  const b = readE(size, false);
  if (faulted()) return;
  const a = getRegN(RAX, size);
  if (size == 1) {
    const p = a * b;
    setRegN(RAX, p, 2);
    setCC(CC_MUL, 1, p & 0xff, (p >> 8) != 0 ? 1 : 0);
  } else if (size == 8) {
    mulU64(a, b);
    setReg64(RAX, lo128);
    setReg64(RDX, hi128);
    setCC(CC_MUL, 8, lo128, hi128 != 0 ? 1 : 0);
  } else {
    const p = a * b;
    const bits: u64 = <u64>size << 3;
    const low = p & maskOfSize(size);
    const high = p >> bits;
    setRegN(RAX, low, size);
    setRegN(RDX, high, size);
    setCC(CC_MUL, size, low, high != 0 ? 1 : 0);
  }
}

/** IMUL E (F6/F7 /5): one-operand signed multiply into rDX:rAX. */
export function IMUL1_E(size: u32): void {
  const b = readE(size, false);
  if (faulted()) return;
  const a = getRegN(RAX, size);
  if (size == 8) {
    mulS64(a, b);
    setReg64(RAX, lo128);
    setReg64(RDX, hi128);
    setCC(CC_MUL, 8, lo128, hi128 != <u64>(<i64>lo128 >> 63) ? 1 : 0);
    return;
  }
  const p = <u64>(<i64>sext(a, size) * <i64>sext(b, size));
  const low = p & maskOfSize(size);
  const over: u64 = p != sext(low, size) ? 1 : 0;
  if (size == 1) setRegN(RAX, p & 0xffff, 2);
  else {
    setRegN(RAX, low, size);
    setRegN(RDX, (p >> (<u64>size << 3)) & maskOfSize(size), size);
  }
  setCC(CC_MUL, size, low, over);
}

/** IMUL Gv, Ev (0F AF). */
export function IMUL_GvEv(): void {
  decodeModrm();
  const size = opSize;
  const b = readE(size, false);
  if (faulted()) return;
  const r = imulN(sext(readG(size), size), sext(b, size), size);
  writeG(r, size);
  setCC(CC_MUL, size, r, mulOverflow ? 1 : 0);
}

/** IMUL Gv, Ev, Iz (69) and IMUL Gv, Ev, Ib (6B). */
export function IMUL_GvEvI(immByte: bool): void {
  decodeModrm();
  const size = opSize;
  const imm = immByte ? fetchS8() : fetchImm(size);
  if (faulted()) return;
  const b = readE(size, false);
  if (faulted()) return;
  const r = imulN(sext(b, size), sext(imm, size), size);
  writeG(r, size);
  setCC(CC_MUL, size, r, mulOverflow ? 1 : 0);
}

/** DIV E (F6/F7 /6): unsigned rDX:rAX / E. */
export function DIV_E(size: u32): void {
  const d = readE(size, false);
  if (faulted()) return;
  if (d == 0) { raiseDE(); return; }
  if (size == 8) {
    const hi = getReg64(RDX);
    if (hi >= d) { raiseDE(); return; }
    divU128(hi, getReg64(RAX), d);
    setReg64(RAX, lo128);
    setReg64(RDX, hi128);
    return;
  }
  let n: u64;
  if (size == 1) n = getRegN(RAX, 2);
  else n = (getRegN(RDX, size) << (<u64>size << 3)) | getRegN(RAX, size);
  const q = n / d;
  if (q > maskOfSize(size)) { raiseDE(); return; }
  const r = n % d;
  if (size == 1) setRegN(RAX, (r << 8) | q, 2);
  else {
    setRegN(RAX, q, size);
    setRegN(RDX, r, size);
  }
}

/** IDIV E (F6/F7 /7): signed rDX:rAX / E, quotient rounded toward zero. */
export function IDIV_E(size: u32): void {
  const dRaw = readE(size, false);
  if (faulted()) return;
  if (dRaw == 0) { raiseDE(); return; }
  const d = <i64>sext(dRaw, size);
  if (size == 8) {
    let hi = getReg64(RDX);
    let lo = getReg64(RAX);
    const negN = <i64>hi < 0;
    if (negN) { // negate the 128-bit dividend
      lo = ~lo + 1;
      hi = ~hi + (lo == 0 ? 1 : 0);
    }
    const negD = d < 0;
    const ad: u64 = negD ? <u64>(-d) : <u64>d;
    if (hi >= ad) { raiseDE(); return; } // the magnitude of the quotient needs more than 64 bits
    divU128(hi, lo, ad);
    let q = lo128;
    let r = hi128;
    const negQ = negN != negD;
    if (negQ) { if (q > 0x8000000000000000) { raiseDE(); return; } q = 0 - q; }
    else if (q > 0x7fffffffffffffff) { raiseDE(); return; }
    if (negN) r = 0 - r;
    setReg64(RAX, q);
    setReg64(RDX, r);
    return;
  }
  let n: i64;
  if (size == 1) n = <i64>sext(getRegN(RAX, 2), 2);
  else if (size == 2) n = <i64>sext((getRegN(RDX, 2) << 16) | getRegN(RAX, 2), 4);
  else n = <i64>((getRegN(RDX, 4) << 32) | getRegN(RAX, 4));
  // n / d cannot trap here: |n| < 2^63 unless size 4 with n = -2^63, d = -1, caught next.
  if (n == i64.MIN_VALUE && d == -1) { raiseDE(); return; }
  const q = n / d;
  const r = n % d;
  const bits = <i64>(size << 3);
  const qmax: i64 = (<i64>1 << (bits - 1)) - 1;
  if (q > qmax || q < -qmax - 1) { raiseDE(); return; }
  const m = maskOfSize(size);
  if (size == 1) setRegN(RAX, ((<u64>r & 0xff) << 8) | (<u64>q & 0xff), 2);
  else {
    setRegN(RAX, <u64>q & m, size);
    setRegN(RDX, <u64>r & m, size);
  }
}
