// The CPUID policy a PV guest sees (xen-pv-abi.md 3.4.2): a small, honest feature set (no AVX, XSAVE,
// PCID, MTRR; BMI1, LZCNT, POPCNT, RDTSCP exactly as cpu/features.ts says they are implemented). x87, MMX, SSE and SSE2 are architectural in long mode and a 64-bit kernel refuses
// to boot without them, so they are advertised; forms the interpreter does not implement yet end the
// domain with "unimplemented opcode ..." naming them (docs/instructions.md tracks coverage).
// Leaves: 0, 1, 7, 0xd (zeros), the Xen leaves 0x40000000-5, 0x80000000-8. Others read as zero.
import { RAX, RBX, RCX, RDX, setReg32 } from '../cpu/state';
import { XEN_MAJOR, XEN_MINOR } from './version';
import { FEATURE_BMI1, FEATURE_LZCNT_TZCNT, FEATURE_RDTSCP, FEATURE_POPCNT, FEATURE_CX16 } from '../cpu/features';

/** x87, MMX, SSE, SSE2 (see the header). */
export const FEATURE_FP_ARITH: bool = true;

function out(a: u32, b: u32, c: u32, d: u32): void {
  setReg32(RAX, a); setReg32(RBX, b); setReg32(RCX, c); setReg32(RDX, d);
}

export function xenCpuid(leaf: u32, sub: u32): void {
  switch (leaf) {
    case 0: out(0xd, 0x756e6547, 0x6c65746e, 0x49656e69); return; // "GenuineIntel"
    case 1: {
      // EDX: TSC(4) MSR(5) PAE(6) CX8(8) CMOV(15) CLFSH(19) FXSR(24) [+FPU(0) MMX(23) SSE(25) SSE2(26)].
      let edx: u32 = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 15) | (1 << 19) | (1 << 24);
      if (FEATURE_FP_ARITH) edx |= 1 | (1 << 23) | (1 << 25) | (1 << 26);
      // ECX: CX16(13) POPCNT(23) HYPERVISOR(31).
      let ecx: u32 = 1 << 31;
      if (FEATURE_CX16) ecx |= 1 << 13;
      if (FEATURE_POPCNT) ecx |= 1 << 23;
      // EAX: family 6 model 0x3a stepping 9 style signature; EBX: CLFLUSH line 8 x 8 bytes, 1 logical CPU.
      out(0x000306a9, 0x00010800, ecx, edx);
      return;
    }
    case 7: out(0, sub == 0 && FEATURE_BMI1 ? 1 << 3 : 0, 0, 0); return; // EBX bit 3: BMI1
    case 0x40000000: out(0x40000005, 0x566e6558, 0x65584d4d, 0x4d4d566e); return; // "XenVMMXenVMM"
    case 0x40000001: out((XEN_MAJOR << 16) | XEN_MINOR, 0, 0, 0); return;
    case 0x40000002: out(1, 0x40000000, 1, 0); return; // 1 hypercall page; ECX bit0 PT update preserve A/D
    case 0x40000003: out(sub == 0 ? 0 : 0, 0, sub == 0 ? 1000000 : 0, 0); return; // TSC at 1 GHz (kHz in ECX)
    case 0x40000004: out(0, 0, 0, 0); return;
    case 0x40000005: out(0, 40, 0, 0); return; // EBX[7:0]: machine address width
    case 0x80000000: out(0x80000008, 0, 0, 0); return;
    case 0x80000001: {
      // ECX: LAHF_LM(0) ABM/LZCNT(5); EDX: SYSCALL(11) NX(20) RDTSCP(27) LM(29).
      const ecx: u32 = 1 | (FEATURE_LZCNT_TZCNT ? 1 << 5 : 0);
      const edx: u32 = (1 << 11) | (1 << 20) | (1 << 29) | (FEATURE_RDTSCP ? 1 << 27 : 0);
      out(0, 0, ecx, edx);
      return;
    }
    case 0x80000008: out(0x3028, 0, 0, 0); return; // 40-bit physical, 48-bit linear
    default: out(0, 0, 0, 0); return;
  }
}
