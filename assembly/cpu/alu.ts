// Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP in all their forms, TEST, INC/DEC,
// NOT/NEG (Intel SDM vol. 2). Operands come through the generic accessors of modrm.ts; the result is
// written back first and the lazy flags are recorded only after the write succeeded, so a faulting
// instruction changes nothing. LOCK is accepted only on the lockable forms with a memory destination.
import { raiseUD, faulted } from './fault';
import { getReg32, setReg32, RAX } from './state';
import { opSize, lockPfx, rex, fetchImm, fetchS8, fetch8 } from './decode';
import {
  decodeModrm, decodeModrmByte, modIsReg, modReg, modDigit, readE, writeBackE, getRegN, setRegN, readG, writeG,
} from './modrm';
import {
  setCC, setCC3, getCF, maskOfSize, CC_ADD, CC_ADC, CC_SUB, CC_SBB, CC_LOGIC, CC_INC, CC_DEC,
} from './flags';
import { raiseDecodedUD } from './length';

export const ALU_ADD: u32 = 0;
export const ALU_OR: u32 = 1;
export const ALU_ADC: u32 = 2;
export const ALU_SBB: u32 = 3;
export const ALU_AND: u32 = 4;
export const ALU_SUB: u32 = 5;
export const ALU_XOR: u32 = 6;
export const ALU_CMP: u32 = 7;

/** Result of `a op b` (masked by the caller's writeback); carry-in c for ADC/SBB. */
@inline export function aluResult(op: u32, a: u64, b: u64, c: u64): u64 {
  switch (op) {
    case ALU_ADD: return a + b;
    case ALU_OR: return a | b;
    case ALU_ADC: return a + b + c;
    case ALU_SBB: return a - b - c;
    case ALU_AND: return a & b;
    case ALU_XOR: return a ^ b;
    default: return a - b; // SUB, CMP
  }
}

/** Records the flags of `op` with result r, second operand b, carry-in c. */
@inline export function aluFlags(op: u32, r: u64, b: u64, c: u64, size: u32): void {
  switch (op) {
    case ALU_ADD: setCC(CC_ADD, size, r, b); break;
    case ALU_ADC: setCC3(CC_ADC, size, r, b, c); break;
    case ALU_SBB: setCC3(CC_SBB, size, r, b, c); break;
    case ALU_SUB: setCC(CC_SUB, size, r, b); break;
    case ALU_CMP: setCC(CC_SUB, size, r, b); break;
    default: setCC(CC_LOGIC, size, r, 0); break;
  }
}

@inline export function carryIn(op: u32): u64 {
  return (op == ALU_ADC || op == ALU_SBB) && getCF() ? 1 : 0;
}

/** op E, G (00 01 08 09 ... 38 39): E = E op G. */
export function ALU_EG(op: u32, size: u32): void {
  const m = fetch8();
  if (m >= 0xc0) {
    // Register destination (the hot case): no ModRM state, no memory.
    if (lockPfx) { raiseDecodedUD(); return; }
    const e = <i32>((m & 7) | ((rex & 1) << 3));
    const a = getRegN(e, size);
    const b = getRegN(<i32>(((m >> 3) & 7) | ((rex & 4) << 1)), size);
    const c = carryIn(op);
    const r = aluResult(op, a, b, c) & maskOfSize(size);
    if (op != ALU_CMP) setRegN(e, r, size);
    aluFlags(op, r, b, c, size);
    return;
  }
  decodeModrmByte(m);
  if (lockPfx && op == ALU_CMP) { raiseDecodedUD(); return; }
  const a = readE(size, op != ALU_CMP);
  if (faulted()) return;
  const b = readG(size);
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & maskOfSize(size);
  if (op != ALU_CMP) {
    writeBackE(r, size);
    if (faulted()) return;
  }
  aluFlags(op, r, b, c, size);
}
@inline export function ALU_EbGb(op: u32): void { ALU_EG(op, 1); }
@inline export function ALU_EvGv(op: u32): void { ALU_EG(op, opSize); }

/** op G, E (02 03 0A 0B ... 3A 3B): G = G op E. */
export function ALU_GE(op: u32, size: u32): void {
  const m = fetch8();
  let b: u64;
  let g: i32;
  if (m >= 0xc0) {
    b = getRegN(<i32>((m & 7) | ((rex & 1) << 3)), size);
    g = <i32>(((m >> 3) & 7) | ((rex & 4) << 1));
  } else {
    decodeModrmByte(m);
    b = readE(size, false);
    if (faulted()) return;
    g = modReg;
  }
  const a = getRegN(g, size);
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & maskOfSize(size);
  if (op != ALU_CMP) setRegN(g, r, size);
  aluFlags(op, r, b, c, size);
}
@inline export function ALU_GbEb(op: u32): void { ALU_GE(op, 1); }
@inline export function ALU_GvEv(op: u32): void { ALU_GE(op, opSize); }

/** op AL/eAX, imm (04 05 0C 0D ... 3C 3D). */
export function ALU_AI(op: u32, size: u32): void {
  const b = fetchImm(size) & maskOfSize(size);
  if (faulted()) return;
  const a = getRegN(RAX, size);
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & maskOfSize(size);
  if (op != ALU_CMP) setRegN(RAX, r, size);
  aluFlags(op, r, b, c, size);
}
@inline export function ALU_ALIb(op: u32): void { ALU_AI(op, 1); }
@inline export function ALU_eAXIz(op: u32): void { ALU_AI(op, opSize); }

/** Group 1 (80 81 83): op E, imm. immSize 1 with sign extension for 83. */
function GRP1(size: u32, immByte: bool): void {
  decodeModrm();
  const op = modDigit();
  if (lockPfx && (modIsReg || op == ALU_CMP)) { raiseDecodedUD(); return; }
  const b = (immByte ? fetchS8() : fetchImm(size)) & maskOfSize(size);
  if (faulted()) return;
  const a = readE(size, op != ALU_CMP);
  if (faulted()) return;
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & maskOfSize(size);
  if (op != ALU_CMP) {
    writeBackE(r, size);
    if (faulted()) return;
  }
  aluFlags(op, r, b, c, size);
}
export function GRP1_EbIb(): void { GRP1(1, false); }
export function GRP1_EvIz(): void { GRP1(opSize, false); }
export function GRP1_EvIb(): void { GRP1(opSize, true); }
/** 82: an alias of 80 outside 64-bit mode (#UD there; the dispatcher checks). */
export function GRP1_EbIb_82(): void { GRP1(1, false); }

/** TEST E, G (84 85). */
export function TEST_EG(size: u32): void {
  decodeModrm();
  const a = readE(size, false);
  if (faulted()) return;
  setCC(CC_LOGIC, size, a & readG(size), 0);
}
/** TEST AL/eAX, imm (A8 A9). */
export function TEST_AI(size: u32): void {
  const b = fetchImm(size);
  if (faulted()) return;
  setCC(CC_LOGIC, size, getRegN(RAX, size) & b & maskOfSize(size), 0);
}

/** INC / DEC of register r at the operand size (40..4F outside 64-bit mode). */
export function INCDEC_reg(r: i32, dec: bool): void {
  const size = opSize;
  const cf: u64 = getCF() ? 1 : 0;
  if (size == 4) {
    const v = dec ? getReg32(r) - 1 : getReg32(r) + 1;
    setReg32(r, v);
    setCC3(dec ? CC_DEC : CC_INC, 4, <u64>v, 1, cf);
    return;
  }
  const v = (dec ? getRegN(r, size) - 1 : getRegN(r, size) + 1) & maskOfSize(size);
  setRegN(r, v, size);
  setCC3(dec ? CC_DEC : CC_INC, size, v, 1, cf);
}

/** INC / DEC of the E operand (FE /0 /1, FF /0 /1), after decodeModrm. */
export function INCDEC_E(size: u32, dec: bool): void {
  if (lockPfx && modIsReg) { raiseDecodedUD(); return; }
  const a = readE(size, true);
  if (faulted()) return;
  const cf: u64 = getCF() ? 1 : 0;
  const r = (dec ? a - 1 : a + 1) & maskOfSize(size);
  writeBackE(r, size);
  if (faulted()) return;
  setCC3(dec ? CC_DEC : CC_INC, size, r, 1, cf);
}

/** NOT E (F6/F7 /2): no flags. */
export function NOT_E(size: u32): void {
  if (lockPfx && modIsReg) { raiseDecodedUD(); return; }
  const a = readE(size, true);
  if (faulted()) return;
  writeBackE(~a & maskOfSize(size), size);
}

/** NEG E (F6/F7 /3): flags as SUB 0 - E (CF = E != 0). */
export function NEG_E(size: u32): void {
  if (lockPfx && modIsReg) { raiseDecodedUD(); return; }
  const a = readE(size, true);
  if (faulted()) return;
  const r = (0 - a) & maskOfSize(size);
  writeBackE(r, size);
  if (faulted()) return;
  setCC(CC_SUB, size, r, a);
}

/** TEST E, imm (F6/F7 /0 and the undocumented alias /1). */
export function TEST_EI(size: u32): void {
  const b = size == 1 ? <u64>fetch8() : fetchImm(size);
  if (faulted()) return;
  const a = readE(size, false);
  if (faulted()) return;
  setCC(CC_LOGIC, size, a & b & maskOfSize(size), 0);
}
