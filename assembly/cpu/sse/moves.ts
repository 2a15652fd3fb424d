// SSE/SSE2/MMX data movement and shuffles (Intel SDM vol. 2): MOVUPS/UPD/APS/APD/DQA/DQU, MOVSS,
// MOVSD, MOVLPS/HPS/LPD/HPD, MOVHLPS/MOVLHPS, MOVD/MOVQ in every direction, MOVQ2DQ/MOVDQ2Q, the
// non-temporal stores, MOVMSKPS/PD, PMOVMSKB, MASKMOVQ/MASKMOVDQU, UNPCKL/H PS/PD, SHUFPS/PD,
// PSHUFD/HW/LW/W, PINSRW/PEXTRW, EMMS. Availability checks come before any memory access; a store
// reads its register first and writes memory all or nothing.
// Invariant: a register-to-register form never touches memory; memory forms access exactly the
// operand size (8 bytes for MOVLPS, 16 for UNPCKLPS even though half is used, as on hardware).
import { CPU_BASE, CPU_FPU_TW } from '../../layout';
import { faulted, raiseUD } from '../fault';
import { rexW, adSize, segOvr } from '../decode';
import { modIsReg, modRm, modReg, readE, writeE, setRegN, segLinear, SEG_WRITE, getRegN, writeMem } from '../modrm';
import { getReg64, RDI, DS } from '../state';
import { probeWrite } from '../../mmu/access';
import {
  SRC, TMP, sseOk, mmxOk, mmxEnter, setMm, xmmAddr, mmAddr, srcW128, srcW64, srcQ, dstV, dstP,
  readMemOperand, writeMemOperand,
} from './regs';
import { byteMask } from './int';

/** MOVUPS/MOVUPD/MOVDQU (unaligned) and MOVAPS/MOVAPD/MOVDQA (aligned) Vx, Wx. */
export function MOV_VW(aligned: bool): void {
  if (!sseOk()) return;
  const s = srcW128(aligned);
  if (faulted()) return;
  memory.copy(dstV(), s, 16);
}
/** The stores Wx, Vx of the same (MOVNTPS/PD and MOVNTDQ are memory-only, aligned). */
export function MOV_WV(aligned: bool, memOnly: bool): void {
  if (memOnly && modIsReg) { raiseUD(); return; }
  if (!sseOk()) return;
  if (modIsReg) { memory.copy(xmmAddr(modRm), dstV(), 16); return; }
  writeMemOperand(dstV(), 16, aligned);
}

/** MOVSS (F3 0F 10) / MOVSD (F2 0F 10) Vx, Wx: register form merges the low element, memory form zeroes the rest. */
export function MOVS_load(double: bool): void {
  if (!sseOk()) return;
  const n: u32 = double ? 8 : 4;
  const d = dstV();
  if (modIsReg) { memory.copy(d, xmmAddr(modRm), n); return; }
  const s = readMemOperand(n, false);
  if (faulted()) return;
  memory.copy(d, s, 16); // SRC holds the value followed by zeroes
}
/** MOVSS / MOVSD Wx, Vx (F3/F2 0F 11). */
export function MOVS_store(double: bool): void {
  if (!sseOk()) return;
  const n: u32 = double ? 8 : 4;
  if (modIsReg) { memory.copy(xmmAddr(modRm), dstV(), n); return; }
  writeMemOperand(dstV(), n, false);
}

/** 0F 12 / 0F 16: MOVLPS/MOVHPS Vq, Mq, MOVHLPS/MOVLHPS Vq, Uq; with 66 MOVLPD/MOVHPD (memory only). */
export function MOV_LH_load(high: bool, pd: bool): void {
  if (pd && modIsReg) { raiseUD(); return; }
  if (!sseOk()) return;
  const d = dstV();
  if (modIsReg) { // MOVHLPS: low = source high; MOVLHPS: high = source low
    const s = xmmAddr(modRm);
    if (high) store<u64>(d + 8, load<u64>(s)); else store<u64>(d, load<u64>(s + 8));
    return;
  }
  const s = readMemOperand(8, false);
  if (faulted()) return;
  store<u64>(high ? d + 8 : d, load<u64>(s));
}
/** 0F 13 / 0F 17 (and 66): MOVLPS/MOVLPD/MOVHPS/MOVHPD Mq, Vq (memory only). */
export function MOV_LH_store(high: bool): void {
  if (modIsReg) { raiseUD(); return; }
  if (!sseOk()) return;
  writeMemOperand(high ? dstV() + 8 : dstV(), 8, false);
}

/** UNPCKLPS/UNPCKHPS (0F 14/15), UNPCKLPD/UNPCKHPD (66). */
export function UNPCK_P(high: bool, pd: bool): void {
  if (!sseOk()) return;
  const s = srcW128(true);
  if (faulted()) return;
  const d = dstV();
  const from: u32 = high ? 8 : 0;
  if (pd) {
    store<u64>(TMP, load<u64>(d + from));
    store<u64>(TMP + 8, load<u64>(s + from));
  } else {
    store<u32>(TMP, load<u32>(d + from));
    store<u32>(TMP + 4, load<u32>(s + from));
    store<u32>(TMP + 8, load<u32>(d + from + 4));
    store<u32>(TMP + 12, load<u32>(s + from + 4));
  }
  memory.copy(d, TMP, 16);
}

/** SHUFPS / SHUFPD Vx, Wx, Ib. */
export function SHUFP(pd: bool, imm: u32): void {
  if (!sseOk()) return;
  const s = srcW128(true);
  if (faulted()) return;
  const d = dstV();
  if (pd) {
    store<u64>(TMP, load<u64>(d + ((imm & 1) << 3)));
    store<u64>(TMP + 8, load<u64>(s + (((imm >> 1) & 1) << 3)));
  } else {
    store<u32>(TMP, load<u32>(d + ((imm & 3) << 2)));
    store<u32>(TMP + 4, load<u32>(d + (((imm >> 2) & 3) << 2)));
    store<u32>(TMP + 8, load<u32>(s + (((imm >> 4) & 3) << 2)));
    store<u32>(TMP + 12, load<u32>(s + (((imm >> 6) & 3) << 2)));
  }
  memory.copy(d, TMP, 16);
}

/** MOVMSKPS / MOVMSKPD Gy, Ux: the sign bits, zero-extended into a general register. */
export function MOVMSKP(pd: bool): void {
  if (!modIsReg) { raiseUD(); return; }
  if (!sseOk()) return;
  const s = xmmAddr(modRm);
  let m: u32;
  if (pd) m = <u32>(load<u64>(s) >> 63) | (<u32>(load<u64>(s + 8) >> 63) << 1);
  else m = (load<u32>(s) >> 31) | ((load<u32>(s + 4) >> 31) << 1) | ((load<u32>(s + 8) >> 31) << 2) | ((load<u32>(s + 12) >> 31) << 3);
  setRegN(modReg, <u64>m, rexW() ? 8 : 4);
}

/** PMOVMSKB Gd, Nq (MMX) / Gd, Ux (66). */
export function PMOVMSKB(xmm: bool): void {
  if (!modIsReg) { raiseUD(); return; }
  if (xmm) { if (!sseOk()) return; }
  else { if (!mmxOk(true)) return; mmxEnter(); }
  const m = xmm ? byteMask(xmmAddr(modRm), 16) : byteMask(mmAddr(modRm & 7), 8);
  setRegN(modReg, <u64>m, rexW() ? 8 : 4);
}

// ---- MOVD / MOVQ ----

/** MOVD/MOVQ Pq, Ey (0F 6E) and Vx, Ey (66 0F 6E): 4 bytes, or 8 with REX.W; the rest zeroed. */
export function MOVD_load(xmm: bool): void {
  if (xmm) { if (!sseOk()) return; }
  else if (!mmxOk(false)) return;
  const size: u32 = rexW() ? 8 : 4;
  const v = readE(size, false);
  if (faulted()) return;
  if (xmm) { const d = dstV(); store<u64>(d, v); store<u64>(d + 8, 0); }
  else { mmxEnter(); setMm(modReg & 7, v); }
}
/** MOVD/MOVQ Ey, Pq (0F 7E) and Ey, Vx (66 0F 7E). */
export function MOVD_store(xmm: bool): void {
  if (xmm) { if (!sseOk()) return; }
  else { if (!mmxOk(false)) return; mmxEnter(); }
  const size: u32 = rexW() ? 8 : 4;
  const p = xmm ? dstV() : dstP();
  writeE(size == 8 ? load<u64>(p) : <u64>load<u32>(p), size);
}
/** MOVQ Pq, Qq (0F 6F). */
export function MOVQ_PQ(): void {
  if (!mmxOk(false)) return;
  mmxEnter();
  const s = srcQ();
  if (faulted()) return;
  setMm(modReg & 7, load<u64>(s));
}
/** MOVQ Qq, Pq (0F 7F) and MOVNTQ Mq, Pq (0F E7, memory only). */
export function MOVQ_QP(memOnly: bool): void {
  if (memOnly && modIsReg) { raiseUD(); return; }
  if (!mmxOk(false)) return;
  mmxEnter();
  const v = load<u64>(dstP());
  if (modIsReg) { setMm(modRm & 7, v); return; }
  store<u64>(SRC, v);
  writeMemOperand(SRC, 8, false);
}
/** MOVQ Vx, Wq (F3 0F 7E): the low quadword, upper half zeroed. */
export function MOVQ_VW(): void {
  if (!sseOk()) return;
  const s = srcW64();
  if (faulted()) return;
  const d = dstV();
  store<u64>(d, load<u64>(s));
  store<u64>(d + 8, 0);
}
/** MOVQ Wq, Vx (66 0F D6): a register destination gets the upper half zeroed. */
export function MOVQ_WV(): void {
  if (!sseOk()) return;
  const v = load<u64>(dstV());
  if (modIsReg) { const d = xmmAddr(modRm); store<u64>(d, v); store<u64>(d + 8, 0); return; }
  store<u64>(SRC, v);
  writeMemOperand(SRC, 8, false);
}
/** MOVQ2DQ Vx, Nq (F3 0F D6) and MOVDQ2Q Pq, Ux (F2 0F D6): register forms only. */
export function MOVQ2DQ(toXmm: bool): void {
  if (!modIsReg) { raiseUD(); return; }
  if (!mmxOk(true)) return;
  mmxEnter();
  if (toXmm) {
    const d = dstV();
    store<u64>(d, load<u64>(mmAddr(modRm & 7)));
    store<u64>(d + 8, 0);
  } else {
    setMm(modReg & 7, load<u64>(xmmAddr(modRm)));
  }
}

/** MASKMOVQ Pq, Nq (0F F7) / MASKMOVDQU Vx, Ux (66 0F F7): the selected bytes to DS:rDI. */
export function MASKMOV(xmm: bool): void {
  if (!modIsReg) { raiseUD(); return; }
  if (xmm) { if (!sseOk()) return; }
  else { if (!mmxOk(true)) return; mmxEnter(); }
  const n: u32 = xmm ? 16 : 8;
  const data = xmm ? dstV() : dstP();
  const mask = xmm ? xmmAddr(modRm) : mmAddr(modRm & 7);
  let off = getReg64(RDI);
  if (adSize == 4) off &= 0xffffffff;
  else if (adSize == 2) off &= 0xffff;
  const seg = segOvr >= 0 ? segOvr : DS;
  // The whole destination is checked first, whatever the mask (as the reference CPU does), then
  // the selected bytes are written.
  const lin = segLinear(seg, off, n, SEG_WRITE, false);
  if (faulted()) return;
  if (!probeWrite(lin, n)) return;
  for (let i: u32 = 0; i < n; i++) {
    if ((load<u8>(mask + i) & 0x80) != 0) writeMem(lin + i, <u64>load<u8>(data + i), 1);
  }
}

// ---- Shuffles and word insert/extract ----

/** PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2) Vx, Wx, Ib. */
export function PSHUF(kind: u32, imm: u32): void {
  if (!sseOk()) return;
  const s = srcW128(true);
  if (faulted()) return;
  const d = dstV();
  if (kind == 0) { // PSHUFD
    for (let i: u32 = 0; i < 4; i++) store<u32>(TMP + 4 * i, load<u32>(s + 4 * ((imm >> (2 * i)) & 3)));
  } else { // PSHUFHW (1) shuffles the high four words, PSHUFLW (2) the low four
    const base: u32 = kind == 1 ? 8 : 0;
    const keep: u32 = kind == 1 ? 0 : 8;
    store<u64>(TMP + keep, load<u64>(s + keep));
    for (let i: u32 = 0; i < 4; i++) store<u16>(TMP + base + 2 * i, load<u16>(s + base + 2 * ((imm >> (2 * i)) & 3)));
  }
  memory.copy(d, TMP, 16);
}
/** PSHUFW Pq, Qq, Ib (0F 70). */
export function PSHUFW(imm: u32): void {
  if (!mmxOk(true)) return;
  mmxEnter();
  const s = srcQ();
  if (faulted()) return;
  for (let i: u32 = 0; i < 4; i++) store<u16>(TMP + 2 * i, load<u16>(s + 2 * ((imm >> (2 * i)) & 3)));
  setMm(modReg & 7, load<u64>(TMP));
}
/** PINSRW Pq, Ry/Mw, Ib (0F C4) / Vx, Ry/Mw, Ib (66 0F C4). */
export function PINSRW(xmm: bool, imm: u32): void {
  if (xmm) { if (!sseOk()) return; }
  else if (!mmxOk(true)) return;
  const v = modIsReg ? getRegN(modRm, 4) : readE(2, false);
  if (faulted()) return;
  if (xmm) store<u16>(dstV() + ((imm & 7) << 1), <u16>v);
  else {
    mmxEnter();
    const p = dstP();
    store<u16>(p + ((imm & 3) << 1), <u16>v);
    store<u16>(p + 8, 0xffff);
  }
}
/** PEXTRW Gd, Nq, Ib (0F C5) / Gd, Ux, Ib (66 0F C5): register sources only. */
export function PEXTRW(xmm: bool, imm: u32): void {
  if (!modIsReg) { raiseUD(); return; }
  if (xmm) { if (!sseOk()) return; }
  else { if (!mmxOk(true)) return; mmxEnter(); }
  const v = xmm ? load<u16>(xmmAddr(modRm) + ((imm & 7) << 1)) : load<u16>(mmAddr(modRm & 7) + ((imm & 3) << 1));
  setRegN(modReg, <u64>v, rexW() ? 8 : 4);
}

/** EMMS (0F 77): every x87 register empty; like every MMX instruction it also makes TOP 0. */
export function EMMS(): void {
  if (!mmxOk(false)) return;
  mmxEnter();
  store<u16>(CPU_BASE + CPU_FPU_TW, 0);
}
