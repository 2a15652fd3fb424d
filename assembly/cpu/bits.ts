// Bit instructions: BT/BTS/BTR/BTC (register, memory with the signed bit-offset addressing of the
// Gv forms, and imm8), BSF/BSR, TZCNT/LZCNT (or BSF/BSR when cpu/features.ts says the CPU has no
// BMI1/ABM), POPCNT (Intel SDM vol. 2). Flags: BT* set CF and keep the undefined OF SF AF PF and ZF;
// BSF/BSR set ZF and keep the undefined rest; a zero source leaves the destination unchanged.
import { raiseUD, faulted } from './fault';
import { FLAG_CF, FLAG_ZF, FLAG_OF, FLAG_SF, FLAG_AF, FLAG_PF } from './state';
import { opSize, adSize, lockPfx, fetch8 } from './decode';
import {
  decodeModrm, modIsReg, modRm, modDigit, eaSeg, eaStackBase, eaOffset, readE, readG, writeG, getRegN, setRegN, readSeg, writeSeg,
  segLinear, readMem, readForWrite, writeBackMem, SEG_READ, SEG_WRITE,
} from './modrm';
import { setFlagBits, materializeFlags, getFlags, setFlags, sext } from './flags';
import { FEATURE_LZCNT_TZCNT, FEATURE_POPCNT } from './features';
import { raiseDecodedUD } from './length';

export const BT_BT: u32 = 0;
export const BT_BTS: u32 = 1;
export const BT_BTR: u32 = 2;
export const BT_BTC: u32 = 3;

@inline function applyBt(op: u32, v: u64, bit: u64): u64 {
  const m: u64 = <u64>1 << bit;
  if (op == BT_BTS) return v | m;
  if (op == BT_BTR) return v & ~m;
  if (op == BT_BTC) return v ^ m;
  return v;
}

/** Common part after the bit offset is known; `memDisp` is the byte displacement for memory forms. */
function btCommon(op: u32, size: u32, bit: u64, memDisp: u64): void {
  let v: u64;
  if (modIsReg) {
    v = getRegN(modRm, size);
    if (op != BT_BT) setRegN(modRm, applyBt(op, v, bit), size);
  } else {
    let off = eaOffset() + memDisp;
    off = adSize == 8 ? off : (adSize == 4 ? off & 0xffffffff : off & 0xffff);
    const lin = segLinear(eaSeg, off, size, op == BT_BT ? SEG_READ : SEG_WRITE, eaStackBase);
    if (faulted()) return;
    v = op == BT_BT ? readMem(lin, size) : readForWrite(lin, size);
    if (faulted()) return;
    if (op != BT_BT) writeBackMem(applyBt(op, v, bit), size);
  }
  setFlagBits(FLAG_CF, ((v >> bit) & 1) != 0);
}

/** BT/BTS/BTR/BTC Ev, Gv (0F A3 AB B3 BB): memory forms address the bit string by the signed offset. */
export function BTx_EvGv(op: u32): void {
  decodeModrm();
  if (faulted()) return;
  if (lockPfx && (modIsReg || op == BT_BT)) { raiseDecodedUD(); return; }
  const size = opSize;
  const bits: u64 = <u64>size << 3;
  const g = readG(size);
  const bit = g & (bits - 1);
  let disp: u64 = 0;
  if (!modIsReg) {
    const sg = <i64>sext(g, size);
    disp = <u64>((sg >> <i64>ctz(bits)) * <i64>size); // whole operands below or above the address
  }
  btCommon(op, size, bit, disp);
}

/** Group 8 (0F BA /4../7): BT/BTS/BTR/BTC Ev, Ib; the immediate is taken modulo the operand width. */
export function GRP8_EvIb(): void {
  decodeModrm();
  if (faulted()) return;
  const d = modDigit();
  if (d < 4) { raiseUD(); return; }
  const op = d - 4;
  if (lockPfx && (modIsReg || op == BT_BT)) { raiseDecodedUD(); return; }
  const imm = fetch8();
  if (faulted()) return;
  const size = opSize;
  btCommon(op, size, <u64>imm & (<u64>(size << 3) - 1), 0);
}

/** BSF (0F BC), or TZCNT with F3 when the CPU has BMI1. */
export function BSF_GvEv(rep: bool): void {
  decodeModrm();
  const size = opSize;
  const v = readE(size, false);
  if (faulted()) return;
  if (rep && FEATURE_LZCNT_TZCNT) { countResult(v == 0 ? <u64>(size << 3) : ctz<u64>(v), v == 0, size); return; }
  if (v == 0) { setFlagBits(FLAG_ZF, true); return; } // destination unchanged (Linux relies on it)
  writeG(ctz<u64>(v), size);
  setFlagBits(FLAG_ZF, false);
}

/** BSR (0F BD), or LZCNT with F3 when the CPU has ABM. */
export function BSR_GvEv(rep: bool): void {
  decodeModrm();
  const size = opSize;
  const v = readE(size, false);
  if (faulted()) return;
  const bits = <u64>(size << 3);
  if (rep && FEATURE_LZCNT_TZCNT) {
    countResult(v == 0 ? bits : clz<u64>(v) - (64 - bits), v == 0, size);
    return;
  }
  if (v == 0) { setFlagBits(FLAG_ZF, true); return; }
  writeG(63 - clz<u64>(v), size);
  setFlagBits(FLAG_ZF, false);
}

/** TZCNT/LZCNT result: CF = source was zero, ZF = result is zero; OF SF AF PF undefined (kept). */
function countResult(r: u64, srcZero: bool, size: u32): void {
  writeG(r, size);
  materializeFlags();
  let f = getFlags() & ~(<u64>(FLAG_CF | FLAG_ZF));
  if (srcZero) f |= FLAG_CF;
  if (r == 0) f |= FLAG_ZF;
  setFlags(f);
}

/** POPCNT Gv, Ev (F3 0F B8): ZF = source was zero; OF SF AF CF PF cleared. */
export function POPCNT_GvEv(): void {
  if (!FEATURE_POPCNT) { raiseUD(); return; }
  decodeModrm();
  const size = opSize;
  const v = readE(size, false);
  if (faulted()) return;
  writeG(popcnt<u64>(v), size);
  let f = getFlags() & ~(<u64>(FLAG_CF | FLAG_ZF | FLAG_OF | FLAG_SF | FLAG_AF | FLAG_PF));
  if (v == 0) f |= FLAG_ZF;
  setFlags(f);
}
