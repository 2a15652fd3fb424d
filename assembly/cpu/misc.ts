// Data movement and small instructions: MOV (all forms), LEA, XCHG, CBW/CWD families, LAHF/SAHF,
// CLC/STC/CMC/CLD/STD, XLAT, MOVSXD, MOVZX/MOVSX, CMOVcc, SETcc, BSWAP, CMPXCHG, XADD,
// CMPXCHG8B/16B, the hint NOPs, and the one-byte groups 3, 4 and 5 (Intel SDM vol. 2).
// Invariant: every memory write happens before any register or flag of the same instruction
// changes, so a faulting instruction commits nothing.
import { raiseUD, raiseGP, faulted } from './fault';
import {
  getReg64, setReg64, getReg32, setReg32, getReg8Legacy, setReg8Legacy, RAX, RCX, RDX, RBX, DS,
  FLAG_CF, FLAG_DF, FLAG_ZF,
} from './state';
import {
  opSize, adSize, rex, segOvr, mode64, lockPfx, pfx66, repPfx, fetch8, fetch16, fetch32, fetch64, fetchImm,
} from './decode';
import {
  decodeModrm, decodeModrmByte, modIsReg, modReg, modDigit, readE, writeBackE, writeE, readG, writeG,
  getRegN, setRegN, readSeg, writeSeg, eaOffset, readEAt, writeEAt, probeWriteSeg, eaSeg, eaStackBase,
} from './modrm';
import {
  setCC, testCond, getFlags, setFlags, setFlagBits, materializeFlags, maskOfSize, sext, CC_SUB, CC_ADD,
} from './flags';
import { INCDEC_E, INCDEC_reg, NOT_E, NEG_E, TEST_EI } from './alu';
import { MUL_E, IMUL1_E, DIV_E, IDIV_E } from './muldiv';
import { CALL_Ev, JMP_Ev } from './control';
import { PUSH_Ev } from './stack';
import { CALLF_Mp, JMPF_Mp } from './far';
import { ARPL } from './segments';
import { VENDOR_AMD } from './options';
import { FEATURE_CX16 } from './features';
import { raiseDecodedUD } from './length';

// ---- MOV ----
/** MOV E, G (88 89). */
export function MOV_EG(size: u32): void {
  const m = fetch8();
  if (m >= 0xc0) {
    setRegN(<i32>((m & 7) | ((rex & 1) << 3)), getRegN(<i32>(((m >> 3) & 7) | ((rex & 4) << 1)), size), size);
    return;
  }
  decodeModrmByte(m);
  writeE(readG(size), size);
}
/** MOV G, E (8A 8B). */
export function MOV_GE(size: u32): void {
  const m = fetch8();
  if (m >= 0xc0) {
    setRegN(<i32>(((m >> 3) & 7) | ((rex & 4) << 1)), getRegN(<i32>((m & 7) | ((rex & 1) << 3)), size), size);
    return;
  }
  decodeModrmByte(m);
  const v = readE(size, false);
  if (faulted()) return;
  writeG(v, size);
}
/** Group 11: MOV E, imm (C6 /0, C7 /0); C6 F8 / C7 F8 are XABORT / XBEGIN (no RTM: #UD). */
export function MOV_EI(size: u32): void {
  decodeModrm();
  if (faulted()) return;
  if (modDigit() != 0) { raiseUD(); return; }
  const v = size == 1 ? <u64>fetch8() : fetchImm(size);
  if (faulted()) return;
  writeE(v, size);
}
/** MOV Zb, Ib (B0..B7) and MOV Zv, Iv (B8..BF; imm64 with REX.W). */
export function MOV_rI(r: i32, size: u32): void {
  let v: u64;
  if (size == 1) v = <u64>fetch8();
  else if (size == 8) v = fetch64();
  else if (size == 4) v = <u64>fetch32();
  else v = <u64>fetch16();
  if (faulted()) return;
  setRegN(r, v, size);
}
/** MOV AL/rAX, moffs (A0 A1) and MOV moffs, AL/rAX (A2 A3): the offset has the address size. */
export function MOV_moffs(toReg: bool, size: u32): void {
  let off: u64;
  if (adSize == 8) off = fetch64();
  else if (adSize == 4) off = <u64>fetch32();
  else off = <u64>fetch16();
  if (faulted()) return;
  const seg: i32 = segOvr >= 0 ? segOvr : DS;
  if (toReg) {
    const v = readSeg(seg, off, size);
    if (faulted()) return;
    setRegN(RAX, v, size);
  } else {
    writeSeg(seg, off, getRegN(RAX, size), size);
  }
}
/** LEA Gv, M (8D): the offset at the address size, then truncated or zero-extended to the operand size. */
export function LEA(): void {
  decodeModrm();
  if (faulted()) return;
  if (modIsReg) { raiseUD(); return; }
  writeG(eaOffset(), opSize);
}

// ---- XCHG ----
/** XCHG E, G (86 87): with memory, a locked read-modify-write. */
export function XCHG_EG(size: u32): void {
  decodeModrm();
  if (faulted()) return;
  if (lockPfx && modIsReg) { raiseDecodedUD(); return; }
  const a = readE(size, true);
  if (faulted()) return;
  const b = readG(size);
  writeBackE(b, size);
  if (faulted()) return;
  writeG(a, size);
}
/** XCHG r, rAX (91..97, and 90 with REX.B). */
export function XCHG_rAX(r: i32): void {
  const size = opSize;
  const a = getRegN(RAX, size);
  setRegN(RAX, getRegN(r, size), size);
  setRegN(r, a, size);
}
/** 90: NOP, PAUSE (F3 90), or XCHG r8, rAX with REX.B. */
export function NOP_90(): void {
  if ((rex & 1) != 0) XCHG_rAX(8);
}

// ---- Conversions ----
/** CBW / CWDE / CDQE (98). */
export function CBW(): void {
  if (opSize == 2) setRegN(RAX, sext(getRegN(RAX, 1), 1), 2);
  else if (opSize == 4) setReg32(RAX, <u32>sext(getRegN(RAX, 2), 2));
  else setReg64(RAX, sext(getRegN(RAX, 4), 4));
}
/** CWD / CDQ / CQO (99): rDX = the sign of rAX. */
export function CWD(): void {
  const size = opSize;
  const neg = (getRegN(RAX, size) >> ((<u64>size << 3) - 1)) != 0;
  setRegN(RDX, neg ? maskOfSize(size) : 0, size);
}

// ---- Flags ----
/** LAHF (9F): AH = SF:ZF:0:AF:0:PF:1:CF. */
export function LAHF(): void {
  setReg8Legacy(4, (<u32>getFlags() & 0xd5) | 2);
}
/** SAHF (9E): SF ZF AF PF CF from AH. */
export function SAHF(): void {
  const ah = getReg8Legacy(4);
  const f = getFlags() & ~(<u64>0xd5);
  setFlags(f | <u64>(ah & 0xd5));
}
export const FLAGOP_CLC: u32 = 0;
export const FLAGOP_STC: u32 = 1;
export const FLAGOP_CMC: u32 = 2;
export const FLAGOP_CLD: u32 = 3;
export const FLAGOP_STD: u32 = 4;
/** CLC STC CMC CLD STD (F8 F9 F5 FC FD). */
export function FLAGOP(op: u32): void {
  switch (op) {
    case FLAGOP_CLC: setFlagBits(FLAG_CF, false); break;
    case FLAGOP_STC: setFlagBits(FLAG_CF, true); break;
    case FLAGOP_CMC: materializeFlags(); setFlags(getFlags() ^ FLAG_CF); break;
    case FLAGOP_CLD: setFlagBits(FLAG_DF, false); break;
    default: setFlagBits(FLAG_DF, true); break;
  }
}

/** XLAT (D7): AL = [seg: rBX + AL] at the address size. */
export function XLAT(): void {
  const m: u64 = adSize == 8 ? <u64>0xffffffffffffffff : (adSize == 4 ? <u64>0xffffffff : <u64>0xffff);
  const off = (getReg64(RBX) + <u64>getRegN(RAX, 1)) & m;
  const v = readSeg(segOvr >= 0 ? segOvr : DS, off, 1);
  if (faulted()) return;
  setRegN(RAX, v, 1);
}

/** 63: MOVSXD Gv, Ed in 64-bit mode (without REX.W a plain 32/16-bit move); ARPL Ew, Gw otherwise. */
export function MOVSXD_or_ARPL(): void {
  if (!mode64) { ARPL(); return; }
  decodeModrm();
  if (opSize == 8) {
    const v = readE(4, false);
    if (faulted()) return;
    setReg64(modReg, sext(v, 4));
  } else {
    const v = readE(VENDOR_AMD ? 4 : opSize, false); // options.ts: AMD reads 32 bits for 66h too
    if (faulted()) return;
    writeG(v, opSize);
  }
}

// ---- Two-byte-map data movement ----
/** MOVZX Gv, Eb / Ew (0F B6 / 0F B7). */
export function MOVZX(srcSize: u32): void {
  decodeModrm();
  const v = readE(srcSize, false);
  if (faulted()) return;
  writeG(v, opSize);
}
/** MOVSX Gv, Eb / Ew (0F BE / 0F BF). */
export function MOVSX(srcSize: u32): void {
  decodeModrm();
  const v = readE(srcSize, false);
  if (faulted()) return;
  writeG(sext(v, srcSize) & maskOfSize(opSize), opSize);
}
/** CMOVcc Gv, Ev (0F 40..4F): the source is read even when false; a 32-bit destination is zero-extended either way. */
export function CMOVCC(cc: u32): void {
  decodeModrm();
  const v = readE(opSize, false);
  if (faulted()) return;
  if (testCond(cc)) writeG(v, opSize);
  else if (opSize == 4) setReg32(modReg, getReg32(modReg));
}
/** SETcc Eb (0F 90..9F). */
export function SETCC(cc: u32): void {
  decodeModrm();
  writeE(testCond(cc) ? 1 : 0, 1);
}
/** BSWAP Zv (0F C8..CF); a 16-bit operand gives 0 (undefined in the SDM; what hardware does). */
export function BSWAP(r: i32): void {
  if (opSize == 8) setReg64(r, bswap<u64>(getReg64(r)));
  else if (opSize == 4) setReg32(r, bswap<u32>(getReg32(r)));
  else setRegN(r, 0, 2);
}
/** MOVNTI My, Gy (0F C3): a plain store (the non-temporal hint has no meaning here). */
export function MOVNTI(): void {
  decodeModrm();
  // NP (SDM vol. 2 3.1.1.1): a 66, F2 or F3 prefix makes it #UD, as does a register operand.
  if (modIsReg || pfx66 || repPfx != 0) { raiseUD(); return; }
  const size: u32 = opSize == 8 ? 8 : 4;
  writeE(readG(size), size);
}
/** Hint NOPs 0F 18..1F (PREFETCHh, NOP Ev): decode the operand, access nothing. */
export function NOP_Ev(): void {
  decodeModrm();
}

// ---- Atomic read-modify-write ----
/** CMPXCHG Eb,Gb / Ev,Gv (0F B0 / 0F B1): compare with AL/rAX; the destination is always written back. */
export function CMPXCHG(size: u32): void {
  decodeModrm();
  if (faulted()) return;
  if (lockPfx && modIsReg) { raiseDecodedUD(); return; }
  const d = readE(size, true);
  if (faulted()) return;
  const a = getRegN(RAX, size);
  const r = (a - d) & maskOfSize(size);
  if (a == d) {
    writeBackE(readG(size), size);
    if (faulted()) return;
  } else {
    // A failed compare writes a memory destination back unchanged (a locked cycle); a register
    // destination is left alone (the reference CPU does not even zero-extend it).
    if (!modIsReg) {
      writeBackE(d, size);
      if (faulted()) return;
    }
    setRegN(RAX, d, size);
  }
  setCC(CC_SUB, size, r, d);
}
/** XADD Eb,Gb / Ev,Gv (0F C0 / 0F C1): G = old E, E = E + G. */
export function XADD(size: u32): void {
  decodeModrm();
  if (faulted()) return;
  if (lockPfx && modIsReg) { raiseDecodedUD(); return; }
  const d = readE(size, true);
  if (faulted()) return;
  const s = readG(size);
  const sum = (d + s) & maskOfSize(size);
  if (modIsReg) {
    writeG(d, size);
    writeBackE(sum, size); // XADD r, r with the same register: the sum wins
  } else {
    writeBackE(sum, size);
    if (faulted()) return;
    writeG(d, size);
  }
  setCC(CC_ADD, size, sum, s);
}
/** Group 9 (0F C7): /1 CMPXCHG8B Mq / CMPXCHG16B Mdq (REX.W); other forms elsewhere or #UD. */
export function CMPXCHG8B16B(): void {
  if (modIsReg) { raiseUD(); return; }
  const wide = opSize == 8;
  if (wide && !FEATURE_CX16) { raiseUD(); return; }
  const half: u32 = wide ? 8 : 4;
  if (wide && (eaOffset() & 15) != 0) { raiseGP(0); return; } // CMPXCHG16B needs 16-byte alignment
  if (!probeWriteSeg(eaSeg, eaOffset(), half * 2, eaStackBase)) return;
  const lo = readEAt(0, half);
  if (faulted()) return;
  const hi = readEAt(<u64>half, half);
  if (faulted()) return;
  const m = maskOfSize(half);
  const eq = lo == (getReg64(RAX) & m) && hi == (getReg64(RDX) & m);
  if (eq) {
    writeEAt(0, getReg64(RBX) & m, half);
    writeEAt(<u64>half, getReg64(RCX) & m, half);
  } else {
    writeEAt(0, lo, half); // written back unchanged
    writeEAt(<u64>half, hi, half);
    setRegN(RAX, lo, half);
    setRegN(RDX, hi, half);
  }
  setFlagBits(FLAG_ZF, eq);
}

// ---- One-byte groups ----
/** Group 3 (F6 F7): TEST NOT NEG MUL IMUL DIV IDIV. */
export function GRP3(size: u32): void {
  decodeModrm();
  if (faulted()) return;
  const d = modDigit();
  if (lockPfx && d != 2 && d != 3) { raiseDecodedUD(); return; }
  switch (d) {
    case 0: case 1: TEST_EI(size); return; // TEST E,I (/1 is an alias)
    case 2: NOT_E(size); return;
    case 3: NEG_E(size); return;
    case 4: MUL_E(size); return;
    case 5: IMUL1_E(size); return;
    case 6: DIV_E(size); return;
    default: IDIV_E(size); return;
  }
}
/** Group 4 (FE): INC Eb, DEC Eb. */
export function GRP4(): void {
  decodeModrm();
  if (faulted()) return;
  const d = modDigit();
  if (d == 0) INCDEC_E(1, false);
  else if (d == 1) INCDEC_E(1, true);
  else raiseUD();
}
/** Group 5 (FF): INC Ev, DEC Ev, CALLN Ev, CALLF Mp, JMPN Ev, JMPF Mp, PUSH Ev. */
export function GRP5(): void {
  const m = fetch8();
  const d = (m >> 3) & 7;
  if (m >= 0xc0 && d < 2) { // INC/DEC of a register (the hot case)
    if (lockPfx) { raiseDecodedUD(); return; }
    INCDEC_reg(<i32>((m & 7) | ((rex & 1) << 3)), d == 1);
    return;
  }
  decodeModrmByte(m);
  if (faulted()) return;
  if (lockPfx && d > 1) { raiseDecodedUD(); return; }
  switch (d) {
    case 0: INCDEC_E(opSize, false); return;
    case 1: INCDEC_E(opSize, true); return;
    case 2: CALL_Ev(); return;
    case 3: CALLF_Mp(); return;
    case 4: JMP_Ev(); return;
    case 5: JMPF_Mp(); return;
    case 6: PUSH_Ev(); return;
    default: raiseUD(); return;
  }
}

