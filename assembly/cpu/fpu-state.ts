// SSE and x87 state in group 15 (0F AE): LDMXCSR STMXCSR FXSAVE FXRSTOR, the fences and CLFLUSH (the
// x87 escapes D8..DF themselves are cpu/x87.ts). Intel SDM vol. 1, 8.1 and
// 10.5.1 (FXSAVE area, table 10-2); vol. 3, 2.5 and 13.1 for the #NM (CR0.TS/EM) and #UD
// (CR4.OSFXSR) rules. The state lives at CPU_FPU_* / CPU_ST / CPU_XMM / CPU_MXCSR; the status word
// is stored without TOP, which lives in CPU_FPU_TOP. FIP/FDP/FOP are not tracked (saved as 0).
import {
  CPU_BASE, CPU_XMM, CPU_MXCSR, CPU_FPU_CW, CPU_FPU_SW, CPU_FPU_TW, CPU_FPU_TOP, CPU_ST,
} from '../layout';
import { raiseGP, raiseUD, raiseFault, faulted, VEC_NM } from './fault';
import { getCr0, getCr4, CR0_EM, CR0_TS, CR4_OSFXSR } from './state';
import { mode64, pfx66, repPfx } from './decode';
import {
  decodeModrm, modIsReg, modDigit, eaSeg, eaStackBase, eaOffset, readE, writeE, segLinear, readMem, writeMem,
  SEG_READ, SEG_WRITE,
} from './modrm';
import { probeWrite, translate, ACC_READ } from '../mmu/access';
import { MXCSR_MASK } from './features';

const P_CW: u32 = CPU_BASE + CPU_FPU_CW;
const P_SW: u32 = CPU_BASE + CPU_FPU_SW;
const P_TW: u32 = CPU_BASE + CPU_FPU_TW;
const P_TOP: u32 = CPU_BASE + CPU_FPU_TOP;
const P_MXCSR: u32 = CPU_BASE + CPU_MXCSR;

/** The x87 status word with TOP in bits 11..13. */
@inline function statusWord(): u32 {
  return (<u32>load<u16>(P_SW) & ~(<u32>0x3800)) | ((load<u32>(P_TOP) & 7) << 11);
}

/** SSE state instructions: #UD without CR4.OSFXSR or with CR0.EM; #NM with CR0.TS. */
export function sseAvailable(): bool {
  if ((getCr4() & CR4_OSFXSR) == 0 || (getCr0() & CR0_EM) != 0) { raiseUD(); return false; }
  if ((getCr0() & CR0_TS) != 0) { raiseFault(VEC_NM, 0, false); return false; }
  return true;
}

// ---- SSE state ----
/** LDMXCSR m32: #GP(0) if a bit outside MXCSR_MASK is set. */
function LDMXCSR(): void {
  const v = readE(4, false);
  if (faulted()) return;
  if ((<u32>v & ~MXCSR_MASK) != 0) { raiseGP(0); return; }
  store<u32>(P_MXCSR, <u32>v);
}
function STMXCSR(): void {
  writeE(<u64>load<u32>(P_MXCSR), 4);
}

/** Linear address of the 512-byte FXSAVE area, 16-byte aligned (#GP(0) otherwise), or 0 with a fault. */
function fxArea(write: bool): u64 {
  const off = eaOffset();
  const lin = segLinear(eaSeg, off, 512, write ? SEG_WRITE : SEG_READ, eaStackBase);
  if (faulted()) return 0;
  if ((lin & 15) != 0) { raiseGP(0); return 0; }
  if (write) { if (!probeWrite(lin, 512)) return 0; }
  else {
    translate(lin, ACC_READ);
    if (faulted()) return 0;
    translate(lin + 511, ACC_READ);
    if (faulted()) return 0;
  }
  return lin;
}

/** FXSAVE / FXSAVE64 m512 (table 10-2). XMM8-15 only in 64-bit mode. */
function FXSAVE(): void {
  const lin = fxArea(true);
  if (faulted()) return;
  const base = CPU_BASE;
  writeMem(lin + 0, <u64>load<u16>(P_CW), 2);
  writeMem(lin + 2, <u64>statusWord(), 2);
  writeMem(lin + 4, <u64>(load<u16>(P_TW) & 0xff), 2); // abridged tag byte, reserved byte 5 = 0
  writeMem(lin + 6, 0, 2); // FOP
  writeMem(lin + 8, 0, 8); // FIP (64-bit format) or FIP/FCS (32-bit format)
  writeMem(lin + 16, 0, 8); // FDP or FDP/FDS
  writeMem(lin + 24, <u64>load<u32>(P_MXCSR), 4);
  writeMem(lin + 28, <u64>MXCSR_MASK, 4);
  for (let i: u32 = 0; i < 8; i++) {
    const src = base + CPU_ST + i * 16;
    writeMem(lin + 32 + i * 16, load<u64>(src), 8);
    writeMem(lin + 40 + i * 16, <u64>load<u16>(src + 8), 8); // 10 bytes of register, 6 reserved bytes zero
  }
  const n: u32 = mode64 ? 16 : 8;
  for (let i: u32 = 0; i < n; i++) {
    const src = base + CPU_XMM + i * 16;
    writeMem(lin + 160 + i * 16, load<u64>(src), 8);
    writeMem(lin + 168 + i * 16, load<u64>(src + 8), 8);
  }
}

/** FXRSTOR / FXRSTOR64 m512: #GP(0) when the saved MXCSR has reserved bits set. */
function FXRSTOR(): void {
  const lin = fxArea(false);
  if (faulted()) return;
  const mx = <u32>readMem(lin + 24, 4);
  if (faulted()) return;
  if ((mx & ~MXCSR_MASK) != 0) { raiseGP(0); return; }
  const base = CPU_BASE;
  store<u16>(P_CW, <u16>readMem(lin, 2));
  const sw = <u32>readMem(lin + 2, 2);
  store<u16>(P_SW, <u16>(sw & ~(<u32>0x3800)));
  store<u32>(P_TOP, (sw >> 11) & 7);
  store<u16>(P_TW, <u16>(readMem(lin + 4, 1) & 0xff));
  store<u32>(P_MXCSR, mx);
  for (let i: u32 = 0; i < 8; i++) {
    const dst = base + CPU_ST + i * 16;
    store<u64>(dst, readMem(lin + 32 + i * 16, 8));
    store<u64>(dst + 8, readMem(lin + 40 + i * 16, 2));
  }
  const n: u32 = mode64 ? 16 : 8;
  for (let i: u32 = 0; i < n; i++) {
    const dst = base + CPU_XMM + i * 16;
    store<u64>(dst, readMem(lin + 160 + i * 16, 8));
    store<u64>(dst + 8, readMem(lin + 168 + i * 16, 8));
  }
}

/** Group 15 (0F AE). */
export function GRP15(): void {
  decodeModrm();
  if (faulted()) return;
  const d = modDigit();
  if (modIsReg) {
    // F3: RDFSBASE & co. (FSGSBASE), 66: TPAUSE/UMONITOR (WAITPKG): not offered.
    if (repPfx != 0 || pfx66) { raiseUD(); return; }
    if (d == 5 || d == 6 || d == 7) return; // LFENCE MFENCE SFENCE: memory is always ordered here
    raiseUD();
    return;
  }
  // With a 66/F2/F3 prefix the memory forms are other instructions (CLWB, PTWRITE, ...): only
  // 66 /7 CLFLUSHOPT exists here.
  if ((repPfx != 0 || pfx66) && !(d == 7 && pfx66 && repPfx == 0)) { raiseUD(); return; }
  switch (d) {
    case 0: // FXSAVE
      if ((getCr0() & CR0_EM) != 0) { raiseUD(); return; }
      if ((getCr0() & CR0_TS) != 0) { raiseFault(VEC_NM, 0, false); return; }
      FXSAVE();
      return;
    case 1: // FXRSTOR
      if ((getCr0() & CR0_EM) != 0) { raiseUD(); return; }
      if ((getCr0() & CR0_TS) != 0) { raiseFault(VEC_NM, 0, false); return; }
      FXRSTOR();
      return;
    case 2: if (!sseAvailable()) return; LDMXCSR(); return;
    case 3: if (!sseAvailable()) return; STMXCSR(); return;
    case 7: { // CLFLUSH / CLFLUSHOPT (66): checks the access like a byte read, then nothing
      const lin = segLinear(eaSeg, eaOffset(), 1, SEG_READ, eaStackBase);
      if (faulted()) return;
      translate(lin, ACC_READ);
      return;
    }
    default: raiseUD(); return; // XSAVE XRSTOR XSAVEOPT CLWB: XSAVE is not offered
  }
}

