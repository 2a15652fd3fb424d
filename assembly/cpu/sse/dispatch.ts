// The MMX/SSE/SSE2 rows of the two-byte opcode map (Intel SDM vol. 2, appendix A, table A-3): one
// case per opcode byte, then the mandatory prefix (none, 66, F3, F2; F2/F3 win over 66, the last
// of F2/F3 wins) selects the instruction. Rows and prefixes that belong to extensions the CPUID
// does not offer (SSE3, SSSE3, SSE4a, AVX) are #UD, as on a CPU without them.
// Order of checks, as on hardware: decode (ModRM, immediate), then #UD for an invalid form, then
// the CR0/CR4 availability checks (#UD/#NM/#MF), then memory, then #XM.
import { faulted, raiseUD } from '../fault';
import { fetch8, repPfx, pfx66 } from '../decode';
import { decodeModrm, modIsReg, modRm, modDigit } from '../modrm';
import { sseOk, mmxOk, mmxEnter, srcW128, srcQ, xmmAddr, mmAddr, dstV, dstP, readMemOperand } from './regs';
import { intOp, shift, shiftBytes, SH_RL, SH_RA, SH_LL } from './int';
import {
  F_PS, F_PD, F_SS, F_SD, FP_ARITH, FP_APPROX, FP_CMP, FP_COMIS, CVTSI2Sx, CVTSx2SI, CVTPI2Px, CVTPx2PI,
  CVT_5A, CVT_5B, CVT_E6,
} from './fp';
import { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MIN, OP_MAX, OP_SQRT } from './fp-lanes';
import {
  MOV_VW, MOV_WV, MOVS_load, MOVS_store, MOV_LH_load, MOV_LH_store, UNPCK_P, SHUFP, MOVMSKP, PMOVMSKB,
  MOVD_load, MOVD_store, MOVQ_PQ, MOVQ_QP, MOVQ_VW, MOVQ_WV, MOVQ2DQ, MASKMOV, PSHUF, PSHUFW, PINSRW,
  PEXTRW, EMMS,
} from './moves';

/** The mandatory-prefix form of the instruction being decoded. */
@inline function form(): u32 {
  if (repPfx == 0xf3) return F_SS;
  if (repPfx == 0xf2) return F_SD;
  return pfx66 ? F_PD : F_PS;
}

/** Executes the MMX/SSE/SSE2 instruction whose 0F-map opcode byte is `b` (prefixes already decoded). */
export function execSse(b: u32): void {
  if (b == 0x77) { if (form() != F_PS) raiseUD(); else EMMS(); return; } // EMMS: no ModRM
  decodeModrm();
  if (faulted()) return;
  const f = form();
  switch (b) {
    case 0x10: if (f == F_SS || f == F_SD) MOVS_load(f == F_SD); else MOV_VW(false); return; // MOVUPS/UPD/SS/SD V,W
    case 0x11: if (f == F_SS || f == F_SD) MOVS_store(f == F_SD); else MOV_WV(false, false); return; // ... W,V
    case 0x12: if (f >= F_SS) { raiseUD(); return; } MOV_LH_load(false, f == F_PD); return; // MOVLPS/MOVHLPS/MOVLPD
    case 0x13: if (f >= F_SS) { raiseUD(); return; } MOV_LH_store(false); return; // MOVLPS/MOVLPD M,V
    case 0x14: if (f >= F_SS) { raiseUD(); return; } UNPCK_P(false, f == F_PD); return; // UNPCKLPS/PD
    case 0x15: if (f >= F_SS) { raiseUD(); return; } UNPCK_P(true, f == F_PD); return; // UNPCKHPS/PD
    case 0x16: if (f >= F_SS) { raiseUD(); return; } MOV_LH_load(true, f == F_PD); return; // MOVHPS/MOVLHPS/MOVHPD
    case 0x17: if (f >= F_SS) { raiseUD(); return; } MOV_LH_store(true); return; // MOVHPS/MOVHPD M,V
    case 0x28: if (f >= F_SS) { raiseUD(); return; } MOV_VW(true); return; // MOVAPS/MOVAPD V,W
    case 0x29: if (f >= F_SS) { raiseUD(); return; } MOV_WV(true, false); return; // MOVAPS/MOVAPD W,V
    case 0x2a: // CVTPI2PS CVTPI2PD CVTSI2SS CVTSI2SD
      if (f >= F_SS) CVTSI2Sx(f == F_SD); else CVTPI2Px(f == F_PD);
      return;
    case 0x2b: if (f >= F_SS) { raiseUD(); return; } MOV_WV(true, true); return; // MOVNTPS/MOVNTPD M,V
    case 0x2c: case 0x2d: // CVT(T)PS2PI CVT(T)PD2PI CVT(T)SS2SI CVT(T)SD2SI
      if (f >= F_SS) CVTSx2SI(f == F_SD, b == 0x2c); else CVTPx2PI(f == F_PD, b == 0x2c);
      return;
    case 0x2e: case 0x2f: // UCOMISS/UCOMISD COMISS/COMISD
      if (f >= F_SS) { raiseUD(); return; }
      FP_COMIS(f == F_PD, b == 0x2f);
      return;
    case 0x50: if (f >= F_SS) { raiseUD(); return; } MOVMSKP(f == F_PD); return; // MOVMSKPS/PD
    case 0x51: FP_ARITH(OP_SQRT, f); return; // SQRTPS/PD/SS/SD
    case 0x52: case 0x53: // RSQRTPS/SS RCPPS/SS
      if (f == F_PD || f == F_SD) { raiseUD(); return; }
      FP_APPROX(b == 0x52, f);
      return;
    case 0x54: case 0x55: case 0x56: case 0x57: // ANDPS ANDNPS ORPS XORPS (and PD)
      if (f >= F_SS) { raiseUD(); return; }
      INT_XMM(b == 0x54 ? 0xdb : b == 0x55 ? 0xdf : b == 0x56 ? 0xeb : 0xef);
      return;
    case 0x58: FP_ARITH(OP_ADD, f); return;
    case 0x59: FP_ARITH(OP_MUL, f); return;
    case 0x5a: CVT_5A(f); return; // CVTPS2PD CVTPD2PS CVTSS2SD CVTSD2SS
    case 0x5b: CVT_5B(f); return; // CVTDQ2PS CVTPS2DQ CVTTPS2DQ
    case 0x5c: FP_ARITH(OP_SUB, f); return;
    case 0x5d: FP_ARITH(OP_MIN, f); return;
    case 0x5e: FP_ARITH(OP_DIV, f); return;
    case 0x5f: FP_ARITH(OP_MAX, f); return;
    case 0x60: case 0x61: case 0x62: case 0x63: case 0x64: case 0x65: case 0x66: case 0x67:
    case 0x68: case 0x69: case 0x6a: case 0x6b:
      INT_P(b, f, false); return; // PUNPCKL* PACKSSWB PCMPGT* PACKUSWB PUNPCKH* PACKSSDW
    case 0x6c: case 0x6d: // PUNPCKLQDQ PUNPCKHQDQ (66 only)
      if (f != F_PD) { raiseUD(); return; }
      INT_XMM(b);
      return;
    case 0x6e: if (f >= F_SS) { raiseUD(); return; } MOVD_load(f == F_PD); return; // MOVD/MOVQ P,Ey / V,Ey
    case 0x6f: // MOVQ P,Q / MOVDQA / MOVDQU
      if (f == F_SD) { raiseUD(); return; }
      if (f == F_PS) MOVQ_PQ(); else MOV_VW(f == F_PD);
      return;
    case 0x70: { // PSHUFW PSHUFD PSHUFHW PSHUFLW
      const imm = fetch8();
      if (faulted()) return;
      if (f == F_PS) PSHUFW(imm); else PSHUF(f == F_PD ? 0 : f == F_SS ? 1 : 2, imm);
      return;
    }
    case 0x71: case 0x72: case 0x73: SHIFT_IMM(b, f); return; // Grp12/13/14
    case 0x74: case 0x75: case 0x76: INT_P(b, f, false); return; // PCMPEQB/W/D
    case 0x7e: // MOVD/MOVQ Ey,P / Ey,V / MOVQ V,W (F3)
      if (f == F_SD) { raiseUD(); return; }
      if (f == F_SS) MOVQ_VW(); else MOVD_store(f == F_PD);
      return;
    case 0x7f: // MOVQ Q,P / MOVDQA W,V / MOVDQU W,V
      if (f == F_SD) { raiseUD(); return; }
      if (f == F_PS) MOVQ_QP(false); else MOV_WV(f == F_PD, false);
      return;
    case 0xc2: { // CMPPS CMPPD CMPSS CMPSD V,W,Ib
      const imm = fetch8();
      if (faulted()) return;
      FP_CMP(f, imm);
      return;
    }
    case 0xc4: case 0xc5: case 0xc6: { // PINSRW PEXTRW SHUFPS/SHUFPD
      const imm = fetch8();
      if (faulted()) return;
      if (f >= F_SS) { raiseUD(); return; }
      if (b == 0xc4) PINSRW(f == F_PD, imm);
      else if (b == 0xc5) PEXTRW(f == F_PD, imm);
      else SHUFP(f == F_PD, imm);
      return;
    }
    case 0xd6: // MOVQ W,V (66) / MOVQ2DQ (F3) / MOVDQ2Q (F2)
      if (f == F_PD) MOVQ_WV();
      else if (f == F_SS) MOVQ2DQ(true);
      else if (f == F_SD) MOVQ2DQ(false);
      else raiseUD();
      return;
    case 0xd7: if (f >= F_SS) { raiseUD(); return; } PMOVMSKB(f == F_PD); return;
    case 0xe6: CVT_E6(f); return; // CVTTPD2DQ CVTDQ2PD CVTPD2DQ
    case 0xe7: // MOVNTQ M,P / MOVNTDQ M,V
      if (f >= F_SS) { raiseUD(); return; }
      if (f == F_PS) MOVQ_QP(true); else MOV_WV(true, true);
      return;
    case 0xf7: if (f >= F_SS) { raiseUD(); return; } MASKMOV(f == F_PD); return; // MASKMOVQ MASKMOVDQU
    case 0xd1: case 0xd2: case 0xd3: case 0xd4: case 0xd5: case 0xd8: case 0xd9: case 0xda: case 0xdb:
    case 0xdc: case 0xdd: case 0xde: case 0xdf: case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe4:
    case 0xe5: case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee: case 0xef:
    case 0xf1: case 0xf2: case 0xf3: case 0xf4: case 0xf5: case 0xf6: case 0xf8: case 0xf9: case 0xfa:
    case 0xfb: case 0xfc: case 0xfd: case 0xfe:
      INT_P(b, f, sseExtension(b)); return;
    default: raiseUD(); return; // SSE3 (D0 F0 7C 7D, F2/F3 0F 12/16), SSE4a/VMX (78..7B), 3DNow!
  }
}

/** MMX-register forms that came with SSE or SSE2 rather than MMX itself (they also check CR4.OSFXSR). */
@inline function sseExtension(b: u32): bool {
  return b == 0xd4 || b == 0xda || b == 0xde || b == 0xe0 || b == 0xe3 || b == 0xe4 || b == 0xea ||
    b == 0xee || b == 0xf4 || b == 0xf6 || b == 0xfb;
}

/** An integer op in its MMX (no prefix) or XMM (66) form; F2/F3 are #UD. */
function INT_P(b: u32, f: u32, sseExt: bool): void {
  if (f == F_PD) { INT_XMM(b); return; }
  if (f != F_PS) { raiseUD(); return; }
  if (!mmxOk(sseExt)) return;
  mmxEnter();
  // The MMX forms of PUNPCKLBW/WD/DQ read only 4 bytes of memory (Qd).
  const s = !modIsReg && b >= 0x60 && b <= 0x62 ? readMemOperand(4, false) : srcQ();
  if (faulted()) return;
  const d = dstP();
  intOp(b, d, s, 8);
  store<u16>(d + 8, 0xffff);
}

/** An integer op on XMM registers (the logical PS/PD forms map here too). */
function INT_XMM(b: u32): void {
  if (!sseOk()) return;
  const s = srcW128(true);
  if (faulted()) return;
  intOp(b, dstV(), s, 16);
}

/** Groups 12, 13, 14 (0F 71/72/73 /digit, Ib): shifts of an MMX or XMM register by an immediate. */
function SHIFT_IMM(b: u32, f: u32): void {
  const imm = fetch8();
  if (faulted()) return;
  const d = modDigit();
  if (!modIsReg || (f != F_PS && f != F_PD)) { raiseUD(); return; }
  let w: u32 = b == 0x71 ? 2 : b == 0x72 ? 4 : 8;
  let kind: u32 = 0;
  let bytes = false;
  if (d == 2) kind = SH_RL;
  else if (d == 4 && b != 0x73) kind = SH_RA;
  else if (d == 6) kind = SH_LL;
  else if ((d == 3 || d == 7) && b == 0x73 && f == F_PD) { bytes = true; kind = d == 7 ? SH_LL : SH_RL; }
  else { raiseUD(); return; }
  if (f == F_PD) {
    if (!sseOk()) return;
    const p = xmmAddr(modRm);
    if (bytes) shiftBytes(p, kind == SH_LL, imm);
    else shift(p, 16, w, kind, <u64>imm);
  } else {
    if (!mmxOk(false)) return;
    mmxEnter();
    const p = mmAddr(modRm & 7);
    shift(p, 8, w, kind, <u64>imm);
    store<u16>(p + 8, 0xffff);
  }
}
