// Lazy arithmetic flags, QEMU style (Intel SDM vol. 1, 3.4.3 and appendix A "EFLAGS cross-reference").
// An instruction that sets flags records what it did: CC_OP = kind << 2 | size index (0..3 for 8..64
// bits), CC_DST = the result, CC_SRC = the second operand (per kind below), CC_SRC2 = carry-in or old
// CF. The six flags are computed only when read. CC_OP = CC_EFLAGS (0) means the arithmetic flags in
// CPU_RFLAGS are current. Invariant: outside the six arithmetic flags CPU_RFLAGS is always exact.
import { CPU_BASE, CPU_RFLAGS, CPU_CC_OP, CPU_CC_DST, CPU_CC_SRC, CPU_CC_SRC2 } from '../layout';
import {
  FLAG_CF, FLAG_PF, FLAG_AF, FLAG_ZF, FLAG_SF, FLAG_OF, FLAG_FIXED1, FLAGS_ARITH, FLAG_AC, CR0_AM, getCpl, getCr0,
} from './state';

// ---- Kinds (what CC_DST / CC_SRC / CC_SRC2 hold) ----
export const CC_EFLAGS: u32 = 0; // flags are in CPU_RFLAGS
export const CC_ADD: u32 = 1; // DST = a + b, SRC = b
export const CC_ADC: u32 = 2; // DST = a + b + c, SRC = b, SRC2 = c
export const CC_SUB: u32 = 3; // DST = a - b, SRC = b (CMP, NEG with a = 0)
export const CC_SBB: u32 = 4; // DST = a - b - c, SRC = b, SRC2 = c
export const CC_LOGIC: u32 = 5; // DST = result (AND OR XOR TEST)
export const CC_INC: u32 = 6; // DST = a + 1, SRC2 = old CF
export const CC_DEC: u32 = 7; // DST = a - 1, SRC2 = old CF
export const CC_SHL: u32 = 8; // DST = result, SRC = value << (count - 1)
export const CC_SHR: u32 = 9; // DST = result, SRC = value >> (count - 1) (logical)
export const CC_SAR: u32 = 10; // DST = result, SRC = value >> (count - 1) (arithmetic)
export const CC_MUL: u32 = 11; // DST = low half of the product, SRC = 1 if the product overflowed the low half

const P_OP: u32 = CPU_BASE + CPU_CC_OP;
const P_DST: u32 = CPU_BASE + CPU_CC_DST;
const P_SRC: u32 = CPU_BASE + CPU_CC_SRC;
const P_SRC2: u32 = CPU_BASE + CPU_CC_SRC2;
const P_FLAGS: u32 = CPU_BASE + CPU_RFLAGS;

/** Size index of an operand size in bytes: 1 -> 0, 2 -> 1, 4 -> 2, 8 -> 3. */
@inline export function sizeIndex(size: u32): u32 { return ctz(size); }
/** All-ones mask of the operand width for size index si. */
@inline export function maskOf(si: u32): u64 { return (<u64>0xffffffffffffffff) >> (64 - (<u64>8 << si)); }
/** The sign bit of the operand width for size index si. */
@inline export function signOf(si: u32): u64 { return (<u64>1) << ((<u64>8 << si) - 1); }
/** Mask for an operand size in bytes. */
@inline export function maskOfSize(size: u32): u64 { return (<u64>0xffffffffffffffff) >> (64 - (<u64>size << 3)); }
/** Sign-extends the low `size` bytes of v to 64 bits. */
@inline export function sext(v: u64, size: u32): u64 {
  const sh = 64 - (<u64>size << 3);
  return <u64>((<i64>(v << sh)) >> sh);
}

// ---- Recording ----
@inline export function setCC(kind: u32, size: u32, dst: u64, src: u64): void {
  store<u32>(P_OP, (kind << 2) | sizeIndex(size));
  store<u64>(P_DST, dst);
  store<u64>(P_SRC, src);
}
@inline export function setCC3(kind: u32, size: u32, dst: u64, src: u64, src2: u64): void {
  store<u32>(P_OP, (kind << 2) | sizeIndex(size));
  store<u64>(P_DST, dst);
  store<u64>(P_SRC, src);
  store<u64>(P_SRC2, src2);
}

// ---- Single flags (each flag's rule per kind on its own line) ----
export function getCF(): bool {
  const op = load<u32>(P_OP);
  const si = op & 3;
  const m = maskOf(si);
  const dst = load<u64>(P_DST);
  const src = load<u64>(P_SRC);
  switch (op >> 2) {
    case CC_EFLAGS: return (load<u32>(P_FLAGS) & FLAG_CF) != 0;
    case CC_ADD: return (dst & m) < (src & m); // carry out: result below the addend
    case CC_ADC: return load<u64>(P_SRC2) != 0 ? (dst & m) <= (src & m) : (dst & m) < (src & m);
    case CC_SUB: return ((dst + src) & m) < (src & m); // borrow: a < b
    case CC_SBB: {
      const c = load<u64>(P_SRC2);
      const a = (dst + src + c) & m;
      return c != 0 ? a <= (src & m) : a < (src & m);
    }
    case CC_LOGIC: return false;
    case CC_INC: return load<u64>(P_SRC2) != 0; // unchanged
    case CC_DEC: return load<u64>(P_SRC2) != 0; // unchanged
    case CC_SHL: return (src & signOf(si)) != 0; // last bit shifted out of the top (undefined if count >= width, 8/16-bit)
    case CC_SHR: return (src & 1) != 0; // last bit shifted out of the bottom
    case CC_SAR: return (src & 1) != 0;
    case CC_MUL: return src != 0;
    default: return false;
  }
}

export function getOF(): bool {
  const op = load<u32>(P_OP);
  const si = op & 3;
  const sign = signOf(si);
  const dst = load<u64>(P_DST);
  const src = load<u64>(P_SRC);
  switch (op >> 2) {
    case CC_EFLAGS: return (load<u32>(P_FLAGS) & FLAG_OF) != 0;
    case CC_ADD: { const a = dst - src; return ((a ^ dst) & (src ^ dst) & sign) != 0; }
    case CC_ADC: { const a = dst - src - load<u64>(P_SRC2); return ((a ^ dst) & (src ^ dst) & sign) != 0; }
    case CC_SUB: { const a = dst + src; return ((a ^ src) & (a ^ dst) & sign) != 0; }
    case CC_SBB: { const a = dst + src + load<u64>(P_SRC2); return ((a ^ src) & (a ^ dst) & sign) != 0; }
    case CC_LOGIC: return false;
    case CC_INC: return (dst & maskOf(si)) == sign; // 0x7f.. + 1
    case CC_DEC: return (dst & maskOf(si)) == sign - 1; // 0x80.. - 1
    case CC_SHL: return ((src ^ dst) & sign) != 0; // CF xor MSB(result); undefined unless count = 1
    case CC_SHR: return ((src ^ dst) & sign) != 0; // MSB of the original operand; undefined unless count = 1
    case CC_SAR: return false; // 0 for count = 1; undefined otherwise
    case CC_MUL: return src != 0;
    default: return false;
  }
}

export function getAF(): bool {
  const op = load<u32>(P_OP);
  const dst = load<u64>(P_DST);
  const src = load<u64>(P_SRC);
  switch (op >> 2) {
    case CC_EFLAGS: return (load<u32>(P_FLAGS) & FLAG_AF) != 0;
    case CC_ADD: return (((dst - src) ^ src ^ dst) & 0x10) != 0; // carry out of bit 3
    case CC_ADC: return (((dst - src - load<u64>(P_SRC2)) ^ src ^ dst) & 0x10) != 0;
    case CC_SUB: return (((dst + src) ^ src ^ dst) & 0x10) != 0; // borrow into bit 3
    case CC_SBB: return (((dst + src + load<u64>(P_SRC2)) ^ src ^ dst) & 0x10) != 0;
    case CC_LOGIC: return false; // undefined (AMD clears it)
    case CC_INC: return (dst & 0xf) == 0;
    case CC_DEC: return (dst & 0xf) == 0xf;
    case CC_SHL: return true; // undefined: the reference (AMD) CPU sets it
    case CC_SHR: return true; // undefined: the reference (AMD) CPU sets it
    case CC_SAR: return true; // undefined: the reference (AMD) CPU sets it
    case CC_MUL: return false; // undefined
    default: return false;
  }
}

export function getZF(): bool {
  const op = load<u32>(P_OP);
  if (op == CC_EFLAGS) return (load<u32>(P_FLAGS) & FLAG_ZF) != 0;
  return (load<u64>(P_DST) & maskOf(op & 3)) == 0; // every kind: result is zero (undefined for MUL)
}

export function getSF(): bool {
  const op = load<u32>(P_OP);
  if (op == CC_EFLAGS) return (load<u32>(P_FLAGS) & FLAG_SF) != 0;
  return (load<u64>(P_DST) & signOf(op & 3)) != 0; // every kind: MSB of the result (undefined for MUL)
}

export function getPF(): bool {
  const op = load<u32>(P_OP);
  if (op == CC_EFLAGS) return (load<u32>(P_FLAGS) & FLAG_PF) != 0;
  return (popcnt<u32>(<u32>load<u64>(P_DST) & 0xff) & 1) == 0; // even parity of the low byte
}

/** The six arithmetic flags as RFLAGS bits. */
export function computeArith(): u32 {
  const op = load<u32>(P_OP);
  if (op == CC_EFLAGS) return load<u32>(P_FLAGS) & FLAGS_ARITH;
  let f: u32 = 0;
  if (getCF()) f |= FLAG_CF;
  if (getPF()) f |= FLAG_PF;
  if (getAF()) f |= FLAG_AF;
  if (getZF()) f |= FLAG_ZF;
  if (getSF()) f |= FLAG_SF;
  if (getOF()) f |= FLAG_OF;
  return f;
}

/** Architectural RFLAGS with the lazy flags materialised (does not change the lazy state). */
export function getFlags(): u64 {
  const raw = load<u64>(P_FLAGS);
  if (load<u32>(P_OP) == CC_EFLAGS) return raw | FLAG_FIXED1;
  return (raw & ~(<u64>FLAGS_ARITH)) | <u64>computeArith() | FLAG_FIXED1;
}

/**
 * Alignment checking is on (CPL 3, CR0.AM and RFLAGS.AC): misaligned data accesses raise #AC(0)
 * (SDM vol. 3, 6.15 "#AC"). Cached here; recomputed whenever RFLAGS is set as a whole, and by
 * interp.refreshMode when the CPL or CR0 may have changed.
 */
export let alignCheck: bool = false;
export function updateAlignCheck(): void {
  alignCheck = getCpl() == 3 && (getCr0() & CR0_AM) != 0 && (load<u32>(P_FLAGS) & FLAG_AC) != 0;
}

/** Sets the whole of RFLAGS (bit 1 forced to 1); the arithmetic flags become eager. */
export function setFlags(v: u64): void {
  store<u64>(P_FLAGS, v | FLAG_FIXED1);
  store<u32>(P_OP, CC_EFLAGS);
  updateAlignCheck();
}

/** Makes the arithmetic flags eager in CPU_RFLAGS (CC_OP = CC_EFLAGS). */
export function materializeFlags(): void {
  if (load<u32>(P_OP) == CC_EFLAGS) return;
  store<u64>(P_FLAGS, getFlags());
  store<u32>(P_OP, CC_EFLAGS);
}

/** Replaces the six arithmetic flags by `arith` (RFLAGS bits), eagerly. */
export function setArithFlags(arith: u32): void {
  const raw = load<u64>(P_FLAGS) & ~(<u64>FLAGS_ARITH);
  store<u64>(P_FLAGS, raw | <u64>(arith & FLAGS_ARITH) | FLAG_FIXED1);
  store<u32>(P_OP, CC_EFLAGS);
}

/** Sets or clears only the flags in `mask` (arithmetic or not), materialising the rest first. */
export function setFlagBits(mask: u32, on: bool): void {
  materializeFlags();
  const raw = load<u64>(P_FLAGS);
  store<u64>(P_FLAGS, on ? raw | <u64>mask : raw & ~(<u64>mask));
  if ((mask & FLAG_AC) != 0) updateAlignCheck();
}

/** Non-arithmetic RFLAGS bits (IF, DF, TF, IOPL, ...): always exact in CPU_RFLAGS. */
@inline export function rawFlags(): u64 { return load<u64>(P_FLAGS); }
@inline export function setRawFlagsKeepArith(v: u64): void {
  // Writes every bit except the six arithmetic flags, which keep their lazy state.
  const raw = load<u64>(P_FLAGS);
  store<u64>(P_FLAGS, (raw & <u64>FLAGS_ARITH) | (v & ~(<u64>FLAGS_ARITH)) | FLAG_FIXED1);
  updateAlignCheck();
}
@inline export function getDF(): bool { return (load<u32>(P_FLAGS) & (1 << 10)) != 0; }

/**
 * Condition code cc (the low nibble of Jcc/SETcc/CMOVcc, SDM vol. 1, appendix B):
 * 0 O, 1 NO, 2 B, 3 AE, 4 Z, 5 NZ, 6 BE, 7 A, 8 S, 9 NS, A P, B NP, C L, D GE, E LE, F G.
 */
export function testCond(cc: u32): bool { return testCondInline(cc); }
/** testCond for a constant condition (the decode cache's Jcc): inlined, it folds to the one rule used. */
@inline export function testCondInline(cc: u32): bool {
  const op = load<u32>(P_OP);
  const c = cc >> 1;
  let r: bool;
  if (op == CC_EFLAGS) {
    r = testCondSlow(c);
  } else {
    const kind = op >> 2;
    const si = op & 3;
    const dst = load<u64>(P_DST);
    if (c == 2) r = (dst & maskOf(si)) == 0; // ZF: the result is zero, for every kind
    else if (c == 4) r = (dst & signOf(si)) != 0; // SF: the sign of the result, for every kind
    else if (kind == CC_SUB) {
      // After CMP/SUB the conditions compare the operands directly.
      const m = maskOf(si);
      const src = load<u64>(P_SRC);
      const a = (dst + src) & m;
      const b = src & m;
      const sh = 64 - (<u64>8 << si);
      switch (c) {
        case 1: r = a < b; break;
        case 3: r = a <= b; break;
        case 6: r = (<i64>(a << sh)) < (<i64>(b << sh)); break;
        case 7: r = (<i64>(a << sh)) <= (<i64>(b << sh)); break;
        default: r = testCondSlow(c);
      }
    } else if (kind == CC_LOGIC) {
      // After TEST/AND/OR/XOR: CF = OF = 0.
      switch (c) {
        case 0: r = false; break;
        case 1: r = false; break;
        case 3: r = (dst & maskOf(si)) == 0; break;
        case 6: r = (dst & signOf(si)) != 0; break;
        case 7: r = (dst & maskOf(si)) == 0 || (dst & signOf(si)) != 0; break;
        default: r = testCondSlow(c);
      }
    } else {
      r = testCondSlow(c);
    }
  }
  return r != ((cc & 1) != 0);
}

function testCondSlow(c: u32): bool {
  switch (c) {
    case 0: return getOF();
    case 1: return getCF();
    case 2: return getZF();
    case 3: return getCF() || getZF();
    case 4: return getSF();
    case 5: return getPF();
    case 6: return getSF() != getOF();
    default: return getZF() || getSF() != getOF();
  }
}
