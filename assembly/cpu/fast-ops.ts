// The executor of pre-decoded instructions (cpu/predecode.ts documents the entry): one dense switch
// over the fast-op numbers, each case a small function specialised at compile time by operand size
// (and, for register ALU forms, by operation). Semantics are the byte decoder's, shared rather than
// copied: the ALU, shift and multiply cores of alu.ts, shift.ts and muldiv.ts, the lazy flags, the
// segment checks and memory accessors of modrm.ts, the stack and branch helpers of stack.ts and
// control.ts. Invariant (the fault protocol): every access that may fault is checked right away and
// registers, flags and RIP change only after the last one succeeded; the fetch pointer already
// points past the instruction, so ipNow() is the next instruction's IP.
import { CPU_BASE, CPU_GPR } from '../layout';
import { faulted } from './fault';
import { mode64, ipNow, jumpTo, branchInPage } from './decode';
import {
  segLinearQuick, readQuick, writeQuick, readForWriteQuick, writeBackQuick, SEG_READ, SEG_WRITE,
} from './modrm';
import { setCC, setCC3, getCF, testCond, testCondInline, maskOfSize, sext, CC_LOGIC, CC_INC, CC_DEC, CC_MUL } from './flags';
import {
  aluResult, aluFlags, carryIn, ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
} from './alu';
import { shiftOp } from './shift';
import { imulN, mulOverflow } from './muldiv';
import { spAdd, pushInline, stackPeekInline } from './stack';
import { nearJump, targetOk, callAbsolute } from './control';
import {
  DCE_G, DCE_E, DCE_X, DCE_SCALE, DCE_SEG, DCE_DISP, DCE_AUX, DCE_IMM, BASE_RIP, SEG_STACK_BASE,
  OP_ALU_RR, OP_ALU_RI, OP_ALU_RM, OP_ALU_MR, OP_ALU_MI, OP_ALU_RR8, OP_ALU_RI8, OP_ALU_RM8, OP_ALU_MR8,
  OP_ALU_MI8, OP_TEST_RR, OP_TEST_RI, OP_TEST_MR, OP_TEST_MI, OP_TEST_RR8, OP_TEST_RI8, OP_TEST_MR8,
  OP_TEST_MI8, OP_MOV_RR, OP_MOV_RI, OP_MOV_RM, OP_MOV_MR, OP_MOV_MI, OP_MOV_RR8, OP_MOV_RI8, OP_MOV_RM8,
  OP_MOV_MR8, OP_MOV_MI8, OP_LEA, OP_INCDEC_R, OP_INCDEC_M, OP_SHIFT_R, OP_SHIFT_M, OP_IMUL_RR, OP_IMUL_RM,
  OP_IMUL_RRI, OP_IMUL_RMI, OP_MOVSXD_RR, OP_MOVSXD_RM, OP_MOVX_RR, OP_MOVX_RM, OP_SETCC_R, OP_SETCC_M,
  OP_CMOV_RR, OP_CMOV_RM, OP_JCC, OP_JMP, OP_CALL, OP_RET, OP_PUSH_R, OP_POP_R, OP_PUSH_I, OP_CALL_R,
  OP_JMP_R, OP_CALL_M, OP_JMP_M, OP_NOP,
} from './predecode';
import { DCE_OP } from './decode-cache';

const GPR: u32 = CPU_BASE + CPU_GPR;
const RCX_OFF: u32 = 8;

// ---- Operands ----
/** Register at GPR byte offset `off`, at operand size (byte offsets of AH..BH work for size 1). */
@inline function rd(off: u32, size: u32): u64 {
  if (size == 8) return load<u64>(GPR + off);
  if (size == 4) return <u64>load<u32>(GPR + off);
  if (size == 2) return <u64>load<u16>(GPR + off);
  return <u64>load<u8>(GPR + off);
}
/** Register write: 32-bit writes zero-extend, 8-bit writes merge (state.ts rules). */
@inline function wr(off: u32, v: u64, size: u32): void {
  if (size == 8) store<u64>(GPR + off, v);
  else if (size == 4) store<u64>(GPR + off, v & 0xffffffff);
  else if (size == 2) store<u16>(GPR + off, <u16>v);
  else store<u8>(GPR + off, <u8>v);
}
@inline function fE(e: u32): u32 { return load<u8>(e, DCE_E); }
@inline function fG(e: u32): u32 { return load<u8>(e, DCE_G); }
@inline function fAux(e: u32): u32 { return load<u32>(e, DCE_AUX); }
@inline function fImm(e: u32): u64 { return load<u64>(e, DCE_IMM); }
@inline function stackSize(): u32 { return mode64 ? 8 : 4; }

/** Effective offset of the memory operand, at the address size (32 bits outside 64-bit mode). */
@inline function effOffset(e: u32): u64 {
  let off = <u64>(<i64>load<i32>(e, DCE_DISP));
  const b = load<u8>(e, DCE_E);
  if (b < 0x80) off += load<u64>(GPR + b);
  else if (b == BASE_RIP) off += ipNow();
  const x = load<u8>(e, DCE_X);
  if (x < 0x80) off += load<u64>(GPR + x) << <u64>load<u8>(e, DCE_SCALE);
  return mode64 ? off : off & 0xffffffff;
}
/** Linear address of the memory operand after the segment checks (0 with the fault raised). */
@inline function memLin(e: u32, size: u32, acc: u32): u64 {
  const s = load<u8>(e, DCE_SEG);
  return segLinearQuick(<i32>(s & 7), effOffset(e), size, acc, (s & SEG_STACK_BASE) != 0);
}

// ---- ALU ----
@inline function aluRR(e: u32, op: u32, size: u32): void {
  const d = fE(e);
  const a = rd(d, size);
  const b = rd(fG(e), size);
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & maskOfSize(size);
  if (op != ALU_CMP) wr(d, r, size);
  aluFlags(op, r, b, c, size);
}
@inline function aluRI(e: u32, op: u32, size: u32): void {
  const d = fE(e);
  const a = rd(d, size);
  const b = fImm(e) & maskOfSize(size);
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & maskOfSize(size);
  if (op != ALU_CMP) wr(d, r, size);
  aluFlags(op, r, b, c, size);
}
/** G = G op [mem]. */
function aluRM(e: u32, size: u32): void {
  const op = fAux(e);
  const lin = memLin(e, size, SEG_READ);
  if (faulted()) return;
  const b = readQuick(lin, size);
  if (faulted()) return;
  const g = fG(e);
  const a = rd(g, size);
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & maskOfSize(size);
  if (op != ALU_CMP) wr(g, r, size);
  aluFlags(op, r, b, c, size);
}
/** [mem] = [mem] op src, src = G (fromImm false) or the immediate. */
function aluM(e: u32, size: u32, fromImm: bool): void {
  const op = fAux(e);
  const rmw = op != ALU_CMP;
  const lin = memLin(e, size, rmw ? SEG_WRITE : SEG_READ);
  if (faulted()) return;
  const a = rmw ? readForWriteQuick(lin, size) : readQuick(lin, size);
  if (faulted()) return;
  const b = fromImm ? fImm(e) & maskOfSize(size) : rd(fG(e), size);
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & maskOfSize(size);
  if (rmw) {
    writeBackQuick(r, size);
    if (faulted()) return;
  }
  aluFlags(op, r, b, c, size);
}
/** Byte ALU on registers: E = E op (G or imm). */
function aluR8(e: u32, fromImm: bool): void {
  const op = fAux(e);
  const d = fE(e);
  const a = rd(d, 1);
  const b = fromImm ? fImm(e) & 0xff : rd(fG(e), 1);
  const c = carryIn(op);
  const r = aluResult(op, a, b, c) & 0xff;
  if (op != ALU_CMP) wr(d, r, 1);
  aluFlags(op, r, b, c, 1);
}

// ---- TEST ----
@inline function testR(e: u32, size: u32, fromImm: bool): void {
  const b = fromImm ? fImm(e) : rd(fG(e), size);
  setCC(CC_LOGIC, size, rd(fE(e), size) & b & maskOfSize(size), 0);
}
function testM(e: u32, size: u32, fromImm: bool): void {
  const lin = memLin(e, size, SEG_READ);
  if (faulted()) return;
  const a = readQuick(lin, size);
  if (faulted()) return;
  const b = fromImm ? fImm(e) : rd(fG(e), size);
  setCC(CC_LOGIC, size, a & b & maskOfSize(size), 0);
}

// ---- MOV, LEA ----
function movRM(e: u32, size: u32): void {
  const lin = memLin(e, size, SEG_READ);
  if (faulted()) return;
  const v = readQuick(lin, size);
  if (faulted()) return;
  wr(fG(e), v, size);
}
function movM(e: u32, size: u32, fromImm: bool): void {
  const lin = memLin(e, size, SEG_WRITE);
  if (faulted()) return;
  writeQuick(lin, fromImm ? fImm(e) : rd(fG(e), size), size);
}

// ---- INC/DEC, shifts ----
@inline function incdecR(e: u32, size: u32): void {
  const d = fE(e);
  const dec = fAux(e) != 0;
  const cf: u64 = getCF() ? 1 : 0;
  const v = (dec ? rd(d, size) - 1 : rd(d, size) + 1) & maskOfSize(size);
  wr(d, v, size);
  setCC3(dec ? CC_DEC : CC_INC, size, v, 1, cf);
}
function incdecM(e: u32, size: u32): void {
  const lin = memLin(e, size, SEG_WRITE);
  if (faulted()) return;
  const a = readForWriteQuick(lin, size);
  if (faulted()) return;
  const dec = fAux(e) != 0;
  const cf: u64 = getCF() ? 1 : 0;
  const r = (dec ? a - 1 : a + 1) & maskOfSize(size);
  writeBackQuick(r, size);
  if (faulted()) return;
  setCC3(dec ? CC_DEC : CC_INC, size, r, 1, cf);
}
@inline function shiftCount(e: u32, size: u32): u32 {
  const n = fG(e) != 0 ? <u32>load<u8>(GPR + RCX_OFF) : <u32>fImm(e);
  return n & (size == 8 ? 0x3f : 0x1f);
}
function shiftR(e: u32, size: u32): void {
  const c = shiftCount(e, size);
  const d = fE(e);
  const a = rd(d, size);
  if (c == 0) { wr(d, a, size); return; } // no flags; a 32-bit register is still zero-extended
  const op = fAux(e);
  wr(d, shiftOp(op, a, c, size, false), size);
  shiftOp(op, a, c, size, true);
}
function shiftM(e: u32, size: u32): void {
  const c = shiftCount(e, size);
  const lin = memLin(e, size, SEG_WRITE);
  if (faulted()) return;
  const a = readForWriteQuick(lin, size);
  if (faulted()) return;
  if (c == 0) return;
  const op = fAux(e);
  writeBackQuick(shiftOp(op, a, c, size, false), size);
  if (faulted()) return;
  shiftOp(op, a, c, size, true);
}

// ---- Multiply, extensions, conditionals ----
/** Source operand (register or memory) of `size` bytes; 0 with the fault raised. */
@inline function srcE(e: u32, size: u32, isMem: bool): u64 {
  if (!isMem) return rd(fE(e), size);
  const lin = memLin(e, size, SEG_READ);
  if (faulted()) return 0;
  return readQuick(lin, size);
}
function imul2(e: u32, size: u32, isMem: bool): void {
  const b = srcE(e, size, isMem);
  if (faulted()) return;
  const g = fG(e);
  const r = imulN(sext(rd(g, size), size), sext(b, size), size);
  wr(g, r, size);
  setCC(CC_MUL, size, r, mulOverflow ? 1 : 0);
}
function imul3(e: u32, size: u32, isMem: bool): void {
  const b = srcE(e, size, isMem);
  if (faulted()) return;
  const r = imulN(sext(b, size), sext(fImm(e), size), size);
  wr(fG(e), r, size);
  setCC(CC_MUL, size, r, mulOverflow ? 1 : 0);
}
function movsxd(e: u32, isMem: bool): void {
  const v = srcE(e, 4, isMem);
  if (faulted()) return;
  store<u64>(GPR + fG(e), sext(v, 4));
}
function movx(e: u32, size: u32, isMem: bool): void {
  const aux = fAux(e);
  const src = aux & 0xf;
  const v = srcE(e, src, isMem);
  if (faulted()) return;
  wr(fG(e), (aux & 0x10) != 0 ? sext(v, src) & maskOfSize(size) : v, size);
}
function setccM(e: u32): void {
  const v: u64 = testCond(fAux(e)) ? 1 : 0;
  const lin = memLin(e, 1, SEG_WRITE);
  if (faulted()) return;
  writeQuick(lin, v, 1);
}
/** CMOVcc: the source is read even when the condition is false; a 32-bit destination is zero-extended either way. */
function cmov(e: u32, size: u32, isMem: bool): void {
  const v = srcE(e, size, isMem);
  if (faulted()) return;
  const g = fG(e);
  if (testCond(fAux(e))) wr(g, v, size);
  else if (size == 4) wr(g, rd(g, 4), 4);
}

// ---- Control transfer and stack ----
@inline function relTarget(e: u32): u64 {
  const t = ipNow() + fImm(e);
  return mode64 ? t : t & 0xffffffff;
}
/** Jcc/JMP rel: within the code page it is a fall-through to the target (see decode.branchInPage). */
@inline function jumpRel(e: u32): void {
  if (!branchInPage(<i64>fImm(e))) nearJump(relTarget(e));
}
function callRel(e: u32): void {
  const size = stackSize();
  const next = ipNow();
  const t = relTarget(e);
  if (!targetOk(t)) return;
  if (!pushInline(next, size)) return;
  jumpTo(t);
}
function callAbs(e: u32, isMem: bool): void {
  const size = stackSize();
  const t = srcE(e, size, isMem);
  if (faulted()) return;
  callAbsolute(t, size);
}
function jmpAbs(e: u32, isMem: bool): void {
  const t = srcE(e, stackSize(), isMem);
  if (faulted()) return;
  nearJump(t);
}
function ret(): void {
  const size = stackSize();
  const t = stackPeekInline(0, size);
  if (faulted()) return;
  if (!targetOk(t)) return;
  spAdd(<u64>size);
  jumpTo(t);
}
function popR(e: u32): void {
  const size = stackSize();
  const v = stackPeekInline(0, size);
  if (faulted()) return;
  spAdd(<u64>size);
  wr(fE(e), v, size); // POP rSP: the loaded value wins over the increment
}

/**
 * Executes the fast entry at `e` (its op is never 0). Every label is written `OP_NAME + k`, even for
 * k = 0: a bare constant name as a case label ends Binaryen's run of br_ifs, so the switch became 8
 * chained br_tables (up to 8 compares before the jump); as sums it is one 128-way br_table (checked by
 * test/unit/core-dispatch.test.ts; +10 % guest MIPS on bench/cpu-loop.ts).
 */
@inline export function execDecoded(e: u32): void {
  switch (<u32>load<u16>(e, DCE_OP)) {
    case OP_ALU_RR + 0: aluRR(e, ALU_ADD, 4); return;
    case OP_ALU_RR + 1: aluRR(e, ALU_ADD, 8); return;
    case OP_ALU_RR + 2: aluRR(e, ALU_OR, 4); return;
    case OP_ALU_RR + 3: aluRR(e, ALU_OR, 8); return;
    case OP_ALU_RR + 4: aluRR(e, ALU_ADC, 4); return;
    case OP_ALU_RR + 5: aluRR(e, ALU_ADC, 8); return;
    case OP_ALU_RR + 6: aluRR(e, ALU_SBB, 4); return;
    case OP_ALU_RR + 7: aluRR(e, ALU_SBB, 8); return;
    case OP_ALU_RR + 8: aluRR(e, ALU_AND, 4); return;
    case OP_ALU_RR + 9: aluRR(e, ALU_AND, 8); return;
    case OP_ALU_RR + 10: aluRR(e, ALU_SUB, 4); return;
    case OP_ALU_RR + 11: aluRR(e, ALU_SUB, 8); return;
    case OP_ALU_RR + 12: aluRR(e, ALU_XOR, 4); return;
    case OP_ALU_RR + 13: aluRR(e, ALU_XOR, 8); return;
    case OP_ALU_RR + 14: aluRR(e, ALU_CMP, 4); return;
    case OP_ALU_RR + 15: aluRR(e, ALU_CMP, 8); return;
    case OP_ALU_RI + 0: aluRI(e, ALU_ADD, 4); return;
    case OP_ALU_RI + 1: aluRI(e, ALU_ADD, 8); return;
    case OP_ALU_RI + 2: aluRI(e, ALU_OR, 4); return;
    case OP_ALU_RI + 3: aluRI(e, ALU_OR, 8); return;
    case OP_ALU_RI + 4: aluRI(e, ALU_ADC, 4); return;
    case OP_ALU_RI + 5: aluRI(e, ALU_ADC, 8); return;
    case OP_ALU_RI + 6: aluRI(e, ALU_SBB, 4); return;
    case OP_ALU_RI + 7: aluRI(e, ALU_SBB, 8); return;
    case OP_ALU_RI + 8: aluRI(e, ALU_AND, 4); return;
    case OP_ALU_RI + 9: aluRI(e, ALU_AND, 8); return;
    case OP_ALU_RI + 10: aluRI(e, ALU_SUB, 4); return;
    case OP_ALU_RI + 11: aluRI(e, ALU_SUB, 8); return;
    case OP_ALU_RI + 12: aluRI(e, ALU_XOR, 4); return;
    case OP_ALU_RI + 13: aluRI(e, ALU_XOR, 8); return;
    case OP_ALU_RI + 14: aluRI(e, ALU_CMP, 4); return;
    case OP_ALU_RI + 15: aluRI(e, ALU_CMP, 8); return;
    case OP_ALU_RM + 0: aluRM(e, 4); return;
    case OP_ALU_RM + 1: aluRM(e, 8); return;
    case OP_ALU_MR + 0: aluM(e, 4, false); return;
    case OP_ALU_MR + 1: aluM(e, 8, false); return;
    case OP_ALU_MI + 0: aluM(e, 4, true); return;
    case OP_ALU_MI + 1: aluM(e, 8, true); return;
    case OP_ALU_RR8 + 0: aluR8(e, false); return;
    case OP_ALU_RI8 + 0: aluR8(e, true); return;
    case OP_ALU_RM8 + 0: aluRM(e, 1); return;
    case OP_ALU_MR8 + 0: aluM(e, 1, false); return;
    case OP_ALU_MI8 + 0: aluM(e, 1, true); return;
    case OP_TEST_RR + 0: testR(e, 4, false); return;
    case OP_TEST_RR + 1: testR(e, 8, false); return;
    case OP_TEST_RI + 0: testR(e, 4, true); return;
    case OP_TEST_RI + 1: testR(e, 8, true); return;
    case OP_TEST_MR + 0: testM(e, 4, false); return;
    case OP_TEST_MR + 1: testM(e, 8, false); return;
    case OP_TEST_MI + 0: testM(e, 4, true); return;
    case OP_TEST_MI + 1: testM(e, 8, true); return;
    case OP_TEST_RR8 + 0: testR(e, 1, false); return;
    case OP_TEST_RI8 + 0: testR(e, 1, true); return;
    case OP_TEST_MR8 + 0: testM(e, 1, false); return;
    case OP_TEST_MI8 + 0: testM(e, 1, true); return;
    case OP_MOV_RR + 0: wr(fE(e), rd(fG(e), 4), 4); return;
    case OP_MOV_RR + 1: wr(fE(e), rd(fG(e), 8), 8); return;
    case OP_MOV_RI + 0: wr(fE(e), fImm(e), 4); return;
    case OP_MOV_RI + 1: wr(fE(e), fImm(e), 8); return;
    case OP_MOV_RM + 0: movRM(e, 4); return;
    case OP_MOV_RM + 1: movRM(e, 8); return;
    case OP_MOV_MR + 0: movM(e, 4, false); return;
    case OP_MOV_MR + 1: movM(e, 8, false); return;
    case OP_MOV_MI + 0: movM(e, 4, true); return;
    case OP_MOV_MI + 1: movM(e, 8, true); return;
    case OP_MOV_RR8 + 0: wr(fE(e), rd(fG(e), 1), 1); return;
    case OP_MOV_RI8 + 0: wr(fE(e), fImm(e), 1); return;
    case OP_MOV_RM8 + 0: movRM(e, 1); return;
    case OP_MOV_MR8 + 0: movM(e, 1, false); return;
    case OP_MOV_MI8 + 0: movM(e, 1, true); return;
    case OP_LEA + 0: wr(fG(e), effOffset(e), 4); return;
    case OP_LEA + 1: wr(fG(e), effOffset(e), 8); return;
    case OP_INCDEC_R + 0: incdecR(e, 4); return;
    case OP_INCDEC_R + 1: incdecR(e, 8); return;
    case OP_INCDEC_M + 0: incdecM(e, 4); return;
    case OP_INCDEC_M + 1: incdecM(e, 8); return;
    case OP_SHIFT_R + 0: shiftR(e, 4); return;
    case OP_SHIFT_R + 1: shiftR(e, 8); return;
    case OP_SHIFT_M + 0: shiftM(e, 4); return;
    case OP_SHIFT_M + 1: shiftM(e, 8); return;
    case OP_IMUL_RR + 0: imul2(e, 4, false); return;
    case OP_IMUL_RR + 1: imul2(e, 8, false); return;
    case OP_IMUL_RM + 0: imul2(e, 4, true); return;
    case OP_IMUL_RM + 1: imul2(e, 8, true); return;
    case OP_IMUL_RRI + 0: imul3(e, 4, false); return;
    case OP_IMUL_RRI + 1: imul3(e, 8, false); return;
    case OP_IMUL_RMI + 0: imul3(e, 4, true); return;
    case OP_IMUL_RMI + 1: imul3(e, 8, true); return;
    case OP_MOVSXD_RR + 0: movsxd(e, false); return;
    case OP_MOVSXD_RM + 0: movsxd(e, true); return;
    case OP_MOVX_RR + 0: movx(e, 4, false); return;
    case OP_MOVX_RR + 1: movx(e, 8, false); return;
    case OP_MOVX_RM + 0: movx(e, 4, true); return;
    case OP_MOVX_RM + 1: movx(e, 8, true); return;
    case OP_SETCC_R + 0: wr(fE(e), testCond(fAux(e)) ? 1 : 0, 1); return;
    case OP_SETCC_M + 0: setccM(e); return;
    case OP_CMOV_RR + 0: cmov(e, 4, false); return;
    case OP_CMOV_RR + 1: cmov(e, 8, false); return;
    case OP_CMOV_RM + 0: cmov(e, 4, true); return;
    case OP_CMOV_RM + 1: cmov(e, 8, true); return;
    case OP_JCC + 0: if (testCondInline(0)) jumpRel(e); return;
    case OP_JCC + 1: if (testCondInline(1)) jumpRel(e); return;
    case OP_JCC + 2: if (testCondInline(2)) jumpRel(e); return;
    case OP_JCC + 3: if (testCondInline(3)) jumpRel(e); return;
    case OP_JCC + 4: if (testCondInline(4)) jumpRel(e); return;
    case OP_JCC + 5: if (testCondInline(5)) jumpRel(e); return;
    case OP_JCC + 6: if (testCondInline(6)) jumpRel(e); return;
    case OP_JCC + 7: if (testCondInline(7)) jumpRel(e); return;
    case OP_JCC + 8: if (testCondInline(8)) jumpRel(e); return;
    case OP_JCC + 9: if (testCondInline(9)) jumpRel(e); return;
    case OP_JCC + 10: if (testCondInline(10)) jumpRel(e); return;
    case OP_JCC + 11: if (testCondInline(11)) jumpRel(e); return;
    case OP_JCC + 12: if (testCondInline(12)) jumpRel(e); return;
    case OP_JCC + 13: if (testCondInline(13)) jumpRel(e); return;
    case OP_JCC + 14: if (testCondInline(14)) jumpRel(e); return;
    case OP_JCC + 15: if (testCondInline(15)) jumpRel(e); return;
    case OP_JMP + 0: jumpRel(e); return;
    case OP_CALL + 0: callRel(e); return;
    case OP_RET + 0: ret(); return;
    case OP_PUSH_R + 0: pushInline(rd(fE(e), stackSize()), stackSize()); return; // PUSH rSP pushes the old value
    case OP_POP_R + 0: popR(e); return;
    case OP_PUSH_I + 0: pushInline(fImm(e) & maskOfSize(stackSize()), stackSize()); return;
    case OP_CALL_R + 0: callAbs(e, false); return;
    case OP_JMP_R + 0: jmpAbs(e, false); return;
    case OP_CALL_M + 0: callAbs(e, true); return;
    case OP_JMP_M + 0: jmpAbs(e, true); return;
    case OP_NOP + 0: return;
    default: return; // op 0 never reaches here (decode-cache.ts hands it to the byte decoder)
  }
}

/**
 * execDecoded as a function of its own: the one copy of the switch that step(), the profiled loop and
 * compiled blocks (cpu/jit.ts jitExec) share, besides the one inlined into interp.ts runDecoded.
 */
export function execDecodedOnce(e: u32): void { execDecoded(e); }
