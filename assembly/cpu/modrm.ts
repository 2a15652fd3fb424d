// ModRM / SIB decoding, effective addresses and the generic operand accessors (Intel SDM vol. 2,
// 2.1.5 tables 2-1..2-3 and 2.2.1 for REX and RIP-relative addressing). 16-bit forms are complete
// (test vectors use them through GS). RIP-relative offsets are resolved when the operand is first
// accessed, after the handler fetched its immediates: relative to the end of the whole instruction.
// Invariant: a handler fetches every immediate before it touches a memory operand.
import { CPU_BASE, CPU_GPR } from '../layout';
import { raiseGP, raiseSS, raiseFault, faulted, VEC_AC } from './fault';
import { alignCheck } from './flags';
import {
  getReg64, setReg64, getReg32, setReg32, getReg16, setReg16, getReg8Low, setReg8Low,
  segAttr, segLimit, segBase, SS, DS, FS, ATTR_P, ATTR_S, ATTR_CODE, ATTR_DC, ATTR_RW, ATTR_DB,
} from './state';
import {
  fetch8, fetch16, fetch32, fetchS8, adSize, rex, segOvr, mode64, ipNow,
} from './decode';
import {
  read8, read16, read32, read64, write8, writeNAs, isUser, translate, tlbHit, ACC_READ, ACC_WRITE,
} from '../mmu/access';

// Access kinds for segment checks.
export const SEG_READ: u32 = 0;
export const SEG_WRITE: u32 = 1;

// ---- Decoded ModRM ----
export let modrmByte: u32 = 0;
/** The reg field extended by REX.R (register number or opcode extension). */
export let modReg: i32 = 0;
/** The rm field extended by REX.B (register number when modIsReg). */
export let modRm: i32 = 0;
export let modIsReg: bool = false;
/** Memory operand: segment, offset (without RIP when ripRel), RIP-relative flag. */
export let eaSeg: i32 = DS;
export let eaOff: u64 = 0;
export let eaRipRel: bool = false;
/** The address uses rSP or rBP as its base (64-bit mode: a non-canonical address is #SS, not #GP). */
export let eaStackBase: bool = false;

/** The /digit of the ModRM byte (reg field without REX.R). */
@inline export function modDigit(): u32 { return (modrmByte >> 3) & 7; }

/** Reads the ModRM byte and, for memory forms, the SIB byte and displacement. */
export function decodeModrm(): void {
  decodeModrmByte(fetch8());
}

/** Decodes a ModRM byte already fetched (handlers with a register fast path fetch it themselves). */
export function decodeModrmByte(m: u32): void {
  modrmByte = m;
  modReg = <i32>(((m >> 3) & 7) | ((rex & 4) << 1));
  if (m >= 0xc0) {
    modIsReg = true;
    modRm = <i32>((m & 7) | ((rex & 1) << 3));
    return;
  }
  modIsReg = false;
  eaRipRel = false;
  eaStackBase = false;
  if (adSize == 2) decodeEA16(m);
  else decodeEA3264(m);
}


function decodeEA16(m: u32): void {
  const mod = m >> 6;
  const rm = m & 7;
  let off: u32 = 0;
  let seg: i32 = DS;
  switch (rm) {
    case 0: off = getReg16(3) + getReg16(6); break; // BX+SI
    case 1: off = getReg16(3) + getReg16(7); break; // BX+DI
    case 2: off = getReg16(5) + getReg16(6); seg = SS; eaStackBase = true; break; // BP+SI
    case 3: off = getReg16(5) + getReg16(7); seg = SS; eaStackBase = true; break; // BP+DI
    case 4: off = getReg16(6); break; // SI
    case 5: off = getReg16(7); break; // DI
    case 6:
      if (mod == 0) { off = fetch16(); break; } // disp16
      off = getReg16(5); seg = SS; eaStackBase = true; break; // BP
    default: off = getReg16(3); break; // BX
  }
  if (mod == 1) off += <u32>(<i32>(<i8>fetch8()));
  else if (mod == 2) off += fetch16();
  eaOff = <u64>(off & 0xffff);
  eaSeg = segOvr >= 0 ? segOvr : seg;
}

function decodeEA3264(m: u32): void {
  const mod = m >> 6;
  let rm = m & 7;
  let off: u64 = 0;
  let seg: i32 = DS;
  if (rm == 4) {
    const sib = fetch8();
    const scale = sib >> 6;
    const index = <i32>(((sib >> 3) & 7) | ((rex & 2) << 2));
    const base = sib & 7;
    if (index != 4) off = getReg64(index) << scale;
    if (base == 5 && mod == 0) {
      off += <u64>(<i64>(<i32>fetch32())); // disp32, no base
    } else {
      off += getReg64(<i32>(base | ((rex & 1) << 3)));
      if ((base == 4 || base == 5) && (rex & 1) == 0) { seg = SS; eaStackBase = true; } // rSP / rBP base
    }
  } else if (rm == 5 && mod == 0) {
    const disp = <u64>(<i64>(<i32>fetch32()));
    if (mode64) {
      eaRipRel = true; // resolved against the end of the instruction in eaOffset()
      eaOff = disp;
      eaSeg = segOvr >= 0 ? segOvr : DS;
      return;
    }
    off = disp;
  } else {
    const r = <i32>(rm | ((rex & 1) << 3));
    off = getReg64(r);
    if (rm == 5 && (rex & 1) == 0) { seg = SS; eaStackBase = true; } // rBP
  }
  if (mod == 1) off += fetchS8();
  else if (mod == 2) off += <u64>(<i64>(<i32>fetch32()));
  eaOff = adSize == 4 ? off & 0xffffffff : off;
  eaSeg = segOvr >= 0 ? segOvr : seg;
}

/** The effective offset of the memory operand (RIP-relative resolved; call after all fetches). */
@inline export function eaOffset(): u64 {
  if (eaRipRel) {
    const o = eaOff + ipNow();
    return adSize == 4 ? o & 0xffffffff : o;
  }
  return eaOff;
}

// ---- Segmentation (SDM vol. 3, 5.3 limit checking, 5.4 type checking; 3.4.4 64-bit mode) ----

/**
 * Linear address of `size` bytes at `off` in segment `seg` for a read or write, after the segment
 * checks: in 64-bit mode only FS/GS bases apply and the address must be canonical: #GP(0), or #SS(0)
 * for a stack reference (`stackRef`: push/pop and friends, or an operand based on rSP/rBP, unless
 * an FS or GS override applies: the null overrides CS DS ES SS leave it a stack reference, as on the
 * reference CPU); in 32-bit modes the type, presence and
 * limit (expand-up or expand-down) are checked: #GP(0), or #SS(0) for SS. Returns 0 with the fault raised.
 */
export function segLinear(seg: i32, off: u64, size: u32, acc: u32, stackRef: bool = false): u64 {
  if (mode64) {
    const lin = seg >= FS ? off + segBase(seg) : off;
    // Canonical: bits 63..47 equal, for the first and the last byte.
    if (((lin + 0x800000000000) >> 48) != 0 || ((lin + <u64>(size - 1) + 0x800000000000) >> 48) != 0) {
      if (stackRef && seg < FS) raiseSS(0); else raiseGP(0);
      return 0;
    }
    if (alignCheck) return alignChecked(lin, size);
    return lin;
  }
  const attr = segAttr(seg);
  // Fast path: present expand-up data segment, readable (writable for writes).
  if ((attr & (ATTR_P | ATTR_S | ATTR_CODE | ATTR_DC)) == (ATTR_P | ATTR_S) && (acc == SEG_READ || (attr & ATTR_RW) != 0)) {
    if (off + <u64>(size - 1) <= <u64>segLimit(seg)) {
      const lin = (segBase(seg) + off) & 0xffffffff;
      if (alignCheck) return alignChecked(lin, size);
      return lin;
    }
    segFault(seg);
    return 0;
  }
  const lin = segLinearSlow(seg, off, size, acc, attr);
  if (alignCheck && !faulted()) return alignChecked(lin, size);
  return lin;
}

/**
 * Alignment check (CPL 3 with CR0.AM and RFLAGS.AC, see flags.alignCheck): an access of 2, 4, 8 or
 * 16 bytes at a linear address that is not a multiple of its size raises #AC(0), before paging.
 */
function alignChecked(lin: u64, size: u32): u64 {
  if (size <= 16 && (size & (size - 1)) == 0 && (<u32>lin & (size - 1)) != 0) {
    raiseFault(VEC_AC, 0, true);
    return 0;
  }
  return lin;
}

function segFault(seg: i32): void {
  if (seg == SS) raiseSS(0); else raiseGP(0);
}

function segLinearSlow(seg: i32, off: u64, size: u32, acc: u32, attr: u32): u64 {
  // A null-loaded (unusable) segment has P = 0 in our cache: any access is #GP(0) (#SS(0) for SS).
  if ((attr & ATTR_P) == 0 || (attr & ATTR_S) == 0) { segFault(seg); return 0; }
  if ((attr & ATTR_CODE) != 0) {
    // Code segment: never writable; readable only with R.
    if (acc == SEG_WRITE || (attr & ATTR_RW) == 0) { segFault(seg); return 0; }
    if (off + <u64>(size - 1) > <u64>segLimit(seg)) { segFault(seg); return 0; }
    return (segBase(seg) + off) & 0xffffffff;
  }
  if (acc == SEG_WRITE && (attr & ATTR_RW) == 0) { segFault(seg); return 0; }
  if ((attr & ATTR_DC) != 0) {
    // Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (by the B bit).
    const upper: u64 = (attr & ATTR_DB) != 0 ? 0xffffffff : 0xffff;
    if (off <= <u64>segLimit(seg) || off + <u64>(size - 1) > upper) { segFault(seg); return 0; }
    return (segBase(seg) + off) & 0xffffffff;
  }
  if (off + <u64>(size - 1) > <u64>segLimit(seg)) { segFault(seg); return 0; }
  return (segBase(seg) + off) & 0xffffffff;
}

// ---- Sized memory and register access ----

export function readMem(lin: u64, size: u32): u64 {
  if (faulted()) return 0; // a fetch of this instruction already faulted: touch nothing
  switch (size) {
    case 1: return <u64>read8(lin);
    case 2: return <u64>read16(lin);
    case 4: return <u64>read32(lin);
    default: return read64(lin);
  }
}
export function writeMem(lin: u64, v: u64, size: u32): void {
  if (faulted()) return; // a fetch of this instruction already faulted: touch nothing
  if (size == 1) { write8(lin, <u32>v); return; }
  // A write that straddles two pages checks the first page, then the start of the second (the
  // #PF address is where the missing page begins), before writing anything.
  if ((<u32>lin & 0xfff) > 0x1000 - size && !probeWriteSplit(lin)) return;
  writeNAs(lin, v, size, isUser());
}

// ---- Quick paths for the decoded-instruction executor (cpu/fast-ops.ts) ----
// Inline copies of the commonest case of segLinear / readMem / writeMem / readForWrite: a flat data
// segment (or 64-bit mode without FS/GS), no alignment checking, an access inside one page that the
// TLB grants. Anything else calls the full path, which makes every check again (the quick tests
// have no side effect, so taking the full path after them changes nothing).

/** segLinear() for data accesses. */
@inline export function segLinearQuick(seg: i32, off: u64, size: u32, acc: u32, stackRef: bool): u64 {
  if (!alignCheck) {
    if (mode64) {
      // Canonical for every byte: checked for 8 bytes from off, a superset of any size <= 8.
      if (seg < FS && ((off + 0x800000000000) >> 48) == 0 && ((off + 0x800000000007) >> 48) == 0) return off;
    } else {
      const attr = segAttr(seg);
      const want = ATTR_P | ATTR_S | ATTR_RW; // present, writable expand-up data: reads and writes pass
      if ((attr & (want | ATTR_CODE | ATTR_DC)) == want && off + <u64>(size - 1) <= <u64>segLimit(seg)) {
        return (segBase(seg) + off) & 0xffffffff;
      }
    }
  }
  return segLinear(seg, off, size, acc, stackRef);
}
/** readMem() (no fault pending). */
@inline export function readQuick(lin: u64, size: u32): u64 {
  if ((<u32>lin & 0xfff) <= 0x1000 - size) {
    const h = tlbHit(lin, ACC_READ, isUser());
    if (h != 0) return loadN(h, size);
  }
  return readMem(lin, size);
}
/** writeMem() (no fault pending). */
@inline export function writeQuick(lin: u64, v: u64, size: u32): void {
  if ((<u32>lin & 0xfff) <= 0x1000 - size) {
    const h = tlbHit(lin, ACC_WRITE, isUser());
    if (h != 0) { storeN(h, v, size); return; }
  }
  writeMem(lin, v, size);
}
/** readForWrite() (no fault pending); writeBackQuick() completes it. */
@inline export function readForWriteQuick(lin: u64, size: u32): u64 {
  if ((<u32>lin & 0xfff) <= 0x1000 - size) {
    const h = tlbHit(lin, ACC_WRITE, isUser());
    if (h != 0) {
      eaLin = lin;
      eaHost = h;
      return loadN(h, size);
    }
  }
  return readForWrite(lin, size);
}
@inline export function writeBackQuick(v: u64, size: u32): void {
  const h = eaHost;
  if (h != 0) { storeN(h, v, size); return; }
  writeMem(eaLin, v, size);
}
@inline function loadN(h: u32, size: u32): u64 {
  if (size == 4) return <u64>load<u32>(h);
  if (size == 8) return load<u64>(h);
  if (size == 2) return <u64>load<u16>(h);
  return <u64>load<u8>(h);
}
@inline function storeN(h: u32, v: u64, size: u32): void {
  if (size == 4) store<u32>(h, <u32>v);
  else if (size == 8) store<u64>(h, v);
  else if (size == 2) store<u16>(h, <u16>v);
  else store<u8>(h, <u8>v);
}

/** Reads `size` bytes at seg:off (segment checks, then paging). */
export function readSeg(seg: i32, off: u64, size: u32, stackRef: bool = false): u64 {
  const lin = segLinear(seg, off, size, SEG_READ, stackRef);
  if (faulted()) return 0;
  return readMem(lin, size);
}
/** Writes `size` bytes at seg:off (segment checks, then paging). */
export function writeSeg(seg: i32, off: u64, v: u64, size: u32, stackRef: bool = false): void {
  const lin = segLinear(seg, off, size, SEG_WRITE, stackRef);
  if (faulted()) return;
  writeMem(lin, v, size);
}
/** Checks that seg:off is writable for `size` bytes without writing; false with the fault raised. */
export function probeWriteSeg(seg: i32, off: u64, size: u32, stackRef: bool = false): bool {
  const lin = segLinear(seg, off, size, SEG_WRITE, stackRef);
  if (faulted()) return false;
  if (((lin ^ (lin + <u64>(size - 1))) & ~(<u64>0xfff)) != 0) return probeWriteSplit(lin);
  translate(lin, ACC_WRITE);
  return !faulted();
}
/** Checks that seg:off is readable for `size` bytes; false with the fault raised. */
export function probeReadSeg(seg: i32, off: u64, size: u32, stackRef: bool = false): bool {
  const lin = segLinear(seg, off, size, SEG_READ, stackRef);
  if (faulted()) return false;
  translate(lin, ACC_READ);
  if (faulted()) return false;
  if (((lin ^ (lin + size - 1)) & ~(<u64>0xfff)) != 0) translate((lin | 0xfff) + 1, ACC_READ);
  return !faulted();
}

/** Byte register r: without REX, 4..7 are AH CH DH BH; with any REX, SPL BPL SIL DIL and R8B..R15B. */
@inline export function getReg8(r: i32): u32 {
  if (rex == 0 && r >= 4) return load<u8>(CPU_BASE + CPU_GPR + ((<u32>r & 3) << 3) + 1);
  return getReg8Low(r);
}
@inline export function setReg8(r: i32, v: u32): void {
  if (rex == 0 && r >= 4) store<u8>(CPU_BASE + CPU_GPR + ((<u32>r & 3) << 3) + 1, <u8>v);
  else setReg8Low(r, v);
}

/** Register r at operand size (8-bit uses the byte-register rules). */
@inline export function getRegN(r: i32, size: u32): u64 {
  if (size == 4) return <u64>getReg32(r);
  if (size == 8) return getReg64(r);
  if (size == 2) return <u64>getReg16(r);
  return <u64>getReg8(r);
}
/** Writes register r at operand size: 32-bit writes zero-extend, 8/16-bit writes merge. */
@inline export function setRegN(r: i32, v: u64, size: u32): void {
  if (size == 4) setReg32(r, <u32>v);
  else if (size == 8) setReg64(r, v);
  else if (size == 2) setReg16(r, <u32>v);
  else setReg8(r, <u32>v);
}

// ---- The E operand (register or memory) ----
/** Linear address of the last memory operand read by readE (for read-modify-write). */
export let eaLin: u64 = 0;
/** Wasm offset of that operand when it lies within one page and was read for writing, else 0. */
let eaHost: u32 = 0;

/**
 * Reads the E operand. For a read-modify-write pass rmw = true: the segment is checked for writing
 * and the page is translated for writing before the read (a not-present or read-only page faults
 * with the W bit in the #PF error code, as the hardware's write-intent read does).
 */
export function readE(size: u32, rmw: bool): u64 {
  if (modIsReg) return getRegN(modRm, size);
  const lin = segLinear(eaSeg, eaOffset(), size, rmw ? SEG_WRITE : SEG_READ, eaStackBase);
  if (faulted()) return 0;
  eaLin = lin;
  if (!rmw) return readMem(lin, size);
  return readForWrite(lin, size);
}

/** Reads `size` bytes at `lin` after translating them for writing (remembered for writeBackE). */
export function readForWrite(lin: u64, size: u32): u64 {
  eaLin = lin;
  eaHost = 0;
  if (faulted()) return 0;
  if ((<u32>lin & 0xfff) <= 0x1000 - size) {
    const h = translate(lin, ACC_WRITE);
    eaHost = h;
    if (h == 0) return 0;
    if (size == 4) return <u64>load<u32>(h);
    if (size == 8) return load<u64>(h);
    if (size == 2) return <u64>load<u16>(h);
    return <u64>load<u8>(h);
  }
  eaHost = 0;
  if (!probeWriteSplit(lin)) return 0;
  return readMem(lin, size);
}

/**
 * Translates both pages of an access that straddles a page boundary for writing: the first page,
 * then the first byte of the second (so a #PF reports the address where the missing page starts).
 */
export function probeWriteSplit(lin: u64): bool {
  translate(lin, ACC_WRITE);
  if (faulted()) return false;
  translate((lin | 0xfff) + 1, ACC_WRITE);
  return !faulted();
}

/** Writes the E operand after readE(size, true) (memory: the same, already translated, location). */
export function writeBackE(v: u64, size: u32): void {
  if (modIsReg) { setRegN(modRm, v, size); return; }
  writeBackMem(v, size);
}
/** Writes back to the location of the last readForWrite. */
export function writeBackMem(v: u64, size: u32): void {
  const h = eaHost;
  if (h != 0) {
    if (size == 4) store<u32>(h, <u32>v);
    else if (size == 8) store<u64>(h, v);
    else if (size == 2) store<u16>(h, <u16>v);
    else store<u8>(h, <u8>v);
    return;
  }
  writeMem(eaLin, v, size);
}
/** Writes the E operand without a prior read. */
export function writeE(v: u64, size: u32): void {
  if (modIsReg) { setRegN(modRm, v, size); return; }
  const lin = segLinear(eaSeg, eaOffset(), size, SEG_WRITE, eaStackBase);
  if (faulted()) return;
  writeMem(lin, v, size);
}
/** Memory-only E operand read at an extra offset (far pointers, BOUND, CMPXCHG8B). */
export function readEAt(delta: u64, size: u32): u64 {
  const o = eaOffset() + delta;
  return readSeg(eaSeg, adSize == 4 ? o & 0xffffffff : (adSize == 2 ? o & 0xffff : o), size, eaStackBase);
}
export function writeEAt(delta: u64, v: u64, size: u32): void {
  const o = eaOffset() + delta;
  writeSeg(eaSeg, adSize == 4 ? o & 0xffffffff : (adSize == 2 ? o & 0xffff : o), v, size, eaStackBase);
}
@inline export function readG(size: u32): u64 { return getRegN(modReg, size); }
@inline export function writeG(v: u64, size: u32): void { setRegN(modReg, v, size); }
