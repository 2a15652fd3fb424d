// Architectural state of the current vCPU, read and written in place in linear memory (layout.ts).
// Accessors only: no behaviour. Invariants: a 32-bit register write zero-extends to 64 bits (the
// long-mode rule; in 32-bit modes the upper half is never observable), 8/16-bit writes merge.
import {
  CPU_BASE, CPU_GPR, CPU_RIP, CPU_RFLAGS, CPU_SEG, SEG_STRIDE, SEG_SEL, SEG_ATTR, SEG_LIMIT, SEG_BASE,
  CPU_CPL, CPU_MODE, CPU_CR0, CPU_CR2, CPU_CR3, CPU_CR4, CPU_EFER,
} from '../layout';

// Register numbers in encoding order.
export const RAX: i32 = 0;
export const RCX: i32 = 1;
export const RDX: i32 = 2;
export const RBX: i32 = 3;
export const RSP: i32 = 4;
export const RBP: i32 = 5;
export const RSI: i32 = 6;
export const RDI: i32 = 7;

// Segment register numbers in encoding order, then the system segments.
export const ES: i32 = 0;
export const CS: i32 = 1;
export const SS: i32 = 2;
export const DS: i32 = 3;
export const FS: i32 = 4;
export const GS: i32 = 5;
export const LDTR: i32 = 6;
export const TR: i32 = 7;

// RFLAGS bits (Intel SDM vol. 1, 3.4.3).
export const FLAG_CF: u32 = 1 << 0;
export const FLAG_FIXED1: u32 = 1 << 1;
export const FLAG_PF: u32 = 1 << 2;
export const FLAG_AF: u32 = 1 << 4;
export const FLAG_ZF: u32 = 1 << 6;
export const FLAG_SF: u32 = 1 << 7;
export const FLAG_TF: u32 = 1 << 8;
export const FLAG_IF: u32 = 1 << 9;
export const FLAG_DF: u32 = 1 << 10;
export const FLAG_OF: u32 = 1 << 11;
export const FLAG_IOPL: u32 = 3 << 12;
export const FLAG_NT: u32 = 1 << 14;
export const FLAG_RF: u32 = 1 << 16;
export const FLAG_VM: u32 = 1 << 17;
export const FLAG_AC: u32 = 1 << 18;
export const FLAG_VIF: u32 = 1 << 19;
export const FLAG_VIP: u32 = 1 << 20;
export const FLAG_ID: u32 = 1 << 21;
export const FLAGS_ARITH: u32 = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;

// Control register bits (SDM vol. 3, 2.5).
export const CR0_PE: u64 = 1 << 0;
export const CR0_MP: u64 = 1 << 1;
export const CR0_EM: u64 = 1 << 2;
export const CR0_TS: u64 = 1 << 3;
export const CR0_ET: u64 = 1 << 4;
export const CR0_NE: u64 = 1 << 5;
export const CR0_WP: u64 = 1 << 16;
export const CR0_AM: u64 = 1 << 18;
export const CR0_PG: u64 = 1 << 31;
export const CR4_PSE: u64 = 1 << 4;
export const CR4_PAE: u64 = 1 << 5;
export const CR4_PGE: u64 = 1 << 7;
export const CR4_OSFXSR: u64 = 1 << 9;
export const CR4_OSXMMEXCPT: u64 = 1 << 10;
export const EFER_SCE: u64 = 1 << 0;
export const EFER_LME: u64 = 1 << 8;
export const EFER_LMA: u64 = 1 << 10;
export const EFER_NXE: u64 = 1 << 11;

// Segment attribute bits as stored in SEG_ATTR (descriptor bits 40..47 -> 0..7, 52..55 -> 12..15).
export const ATTR_ACCESSED: u32 = 1 << 0;
export const ATTR_RW: u32 = 1 << 1; // data: writable; code: readable
export const ATTR_DC: u32 = 1 << 2; // data: expand-down; code: conforming
export const ATTR_CODE: u32 = 1 << 3;
export const ATTR_S: u32 = 1 << 4; // 1 = code/data, 0 = system
export const ATTR_DPL_SHIFT: u32 = 5;
export const ATTR_P: u32 = 1 << 7;
export const ATTR_AVL: u32 = 1 << 12;
export const ATTR_L: u32 = 1 << 13;
export const ATTR_DB: u32 = 1 << 14;
export const ATTR_G: u32 = 1 << 15;

// ---- General registers ----
@inline export function getReg64(r: i32): u64 { return load<u64>(CPU_BASE + CPU_GPR + (<u32>r << 3)); }
@inline export function setReg64(r: i32, v: u64): void { store<u64>(CPU_BASE + CPU_GPR + (<u32>r << 3), v); }
@inline export function getReg32(r: i32): u32 { return load<u32>(CPU_BASE + CPU_GPR + (<u32>r << 3)); }
@inline export function setReg32(r: i32, v: u32): void { store<u64>(CPU_BASE + CPU_GPR + (<u32>r << 3), <u64>v); }
@inline export function getReg16(r: i32): u32 { return load<u16>(CPU_BASE + CPU_GPR + (<u32>r << 3)); }
@inline export function setReg16(r: i32, v: u32): void { store<u16>(CPU_BASE + CPU_GPR + (<u32>r << 3), <u16>v); }
/** Low byte of register r (AL, CL, ..., and with REX SPL..DIL, R8B..R15B). */
@inline export function getReg8Low(r: i32): u32 { return load<u8>(CPU_BASE + CPU_GPR + (<u32>r << 3)); }
@inline export function setReg8Low(r: i32, v: u32): void { store<u8>(CPU_BASE + CPU_GPR + (<u32>r << 3), <u8>v); }
/** Byte register by legacy encoding without REX: 0..3 = AL CL DL BL, 4..7 = AH CH DH BH. */
@inline export function getReg8Legacy(r: i32): u32 {
  return load<u8>(CPU_BASE + CPU_GPR + ((<u32>r & 3) << 3) + (<u32>r >> 2));
}
@inline export function setReg8Legacy(r: i32, v: u32): void {
  store<u8>(CPU_BASE + CPU_GPR + ((<u32>r & 3) << 3) + (<u32>r >> 2), <u8>v);
}

// ---- Instruction pointer and flags ----
@inline export function getRip(): u64 { return load<u64>(CPU_BASE + CPU_RIP); }
@inline export function setRip(v: u64): void { store<u64>(CPU_BASE + CPU_RIP, v); }
/** RFLAGS as stored: the arithmetic flags there are stale while lazy flags are pending (cpu/flags.ts). */
@inline export function getRflagsRaw(): u64 { return load<u64>(CPU_BASE + CPU_RFLAGS); }
@inline export function setRflagsRaw(v: u64): void { store<u64>(CPU_BASE + CPU_RFLAGS, v); }

// ---- Segments ----
@inline export function segSel(s: i32): u32 { return load<u16>(CPU_BASE + CPU_SEG + <u32>s * SEG_STRIDE + SEG_SEL); }
@inline export function segAttr(s: i32): u32 { return load<u16>(CPU_BASE + CPU_SEG + <u32>s * SEG_STRIDE + SEG_ATTR); }
@inline export function segLimit(s: i32): u32 { return load<u32>(CPU_BASE + CPU_SEG + <u32>s * SEG_STRIDE + SEG_LIMIT); }
@inline export function segBase(s: i32): u64 { return load<u64>(CPU_BASE + CPU_SEG + <u32>s * SEG_STRIDE + SEG_BASE); }
@inline export function setSegCache(s: i32, sel: u32, attr: u32, limit: u32, base: u64): void {
  const p = CPU_BASE + CPU_SEG + <u32>s * SEG_STRIDE;
  store<u16>(p + SEG_SEL, <u16>sel);
  store<u16>(p + SEG_ATTR, <u16>attr);
  store<u32>(p + SEG_LIMIT, limit);
  store<u64>(p + SEG_BASE, base);
}
@inline export function setSegBase(s: i32, base: u64): void { store<u64>(CPU_BASE + CPU_SEG + <u32>s * SEG_STRIDE + SEG_BASE, base); }

// ---- Privilege, mode, control registers ----
@inline export function getCpl(): u32 { return load<u32>(CPU_BASE + CPU_CPL); }
@inline export function setCpl(v: u32): void { store<u32>(CPU_BASE + CPU_CPL, v); }
@inline export function getMode(): u32 { return load<u32>(CPU_BASE + CPU_MODE); }
@inline export function setMode(v: u32): void { store<u32>(CPU_BASE + CPU_MODE, v); }
@inline export function getCr0(): u64 { return load<u64>(CPU_BASE + CPU_CR0); }
@inline export function setCr0(v: u64): void { store<u64>(CPU_BASE + CPU_CR0, v); }
@inline export function getCr2(): u64 { return load<u64>(CPU_BASE + CPU_CR2); }
@inline export function setCr2(v: u64): void { store<u64>(CPU_BASE + CPU_CR2, v); }
@inline export function getCr3(): u64 { return load<u64>(CPU_BASE + CPU_CR3); }
@inline export function getCr4(): u64 { return load<u64>(CPU_BASE + CPU_CR4); }
@inline export function setCr4(v: u64): void { store<u64>(CPU_BASE + CPU_CR4, v); }
@inline export function getEfer(): u64 { return load<u64>(CPU_BASE + CPU_EFER); }
@inline export function setEfer(v: u64): void { store<u64>(CPU_BASE + CPU_EFER, v); }
