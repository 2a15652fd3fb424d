// The x87 FPU instructions (Intel SDM vol. 1 chapter 8; vol. 2 FADD..FYL2XP1; opcode map vol. 2
// appendix A.5, escapes D8-DF): loads and stores of every memory format, arithmetic with every
// operand form (including the reversed and popping register forms, and the aliases old CPUs kept),
// compares into the condition codes or EFLAGS, FCMOVcc, stack and control instructions, the
// environment and state images (16- and 32-bit formats), and exception delivery: an unmasked
// condition sets ES and B and the next waiting instruction raises #MF (with CR0.NE).
// Order of checks: decode, #NM (CR0.EM or CR0.TS), #MF (waiting instructions only), memory operand
// (#GP/#SS/#PF, before any state changes), then the operation. Values are 80-bit (x87-arith.ts).
import { faulted, raiseFault, raiseUD, VEC_NM, VEC_MF } from './fault';
import { getCr0, setReg16, segSel, CR0_EM, CR0_TS, CR0_MP, CR0_NE, RAX, CS, FS, FLAG_ZF, FLAG_PF, FLAG_CF } from './state';
import { probeWrite, translate, ACC_READ, ACC_WRITE } from '../mmu/access';
import { fetch8, opSize, ipStart, mode64 } from './decode';
import {
  decodeModrmByte, modIsReg, modDigit, eaSeg, eaOffset, eaStackBase, segLinear, readMem, writeMem, SEG_READ, SEG_WRITE,
} from './modrm';
import { setArithFlags, testCond } from './flags';
import {
  P_SW, P_TW, P_ST, SW_SF, SW_ES, SW_B, SW_C0, SW_C1, SW_C2, SW_C3, INDEF_SIG, INDEF_SE, getCw, setCw, getSw,
  setSw, setCC, setC1, commitExc, unmaskedPre, masked, isEmpty, stSig, stSe, setSt, setEmpty, pop, push, pushChecked,
  decTop, incTop, fullTagWord, setFullTagWord, setFpuIp, setFpuDp, clearFpuPointers, fpuIp, fpuCs, fpuOp, fpuDp, fpuDs,
  roundingControl,
} from './x87-state';
import {
  resSig, resSe, xf, resUp, resNoStore, clearXf, addXf, arith, sqrt80, loadFloat, loadInt, storeFloat, storeInt,
  loadBcd, storeBcd, bcdLo, bcdHi, compare80, examine, roundInt80, scale80, extract80, sigSig, sigSe,
  remainder80, fromF64, transOperands, f64Of,
} from './x87-arith';
import { setResult, roundCore, roundedSig80, roundedSe80, intResult } from './fp/softfloat';

const FE_IE: u32 = 1;

// ---- Entry points ----

/** The x87 escapes D8..DF. */
export function X87_ESC(b: u32): void {
  const m = fetch8();
  if (faulted()) return;
  decodeModrmByte(m);
  if (faulted()) return;
  const cr0 = getCr0();
  if ((cr0 & (CR0_EM | CR0_TS)) != 0) { raiseFault(VEC_NM, 0, false); return; }
  const d = modDigit();
  const control = isControl(b, m, d);
  if (!isNoWait(b, m, d) && (load<u16>(P_SW) & SW_ES) != 0 && (cr0 & CR0_NE) != 0) { raiseFault(VEC_MF, 0, false); return; }
  if (!control) setFpuIp(ipStart, segSel(CS), ((b & 7) << 8) | m);
  clearXf();
  if (!modIsReg) { escMem(b, d); return; }
  const i: u32 = m & 7;
  switch (b) {
    case 0xd8: escD8reg(d, i); return;
    case 0xd9: escD9reg(m, d, i); return;
    case 0xda: escDAreg(m, d, i); return;
    case 0xdb: escDBreg(m, d, i); return;
    case 0xdc: escDCreg(d, i); return;
    case 0xdd: escDDreg(d, i); return;
    case 0xde: escDEreg(m, d, i); return;
    default: escDFreg(m, d, i); return;
  }
}

/** FWAIT / WAIT (9B): #NM with CR0.TS and CR0.MP; #MF for a pending unmasked exception (CR0.NE). */
export function FWAIT(): void {
  const cr0 = getCr0();
  if ((cr0 & CR0_TS) != 0 && (cr0 & CR0_MP) != 0) { raiseFault(VEC_NM, 0, false); return; }
  if ((load<u16>(P_SW) & SW_ES) != 0 && (cr0 & CR0_NE) != 0) raiseFault(VEC_MF, 0, false);
}

/** The non-waiting instructions: no #MF check (FNINIT FNCLEX FNSTCW FNSTSW FNSTENV FNSAVE). */
function isNoWait(b: u32, m: u32, d: u32): bool {
  if (m >= 0xc0) return (b == 0xdb && (m == 0xe2 || m == 0xe3)) || (b == 0xdf && m == 0xe0);
  return (b == 0xd9 && (d == 6 || d == 7)) || (b == 0xdd && (d == 6 || d == 7));
}
/** Control instructions leave FIP/FOP/FDP alone (SDM vol. 1, 8.1.8; as the reference CPU does). */
function isControl(b: u32, m: u32, d: u32): bool {
  if (m >= 0xc0) {
    // FNOP FDECSTP FINCSTP FFREE FFREEP do update them on the reference CPU.
    if (b == 0xdb) return m >= 0xe0 && m <= 0xe7; // FNCLEX FNINIT (and FENI FDISI FSETPM)
    return b == 0xdf && m == 0xe0; // FNSTSW AX
  }
  return (b == 0xd9 && d >= 4) || (b == 0xdd && d >= 4);
}

// ---- Helpers ----

/** A non-canonical rSP/rBP-based operand is #SS(0), but #GP(0) with an FS/GS override (reference CPU). */
@inline function stackRef(): bool { return eaStackBase && !(mode64 && eaSeg >= FS); }

/** Records the memory operand as FDP/FDS. */
function noteData(): void { setFpuDp(eaOffset(), segSel(eaSeg)); }

/** Stack underflow: IE and SF with C1 = 0. Returns true when masked (the caller supplies the indefinite). */
function underflow(): bool {
  addXf(FE_IE | SW_SF);
  setC1(false);
  return masked(FE_IE);
}
/** Commits the flags and, unless an unmasked pre-computation condition stops it, the result into ST(i). */
function finishInto(i: u32, popAfter: bool): void {
  if (unmaskedPre(xf)) { commitExc(xf); return; }
  setSt(i, resSig, resSe);
  setC1(resUp);
  commitExc(xf);
  if (popAfter) pop();
}

/** Reads `size` (2, 4, 8) bytes of the memory operand. */
function memRead(size: u32): u64 {
  const lin = segLinear(eaSeg, eaOffset(), size, SEG_READ, stackRef());
  if (faulted()) return 0;
  return readMem(lin, size);
}
/** Reads the 10-byte memory operand: the low 8 bytes, the top two in m80Hi. */
let m80Hi: u32 = 0;
function memRead80(): u64 {
  const lin = segLinear(eaSeg, eaOffset(), 10, SEG_READ, stackRef());
  if (faulted()) return 0;
  const lo = readMem(lin, 8);
  if (faulted()) return 0;
  m80Hi = <u32>readMem(lin + 8, 2);
  return lo;
}
/** Checks that `size` bytes of the memory operand can be written; returns the linear address. */
function memWritable(size: u32): u64 {
  const lin = segLinear(eaSeg, eaOffset(), size, SEG_WRITE, stackRef());
  if (faulted()) return 0;
  if (!probeWrite(lin, size)) return 0;
  return lin;
}
function memWrite(size: u32, v: u64): void {
  const lin = segLinear(eaSeg, eaOffset(), size, SEG_WRITE, stackRef());
  if (faulted()) return;
  writeMem(lin, v, size);
}

// ---- Memory forms ----

function escMem(b: u32, d: u32): void {
  switch (b) {
    case 0xd8: case 0xdc: case 0xda: case 0xde: { // arithmetic and compares with m32fp m64fp m32int m16int
      const size: u32 = b == 0xd8 ? 4 : b == 0xdc ? 8 : b == 0xda ? 4 : 2;
      const v = memRead(size);
      if (faulted()) return;
      noteData();
      if (b == 0xd8 || b == 0xdc) loadFloat(v, b == 0xdc, false);
      else loadInt(size == 4 ? <i64>(<i32>(<u32>v)) : <i64>(<i16>(<u16>v)));
      const ms = resSig, me = resSe;
      if (d == 2 || d == 3) { compareOp(ms, me, true, d == 3 ? 1 : 0, false); return; }
      if (isEmpty(0)) { clearXf(); if (underflow()) { setSt(0, INDEF_SIG, INDEF_SE); } commitExc(xf); return; }
      if (unmaskedPre(xf)) { commitExc(xf); return; } // the operand's own conversion failed
      arith(d, stSig(0), stSe(0), ms, me);
      finishInto(0, false);
      return;
    }
    case 0xd9: escD9mem(d); return;
    case 0xdb: escDBmem(d); return;
    case 0xdd: escDDmem(d); return;
    default: escDFmem(d); return;
  }
}

/**
 * FLD of a converted memory value (resSig/resSe, conditions in xf). A stack overflow replaces the
 * conversion's conditions; an unmasked denormal operand still loads (as on the reference CPU).
 */
function loadPush(): void {
  if (!isEmpty(7)) { clearXf(); pushChecked(0, 0); commitExc(xf); return; }
  if ((xf & ~getCw() & FE_IE) != 0) { commitExc(xf); return; }
  setC1(false);
  push(resSig, resSe);
  commitExc(xf);
}

/** FST/FSTP m32fp / m64fp. */
function storeFloatOp(double: bool, popAfter: bool): void {
  const size: u32 = double ? 8 : 4;
  const lin = memWritable(size);
  if (faulted()) return;
  noteData();
  let v: u64;
  if (isEmpty(0)) {
    if (!underflow()) { commitExc(xf); return; }
    v = double ? 0xfff8000000000000 : 0xffc00000;
  } else {
    v = storeFloat(stSig(0), stSe(0), double);
    if (unmaskedPre(xf) || resNoStore) { setC1(resUp); commitExc(xf); return; }
    setC1(resUp);
  }
  writeMem(lin, v, size);
  commitExc(xf);
  if (popAfter) pop();
}

/** FIST/FISTP/FISTTP m16int m32int m64int. */
function storeIntOp(bits: i32, trunc: bool, popAfter: bool): void {
  const size = <u32>bits >> 3;
  const lin = memWritable(size);
  if (faulted()) return;
  noteData();
  const indefinite: u64 = bits == 64 ? 0x8000000000000000 : bits == 32 ? 0x80000000 : 0x8000;
  let v: u64 = indefinite;
  if (isEmpty(0)) {
    if (!underflow()) { commitExc(xf); return; }
  } else if (storeInt(stSig(0), stSe(0), bits, trunc)) {
    v = intResult;
    setC1(resUp);
  } else {
    setC1(false);
    if (!masked(FE_IE)) { commitExc(xf); return; }
  }
  writeMem(lin, v, size);
  commitExc(xf);
  if (popAfter) pop();
}

function escD9mem(d: u32): void {
  switch (d) {
    case 0: { const v = memRead(4); if (faulted()) return; noteData(); loadFloat(v, false); loadPush(); return; } // FLD m32fp
    case 2: storeFloatOp(false, false); return; // FST m32fp
    case 3: storeFloatOp(false, true); return; // FSTP m32fp
    case 4: FLDENV(); return;
    case 5: { const v = memRead(2); if (faulted()) return; setCw(<u32>v); updateEs(); return; } // FLDCW m2byte
    case 6: FNSTENV(); return;
    case 7: memWrite(2, <u64>getCw()); return; // FNSTCW m2byte
    default: raiseUD(); return;
  }
}

function escDBmem(d: u32): void {
  switch (d) {
    case 0: { const v = memRead(4); if (faulted()) return; noteData(); loadInt(<i64>(<i32>(<u32>v))); loadPush(); return; } // FILD m32int
    case 1: storeIntOp(32, true, true); return; // FISTTP m32int
    case 2: storeIntOp(32, false, false); return; // FIST m32int
    case 3: storeIntOp(32, false, true); return; // FISTP m32int
    case 5: { // FLD m80fp: no conversion, no exceptions
      const lo = memRead80();
      if (faulted()) return;
      noteData();
      setC1(false);
      pushChecked(lo, m80Hi);
      commitExc(xf);
      return;
    }
    case 7: { // FSTP m80fp
      const lin = memWritable(10);
      if (faulted()) return;
      noteData();
      let s = INDEF_SIG, e = INDEF_SE;
      if (isEmpty(0)) { if (!underflow()) { commitExc(xf); return; } }
      else { s = stSig(0); e = stSe(0); setC1(false); }
      writeMem(lin, s, 8);
      writeMem(lin + 8, <u64>e, 2);
      commitExc(xf);
      pop();
      return;
    }
    default: raiseUD(); return;
  }
}

function escDDmem(d: u32): void {
  switch (d) {
    case 0: { const v = memRead(8); if (faulted()) return; noteData(); loadFloat(v, true); loadPush(); return; } // FLD m64fp
    case 1: storeIntOp(64, true, true); return; // FISTTP m64int
    case 2: storeFloatOp(true, false); return; // FST m64fp
    case 3: storeFloatOp(true, true); return; // FSTP m64fp
    case 4: FRSTOR(); return;
    case 6: FNSAVE(); return;
    case 7: memWrite(2, <u64>getSw()); return; // FNSTSW m2byte
    default: raiseUD(); return;
  }
}

function escDFmem(d: u32): void {
  switch (d) {
    case 0: { const v = memRead(2); if (faulted()) return; noteData(); loadInt(<i64>(<i16>(<u16>v))); loadPush(); return; } // FILD m16int
    case 1: storeIntOp(16, true, true); return; // FISTTP m16int
    case 2: storeIntOp(16, false, false); return; // FIST m16int
    case 3: storeIntOp(16, false, true); return; // FISTP m16int
    case 4: { const lo = memRead80(); if (faulted()) return; noteData(); loadBcd(lo, m80Hi); loadPush(); return; } // FBLD m80bcd
    case 5: { const v = memRead(8); if (faulted()) return; noteData(); loadInt(<i64>v); loadPush(); return; } // FILD m64int
    case 6: { // FBSTP m80bcd
      const lin = memWritable(10);
      if (faulted()) return;
      noteData();
      let lo: u64 = 0xc000000000000000, hi: u32 = 0xffff;
      if (isEmpty(0)) { if (!underflow()) { commitExc(xf); return; } }
      else {
        storeBcd(stSig(0), stSe(0));
        if ((xf & FE_IE) != 0 && !masked(FE_IE)) { commitExc(xf); return; }
        lo = bcdLo; hi = bcdHi;
        setC1(resUp);
      }
      writeMem(lin, lo, 8);
      writeMem(lin + 8, <u64>hi, 2);
      commitExc(xf);
      pop();
      return;
    }
    default: storeIntOp(64, false, true); return; // FISTP m64int
  }
}

// ---- Register forms ----

/** ST(dst) = ST(dst) op ST(src) style arithmetic: a = ST(ai), b = ST(bi), result into ST(di). */
function arithReg(op: u32, ai: u32, bi: u32, di: u32, popAfter: bool): void {
  if (isEmpty(ai) || isEmpty(bi)) {
    if (!underflow()) { commitExc(xf); return; }
    setSt(di, INDEF_SIG, INDEF_SE);
    commitExc(xf);
    if (popAfter) pop();
    return;
  }
  arith(op, stSig(ai), stSe(ai), stSig(bi), stSe(bi));
  finishInto(di, popAfter);
}

/**
 * FCOM-style compare of ST(0) with a value; `pops` = 0, 1 or 2; `eflags` = FCOMI (ZF PF CF).
 * Unordered on a masked stack underflow or invalid operand; nothing set when IE/DE is unmasked.
 */
function compareOp(bS: u64, bE: u32, signalQuiet: bool, pops: u32, eflags: bool): void {
  let cc: u32;
  if (isEmpty(0)) { clearXf(); underflow(); cc = SW_C3 | SW_C2 | SW_C0; }
  else cc = compare80(stSig(0), stSe(0), bS, bE, signalQuiet);
  // The condition codes (or EFLAGS) are set even when an invalid operand is unmasked; the pops are not done.
  if (eflags) {
    let f: u32 = 0;
    if ((cc & SW_C3) != 0) f |= FLAG_ZF;
    if ((cc & SW_C2) != 0) f |= FLAG_PF;
    if ((cc & SW_C0) != 0) f |= FLAG_CF;
    setArithFlags(f);
    setC1(false);
  } else setCC(cc);
  const stop = unmaskedPre(xf);
  commitExc(xf);
  if (!stop) for (let k: u32 = 0; k < pops; k++) pop();
}
function compareSt(i: u32, signalQuiet: bool, pops: u32, eflags: bool): void {
  if (isEmpty(i)) {
    const m = underflow();
    if (eflags) { setArithFlags(FLAG_ZF | FLAG_PF | FLAG_CF); setC1(false); }
    else setCC(SW_C3 | SW_C2 | SW_C0);
    commitExc(xf);
    if (m) for (let k: u32 = 0; k < pops; k++) pop();
    return;
  }
  compareOp(stSig(i), stSe(i), signalQuiet, pops, eflags);
}

function escD8reg(d: u32, i: u32): void {
  if (d == 2 || d == 3) { compareSt(i, true, d == 3 ? 1 : 0, false); return; } // FCOM FCOMP ST(i)
  arithReg(d, 0, i, 0, false); // FADD FMUL FSUB FSUBR FDIV FDIVR ST(0), ST(i)
}
function escDCreg(d: u32, i: u32): void {
  if (d == 2 || d == 3) { compareSt(i, true, d == 3 ? 1 : 0, false); return; } // FCOM2 FCOMP3 (aliases)
  arithReg(d >= 4 ? d ^ 1 : d, i, 0, i, false); // FADD FMUL FSUBR FSUB FDIVR FDIV ST(i), ST(0)
}
function escDEreg(m: u32, d: u32, i: u32): void {
  if (d == 2) { compareSt(i, true, 1, false); return; } // FCOMP5 (alias)
  if (d == 3) { if (m == 0xd9) compareSt(1, true, 2, false); else raiseUD(); return; } // FCOMPP
  arithReg(d >= 4 ? d ^ 1 : d, i, 0, i, true); // FADDP FMULP FSUBRP FSUBP FDIVRP FDIVP ST(i), ST(0)
}

function escD9reg(m: u32, d: u32, i: u32): void {
  switch (d) {
    case 0: { // FLD ST(i)
      let s = INDEF_SIG, e = INDEF_SE;
      if (isEmpty(i)) { if (!underflow()) { commitExc(xf); return; } }
      else { s = stSig(i); e = stSe(i); setC1(false); }
      pushChecked(s, e);
      commitExc(xf);
      return;
    }
    case 1: FXCH(i); return;
    case 2: if (m == 0xd0) return; raiseUD(); return; // FNOP
    case 3: // FSTP1: FSTP ST(i), except that an empty ST(0) is copied, tag and all, without a stack fault
      if (isEmpty(0)) { store<u64>(P_ST + (i << 4), stSig(0)); store<u64>(P_ST + (i << 4) + 8, <u64>stSe(0)); setEmpty(i); pop(); return; }
      fstSt(i, true);
      return;
    default: break;
  }
  switch (m) {
    case 0xe0: case 0xe1: { // FCHS FABS
      if (isEmpty(0)) { if (underflow()) setSt(0, INDEF_SIG, INDEF_SE); commitExc(xf); return; }
      const e = stSe(0);
      setSt(0, stSig(0), m == 0xe0 ? e ^ 0x8000 : e & 0x7fff);
      setC1(false);
      return;
    }
    case 0xe4: compareOp(0, 0, true, 0, false); return; // FTST: ST(0) against +0.0
    case 0xe5: { // FXAM
      const e = stSe(0);
      if (isEmpty(0)) setCC(SW_C3 | SW_C0 | ((e & 0x8000) != 0 ? SW_C1 : 0));
      else setCC(examine(stSig(0), e));
      return;
    }
    case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee: loadConstant(m); return;
    case 0xf0: case 0xf1: case 0xf2: case 0xf3: case 0xf5: case 0xf8: case 0xf9: case 0xfb: case 0xfe: case 0xff:
      transcendental(m); return;
    case 0xf4: FXTRACT(); return;
    case 0xf6: decTop(); setC1(false); return; // FDECSTP
    case 0xf7: incTop(); setC1(false); return; // FINCSTP
    case 0xfa: unary(m); return; // FSQRT
    case 0xfc: unary(m); return; // FRNDINT
    case 0xfd: FSCALE(); return;
    default: raiseUD(); return;
  }
}

function escDAreg(m: u32, d: u32, i: u32): void {
  if (d < 4) { FCMOV(d == 0 ? 2 : d == 1 ? 4 : d == 2 ? 6 : 10, i); return; } // FCMOVB E BE U
  if (m == 0xe9) { compareSt(1, false, 2, false); return; } // FUCOMPP
  raiseUD();
}
function escDBreg(m: u32, d: u32, i: u32): void {
  if (d < 4) { FCMOV(d == 0 ? 3 : d == 1 ? 5 : d == 2 ? 7 : 11, i); return; } // FCMOVNB NE NBE NU
  if (d == 5) { compareSt(i, false, 0, true); return; } // FUCOMI
  if (d == 6) { compareSt(i, true, 0, true); return; } // FCOMI
  switch (m) {
    case 0xe0: case 0xe1: case 0xe4: return; // FNENI FNDISI FNSETPM: no-ops since the 387
    case 0xe2: // FNCLEX
      store<u16>(P_SW, <u16>(<u32>load<u16>(P_SW) & 0x7f00));
      return;
    case 0xe3: fpuReset(); return; // FNINIT
    default: raiseUD(); return;
  }
}
function escDDreg(d: u32, i: u32): void {
  switch (d) {
    case 0: setEmpty(i); return; // FFREE ST(i)
    case 1: FXCH(i); return; // FXCH4 (alias)
    case 2: fstSt(i, false); return; // FST ST(i)
    case 3: fstSt(i, true); return; // FSTP ST(i)
    case 4: compareSt(i, false, 0, false); return; // FUCOM ST(i)
    case 5: compareSt(i, false, 1, false); return; // FUCOMP ST(i)
    default: raiseUD(); return;
  }
}
function escDFreg(m: u32, d: u32, i: u32): void {
  switch (d) {
    case 0: setEmpty(i); pop(); return; // FFREEP ST(i)
    case 1: FXCH(i); return; // FXCH7 (alias)
    case 2: case 3: fstSt(i, true); return; // FSTP8 FSTP9 (aliases)
    case 4: if (m == 0xe0) { setReg16(RAX, getSw()); return; } raiseUD(); return; // FNSTSW AX
    case 5: compareSt(i, false, 1, true); return; // FUCOMIP
    case 6: compareSt(i, true, 1, true); return; // FCOMIP
    default: raiseUD(); return;
  }
}

/** FST/FSTP ST(i): copy ST(0) (no conversion). */
function fstSt(i: u32, popAfter: bool): void {
  if (isEmpty(0)) {
    if (!underflow()) { commitExc(xf); return; }
    setSt(i, INDEF_SIG, INDEF_SE);
  } else {
    setSt(i, stSig(0), stSe(0));
    setC1(false);
  }
  commitExc(xf);
  if (popAfter) pop();
}

function FXCH(i: u32): void {
  let s0 = stSig(0), e0 = stSe(0), si = stSig(i), ei = stSe(i);
  if (isEmpty(0) || isEmpty(i)) {
    if (!underflow()) { commitExc(xf); return; }
    if (isEmpty(0)) { s0 = INDEF_SIG; e0 = INDEF_SE; }
    if (isEmpty(i)) { si = INDEF_SIG; ei = INDEF_SE; }
  } else setC1(false);
  setSt(0, si, ei);
  setSt(i, s0, e0);
  commitExc(xf);
}

/** FCMOVcc ST(0), ST(i) with the EFLAGS condition `cc` (Jcc numbering). */
function FCMOV(cc: u32, i: u32): void {
  if (isEmpty(0) || isEmpty(i)) {
    if (underflow()) setSt(0, INDEF_SIG, INDEF_SE);
    commitExc(xf);
    return;
  }
  setC1(false);
  if (testCond(cc)) setSt(0, stSig(i), stSe(i));
}

/** FSQRT (FA) and FRNDINT (FC) on ST(0). */
function unary(m: u32): void {
  if (isEmpty(0)) { if (underflow()) setSt(0, INDEF_SIG, INDEF_SE); commitExc(xf); return; }
  if (m == 0xfa) sqrt80(stSig(0), stSe(0)); else roundInt80(stSig(0), stSe(0));
  finishInto(0, false);
}

function FSCALE(): void {
  if (isEmpty(0) || isEmpty(1)) { if (underflow()) setSt(0, INDEF_SIG, INDEF_SE); commitExc(xf); return; }
  scale80(stSig(0), stSe(0), stSig(1), stSe(1));
  finishInto(0, false);
}

/** FXTRACT: ST(0) = significand, pushed below... ST(1) = exponent. */
function FXTRACT(): void {
  if (isEmpty(0)) {
    if (!underflow()) { commitExc(xf); return; }
    setSt(0, INDEF_SIG, INDEF_SE);
    pushChecked(INDEF_SIG, INDEF_SE);
    commitExc(xf);
    return;
  }
  if (!isEmpty(7)) { // stack overflow: IE SF C1 = 1; masked, both become the indefinite
    setC1(true);
    addXf(FE_IE | SW_SF);
    if (masked(FE_IE)) { setSt(0, INDEF_SIG, INDEF_SE); push(INDEF_SIG, INDEF_SE); }
    commitExc(xf);
    return;
  }
  extract80(stSig(0), stSe(0));
  if (unmaskedPre(xf)) { commitExc(xf); return; }
  setSt(0, resSig, resSe);
  push(sigSig, sigSe);
  setC1(false);
  commitExc(xf);
}

// ---- Constants ----
/** FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ: 128-bit constants rounded per RC. */
function loadConstant(m: u32): void {
  let s: u64 = 0, e: u32 = 0;
  if (m == 0xe8) { s = 0x8000000000000000; e = 16383; }
  else if (m != 0xee) {
    let hi: u64, lo: u64, ex: i32;
    switch (m) {
      case 0xe9: hi = 0xd49a784bcd1b8afe; lo = 0x492bf6ff4dafdb4c; ex = 1; break; // log2(10)
      case 0xea: hi = 0xb8aa3b295c17f0bb; lo = 0xbe87fed0691d3e88; ex = 0; break; // log2(e)
      case 0xeb: hi = 0xc90fdaa22168c234; lo = 0xc4c6628b80dc1cd1; ex = 1; break; // pi
      case 0xec: hi = 0x9a209a84fbcff798; lo = 0x8f8959ac0b7c9178; ex = -2; break; // log10(2)
      default: hi = 0xb17217f7d1cf79ab; lo = 0xc9e3b39803f2f6af; ex = -1; break; // ln(2)
    }
    setResult(0, ex, hi, lo);
    roundCore(64, 16383, roundingControl(), false);
    s = roundedSig80(64);
    e = roundedSe80();
  }
  setC1(false);
  pushChecked(s, e);
  commitExc(xf);
}

// ---- Transcendentals (through binary64: results are not bit-exact) ----
function transcendental(m: u32): void {
  const two = m == 0xf1 || m == 0xf3 || m == 0xf5 || m == 0xf8 || m == 0xf9;
  if (isEmpty(0) || (two && isEmpty(1))) {
    if (underflow()) { setSt(0, INDEF_SIG, INDEF_SE); }
    commitExc(xf);
    return;
  }
  if (m == 0xf5 || m == 0xf8) { // FPREM1 FPREM: exact
    const cc = remainder80(stSig(0), stSe(0), stSig(1), stSe(1), m == 0xf5);
    if (unmaskedPre(xf)) { commitExc(xf); return; }
    setSt(0, resSig, resSe);
    setCC(cc);
    commitExc(xf);
    return;
  }
  const aS = stSig(0), aE = stSe(0), bS = stSig(1), bE = stSe(1);
  if (!transOperands(aS, aE, bS, bE, two)) {
    if (unmaskedPre(xf)) { commitExc(xf); return; }
    if (m == 0xf2 || m == 0xfb) { setSt(0, resSig, resSe); pushChecked(resSig, resSe); }
    else if (two) { setSt(1, resSig, resSe); pop(); }
    else setSt(0, resSig, resSe);
    commitExc(xf);
    return;
  }
  const x = f64Of(aS, aE);
  const y = f64Of(bS, bE);
  setC1(false);
  switch (m) {
    case 0xf0: fromF64(Math.expm1(x * Math.LN2)); setSt(0, resSig, resSe); break; // F2XM1
    case 0xf1: // FYL2X: ST(1) * log2(ST(0)), pop
      if (x < 0 || (x == 0 && y == 0)) { addXf(FE_IE); setSt(1, INDEF_SIG, INDEF_SE); }
      else { if (x == 0) addXf(4); fromF64(y * Math.log2(x)); setSt(1, resSig, resSe); }
      if (unmaskedPre(xf)) { commitExc(xf); return; }
      pop();
      break;
    case 0xf9: fromF64(y * Math.log1p(x) / Math.LN2); setSt(1, resSig, resSe); pop(); break; // FYL2XP1
    case 0xf3: fromF64(Math.atan2(y, x)); setSt(1, resSig, resSe); pop(); break; // FPATAN
    default: { // FSIN FCOS FSINCOS FPTAN: |x| < 2^63, else C2 = 1 and nothing changes
      if (!(Math.abs(x) < 9223372036854775808.0)) { setCC(SW_C2); commitExc(xf); return; }
      setCC(0);
      if (m == 0xfe) { fromF64(Math.sin(x)); setSt(0, resSig, resSe); }
      else if (m == 0xff) { fromF64(Math.cos(x)); setSt(0, resSig, resSe); }
      else if (m == 0xfb) { // FSINCOS: ST(0) = cos, below it sin
        fromF64(Math.sin(x)); setSt(0, resSig, resSe);
        fromF64(Math.cos(x)); pushChecked(resSig, resSe);
      } else { // FPTAN: ST(0) = 1.0 pushed above tan
        fromF64(Math.tan(x)); setSt(0, resSig, resSe);
        pushChecked(0x8000000000000000, 16383);
      }
    }
  }
  commitExc(xf);
}

// ---- Control ----
/** FNINIT (and the reset after FNSAVE): CW 037F, SW 0, all empty, pointers cleared. */
export function fpuReset(): void {
  setCw(0x37f);
  setSw(0);
  store<u16>(P_TW, 0);
  clearFpuPointers();
}

/** ES and B follow the unmasked exception flags (after FLDCW / FLDENV / FRSTOR). */
function updateEs(): void {
  const sw = <u32>load<u16>(P_SW);
  const pending = (sw & ~getCw() & 0x3f) != 0;
  store<u16>(P_SW, <u16>(pending ? sw | SW_ES | SW_B : sw & ~(SW_ES | SW_B)));
}

/** Size of the environment image: 14 bytes with a 16-bit operand size, else 28. */
/** 16-bit operand size (66 without REX.W) selects the 16-bit image formats. */
@inline function env16(): bool { return opSize == 2; }
@inline function envSize(): u32 { return env16() ? 14 : 28; }

/** Writes the environment at lin (protected-mode layout; the 32-bit one pads with ones). */
function writeEnv(lin: u64): void {
  if (env16()) {
    writeMem(lin, <u64>getCw(), 2);
    writeMem(lin + 2, <u64>getSw(), 2);
    writeMem(lin + 4, <u64>fullTagWord(), 2);
    writeMem(lin + 6, fpuIp() & 0xffff, 2);
    writeMem(lin + 8, <u64>fpuCs(), 2);
    writeMem(lin + 10, fpuDp() & 0xffff, 2);
    writeMem(lin + 12, <u64>fpuDs(), 2);
    return;
  }
  writeMem(lin, <u64>getCw() | 0xffff0000, 4);
  writeMem(lin + 4, <u64>getSw() | 0xffff0000, 4);
  writeMem(lin + 8, <u64>fullTagWord() | 0xffff0000, 4);
  writeMem(lin + 12, fpuIp() & 0xffffffff, 4);
  writeMem(lin + 16, <u64>fpuCs() | (<u64>fpuOp() << 16), 4);
  writeMem(lin + 20, fpuDp() & 0xffffffff, 4);
  writeMem(lin + 24, <u64>fpuDs() | 0xffff0000, 4);
}
/** Loads the environment from lin. */
function readEnv(lin: u64): bool {
  const n: u64 = env16() ? 2 : 4;
  const cw = <u32>readMem(lin, 2);
  const sw = <u32>readMem(lin + n, 2);
  const tw = <u32>readMem(lin + 2 * n, 2);
  const ip = readMem(lin + 3 * n, <u32>n);
  const cs = readMem(lin + 4 * n, 4);
  const dp = readMem(lin + 5 * n, <u32>n);
  const ds = <u32>readMem(lin + 6 * n, 2);
  if (faulted()) return false;
  setCw(cw);
  setSw(sw);
  setFullTagWord(tw);
  setFpuIp(ip, <u32>(cs & 0xffff), env16() ? 0 : <u32>(cs >> 16));
  setFpuDp(dp, ds);
  updateEs();
  return true;
}

@inline function imageWritable(size: u32): u64 { return imageAccessible(size, ACC_WRITE); }
function FNSTENV(): void {
  const size = envSize();
  const lin = imageWritable(size);
  if (faulted()) return;
  writeEnv(lin);
  setCw(getCw() | 0x3f); // then every exception is masked
}
/**
 * The order in which the image instructions (FLDENV FRSTOR FNSTENV FNSAVE) touch their operand,
 * as the reference CPU shows it in CR2: the first field (2 bytes in the 16-bit formats, 4 in the
 * 32-bit ones), then the last byte of the image, then the rest. Returns the linear address.
 */
function imageAccessible(size: u32, acc: u32): u64 {
  const lin = segLinear(eaSeg, eaOffset(), size, acc == ACC_WRITE ? SEG_WRITE : SEG_READ, stackRef());
  if (faulted()) return 0;
  const first: u64 = env16() ? 2 : 4;
  translate(lin, acc);
  if (faulted()) return 0;
  if (((lin ^ (lin + first - 1)) & ~(<u64>0xfff)) != 0) { translate((lin | 0xfff) + 1, acc); if (faulted()) return 0; }
  translate(lin + <u64>(size - 1), acc);
  if (faulted()) return 0;
  return lin;
}
@inline function imageReadable(size: u32): u64 { return imageAccessible(size, ACC_READ); }
function FLDENV(): void {
  const lin = imageReadable(envSize());
  if (faulted()) return;
  readEnv(lin);
}
function FNSAVE(): void {
  const lin = imageWritable(envSize() + 80);
  if (faulted()) return;
  writeEnv(lin);
  const regs = lin + envSize();
  for (let i: u32 = 0; i < 8; i++) {
    writeMem(regs + 10 * i, stSig(i), 8);
    writeMem(regs + 10 * i + 8, <u64>stSe(i), 2);
  }
  fpuReset();
}
function FRSTOR(): void {
  const lin = imageReadable(envSize() + 80);
  if (faulted()) return;
  // Read everything before changing anything.
  const regs = lin + envSize();
  for (let i: u32 = 0; i < 8; i++) {
    store<u64>(SAVE_BUF + 16 * i, readMem(regs + 10 * i, 8));
    store<u64>(SAVE_BUF + 16 * i + 8, readMem(regs + 10 * i + 8, 2));
    if (faulted()) return;
  }
  if (!readEnv(lin)) return;
  memory.copy(P_ST, SAVE_BUF, 128);
}
const SAVE_BUF: u32 = <u32>memory.data(128, 16);

