// The two-byte opcode map 0F xx (Intel SDM vol. 2, appendix A, table A-3), one case per value so it
// compiles to a single br_table. MMX/SSE/SSE2 run in sse/ (their state instructions are in
// fpu-state.ts); rows for features the CPUID does not offer are #UD, as on a CPU without them: the
// whole 0F 38 and 0F 3A maps (xen/cpuid.ts reports none of SSSE3, SSE4, MOVBE, AES, SHA, ADX...).
import { raiseUD, raiseGP, faulted, faultVector } from './fault';
import { FS, GS, SS } from './state';
import { fetch8, opSize, repPfx, lockPfx, rex } from './decode';
import { decodeModrm, modIsReg, modDigit } from './modrm';
import { JCC_Jz } from './control';
import { IMUL_GvEv } from './muldiv';
import { SHxD } from './shift';
import {
  MOVZX, MOVSX, CMOVCC, SETCC, BSWAP, MOVNTI, NOP_Ev, CMPXCHG, XADD, CMPXCHG8B16B,
} from './misc';
import { BTx_EvGv, GRP8_EvIb, BSF_GvEv, BSR_GvEv, POPCNT_GvEv, BT_BT, BT_BTS, BT_BTR, BT_BTC } from './bits';
import { PUSH_seg, POP_seg, LxS_Mp, LAR_LSL } from './segments';
import {
  GRP6, GRP7, SYSCALL, SYSRET, SYSENTER, SYSEXIT, CLTS, INVD, CPUID, RDTSC, RDMSR, WRMSR,
  MOV_RdCd, MOV_CdRd, MOV_DR,
} from './system';
import { GRP15 } from './fpu-state';
import { execSse } from './sse/dispatch';
import { unimplemented } from './unimplemented';
import { FAULT_NONE } from '../layout';
import { raiseDecodedUD } from './length';
import { VENDOR_AMD } from './options';

/** Lockable 0F opcodes: AB BTS, B3 BTR, BB BTC, BA grp8, B0 B1 CMPXCHG, C0 C1 XADD, C7 grp9, 20 22 (see below). */
@inline function lockable0F(b: u32): bool {
  return b == 0xab || b == 0xb3 || b == 0xbb || b == 0xba || b == 0xb0 || b == 0xb1 || b == 0xc0 || b == 0xc1 || b == 0xc7 ||
    b == 0x20 || b == 0x22; // LOCK MOV CR0 = MOV CR8 (AMD's alternative encoding)
}


export function dispatch0F(): void {
  const b = fetch8();
  if (faultVector != FAULT_NONE) return;
  if (lockPfx && !lockable0F(b)) { raiseDecodedUD(); return; }
  switch (b) {
    case 0x00: GRP6(); return; // Grp6: SLDT STR LLDT LTR VERR VERW
    case 0x01: GRP7(); return; // Grp7: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG SWAPGS RDTSCP ...
    case 0x02: LAR_LSL(false); return; // LAR Gv,Ew
    case 0x03: LAR_LSL(true); return; // LSL Gv,Ew
    case 0x04: raiseUD(); return;
    case 0x05: SYSCALL(); return; // SYSCALL (o64; compat too)
    case 0x06: CLTS(); return; // CLTS
    case 0x07: SYSRET(); return; // SYSRET (o64)
    case 0x08: INVD(); return; // INVD
    case 0x09: INVD(); return; // WBINVD
    case 0x0a: raiseUD(); return;
    case 0x0b: raiseUD(); return; // UD2
    case 0x0c: raiseUD(); return;
    case 0x0d: decodeModrm(); if (!faulted() && modIsReg) raiseUD(); return; // PREFETCH/PREFETCHW Mb (a hint)
    case 0x0e: raiseUD(); return; // FEMMS (3DNow!: not offered)
    case 0x0f: raiseUD(); return; // 3DNow! (not offered)
    case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: case 0x15: case 0x16: case 0x17:
      execSse(b); return; // MOVUPS MOVSS MOVLPS UNPCKLPS MOVHPS ... (SSE)
    case 0x18: NOP_Ev(); return; // Grp16: PREFETCHNTA/T0/T1/T2 (hints)
    case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e:
      NOP_Ev(); return; // reserved-NOP Ev (ENDBR32/64 = F3 0F 1E FB/FA)
    case 0x1f: NOP_Ev(); return; // NOP Ev (multi-byte NOP)
    case 0x20: MOV_RdCd(); return; // MOV Rd,Cd
    case 0x21: MOV_DR(false); return; // MOV Rd,Dd
    case 0x22: MOV_CdRd(); return; // MOV Cd,Rd
    case 0x23: MOV_DR(true); return; // MOV Dd,Rd
    case 0x24: case 0x25: case 0x26: case 0x27: raiseUD(); return;
    case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: case 0x2f:
      execSse(b); return; // MOVAPS CVTPI2PS MOVNTPS CVTTPS2PI CVTPS2PI UCOMISS COMISS (SSE)
    case 0x30: WRMSR(); return; // WRMSR
    case 0x31: RDTSC(); return; // RDTSC
    case 0x32: RDMSR(); return; // RDMSR
    case 0x33: raiseGP(0); return; // RDPMC: no counters offered (CR4.PCE is never set)
    case 0x34: SYSENTER(); return; // SYSENTER
    case 0x35: SYSEXIT(); return; // SYSEXIT
    case 0x36: raiseUD(); return;
    case 0x37: raiseUD(); return; // GETSEC (SMX: not offered)
    case 0x38: raiseUD(); return; // 3-byte map 0F 38: SSSE3 SSE4.1 SSE4.2 MOVBE CRC32 AES SHA ADX INVPCID (not offered)
    case 0x39: raiseUD(); return;
    case 0x3a: raiseUD(); return; // 3-byte map 0F 3A: SSSE3 PALIGNR, SSE4.1 ROUND/BLEND/INSERT/EXTRACT, PCLMULQDQ (not offered)
    case 0x3b: case 0x3c: case 0x3d: case 0x3e: case 0x3f: raiseUD(); return;
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
      CMOVCC(b & 15); return; // CMOVcc Gv,Ev
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
      execSse(b); return; // MOVMSKPS SQRTPS ... MAXPS (SSE/SSE2)
    case 0x60: case 0x61: case 0x62: case 0x63: case 0x64: case 0x65: case 0x66: case 0x67:
    case 0x68: case 0x69: case 0x6a: case 0x6b: case 0x6c: case 0x6d: case 0x6e: case 0x6f:
      execSse(b); return; // PUNPCK* PCMPGT* PACK* MOVD MOVQ MOVDQA (MMX/SSE2)
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
      execSse(b); return; // PSHUF* shifts PCMPEQ* EMMS MOVD MOVQ MOVDQA (MMX/SSE2)
    case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
    case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8c: case 0x8d: case 0x8e: case 0x8f:
      JCC_Jz(b & 15); return; // Jcc Jz (f64)
    case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    case 0x98: case 0x99: case 0x9a: case 0x9b: case 0x9c: case 0x9d: case 0x9e: case 0x9f:
      SETCC(b & 15); return; // SETcc Eb
    case 0xa0: PUSH_seg(FS); return; // PUSH FS (d64)
    case 0xa1: POP_seg(FS); return; // POP FS (d64)
    case 0xa2: CPUID(); return; // CPUID
    case 0xa3: BTx_EvGv(BT_BT); return; // BT Ev,Gv
    case 0xa4: SHxD(false, false); return; // SHLD Ev,Gv,Ib
    case 0xa5: SHxD(false, true); return; // SHLD Ev,Gv,CL
    case 0xa6: case 0xa7: raiseUD(); return;
    case 0xa8: PUSH_seg(GS); return; // PUSH GS (d64)
    case 0xa9: POP_seg(GS); return; // POP GS (d64)
    case 0xaa: raiseUD(); return; // RSM (outside SMM)
    case 0xab: BTx_EvGv(BT_BTS); return; // BTS Ev,Gv
    case 0xac: SHxD(true, false); return; // SHRD Ev,Gv,Ib
    case 0xad: SHxD(true, true); return; // SHRD Ev,Gv,CL
    case 0xae: GRP15(); return; // Grp15: FXSAVE FXRSTOR LDMXCSR STMXCSR fences CLFLUSH
    case 0xaf: IMUL_GvEv(); return; // IMUL Gv,Ev
    case 0xb0: CMPXCHG(1); return; // CMPXCHG Eb,Gb
    case 0xb1: CMPXCHG(opSize); return; // CMPXCHG Ev,Gv
    case 0xb2: LxS_Mp(SS); return; // LSS Gv,Mp
    case 0xb3: BTx_EvGv(BT_BTR); return; // BTR Ev,Gv
    case 0xb4: LxS_Mp(FS); return; // LFS Gv,Mp
    case 0xb5: LxS_Mp(GS); return; // LGS Gv,Mp
    case 0xb6: MOVZX(1); return; // MOVZX Gv,Eb
    case 0xb7: MOVZX(2); return; // MOVZX Gv,Ew
    case 0xb8: if (repPfx == 0xf3) POPCNT_GvEv(); else raiseUD(); return; // POPCNT Gv,Ev (F3) / JMPE
    case 0xb9: UD01(); return; // UD1 Gv,Ev
    case 0xba: GRP8_EvIb(); return; // Grp8: BT BTS BTR BTC Ev,Ib
    case 0xbb: BTx_EvGv(BT_BTC); return; // BTC Ev,Gv
    case 0xbc: BSF_GvEv(repPfx == 0xf3); return; // BSF Gv,Ev / TZCNT (F3)
    case 0xbd: BSR_GvEv(repPfx == 0xf3); return; // BSR Gv,Ev / LZCNT (F3)
    case 0xbe: MOVSX(1); return; // MOVSX Gv,Eb
    case 0xbf: MOVSX(2); return; // MOVSX Gv,Ew
    case 0xc0: XADD(1); return; // XADD Eb,Gb
    case 0xc1: XADD(opSize); return; // XADD Ev,Gv
    case 0xc2: execSse(b); return; // CMPPS (SSE)
    case 0xc3: MOVNTI(); return; // MOVNTI My,Gy
    case 0xc4: case 0xc5: case 0xc6: execSse(b); return; // PINSRW PEXTRW SHUFPS (SSE)
    case 0xc7: GRP9(); return; // Grp9: CMPXCHG8B/16B, RDRAND, RDSEED
    case 0xc8: case 0xc9: case 0xca: case 0xcb: case 0xcc: case 0xcd: case 0xce: case 0xcf:
      BSWAP(<i32>((b & 7) | ((rex & 1) << 3))); return; // BSWAP Zv
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: case 0xd4: case 0xd5: case 0xd6: case 0xd7:
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
      execSse(b); return; // PSRL* PADDQ PMULLW MOVQ PMOVMSKB PSUBUS* PMINUB PAND ... (MMX/SSE2)
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe4: case 0xe5: case 0xe6: case 0xe7:
    case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee: case 0xef:
      execSse(b); return; // PAVG* PSRA* PMULH* CVT MOVNTDQ PSUBS* PMINSW POR PADDS* PMAXSW PXOR
    case 0xf0: case 0xf1: case 0xf2: case 0xf3: case 0xf4: case 0xf5: case 0xf6: case 0xf7:
    case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd: case 0xfe:
      execSse(b); return; // LDDQU PSLL* PMULUDQ PMADDWD PSADBW MASKMOV PSUB* PADD* (MMX/SSE2)
    case 0xff: UD01(); return; // UD0 Gv,Ev (AMD: no ModRM)
    default: unimplemented(2); return;
  }
}

/** Group 9 (0F C7): /1 CMPXCHG8B/16B; /6 RDRAND and /7 RDSEED/RDPID are not offered (#UD). */
function GRP9(): void {
  decodeModrm();
  if (faulted()) return;
  const d = modDigit();
  if (lockPfx && (d != 1 || modIsReg)) { raiseDecodedUD(); return; }
  if (d == 1) { CMPXCHG8B16B(); return; }
  raiseUD();
}

/** UD0 / UD1: #UD. Intel decodes their ModRM first (its bytes count towards the 15-byte limit and
 *  may fault); the reference CPU (AMD) raises #UD at the opcode, even past 15 bytes. */
function UD01(): void {
  if (!VENDOR_AMD) { decodeModrm(); if (faulted()) return; }
  raiseUD();
}
