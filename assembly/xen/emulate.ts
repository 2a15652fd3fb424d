// Xen's emulation of what a PV guest kernel may do natively but the CPU refuses at CPL > 0
// (xen-pv-abi.md 3.4, 3.4.1; Xen's pv/emul-priv-op.c and emul-inv-op.c): RDMSR/WRMSR against the
// PV MSR table, MOV to/from CR0/CR2/CR3/CR4, CLTS, WBINVD, IN/OUT (all-ones / dropped for a domU
// without I/O rights), CLI/STI as no-ops when the virtual IOPL allows them, RDTSC, and the
// forced-emulation prefix `ud2; .ascii "xen"; cpuid`. Also #NM with virtual CR0.TS set.
// Invariant: returns true only when the instruction was fully emulated and RIP moved past it.
import {
  CPU_BASE, CPU_CR3, CPU_KERNEL_GS_BASE, PV_VIRTUAL_TS, PV_IOPL, PV_GS_BASE_USER, DOM_BASE, DOM_TRAPS, TRAP_STRIDE,
  MODE_LONG64,
} from '../layout';
import {
  getRip, setRip, getReg64, setReg64, getReg32, setReg32, getCr0, setCr0, getCr4, getEfer, segBase, setSegBase,
  getCpl, getMode, RAX, RCX, RDX, FS, GS, CS, CR0_TS,
} from '../cpu/state';
import { VEC_GP, VEC_UD, VEC_NM, VEC_PF, PFEC_P, PFEC_W, faulted, clearFault } from '../cpu/fault';
import { ptwrEmulate } from './ptwr';
import { read8As } from '../mmu/access';
import { cpuid, readTsc } from '../platform';
import { isPv64 } from './domain';
import { inGuestKernel, pvGet32, pvSet32, pvGet64, pvSet64, loadCr3 } from './vcpu';
import { vcpuInfoHost } from './evtchn';
import { newBaseptr } from './mmuext';

export const MSR_TSC: u32 = 0x10;
export const MSR_APIC_BASE: u32 = 0x1b;
export const MSR_IA32_UCODE_REV: u32 = 0x8b; // microcode revision: Linux writes 0, runs CPUID(1), reads it back
export const MSR_MISC_FEATURES_ENABLES: u32 = 0x140;
export const MSR_MISC_ENABLE: u32 = 0x1a0;
export const MSR_PAT: u32 = 0x277;
export const MSR_EFER: u32 = 0xc0000080;
export const MSR_FS_BASE: u32 = 0xc0000100;
export const MSR_GS_BASE: u32 = 0xc0000101;
export const MSR_SHADOW_GS_BASE: u32 = 0xc0000102;
export const PV_PAT: u64 = 0x0000050100070406; // the fixed PV ABI PAT (WB, WT, UC-, UC, WC, WP, UC, UC)
const MISC_ENABLE_VALUE: u64 = (1 << 0) | (1 << 11) | (1 << 12); // fast strings; BTS, PEBS unavailable

let insnLen: u32 = 0;
let fetchOk: bool = true;

function fetch(i: u32): u32 {
  const b = read8As(getRip() + i, getCpl() == 3);
  if (faulted()) { clearFault(); fetchOk = false; return 0; }
  return b;
}

/** Emulates the instruction behind a fault when Xen would; true when handled. */
export function emulateFault(vec: u32, err: u32, cr2: u64): bool {
  // Writable page tables: a kernel store to a read-only mapped L1 table (xen/ptwr.ts).
  if (vec == VEC_PF && (err & (PFEC_P | PFEC_W)) == (PFEC_P | PFEC_W) && inGuestKernel() && ptwrEmulate(err, cr2)) return true;
  if (vec == VEC_NM) {
    // #NM with the virtual TS set: Xen clears TS, then delivers #NM to the guest (not handled here).
    if (pvGet32(PV_VIRTUAL_TS) != 0) { pvSet32(PV_VIRTUAL_TS, 0); setCr0(getCr0() & ~CR0_TS); }
    return false;
  }
  if (vec == VEC_UD) return emulateInvalidOp();
  if (vec == VEC_GP && err == 0 && inGuestKernel()) return emulatePrivOp();
  if (vec == VEC_GP && err == 0) return emulateUserOp();
  return false;
}

/** `ud2; .ascii "xen"; cpuid` (0F 0B 78 65 6E 0F A2): CPUID with the domain policy, RIP += 7. */
function emulateInvalidOp(): bool {
  fetchOk = true;
  const sig: u64[] = [0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2];
  for (let i = 0; i < 7; i++) if (<u64>fetch(<u32>i) != sig[i] || !fetchOk) return false;
  cpuid(getReg32(RAX), getReg32(RCX));
  setRip(getRip() + 7);
  return true;
}

/** What user mode may still have emulated: RDTSC never traps here; nothing else. */
function emulateUserOp(): bool { return false; }

function emulatePrivOp(): bool {
  fetchOk = true;
  let i: u32 = 0;
  let rex: u32 = 0;
  let b = fetch(0);
  // Prefixes: operand size, segment overrides, REX (64-bit mode) are accepted and mostly irrelevant.
  while (fetchOk && i < 14 && (b == 0x66 || b == 0x67 || b == 0x2e || b == 0x3e || b == 0x26 || b == 0x36 || b == 0x64 || b == 0x65 || b == 0xf3 ||
         (getMode() == MODE_LONG64 && (b & 0xf0) == 0x40))) {
    if ((b & 0xf0) == 0x40) rex = b;
    i++;
    b = fetch(i);
  }
  if (!fetchOk) return false;
  const iopl = pvGet32(PV_IOPL);
  switch (b) {
    case 0xfa: case 0xfb: // CLI, STI: no-ops when the virtual IOPL admits the kernel (ring 1)
      if (iopl < 1) return false;
      return done(i + 1);
    case 0xe4: case 0xe5: case 0xec: case 0xed: // IN: no device behind any port for a domU
      if (iopl < 1) return false;
      if (b == 0xe4 || b == 0xec) setReg64(RAX, (getReg64(RAX) & ~(<u64>0xff)) | 0xff);
      else setReg32(RAX, 0xffffffff);
      return done(i + (b < 0xe8 ? 2 : 1));
    case 0xe6: case 0xe7: case 0xee: case 0xef: // OUT: dropped
      if (iopl < 1) return false;
      return done(i + (b < 0xe8 ? 2 : 1));
    case 0x0f: break;
    default: return false;
  }
  const op = fetch(i + 1);
  if (!fetchOk) return false;
  switch (op) {
    case 0x06: // CLTS
      pvSet32(PV_VIRTUAL_TS, 0); setCr0(getCr0() & ~CR0_TS);
      return done(i + 2);
    case 0x08: case 0x09: return done(i + 2); // INVD, WBINVD: no-ops for a domU
    case 0x30: return wrmsr() && done(i + 2);
    case 0x32: return rdmsr() && done(i + 2);
    case 0x31: { const t = readTsc(); setReg32(RAX, <u32>t); setReg32(RDX, <u32>(t >> 32)); return done(i + 2); }
    case 0x20: case 0x22: { // MOV r, CRn / MOV CRn, r (ModRM with mod = 11)
      const modrm = fetch(i + 2);
      if (!fetchOk || (modrm & 0xc0) != 0xc0) return false;
      const cr = ((modrm >> 3) & 7) | ((rex & 4) << 1);
      const reg = <i32>((modrm & 7) | ((rex & 1) << 3));
      if (op == 0x20) { const v = readCr(cr); if (v < 0) return false; setReg64(reg, isPv64() ? <u64>v : <u64>(<u32>v)); }
      else if (!writeCr(cr, isPv64() ? getReg64(reg) : <u64>getReg32(reg))) return false;
      return done(i + 3);
    }
    default: return false;
  }
}

function done(len: u32): bool {
  insnLen = len;
  setRip(getRip() + len);
  return true;
}

function readCr(cr: u32): i64 {
  switch (cr) {
    case 0: return <i64>getCr0();
    case 2: return <i64>(isPv64() ? load<u64>(vcpuCr2Host()) : <u64>load<u32>(vcpuCr2Host()));
    case 3: {
      const ma = load<u64>(CPU_BASE + CPU_CR3);
      if (isPv64()) return <i64>ma;
      const mfn = ma >> 12;
      return <i64>(((mfn << 12) | (mfn >> 20)) & 0xffffffff); // xen_pfn_to_cr3 for PAE guests
    }
    case 4: return <i64>getCr4();
    default: return -1;
  }
}

function vcpuCr2Host(): u32 { return vcpuInfoHost() + (isPv64() ? 16 : 8); }

function writeCr(cr: u32, v: u64): bool {
  switch (cr) {
    case 0: { // only TS may change (= fpu_taskswitch)
      const ts = (v & CR0_TS) != 0;
      pvSet32(PV_VIRTUAL_TS, ts ? 1 : 0);
      setCr0(ts ? getCr0() | CR0_TS : getCr0() & ~CR0_TS);
      return true;
    }
    case 3: {
      // = MMUEXT_NEW_BASEPTR with the frame from the value (PV32: folded xen_cr3_to_pfn format).
      // Validated like the hypercall: an unusable frame makes the MOV fault (#GP), as on Xen.
      const mfn = isPv64() ? v >> 12 : ((v >> 12) | ((v & 0xfff) << 20)) & 0xffffffff;
      return newBaseptr(mfn) == 0;
    }
    case 4: return true; // accepted; PV guests cannot change the real CR4
    default: return false;
  }
}

function noGpHandler(): bool { return load<u64>(DOM_BASE + DOM_TRAPS + VEC_GP * TRAP_STRIDE, 8) == 0; }

function rdmsr(): bool {
  const msr = getReg32(RCX);
  let v: u64;
  switch (msr) {
    case MSR_TSC: v = readTsc(); break;
    case MSR_APIC_BASE: v = 0xfee00000 | (1 << 11) | (1 << 8); break;
    case MSR_IA32_UCODE_REV: v = 0; break;
    case MSR_MISC_FEATURES_ENABLES: v = 0; break;
    case MSR_MISC_ENABLE: v = MISC_ENABLE_VALUE; break;
    case MSR_PAT: v = PV_PAT; break;
    case MSR_EFER: v = getEfer(); break;
    case MSR_FS_BASE: if (!isPv64()) return false; v = segBase(FS); break;
    case MSR_GS_BASE: if (!isPv64()) return false; v = segBase(GS); break;
    case MSR_SHADOW_GS_BASE: if (!isPv64()) return false; v = pvGet64(PV_GS_BASE_USER); break;
    default:
      if (!noGpHandler()) return false; // unknown MSR: #GP to the guest...
      v = 0; // ...except before a #GP handler exists, when Xen reads it as 0
  }
  setReg32(RAX, <u32>v);
  setReg32(RDX, <u32>(v >> 32));
  return true;
}

function isCanonical(v: u64): bool { return (<i64>(v << 16) >> 16) == <i64>v; }

function wrmsr(): bool {
  const msr = getReg32(RCX);
  const v = (<u64>getReg32(RDX) << 32) | <u64>getReg32(RAX);
  switch (msr) {
    case MSR_FS_BASE: if (!isPv64() || !isCanonical(v)) return false; setSegBase(FS, v); return true;
    case MSR_GS_BASE: if (!isPv64() || !isCanonical(v)) return false; setSegBase(GS, v); return true;
    case MSR_SHADOW_GS_BASE: if (!isPv64() || !isCanonical(v)) return false; pvSet64(PV_GS_BASE_USER, v); return true;
    case MSR_EFER: return v == getEfer();
    case MSR_IA32_UCODE_REV: return v == 0;
    case MSR_PAT: return v == PV_PAT;
    case MSR_MISC_ENABLE: return v == MISC_ENABLE_VALUE;
    case MSR_MISC_FEATURES_ENABLES: return v == 0;
    default: return false;
  }
}
