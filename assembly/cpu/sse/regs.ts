// Operands and machine state of the SSE/SSE2/MMX instructions (Intel SDM vol. 1, 10.2 and 11.2;
// vol. 2, 2.4 "instruction exception specification"; vol. 3, 9.5/13.1 for CR0.EM/TS and
// CR4.OSFXSR/OSXMMEXCPT). XMM registers live at CPU_XMM; MMX register i is the low 64 bits of
// physical x87 register i, and CPU_ST holds the registers in stack order (ST0 first, as FXSAVE
// stores them), so MMX code first makes TOP 0 (mmxEnter) after which slot i is MMi.
// Invariant: an operand accessor either returns a valid wasm address (a register, or a scratch
// buffer the memory operand was read into) or raises a fault and returns 0; nothing is written
// before every access of the instruction succeeded.
import { CPU_BASE, CPU_XMM, CPU_MXCSR, CPU_ST, CPU_FPU_SW, CPU_FPU_TW, CPU_FPU_TOP } from '../../layout';
import { raiseFault, raiseGP, raiseUD, faulted, VEC_NM, VEC_XM, VEC_MF } from '../fault';
import { getCr0, getCr4, segBase, CR0_EM, CR0_TS, CR0_NE, CR4_OSFXSR, CR4_OSXMMEXCPT, FS } from '../state';
import { mode64 } from '../decode';
import {
  modIsReg, modRm, modReg, eaSeg, eaOffset, eaStackBase, segLinear, readMem, writeMem, probeWriteSplit,
  SEG_READ, SEG_WRITE,
} from '../modrm';

/** Scratch buffers (16-byte aligned): a memory source operand, and a result being assembled. */
export const SRC: u32 = <u32>memory.data(16, 16);
export const TMP: u32 = <u32>memory.data(16, 16);
/** A second source buffer (instructions that read two memory-sized values never need more). */
export const SRC2: u32 = <u32>memory.data(16, 16);

@inline export function xmmAddr(r: i32): u32 { return CPU_BASE + CPU_XMM + (<u32>r << 4); }
/** MMX register i (valid after mmxEnter(): TOP is 0, so stack slot i is physical register i). */
@inline export function mmAddr(i: i32): u32 { return CPU_BASE + CPU_ST + ((<u32>i & 7) << 4); }
@inline export function getMxcsr(): u32 { return load<u32>(CPU_BASE + CPU_MXCSR); }
@inline export function setMxcsr(v: u32): void { store<u32>(CPU_BASE + CPU_MXCSR, v); }

// ---- Availability (the #UD / #NM checks every SSE or MMX instruction makes first) ----

/** SSE/SSE2 instruction on XMM state: #UD without CR4.OSFXSR or with CR0.EM; #NM with CR0.TS. */
export function sseOk(): bool {
  const cr0 = getCr0();
  if ((getCr4() & CR4_OSFXSR) == 0 || (cr0 & CR0_EM) != 0) { raiseUD(); return false; }
  if ((cr0 & CR0_TS) != 0) { raiseFault(VEC_NM, 0, false); return false; }
  return true;
}

/**
 * MMX instruction (and the SSE ones that touch MMX registers): #UD with CR0.EM, #NM with CR0.TS,
 * #MF when an unmasked x87 exception is pending (FSW.ES) and CR0.NE is set. `sse` adds the SSE
 * OSFXSR check for the SSE instructions among them.
 */
export function mmxOk(sse: bool): bool {
  const cr0 = getCr0();
  if ((cr0 & CR0_EM) != 0 || (sse && (getCr4() & CR4_OSFXSR) == 0)) { raiseUD(); return false; }
  if ((cr0 & CR0_TS) != 0) { raiseFault(VEC_NM, 0, false); return false; }
  if ((load<u16>(CPU_BASE + CPU_FPU_SW) & 0x80) != 0 && (cr0 & CR0_NE) != 0) { raiseFault(VEC_MF, 0, false); return false; }
  return true;
}

/**
 * The transition to MMX state that every MMX instruction but EMMS makes: TOP = 0 and all tags
 * valid. The stack-ordered register file is rotated so that physical register i sits in slot i.
 */
export function mmxEnter(): void {
  const top = load<u32>(CPU_BASE + CPU_FPU_TOP) & 7;
  if (top != 0) {
    // Slot j holds physical register (top + j) & 7: rotate right by `top` slots.
    const base = CPU_BASE + CPU_ST;
    for (let n: u32 = 0; n < top; n++) {
      const lo = load<u64>(base + 112), hi = load<u64>(base + 120);
      memory.copy(base + 16, base, 112);
      store<u64>(base, lo);
      store<u64>(base + 8, hi);
    }
    store<u32>(CPU_BASE + CPU_FPU_TOP, 0);
  }
  store<u16>(CPU_BASE + CPU_FPU_TW, 0xff);
}

/** Writes MMX register i: the 64-bit value, and the exponent field all ones (as hardware does). */
export function setMm(i: i32, v: u64): void {
  const p = mmAddr(i);
  store<u64>(p, v);
  store<u16>(p + 8, 0xffff);
}

/** An unmasked SIMD floating-point exception: #XM with CR4.OSXMMEXCPT, #UD without. */
export function raiseXM(): void {
  if ((getCr4() & CR4_OSXMMEXCPT) != 0) raiseFault(VEC_XM, 0, false);
  else raiseUD();
}

// ---- Memory operands ----

/**
 * Linear address of the memory operand for `size` bytes. `align16`: a legacy SSE 16-byte operand
 * that must be aligned: #GP(0) when it is not, checked before the segment, alignment-check (#AC)
 * and paging checks. Returns 0 with a fault raised.
 */
export function memLinear(size: u32, write: bool, align16: bool): u64 {
  const off = eaOffset();
  if (align16) {
    const base: u64 = mode64 ? (eaSeg >= FS ? segBase(eaSeg) : 0) : segBase(eaSeg);
    if (((base + off) & 15) != 0) { raiseGP(0); return 0; }
  }
  // A non-canonical rSP/rBP-based address is #SS(0), but #GP(0) with an FS or GS override (as the
  // reference CPU does).
  return segLinear(eaSeg, off, size, write ? SEG_WRITE : SEG_READ, eaStackBase && !(mode64 && eaSeg >= FS));
}

/** Reads `size` (4, 8 or 16) bytes of memory into SRC (the rest of SRC is zeroed); 0 on a fault. */
export function readMemOperand(size: u32, align16: bool): u32 {
  const lin = memLinear(size, false, align16);
  if (faulted()) return 0;
  if (size == 16) {
    const lo = readMem(lin, 8);
    if (faulted()) return 0;
    const hi = readMem(lin + 8, 8);
    if (faulted()) return 0;
    store<u64>(SRC, lo);
    store<u64>(SRC + 8, hi);
  } else {
    const v = readMem(lin, size);
    if (faulted()) return 0;
    store<u64>(SRC, v);
    store<u64>(SRC + 8, 0);
  }
  return SRC;
}

/** Writes `size` (4, 8 or 16) bytes from wasm address p to the memory operand (all or nothing). */
export function writeMemOperand(p: u32, size: u32, align16: bool): void {
  const lin = memLinear(size, true, align16);
  if (faulted()) return;
  if (size == 16) {
    if ((<u32>lin & 0xfff) > 0xff0 && !probeWriteSplit(lin)) return;
    writeMem(lin, load<u64>(p), 8);
    if (faulted()) return;
    writeMem(lin + 8, load<u64>(p + 8), 8);
  } else {
    writeMem(lin, size == 8 ? load<u64>(p) : <u64>load<u32>(p), size);
  }
}

/** The W operand as 16 bytes: XMM register rm, or memory (aligned unless `unaligned`). */
export function srcW128(aligned: bool): u32 {
  if (modIsReg) return xmmAddr(modRm);
  return readMemOperand(16, aligned);
}
/** The W operand's low 8 bytes: XMM register rm, or an 8-byte memory operand. */
export function srcW64(): u32 {
  if (modIsReg) return xmmAddr(modRm);
  return readMemOperand(8, false);
}
/** The W operand's low 4 bytes: XMM register rm, or a 4-byte memory operand. */
export function srcW32(): u32 {
  if (modIsReg) return xmmAddr(modRm);
  return readMemOperand(4, false);
}
/** The Q operand (MMX register rm & 7, or an 8-byte memory operand). Call mmxEnter() first. */
export function srcQ(): u32 {
  if (modIsReg) return mmAddr(modRm & 7);
  return readMemOperand(8, false);
}
/** The V (XMM reg field) register. */
@inline export function dstV(): u32 { return xmmAddr(modReg); }
/** The P (MMX reg field) register. */
@inline export function dstP(): u32 { return mmAddr(modReg & 7); }
