// The stack: push/pop primitives and PUSH/POP (all forms), PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE
// (Intel SDM vol. 2; vol. 1, 6.2 "Stacks"). Stack address size is SS.B (rSP masked by spMask) in
// 32-bit modes and 64 bits in 64-bit mode; stack operand size defaults to 64 bits in 64-bit mode.
// Invariant: rSP is updated only after every access of the instruction succeeded (multi-push
// instructions probe their whole range first).
import { faulted, raiseUD } from './fault';
import {
  getReg64, setReg64, setReg32, setReg16, RSP, RBP, SS, getCpl,
  FLAG_IF, FLAG_IOPL, FLAG_RF, FLAG_VM, FLAG_TF, FLAG_DF, FLAG_NT, FLAG_AC, FLAG_ID, FLAGS_ARITH,
  FLAG_VIF, FLAG_VIP,
} from './state';
import { opSize, mode64, spMask, fetch16, fetch8, fetchS8, fetchImm } from './decode';
import {
  decodeModrmByte, readE, writeE, readSeg, writeSeg, probeWriteSeg, getRegN, setRegN,
  segLinearQuick, readQuick, writeQuick, SEG_READ, SEG_WRITE,
} from './modrm';
import { getFlags, setFlags, maskOfSize } from './flags';

/** Operand size of stack operations: 64-bit mode promotes 32 to 64 (66h gives 16). */
@inline export function stackOpSize(): u32 { return mode64 ? (opSize == 2 ? 2 : 8) : opSize; }

@inline export function getSp(): u64 { return getReg64(RSP) & spMask; }
/** Writes rSP at the stack address size (16-bit stacks merge into SP). */
@inline export function setSp(v: u64): void {
  if (spMask == 0xffffffff) setReg32(RSP, <u32>v);
  else if (spMask == 0xffff) setReg16(RSP, <u32>v);
  else setReg64(RSP, v);
}

/** Pushes `size` bytes; false with the fault raised (rSP unchanged). */
export function push(v: u64, size: u32): bool { return pushInline(v, size); }
/** Reads `size` bytes at rSP + delta (does not pop). */
export function stackPeek(delta: u64, size: u32): u64 { return stackPeekInline(delta, size); }
/** push(), inline (the decoded-instruction executor, cpu/fast-ops.ts, uses it so). */
@inline export function pushInline(v: u64, size: u32): bool {
  const sp = (getReg64(RSP) - <u64>size) & spMask;
  const lin = segLinearQuick(SS, sp, size, SEG_WRITE, true);
  if (faulted()) return false;
  writeQuick(lin, v, size);
  if (faulted()) return false;
  setSp(sp);
  return true;
}
/** stackPeek(), inline. */
@inline export function stackPeekInline(delta: u64, size: u32): u64 {
  const lin = segLinearQuick(SS, (getReg64(RSP) + delta) & spMask, size, SEG_READ, true);
  if (faulted()) return 0;
  return readQuick(lin, size);
}
/** Adds delta to rSP at the stack address size. */
@inline export function spAdd(delta: u64): void { setSp((getReg64(RSP) + delta) & spMask); }

// ---- PUSH / POP ----
/** PUSH r (50+r). */
export function PUSH_r(r: i32): void {
  const size = stackOpSize();
  push(getRegN(r, size), size); // PUSH rSP pushes the value before the decrement
}
/** POP r (58+r). */
export function POP_r(r: i32): void {
  const size = stackOpSize();
  const v = stackPeek(0, size);
  if (faulted()) return;
  spAdd(<u64>size);
  setRegN(r, v, size); // POP rSP: the loaded value wins over the increment
}
/** PUSH Iz (68) and PUSH Ib (6A, sign-extended). */
export function PUSH_I(immByte: bool): void {
  const size = stackOpSize();
  const v = immByte ? fetchS8() : fetchImm(size == 8 ? 8 : size);
  if (faulted()) return;
  push(v & maskOfSize(size), size);
}
/** PUSH Ev (FF /6), after decodeModrm. */
export function PUSH_Ev(): void {
  const size = stackOpSize();
  const v = readE(size, false);
  if (faulted()) return;
  push(v, size);
}
/** POP Ev (8F /0): the address is computed with rSP already incremented. */
export function POP_Ev(): void {
  const m = fetch8();
  if (faulted()) return;
  if (((m >> 3) & 7) != 0) { raiseUD(); return; } // group 1A: only /0 exists
  const size = stackOpSize();
  // The address is formed with the incremented rSP, and the whole instruction is fetched (a 16th
  // byte is #GP(0)) before the stack is read.
  const oldSp = getReg64(RSP);
  spAdd(<u64>size);
  decodeModrmByte(m);
  if (faulted()) { setReg64(RSP, oldSp); return; }
  const v = stackPeek(<u64>0 - <u64>size, size);
  if (faulted()) { setReg64(RSP, oldSp); return; }
  writeE(v, size);
  if (faulted()) setReg64(RSP, oldSp);
}

// ---- PUSHA / POPA (60, 61; not in 64-bit mode: the dispatcher raises #UD) ----
// As on the reference CPU, the eight accesses happen in order: a fault part-way leaves the earlier
// stores (PUSHA) or register loads (POPA) done, with rSP unchanged.
export function PUSHA(): void {
  const size = opSize;
  const sp = getSp();
  const orig = getRegN(RSP, size);
  for (let r = 0; r < 8; r++) {
    const v = r == RSP ? orig : getRegN(r, size);
    writeSeg(SS, (sp - <u64>((r + 1) * size)) & spMask, v, size, true);
    if (faulted()) return;
  }
  setSp((sp - <u64>(8 * size)) & spMask);
}
export function POPA(): void {
  const size = opSize;
  const sp = getSp();
  for (let r = 7; r >= 0; r--) {
    const v = readSeg(SS, (sp + <u64>((7 - r) * size)) & spMask, size, true);
    if (faulted()) return;
    if (r != RSP) setRegN(r, v, size); // the saved rSP is read (it can fault) but not loaded
  }
  setSp((sp + <u64>(8 * size)) & spMask);
}

// ---- PUSHF / POPF (9C, 9D) ----
/** PUSHF/PUSHFD/PUSHFQ: the image has RF and VM clear. */
export function PUSHF(): void {
  const size = stackOpSize();
  const f = getFlags() & ~(<u64>(FLAG_RF | FLAG_VM));
  push(f & maskOfSize(size), size);
}

/**
 * The RFLAGS bits that POPF (and IRET within a ring) may change at the current CPL (SDM "POPF"):
 * CPL 0 changes IF and IOPL; CPL <= IOPL changes IF but not IOPL; otherwise neither (no fault).
 * VM, VIP, VIF and RF are never loaded by POPF.
 */
export function popfMask(): u32 {
  let m: u32 = FLAGS_ARITH | FLAG_TF | FLAG_DF | FLAG_NT | FLAG_AC | FLAG_ID;
  const cpl = getCpl();
  const iopl = (<u32>getFlags() & FLAG_IOPL) >> 12;
  if (cpl == 0) m |= FLAG_IF | FLAG_IOPL;
  else if (cpl <= iopl) m |= FLAG_IF;
  return m;
}
export function POPF(): void {
  const size = stackOpSize();
  const v = stackPeek(0, size);
  if (faulted()) return;
  let m = popfMask();
  if (size == 2) m &= 0xffff;
  const old = getFlags();
  let nf = (old & ~(<u64>m)) | (v & <u64>m);
  nf &= ~(<u64>FLAG_RF);
  nf = (nf & ~(<u64>(FLAG_VM | FLAG_VIF | FLAG_VIP))) | (old & <u64>(FLAG_VM | FLAG_VIF | FLAG_VIP));
  spAdd(<u64>size);
  setFlags(nf);
}

// ---- ENTER / LEAVE ----
/**
 * ENTER imm16, imm8 (C8): frame with nesting level 0..31. As on the reference CPU the pushes are
 * stored in order, then a write at the final stack pointer is checked; a fault anywhere leaves rSP
 * and rBP unchanged (earlier stores stay done).
 */
export function ENTER(): void {
  const alloc = <u64>fetch16();
  const level = fetch8() & 31;
  if (faulted()) return;
  const size = stackOpSize();
  let sp = (getSp() - <u64>size) & spMask;
  writeSeg(SS, sp, getRegN(RBP, size), size, true);
  if (faulted()) return;
  const frameTemp = sp;
  let bp = getReg64(RBP);
  for (let i: u32 = 1; i < level; i++) {
    bp = (bp - <u64>size) & spMask;
    const v = readSeg(SS, bp, size, true);
    if (faulted()) return;
    sp = (sp - <u64>size) & spMask;
    writeSeg(SS, sp, v, size, true);
    if (faulted()) return;
  }
  if (level > 0) {
    sp = (sp - <u64>size) & spMask;
    writeSeg(SS, sp, frameTemp, size, true);
    if (faulted()) return;
  }
  const finalSp = (sp - alloc) & spMask;
  // The frame's final top is write-checked with the operand size (#PF, #AC), after the pushes above
  // reached memory (SDM ENTER: "a write using the final value of the stack pointer"; reference CPU).
  if (!probeWriteSeg(SS, finalSp, size, true)) return;
  setRegN(RBP, frameTemp, size == 2 ? 2 : (mode64 ? 8 : (spMask == 0xffff ? 2 : 4)));
  setSp(finalSp);
}

/** LEAVE (C9): rSP = rBP; pop rBP. */
export function LEAVE(): void {
  const size = stackOpSize();
  const bp = getReg64(RBP) & spMask;
  const v = readSeg(SS, bp, size, true);
  if (faulted()) return;
  setSp((bp + <u64>size) & spMask);
  setRegN(RBP, v, size);
}

/** Checks the 64-bit-mode validity of an opcode; raises #UD and returns false when invalid. */
@inline export function notIn64(): bool {
  if (mode64) { raiseUD(); return false; }
  return true;
}
