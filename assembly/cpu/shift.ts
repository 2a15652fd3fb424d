// Shifts and rotates: group 2 (ROL ROR RCL RCR SHL SHR SAL SAR by 1, CL or imm8) and SHLD/SHRD
// (Intel SDM vol. 2, "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD"). The count is masked to
// 5 bits (6 for 64-bit operands); a masked count of 0 changes no flags (but a 32-bit register
// destination is still written, i.e. zero-extended). RCL/RCR rotate through CF over width+1 bits.
// Undefined flags (OF for counts other than 1, AF) get the values noted at each rule.
import { faulted } from './fault';
import { getReg8Low, RCX, FLAG_CF, FLAG_OF } from './state';
import { opSize, fetch8 } from './decode';
import { decodeModrm, modDigit, modIsReg, readE, writeBackE, readG } from './modrm';
import {
  setCC, getCF, materializeFlags, maskOfSize, sext, CC_SHL, CC_SHR, CC_SAR,
} from './flags';
import { CPU_BASE, CPU_RFLAGS } from '../layout';

export const SH_ROL: u32 = 0;
export const SH_ROR: u32 = 1;
export const SH_RCL: u32 = 2;
export const SH_RCR: u32 = 3;
export const SH_SHL: u32 = 4;
export const SH_SHR: u32 = 5;
export const SH_SAL: u32 = 6;
export const SH_SAR: u32 = 7;

/** Sets CF and OF eagerly, keeping the other flags. */
function setCfOf(cf: bool, ovf: bool): void {
  materializeFlags();
  let f = load<u64>(CPU_BASE + CPU_RFLAGS) & ~(<u64>(FLAG_CF | FLAG_OF));
  if (cf) f |= FLAG_CF;
  if (ovf) f |= FLAG_OF;
  store<u64>(CPU_BASE + CPU_RFLAGS, f);
}

/**
 * Applies shift/rotate `op` to `a` (masked to size) by the already masked count c (non-zero);
 * records the flags and returns the result.
 */
export function shiftOp(op: u32, a: u64, c: u32, size: u32, commitFlags: bool): u64 {
  const bits: u32 = size << 3;
  const m = maskOfSize(size);
  const sign: u64 = <u64>1 << (bits - 1);
  let r: u64 = 0;
  switch (op) {
    case SH_ROL: {
      const k = c & (bits - 1);
      r = k == 0 ? a : ((a << k) | (a >> (bits - k))) & m;
      if (commitFlags) {
        const cf = (r & 1) != 0; // CF = LSB of the result
        setCfOf(cf, ((r & sign) != 0) != cf); // OF = MSB xor CF (defined for count 1)
      }
      return r;
    }
    case SH_ROR: {
      const k = c & (bits - 1);
      r = k == 0 ? a : ((a >> k) | (a << (bits - k))) & m;
      if (commitFlags) {
        const cf = (r & sign) != 0; // CF = MSB of the result
        setCfOf(cf, cf != ((r & (sign >> 1)) != 0)); // OF = the two top bits differ (count 1)
      }
      return r;
    }
    case SH_RCL: {
      const k = bits < 32 ? c % (bits + 1) : c;
      if (k == 0) return a; // no rotation: flags unchanged
      const cin: u64 = getCF() ? 1 : 0;
      r = (a << k) | (cin << (k - 1));
      if (k > 1) r |= a >> (bits + 1 - k);
      r &= m;
      if (commitFlags) {
        const cf = ((a >> (bits - k)) & 1) != 0; // the last bit rotated out of the top
        setCfOf(cf, ((r & sign) != 0) != cf); // OF = MSB xor new CF (count 1)
      }
      return r;
    }
    case SH_RCR: {
      const k = bits < 32 ? c % (bits + 1) : c;
      if (k == 0) return a;
      const cin: u64 = getCF() ? 1 : 0;
      r = (a >> k) | (cin << (bits - k));
      if (k > 1) r |= a << (bits + 1 - k);
      r &= m;
      if (commitFlags) {
        const cf = ((a >> (k - 1)) & 1) != 0; // the last bit rotated out of the bottom
        setCfOf(cf, ((r & sign) != 0) != ((r & (sign >> 1)) != 0)); // OF = top two bits differ (count 1)
      }
      return r;
    }
    case SH_SHL:
    case SH_SAL: {
      r = c >= 64 ? 0 : (a << c) & m;
      // CC_SHL: CF = MSB of a << (count-1) (0 when count > width, 8/16-bit: undefined there);
      // OF = CF xor MSB(result) (undefined unless count = 1); AF undefined (0).
      if (commitFlags) setCC(CC_SHL, size, r, a << (c - 1));
      return r;
    }
    case SH_SHR: {
      r = a >> c;
      // CC_SHR: CF = bit count-1 of a; OF = MSB of a (count 1; undefined otherwise).
      if (commitFlags) setCC(CC_SHR, size, r, a >> (c - 1));
      return r;
    }
    default: { // SAR
      const s = sext(a, size);
      r = <u64>(<i64>s >> c) & m;
      // CC_SAR: CF = bit count-1 of the sign-extended a; OF = 0.
      if (commitFlags) setCC(CC_SAR, size, r, <u64>(<i64>s >> (c - 1)));
      return r;
    }
  }
}

/** Group 2 with count source: 0 = 1 (D0/D1), 1 = CL (D2/D3), 2 = imm8 (C0/C1). */
export function GRP2(size: u32, countSrc: u32): void {
  decodeModrm();
  let count: u32 = 1;
  if (countSrc == 2) {
    count = fetch8();
    if (faulted()) return;
  } else if (countSrc == 1) {
    count = getReg8Low(RCX);
  }
  const op = modDigit();
  const c = count & (size == 8 ? 0x3f : 0x1f);
  const a = readE(size, true);
  if (faulted()) return;
  if (c == 0) {
    // No flags change. A 32-bit register is still written (zero-extended); memory was only
    // translated for writing by the read.
    if (modIsReg) writeBackE(a, size);
    return;
  }
  const r = shiftOp(op, a, c, size, false);
  writeBackE(r, size);
  if (faulted()) return;
  shiftOp(op, a, c, size, true);
}
export function GRP2_Eb1(): void { GRP2(1, 0); }
export function GRP2_Ev1(): void { GRP2(opSize, 0); }
export function GRP2_EbCL(): void { GRP2(1, 1); }
export function GRP2_EvCL(): void { GRP2(opSize, 1); }
export function GRP2_EbIb(): void { GRP2(1, 2); }
export function GRP2_EvIb(): void { GRP2(opSize, 2); }

/**
 * SHLD / SHRD E, G, count (0F A4/A5 SHLD, 0F AC/AD SHRD). Count masked to 5 bits (6 for 64-bit);
 * 0 changes nothing but the zero-extension of a 32-bit register. For 16-bit operands a count above
 * 16 gives an undefined result and flags (see the 16-bit case below).
 */
export function SHxD(right: bool, countIsCL: bool): void {
  decodeModrm();
  const size = opSize;
  let count: u32;
  if (countIsCL) count = getReg8Low(RCX);
  else {
    count = fetch8();
    if (faulted()) return;
  }
  const c = count & (size == 8 ? 0x3f : 0x1f);
  const a = readE(size, true);
  if (faulted()) return;
  if (c == 0) {
    if (modIsReg) writeBackE(a, size);
    return;
  }
  const b = readG(size);
  const bits: u32 = size << 3;
  const m = maskOfSize(size);
  let r: u64;
  let shiftedOut: u64;
  if (size == 2) {
    // 16-bit: as the reference CPU does, shift the 48-bit value E:G:G (SHLD) or G:G:E (SHRD); for
    // counts up to 16 that is the architectural result, above 16 the SDM leaves it undefined.
    // Its CF for such counts is 0 (shiftedOut = 0 gives CF = 0 for both kinds below).
    if (!right) {
      const v: u64 = (a << 32) | (b << 16) | b;
      r = (v >> (32 - c)) & 0xffff;
      shiftedOut = c > 16 ? 0 : (v >> (33 - c)) & 0xffff;
    } else {
      const v: u64 = (b << 32) | (b << 16) | a;
      r = (v >> c) & 0xffff;
      shiftedOut = c > 16 ? 0 : (v >> (c - 1)) & 0xffff;
    }
  } else if (!right) {
    r = ((a << c) | (b >> (bits - c))) & m;
    shiftedOut = (a << (c - 1)) & m;
  } else {
    r = ((a >> c) | (b << (bits - c))) & m;
    shiftedOut = a >> (c - 1);
  }
  writeBackE(r, size);
  if (faulted()) return;
  // Same flag rules as SHL/SHR: CF = the last bit shifted out of E; OF = sign change (count 1).
  if (!right) setCC(CC_SHL, size, r, shiftedOut);
  else setCC(CC_SHR, size, r, shiftedOut);
}
