// SSE/SSE2 floating-point instructions (Intel SDM vol. 2): ADD SUB MUL DIV SQRT MIN MAX in the
// PS/PD/SS/SD forms, CMPccPS/PD/SS/SD, COMISS/COMISD/UCOMISS/UCOMISD, every CVT between integers,
// binary32 and binary64 (including the MMX-register forms), RCP and RSQRT. Lanes are in
// fp-lanes.ts; this file reads the operands, runs the lanes into TMP and commits them only when no
// unmasked exception occurred. Packed memory operands are 16-byte aligned (#GP(0)); scalar ones
// are read at their size. Invariant: the destination is written after endFp() returned true.
import { faulted, raiseUD } from '../fault';
import { rexW } from '../decode';
import { modIsReg, modReg, setRegN, readE } from '../modrm';
import { setArithFlags } from '../flags';
import {
  TMP, sseOk, mmxOk, mmxEnter, setMm, srcW128, srcW64, srcW32, srcQ, dstV,
} from './regs';
import {
  beginFp, endFp, lane32, lane64, cmp32, cmp64, comis32, comis64, intTo32, intTo64, f32ToInt, f64ToInt,
  f32To64, f64To32, rcp32, rsqrt32,
} from './fp-lanes';

// Mandatory-prefix forms: PS (none), PD (66), SS (F3), SD (F2).
export const F_PS: u32 = 0;
export const F_PD: u32 = 1;
export const F_SS: u32 = 2;
export const F_SD: u32 = 3;

/** The source operand of a PS/PD/SS/SD form (0 with a fault). */
function fpSource(form: u32): u32 {
  if (form == F_SS) return srcW32();
  if (form == F_SD) return srcW64();
  return srcW128(true);
}

/** Writes the `n` lanes computed in TMP to the destination; a scalar (n = 1) leaves the upper lanes alone. */
@inline function commit32(d: u32, n: u32): void {
  if (n == 4) memory.copy(d, TMP, 16); else store<u32>(d, load<u32>(TMP));
}
@inline function commit64(d: u32, n: u32): void {
  store<u64>(d, load<u64>(TMP));
  if (n == 2) store<u64>(d + 8, load<u64>(TMP + 8));
}

/** ADDxx SUBxx MULxx DIVxx MINxx MAXxx SQRTxx Vx, Wx. */
export function FP_ARITH(op: u32, form: u32): void {
  if (!sseOk()) return;
  const s = fpSource(form);
  if (faulted()) return;
  const d = dstV();
  beginFp();
  if (form == F_PS || form == F_SS) {
    const n: u32 = form == F_PS ? 4 : 1;
    for (let i: u32 = 0; i < n; i++) store<u32>(TMP + 4 * i, lane32(op, load<u32>(d + 4 * i), load<u32>(s + 4 * i)));
    if (!endFp()) return;
    commit32(d, n);
  } else {
    const n: u32 = form == F_PD ? 2 : 1;
    for (let i: u32 = 0; i < n; i++) store<u64>(TMP + 8 * i, lane64(op, load<u64>(d + 8 * i), load<u64>(s + 8 * i)));
    if (!endFp()) return;
    commit64(d, n);
  }
}

/** RCPPS/RCPSS (op 0x53) and RSQRTPS/RSQRTSS (0x52): approximations, no exceptions. */
export function FP_APPROX(rsqrt: bool, form: u32): void {
  if (!sseOk()) return;
  const s = fpSource(form);
  if (faulted()) return;
  const d = dstV();
  const n: u32 = form == F_PS ? 4 : 1;
  for (let i: u32 = 0; i < n; i++) {
    const v = load<u32>(s + 4 * i);
    store<u32>(TMP + 4 * i, rsqrt ? rsqrt32(v) : rcp32(v));
  }
  commit32(d, n);
}

/** CMPPS/CMPPD/CMPSS/CMPSD Vx, Wx, Ib: all-ones lanes where the predicate holds. */
export function FP_CMP(form: u32, imm: u32): void {
  if (!sseOk()) return;
  const s = fpSource(form);
  if (faulted()) return;
  const d = dstV();
  beginFp();
  if (form == F_PS || form == F_SS) {
    const n: u32 = form == F_PS ? 4 : 1;
    for (let i: u32 = 0; i < n; i++) store<u32>(TMP + 4 * i, cmp32(imm, load<u32>(d + 4 * i), load<u32>(s + 4 * i)));
    if (!endFp()) return;
    commit32(d, n);
  } else {
    const n: u32 = form == F_PD ? 2 : 1;
    for (let i: u32 = 0; i < n; i++) store<u64>(TMP + 8 * i, cmp64(imm, load<u64>(d + 8 * i), load<u64>(s + 8 * i)));
    if (!endFp()) return;
    commit64(d, n);
  }
}

/** COMISS/COMISD (`signalQuiet`) and UCOMISS/UCOMISD Vx, Wx: ZF PF CF from the compare, OF SF AF cleared. */
export function FP_COMIS(double: bool, signalQuiet: bool): void {
  if (!sseOk()) return;
  const s = double ? srcW64() : srcW32();
  if (faulted()) return;
  const d = dstV();
  beginFp();
  const f = double ? comis64(signalQuiet, load<u64>(d), load<u64>(s)) : comis32(signalQuiet, load<u32>(d), load<u32>(s));
  if (!endFp()) return;
  setArithFlags(f);
}

// ---- Conversions ----

/** CVTSI2SS / CVTSI2SD Vx, Ey (F3/F2 0F 2A): a 32-bit or (REX.W) 64-bit signed integer. */
export function CVTSI2Sx(double: bool): void {
  if (!sseOk()) return;
  const size: u32 = rexW() ? 8 : 4;
  const raw = readE(size, false);
  if (faulted()) return;
  const v: i64 = size == 8 ? <i64>raw : <i64>(<i32>(<u32>raw));
  const d = dstV();
  beginFp();
  if (double) {
    const r = intTo64(v);
    if (!endFp()) return;
    store<u64>(d, r);
  } else {
    const r = intTo32(v);
    if (!endFp()) return;
    store<u32>(d, r);
  }
}

/** CVT(T)SS2SI / CVT(T)SD2SI Gy, Wx (F3/F2 0F 2D, 2C). */
export function CVTSx2SI(double: bool, trunc: bool): void {
  if (!sseOk()) return;
  const s = double ? srcW64() : srcW32();
  if (faulted()) return;
  const bits: i32 = rexW() ? 64 : 32;
  beginFp();
  const r = double ? f64ToInt(load<u64>(s), bits, trunc) : f32ToInt(load<u32>(s), bits, trunc);
  if (!endFp()) return;
  setRegN(modReg, r, bits == 64 ? 8 : 4);
}

/** CVTPI2PS Vq, Qq (0F 2A) / CVTPI2PD Vx, Qq (66 0F 2A): two int32 from an MMX register or memory. */
export function CVTPI2Px(double: bool): void {
  if (modIsReg) { if (!mmxOk(true)) return; mmxEnter(); }
  else if (!sseOk()) return;
  const s = srcQ();
  if (faulted()) return;
  const d = dstV();
  beginFp();
  if (double) {
    store<u64>(TMP, intTo64(<i64>load<i32>(s)));
    store<u64>(TMP + 8, intTo64(<i64>load<i32>(s + 4)));
    if (!endFp()) return;
    memory.copy(d, TMP, 16);
  } else {
    store<u32>(TMP, intTo32(<i64>load<i32>(s)));
    store<u32>(TMP + 4, intTo32(<i64>load<i32>(s + 4)));
    if (!endFp()) return;
    store<u64>(d, load<u64>(TMP));
  }
}

/** CVT(T)PS2PI Pq, Wq (0F 2D, 2C) / CVT(T)PD2PI Pq, Wx (66 0F 2D, 2C): two int32 into an MMX register. */
export function CVTPx2PI(double: bool, trunc: bool): void {
  if (!mmxOk(true)) return;
  const s = double ? srcW128(true) : srcW64();
  if (faulted()) return;
  mmxEnter();
  beginFp();
  let lo: u64, hi: u64;
  if (double) { lo = f64ToInt(load<u64>(s), 32, trunc); hi = f64ToInt(load<u64>(s + 8), 32, trunc); }
  else { lo = f32ToInt(load<u32>(s), 32, trunc); hi = f32ToInt(load<u32>(s + 4), 32, trunc); }
  if (!endFp()) return;
  setMm(modReg & 7, (hi << 32) | (lo & 0xffffffff));
}

/** CVTPS2PD Vx, Wq / CVTPD2PS Vx, Wx (0F 5A, 66 0F 5A) / CVTSS2SD / CVTSD2SS (F3, F2 0F 5A). */
export function CVT_5A(form: u32): void {
  if (!sseOk()) return;
  const s = form == F_PS || form == F_SD ? srcW64() : (form == F_SS ? srcW32() : srcW128(true));
  if (faulted()) return;
  const d = dstV();
  beginFp();
  switch (form) {
    case F_PS: { // CVTPS2PD
      store<u64>(TMP, f32To64(load<u32>(s)));
      store<u64>(TMP + 8, f32To64(load<u32>(s + 4)));
      if (!endFp()) return;
      memory.copy(d, TMP, 16);
      return;
    }
    case F_PD: { // CVTPD2PS: the upper half is zeroed
      store<u32>(TMP, f64To32(load<u64>(s)));
      store<u32>(TMP + 4, f64To32(load<u64>(s + 8)));
      if (!endFp()) return;
      store<u64>(d, load<u64>(TMP));
      store<u64>(d + 8, 0);
      return;
    }
    case F_SS: { // CVTSS2SD
      const r = f32To64(load<u32>(s));
      if (!endFp()) return;
      store<u64>(d, r);
      return;
    }
    default: { // CVTSD2SS
      const r = f64To32(load<u64>(s));
      if (!endFp()) return;
      store<u32>(d, r);
      return;
    }
  }
}

/** CVTDQ2PS (0F 5B), CVTPS2DQ (66 0F 5B), CVTTPS2DQ (F3 0F 5B); F2 is #UD. */
export function CVT_5B(form: u32): void {
  if (form == F_SD) { raiseUD(); return; }
  if (!sseOk()) return;
  const s = srcW128(true);
  if (faulted()) return;
  const d = dstV();
  beginFp();
  for (let i: u32 = 0; i < 4; i++) {
    const v = load<u32>(s + 4 * i);
    store<u32>(TMP + 4 * i, form == F_PS ? intTo32(<i64>(<i32>v)) : <u32>f32ToInt(v, 32, form == F_SS));
  }
  if (!endFp()) return;
  memory.copy(d, TMP, 16);
}

/** CVTTPD2DQ (66 0F E6), CVTDQ2PD (F3 0F E6), CVTPD2DQ (F2 0F E6); no prefix is #UD. */
export function CVT_E6(form: u32): void {
  if (form == F_PS) { raiseUD(); return; }
  if (!sseOk()) return;
  const s = form == F_SS ? srcW64() : srcW128(true);
  if (faulted()) return;
  const d = dstV();
  beginFp();
  if (form == F_SS) {
    store<u64>(TMP, intTo64(<i64>load<i32>(s)));
    store<u64>(TMP + 8, intTo64(<i64>load<i32>(s + 4)));
  } else {
    const trunc = form == F_PD;
    store<u32>(TMP, <u32>f64ToInt(load<u64>(s), 32, trunc));
    store<u32>(TMP + 4, <u32>f64ToInt(load<u64>(s + 8), 32, trunc));
    store<u64>(TMP + 8, 0);
  }
  if (!endFp()) return;
  memory.copy(d, TMP, 16);
}
