// An eager, deliberately plain computation of the six arithmetic flags, used only by tests to check
// the lazy flags of cpu/flags.ts (design.md: "lazy flags, checked in tests against a plain eager
// computation"). Written from the SDM's definitions (vol. 1, 3.4.3.1 and the instruction pages),
// not from the lazy formulas: carries from widened sums, overflow from signed ranges, parity by count.
// Flags the SDM calls undefined are not modelled here; tests mask them.

export const REF_ADD: u32 = 0;
export const REF_ADC: u32 = 1;
export const REF_SUB: u32 = 2;
export const REF_SBB: u32 = 3;
export const REF_LOGIC: u32 = 4;
export const REF_INC: u32 = 5;
export const REF_DEC: u32 = 6;
export const REF_SHL: u32 = 7;
export const REF_SHR: u32 = 8;
export const REF_SAR: u32 = 9;
export const REF_NEG: u32 = 10;

const CF: u32 = 1, PF: u32 = 4, AF: u32 = 16, ZF: u32 = 64, SF: u32 = 128, OF: u32 = 2048;

/** The result of the last refFlags call (masked to the operand size). */
export let refResult: u64 = 0;

function bitsOf(size: u32): u32 { return size * 8; }
function maskFor(size: u32): u64 { return size == 8 ? 0xffffffffffffffff : ((<u64>1 << <u64>(size * 8)) - 1); }
function topBit(v: u64, size: u32): bool { return ((v >> <u64>(size * 8 - 1)) & 1) != 0; }
function evenParity(v: u64): bool {
  let n = 0;
  for (let i = 0; i < 8; i++) if (((v >> <u64>i) & 1) != 0) n++;
  return (n & 1) == 0;
}
/** Unsigned a + b + c >= 2^bits, computed 32 bits at a time (no 64-bit overflow tricks). */
function carryOut(a: u64, b: u64, c: u64, size: u32): bool {
  if (size < 8) return ((a + b + c) >> <u64>(size * 8)) != 0;
  const lo = (a & 0xffffffff) + (b & 0xffffffff) + c;
  const hi = (a >> 32) + (b >> 32) + (lo >> 32);
  return (hi >> 32) != 0;
}
/** Unsigned a < b + c (a borrow out of a - b - c). */
function borrowOut(a: u64, b: u64, c: u64): bool {
  if (b == 0xffffffffffffffff && c != 0) return true;
  return a < b + c;
}
/** Signed a + b + c (or a - b - c) out of the signed range of the width. */
function signedOverflow(a: u64, b: u64, c: u64, size: u32, sub: bool): bool {
  const sa = topBit(a, size), sb = topBit(b, size);
  const r = sub ? (a - b - c) & maskFor(size) : (a + b + c) & maskFor(size);
  const sr = topBit(r, size);
  if (sub) return sa != sb && sr != sa; // positive - negative gave negative, or the reverse
  return sa == sb && sr != sa; // two operands of one sign gave the other sign
}

/**
 * Flags after `op` on a and b (operand size `size` in bytes; for ADC/SBB c is the carry-in, for
 * INC/DEC the old CF, for shifts b is the count, already masked and non-zero).
 */
export function refFlags(op: u32, size: u32, a: u64, b: u64, c: u64): u32 {
  const m = maskFor(size);
  a &= m;
  let r: u64 = 0;
  let cf = false, ovf = false, af = false;
  switch (op) {
    case REF_ADD: case REF_ADC: {
      b &= m;
      const cin: u64 = op == REF_ADC ? c : 0;
      r = (a + b + cin) & m;
      cf = carryOut(a, b, cin, size);
      ovf = signedOverflow(a, b, cin, size, false);
      af = (a & 15) + (b & 15) + cin > 15;
      break;
    }
    case REF_SUB: case REF_SBB: case REF_NEG: {
      if (op == REF_NEG) { b = a; a = 0; }
      b &= m;
      const cin: u64 = op == REF_SBB ? c : 0;
      r = (a - b - cin) & m;
      cf = borrowOut(a, b, cin);
      ovf = signedOverflow(a, b, cin, size, true);
      af = (a & 15) < (b & 15) + cin;
      break;
    }
    case REF_LOGIC: r = a; break; // the caller passes the result of AND/OR/XOR as a
    case REF_INC: r = (a + 1) & m; cf = c != 0; ovf = a == (m >> 1); af = (a & 15) == 15; break;
    case REF_DEC: r = (a - 1) & m; cf = c != 0; ovf = a == (m >> 1) + 1; af = (a & 15) == 0; break;
    case REF_SHL: {
      const n = <u32>b;
      r = n >= 64 ? 0 : (a << <u64>n) & m;
      cf = n <= bitsOf(size) ? ((a >> <u64>(bitsOf(size) - n)) & 1) != 0 : false;
      ovf = topBit(r, size) != cf;
      break;
    }
    case REF_SHR: {
      const n = <u32>b;
      r = n >= 64 ? 0 : a >> <u64>n;
      cf = n <= 64 ? ((a >> <u64>(n - 1)) & 1) != 0 : false;
      ovf = topBit(a, size);
      break;
    }
    default: { // SAR
      const n = <u32>b;
      const neg = topBit(a, size);
      let v = a;
      for (let i: u32 = 0; i < n; i++) {
        cf = (v & 1) != 0;
        v = (v >> 1) | (neg ? (<u64>1 << <u64>(bitsOf(size) - 1)) : 0);
      }
      r = v & m;
      ovf = false;
      break;
    }
  }
  refResult = r;
  let f: u32 = 0;
  if (cf) f |= CF;
  if (evenParity(r & 0xff)) f |= PF;
  if (af) f |= AF;
  if (r == 0) f |= ZF;
  if (topBit(r, size)) f |= SF;
  if (ovf) f |= OF;
  return f;
}
