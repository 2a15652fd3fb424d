// System instructions (Intel SDM vol. 2 and vol. 3 chapters 2, 5.9, 6, 17; AMD APM vol. 2 for
// SYSCALL/SYSRET). Software interrupts, SYSCALL and SYSENTER go to the platform hooks
// (platform.ts), which decide what the "IDT" does. Privileged instructions raise #GP(0) at CPL > 0
// (that is how Xen gets to emulate them) and are implemented for CPL 0. CLI/STI and IN/OUT follow
// the IOPL rule. The MSRs without a slot in layout.ts (STAR, LSTAR, SYSENTER_*, TSC_AUX, PAT, DRn,
// CR8) are module globals here until the layout gives them one.
import {
  EXIT_BLOCKED, CPU_BASE, CPU_GDTR_BASE, CPU_GDTR_LIMIT, CPU_IDTR_BASE, CPU_IDTR_LIMIT, CPU_CR0, CPU_CR3, CPU_EFER,
  CPU_CPL, CPU_RFLAGS, CPU_SEG, SEG_STRIDE, CPU_KERNEL_GS_BASE,
} from '../layout';
import { raiseGP, raiseUD, faulted } from './fault';
import {
  getReg64, setReg64, getReg32, setReg32, getCpl, getCr0, setCr0, getCr3, getCr4, setCr4, getEfer, setEfer, setCr2, getCr2,
  segBase, setSegBase, setSegCache, setRip, RAX, RCX, RDX, CS, SS, GS, LDTR, TR,
  CR0_PE, CR0_TS, CR0_WP, CR0_PG, CR0_ET, CR4_PAE, CR4_PGE, CR4_PSE, EFER_LME, EFER_LMA, EFER_SCE, EFER_NXE,
  FLAG_IF, FLAG_IOPL, FLAG_AC, FLAG_RF, FLAG_VM, FLAG_FIXED1,
} from './state';
import {
  opSize, rex, lockPfx, mode64, ipStart, ipNow, fetch8, markRipWritten,
} from './decode';
import {
  decodeModrm, modIsReg, modRm, modDigit, eaSeg, eaOffset, readE, writeE, readEAt, writeEAt,
  getRegN,
} from './modrm';
import { getFlags, setFlags, setFlagBits, rawFlags, getCF, getOF } from './flags';
import {
  softwareInterrupt, syscallInstruction, sysenterInstruction, cpuid, readTsc,
  SOFTINT_INTN, SOFTINT_INT3, SOFTINT_INTO, SOFTINT_INT1,
} from '../platform';
import { requestStop } from '../exit';
import { tlbInvalidatePage } from '../mmu/tlb';
import { shadowSwitch, translationsReset } from '../mmu/shadow';
import { refreshMode, translationsChanged } from './interp';
import { VERx, STORE_SYSSEG, LOAD_SYSSEG } from './segments';
import { FEATURE_SMAP, FEATURE_RDTSCP } from './features';
import { profiling } from '../debug/profile';
import { transOn } from '../debug/transitions';

export const CR4_TSD: u64 = 1 << 2;
export const CR4_DE: u64 = 1 << 3;
export const CR4_UMIP: u64 = 1 << 11;
/** CR4 bits a CPL-0 MOV may set: VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT UMIP. */
const CR4_WRITABLE: u64 = 0xfff;

// ---- MSRs and registers without a layout slot ----
export const MSR_TSC: u32 = 0x10;
export const MSR_APIC_BASE: u32 = 0x1b;
export const MSR_SYSENTER_CS: u32 = 0x174;
export const MSR_SYSENTER_ESP: u32 = 0x175;
export const MSR_SYSENTER_EIP: u32 = 0x176;
export const MSR_PAT: u32 = 0x277;
export const MSR_EFER: u32 = 0xc0000080;
export const MSR_STAR: u32 = 0xc0000081;
export const MSR_LSTAR: u32 = 0xc0000082;
export const MSR_CSTAR: u32 = 0xc0000083;
export const MSR_SFMASK: u32 = 0xc0000084;
export const MSR_FS_BASE: u32 = 0xc0000100;
export const MSR_GS_BASE: u32 = 0xc0000101;
export const MSR_KERNEL_GS_BASE: u32 = 0xc0000102;
export const MSR_TSC_AUX: u32 = 0xc0000103;

let msrStar: u64 = 0;
let msrLstar: u64 = 0;
let msrCstar: u64 = 0;
let msrSfmask: u64 = 0;
let msrSysenterCs: u64 = 0;
let msrSysenterEsp: u64 = 0;
let msrSysenterEip: u64 = 0;
let msrTscAux: u64 = 0;
let msrPat: u64 = 0x0007040600070406;
let cr8: u64 = 0;
let dr0: u64 = 0, dr1: u64 = 0, dr2: u64 = 0, dr3: u64 = 0;
let dr6: u64 = 0xffff0ff0;
let dr7: u64 = 0x400;

@inline function canonical(v: u64): bool { return ((v + 0x800000000000) >> 48) == 0; }
/** #GP(0) unless CPL is 0; returns true when the caller may go on. */
@inline function cpl0(): bool {
  if (getCpl() != 0) { raiseGP(0); return false; }
  return true;
}
@inline function iopl(): u32 { return (<u32>rawFlags() & FLAG_IOPL) >> 12; }

// ---- Software interrupts and fast system calls: platform hooks ----
// A hook may leave the CPU in another mode (a bounce into the guest kernel), so refreshMode() follows
// it; but most hooks are hypercalls that return where they were made, where a refresh would only drop
// the fetch page (for the next instruction to refill). So the hook is bracketed by a snapshot of what
// refreshMode() reads: the CS and SS caches, CR0, EFER, CPL and mode, RFLAGS.AC; when none of it
// changed, the refresh would recompute the same values and is skipped. While the profiler or the
// transitions ring records, it always runs (its mode notes are theirs).
const CS_CACHE: u32 = CPU_BASE + CPU_SEG + <u32>CS * SEG_STRIDE;
const SS_CACHE: u32 = CPU_BASE + CPU_SEG + <u32>SS * SEG_STRIDE;
let snapCs: u64 = 0, snapCsBase: u64 = 0, snapSs: u64 = 0, snapCr0: u64 = 0, snapEfer: u64 = 0, snapCplMode: u64 = 0;
let snapAc: u32 = 0;

@inline function snapshotMode(): void {
  snapCs = load<u64>(CS_CACHE); // selector, attributes, limit
  snapCsBase = load<u64>(CS_CACHE, 8);
  snapSs = load<u64>(SS_CACHE);
  snapCr0 = load<u64>(CPU_BASE + CPU_CR0);
  snapEfer = load<u64>(CPU_BASE + CPU_EFER);
  snapCplMode = load<u64>(CPU_BASE + CPU_CPL); // CPU_CPL and CPU_MODE, adjacent u32s
  snapAc = load<u32>(CPU_BASE + CPU_RFLAGS) & FLAG_AC;
}

/** After a hook: refreshMode() unless it faulted or left every input of refreshMode() unchanged. */
function refreshAfterHook(): void {
  if (faulted()) return;
  if (!profiling() && !transOn && load<u64>(CS_CACHE) == snapCs && load<u64>(CS_CACHE, 8) == snapCsBase &&
      load<u64>(SS_CACHE) == snapSs && load<u64>(CPU_BASE + CPU_CR0) == snapCr0 &&
      load<u64>(CPU_BASE + CPU_EFER) == snapEfer && load<u64>(CPU_BASE + CPU_CPL) == snapCplMode &&
      (load<u32>(CPU_BASE + CPU_RFLAGS) & FLAG_AC) == snapAc) return;
  refreshMode();
}

function softInt(vector: u32, kind: u32): void {
  const next = ipNow();
  setRip(ipStart);
  markRipWritten();
  snapshotMode();
  softwareInterrupt(vector, next, kind);
  refreshAfterHook();
}
/** INT Ib (CD). */
export function INT_Ib(): void {
  const v = fetch8();
  if (faulted()) return;
  softInt(v, SOFTINT_INTN);
}
/** INT3 (CC). */
export function INT3(): void { softInt(3, SOFTINT_INT3); }
/** INTO (CE): a trap to vector 4 only when OF = 1 (the dispatcher rejects it in 64-bit mode). */
export function INTO(): void { if (getOF()) softInt(4, SOFTINT_INTO); }
/** INT1 / ICEBP (F1). */
export function INT1(): void { softInt(1, SOFTINT_INT1); }

/** SYSCALL (0F 05): #UD outside long mode or with EFER.SCE clear. */
export function SYSCALL(): void {
  if ((getEfer() & EFER_LMA) == 0 || (getEfer() & EFER_SCE) == 0) { raiseUD(); return; }
  const next = ipNow();
  setRip(ipStart);
  markRipWritten();
  snapshotMode();
  syscallInstruction(next);
  refreshAfterHook();
}
/** SYSENTER (0F 34). */
export function SYSENTER(): void {
  const next = ipNow();
  setRip(ipStart);
  markRipWritten();
  snapshotMode();
  sysenterInstruction(next);
  refreshAfterHook();
}

/** Loads a flat segment cache as SYSRET/SYSEXIT do (fixed attributes, base 0, limit 4G). */
function flatSeg(seg: i32, sel: u32, code: bool, long: bool): void {
  let attr: u32 = 0x80 | 0x10 | (3 << 5) | 0x1 | 0x2 | 0x8000; // P S DPL3 accessed RW G
  if (code) attr |= 0x8 | (long ? 0x2000 : 0x4000);
  else attr |= 0x4000;
  setSegCache(seg, sel, attr, 0xffffffff, 0);
}

/** SYSRET (0F 07) at CPL 0 (AMD APM vol. 2, 6.1.1): return to CPL 3 per STAR. */
export function SYSRET(): void {
  if ((getEfer() & EFER_LMA) == 0 || (getEfer() & EFER_SCE) == 0) { raiseUD(); return; }
  if (!cpl0()) return;
  const base = <u32>(msrStar >> 48) & 0xffff;
  const to64 = (rex & 8) != 0;
  const rip = to64 ? getReg64(RCX) : <u64>getReg32(RCX);
  if (to64 && !canonical(rip)) { raiseGP(0); return; }
  flatSeg(CS, to64 ? (base + 16) | 3 : base | 3, true, to64);
  flatSeg(SS, (base + 8) | 3, false, false);
  setFlags((getReg64(11) & 0x3c7fd7) | FLAG_FIXED1);
  refreshMode();
  setRip(rip);
  markRipWritten();
}

/** SYSEXIT (0F 35) at CPL 0: CS/SS from SYSENTER_CS, RIP = rDX, rSP = rCX. */
export function SYSEXIT(): void {
  if ((getCr0() & CR0_PE) == 0) { raiseGP(0); return; }
  if (!cpl0()) return;
  const cs = <u32>msrSysenterCs & 0xfffc;
  if (cs == 0) { raiseGP(0); return; }
  const to64 = (rex & 8) != 0;
  flatSeg(CS, to64 ? (cs + 32) | 3 : (cs + 16) | 3, true, to64);
  flatSeg(SS, to64 ? (cs + 40) | 3 : (cs + 24) | 3, false, false);
  refreshMode();
  if (to64) { setReg64(4, getReg64(RCX)); setRip(getReg64(RDX)); }
  else { setReg32(4, getReg32(RCX)); setRip(<u64>getReg32(RDX)); }
  markRipWritten();
}

// ---- Simple privileged and IOPL-checked instructions ----
/** HLT (F4): at CPL 0 the vCPU blocks until an event (the slice ends with EXIT_BLOCKED). */
export function HLT(): void {
  if (!cpl0()) return;
  requestStop(EXIT_BLOCKED, 0);
}
/** CLI (FA): #GP(0) when CPL > IOPL. */
export function CLI(): void {
  if (getCpl() > iopl()) { raiseGP(0); return; }
  setFlagBits(FLAG_IF, false);
}
/** STI (FB): #GP(0) when CPL > IOPL. (The one-instruction interrupt shadow is not modelled.) */
export function STI(): void {
  if (getCpl() > iopl()) { raiseGP(0); return; }
  setFlagBits(FLAG_IF, true);
}
/** CLTS (0F 06). */
export function CLTS(): void {
  if (!cpl0()) return;
  setCr0(getCr0() & ~CR0_TS);
}
/** INVD (0F 08) / WBINVD (0F 09): no caches to manage. */
export function INVD(): void { cpl0(); }

/** CPUID (0F A2): the platform's policy for leaf EAX, subleaf ECX. */
export function CPUID(): void { cpuid(getReg32(RAX), getReg32(RCX)); }

/** RDTSC (0F 31): #GP(0) when CR4.TSD and CPL > 0. */
export function RDTSC(): void {
  if ((getCr4() & CR4_TSD) != 0 && getCpl() != 0) { raiseGP(0); return; }
  const t = readTsc();
  setReg32(RAX, <u32>t);
  setReg32(RDX, <u32>(t >> 32));
}
function RDTSCP(): void {
  if (!FEATURE_RDTSCP) { raiseUD(); return; }
  RDTSC();
  if (faulted()) return;
  setReg32(RCX, <u32>msrTscAux);
}

// ---- MSRs ----
/** RDMSR (0F 32). */
export function RDMSR(): void {
  if (!cpl0()) return;
  const msr = getReg32(RCX);
  let v: u64 = 0;
  switch (msr) {
    case MSR_TSC: v = readTsc(); break;
    case MSR_APIC_BASE: v = 0xfee00900; break; // enabled, bootstrap processor
    case MSR_SYSENTER_CS: v = msrSysenterCs; break;
    case MSR_SYSENTER_ESP: v = msrSysenterEsp; break;
    case MSR_SYSENTER_EIP: v = msrSysenterEip; break;
    case MSR_PAT: v = msrPat; break;
    case MSR_EFER: v = getEfer(); break;
    case MSR_STAR: v = msrStar; break;
    case MSR_LSTAR: v = msrLstar; break;
    case MSR_CSTAR: v = msrCstar; break;
    case MSR_SFMASK: v = msrSfmask; break;
    case MSR_FS_BASE: v = segBase(4); break;
    case MSR_GS_BASE: v = segBase(GS); break;
    case MSR_KERNEL_GS_BASE: v = load<u64>(CPU_BASE + CPU_KERNEL_GS_BASE); break;
    case MSR_TSC_AUX: v = msrTscAux; break;
    default: raiseGP(0); return;
  }
  setReg32(RAX, <u32>v);
  setReg32(RDX, <u32>(v >> 32));
}

/** WRMSR (0F 30). */
export function WRMSR(): void {
  if (!cpl0()) return;
  const msr = getReg32(RCX);
  const v = (<u64>getReg32(RDX) << 32) | <u64>getReg32(RAX);
  switch (msr) {
    case MSR_TSC: break; // the virtual TSC belongs to the platform: writes are ignored
    case MSR_APIC_BASE: break;
    case MSR_SYSENTER_CS: msrSysenterCs = v & 0xffff; break;
    case MSR_SYSENTER_ESP: if (!canonical(v)) { raiseGP(0); return; } msrSysenterEsp = v; break;
    case MSR_SYSENTER_EIP: if (!canonical(v)) { raiseGP(0); return; } msrSysenterEip = v; break;
    case MSR_PAT: msrPat = v; break;
    case MSR_EFER: {
      const old = getEfer();
      if ((v & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) != 0) { raiseGP(0); return; }
      if ((getCr0() & CR0_PG) != 0 && ((v ^ old) & EFER_LME) != 0) { raiseGP(0); return; }
      setEfer((v & ~EFER_LMA) | (old & EFER_LMA)); // LMA is read-only
      if (((v ^ old) & EFER_NXE) != 0) translationsReset();
      break;
    }
    case MSR_STAR: msrStar = v; break;
    case MSR_LSTAR: if (!canonical(v)) { raiseGP(0); return; } msrLstar = v; break;
    case MSR_CSTAR: if (!canonical(v)) { raiseGP(0); return; } msrCstar = v; break;
    case MSR_SFMASK: msrSfmask = v & 0xffffffff; break;
    case MSR_FS_BASE: if (!canonical(v)) { raiseGP(0); return; } setSegBase(4, v); break;
    case MSR_GS_BASE: if (!canonical(v)) { raiseGP(0); return; } setSegBase(GS, v); break;
    case MSR_KERNEL_GS_BASE: if (!canonical(v)) { raiseGP(0); return; } store<u64>(CPU_BASE + CPU_KERNEL_GS_BASE, v); break;
    case MSR_TSC_AUX: msrTscAux = v & 0xffffffff; break;
    default: raiseGP(0); return;
  }
}

// ---- Control and debug registers (0F 20..23): the ModRM is always a register form ----
let crReg: i32 = 0;
let crRm: i32 = 0;
function decodeCrOperands(): void {
  const m = fetch8();
  crReg = <i32>(((m >> 3) & 7) | ((rex & 4) << 1));
  if (lockPfx) crReg |= 8; // AMD: LOCK MOV CR0 is MOV CR8 (the dispatcher allows LOCK only on 0F 20/22)
  crRm = <i32>((m & 7) | ((rex & 1) << 3));
}

/** CR0 CR2 CR3 CR4 exist, and CR8 in 64-bit mode or through AMD's LOCK encoding; else #UD (before the CPL check). */
function crValid(): bool {
  const n = crReg;
  if (n == 0 || n == 2 || n == 3 || n == 4 || (n == 8 && (mode64 || lockPfx))) return true;
  raiseUD();
  return false;
}

/** MOV Rd, Cd (0F 20). */
export function MOV_RdCd(): void {
  decodeCrOperands();
  if (faulted()) return;
  if (!crValid() || !cpl0()) return;
  let v: u64;
  switch (crReg) {
    case 0: v = getCr0(); break;
    case 2: v = getCr2(); break;
    case 3: v = getCr3(); break;
    case 4: v = getCr4(); break;
    case 8: v = cr8; break;
    default: raiseUD(); return;
  }
  if (mode64) setReg64(crRm, v);
  else setReg32(crRm, <u32>v);
}

/** MOV Cd, Rd (0F 22): CR0/CR3/CR4 changes that affect translation flush the TLB. */
export function MOV_CdRd(): void {
  decodeCrOperands();
  if (faulted()) return;
  if (!crValid() || !cpl0()) return;
  const v = mode64 ? getReg64(crRm) : <u64>getReg32(crRm);
  switch (crReg) {
    case 0: writeCr0(v); return;
    case 2: setCr2(v); return;
    case 3:
      if ((v >> 52) != 0) { raiseGP(0); return; }
      store<u64>(CPU_BASE + CPU_CR3, v);
      shadowSwitch(v);
      translationsChanged();
      return;
    case 4: {
      if ((v & ~CR4_WRITABLE) != 0) { raiseGP(0); return; }
      const old = getCr4();
      if ((getEfer() & EFER_LMA) != 0 && (v & CR4_PAE) == 0) { raiseGP(0); return; }
      setCr4(v);
      if (((v ^ old) & (CR4_PAE | CR4_PGE | CR4_PSE)) != 0) { translationsReset(); translationsChanged(); }
      return;
    }
    case 8:
      if ((v & ~(<u64>15)) != 0) { raiseGP(0); return; }
      cr8 = v;
      return;
    default: raiseUD(); return;
  }
}

/** CR0 write rules (SDM vol. 3, 2.5 and 9.8.5): PG needs PE; long mode activates with PG and LME. */
function writeCr0(v: u64): void {
  if ((v >> 32) != 0) { raiseGP(0); return; }
  const old = getCr0();
  v |= CR0_ET;
  if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) { raiseGP(0); return; }
  if ((v & (1 << 29)) != 0 && (v & (1 << 30)) == 0) { raiseGP(0); return; } // NW without CD
  const efer = getEfer();
  const enablingPaging = (old & CR0_PG) == 0 && (v & CR0_PG) != 0;
  if (enablingPaging && (efer & EFER_LME) != 0 && (getCr4() & CR4_PAE) == 0) { raiseGP(0); return; }
  if ((old & CR0_PG) != 0 && (v & CR0_PG) == 0 && mode64) { raiseGP(0); return; }
  setCr0(v);
  if (((old ^ v) & CR0_PG) != 0) {
    const lma = (v & CR0_PG) != 0 && (efer & EFER_LME) != 0;
    setEfer(lma ? efer | EFER_LMA : efer & ~EFER_LMA);
  }
  if (((old ^ v) & (CR0_PG | CR0_WP | CR0_PE)) != 0) { translationsReset(); translationsChanged(); }
  refreshMode();
}

/** MOV Rd, DRn (0F 21) and MOV DRn, Rd (0F 23). DR4/DR5 alias DR6/DR7 unless CR4.DE. */
export function MOV_DR(toDr: bool): void {
  decodeCrOperands();
  if (faulted()) return;
  let n = crReg;
  if (n > 7) { raiseUD(); return; }
  if (n == 4 || n == 5) {
    if ((getCr4() & CR4_DE) != 0) { raiseUD(); return; }
    n += 2;
  }
  if (!cpl0()) return;
  if (!toDr) {
    let v: u64 = 0;
    switch (n) {
      case 0: v = dr0; break;
      case 1: v = dr1; break;
      case 2: v = dr2; break;
      case 3: v = dr3; break;
      case 6: v = dr6; break;
      default: v = dr7; break;
    }
    if (mode64) setReg64(crRm, v); else setReg32(crRm, <u32>v);
    return;
  }
  const v = mode64 ? getReg64(crRm) : <u64>getReg32(crRm);
  switch (n) {
    case 0: dr0 = v; break;
    case 1: dr1 = v; break;
    case 2: dr2 = v; break;
    case 3: dr3 = v; break;
    case 6: if ((v >> 32) != 0) { raiseGP(0); return; } dr6 = (v & 0x0000e00f) | 0xffff0ff0; break;
    default: if ((v >> 32) != 0) { raiseGP(0); return; } dr7 = (v & 0xffff2bff) | 0x400; break;
  }
}

// ---- Group 6 (0F 00) and group 7 (0F 01) ----
@inline function umipBlocked(): bool {
  if ((getCr4() & CR4_UMIP) != 0 && getCpl() != 0) { raiseGP(0); return true; }
  return false;
}

/** Group 6: SLDT STR LLDT LTR VERR VERW. */
export function GRP6(): void {
  decodeModrm();
  if (faulted()) return;
  switch (modDigit()) {
    case 0: if (umipBlocked()) return; STORE_SYSSEG(LDTR); return;
    case 1: if (umipBlocked()) return; STORE_SYSSEG(TR); return;
    case 2: if (!cpl0()) return; LOAD_SYSSEG(LDTR); return;
    case 3: if (!cpl0()) return; LOAD_SYSSEG(TR); return;
    case 4: VERx(false); return;
    case 5: VERx(true); return;
    default: raiseUD(); return;
  }
}

/** Group 7: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG and the register forms (SWAPGS, RDTSCP, CLAC, ...). */
export function GRP7(): void {
  decodeModrm();
  if (faulted()) return;
  const d = modDigit();
  if (modIsReg) {
    switch (d) {
      case 4: if (umipBlocked()) return; writeE(getCr0() & 0xffffffff, opSize); return; // SMSW Rv
      case 6: LMSW(<u32>getRegN(modRm, 2)); return; // LMSW Rw
      case 1: {
        const rm = <u32>modRm & 7;
        if (rm == 2 || rm == 3) { // CLAC (CA) / STAC (CB)
          if (!FEATURE_SMAP || getCpl() != 0) { raiseUD(); return; }
          setFlagBits(FLAG_AC, rm == 3);
          return;
        }
        raiseUD(); return; // MONITOR/MWAIT/ENCLS...: not advertised
      }
      case 7: {
        const rm = <u32>modRm & 7;
        if (rm == 0) { // SWAPGS (F8)
          if (!mode64) { raiseUD(); return; }
          if (!cpl0()) return;
          const k = load<u64>(CPU_BASE + CPU_KERNEL_GS_BASE);
          store<u64>(CPU_BASE + CPU_KERNEL_GS_BASE, segBase(GS));
          setSegBase(GS, k);
          return;
        }
        if (rm == 1) { RDTSCP(); return; } // RDTSCP (F9)
        raiseUD(); return; // MONITORX, MWAITX, CLZERO, RDPRU: not advertised
      }
      default: raiseUD(); return; // VMX/SVM, XGETBV/XSETBV (no XSAVE), PKU...: not advertised
    }
  }
  switch (d) {
    case 0: case 1: { // SGDT / SIDT Ms
      if (umipBlocked()) return;
      const base = load<u64>(CPU_BASE + (d == 0 ? CPU_GDTR_BASE : CPU_IDTR_BASE));
      const limit = load<u32>(CPU_BASE + (d == 0 ? CPU_GDTR_LIMIT : CPU_IDTR_LIMIT));
      const bsize: u32 = mode64 ? 8 : 4;
      writeEAt(0, <u64>limit & 0xffff, 2);
      if (faulted()) return;
      writeEAt(2, opSize == 2 && !mode64 ? base & 0xffffff : base, bsize);
      return;
    }
    case 2: case 3: { // LGDT / LIDT Ms
      if (!cpl0()) return;
      const limit = readEAt(0, 2);
      if (faulted()) return;
      let base = readEAt(2, mode64 ? 8 : 4);
      if (faulted()) return;
      if (!mode64 && opSize == 2) base &= 0xffffff;
      if (mode64 && !canonical(base)) { raiseGP(0); return; }
      store<u64>(CPU_BASE + (d == 2 ? CPU_GDTR_BASE : CPU_IDTR_BASE), base);
      store<u32>(CPU_BASE + (d == 2 ? CPU_GDTR_LIMIT : CPU_IDTR_LIMIT), <u32>limit);
      return;
    }
    case 4: if (umipBlocked()) return; writeE(getCr0() & 0xffff, 2); return; // SMSW Mw
    case 6: { // LMSW Ew
      if (!cpl0()) return;
      const v = readE(2, false);
      if (faulted()) return;
      LMSW(<u32>v);
      return;
    }
    case 7: { // INVLPG M
      if (!cpl0()) return;
      const lin = (mode64 ? (eaSeg >= 4 ? segBase(eaSeg) : 0) : segBase(eaSeg)) + eaOffset();
      tlbInvalidatePage(mode64 ? lin : lin & 0xffffffff);
      translationsChanged();
      return;
    }
    default: raiseUD(); return;
  }
}

/** LMSW: loads CR0 bits 0..3 (PE can be set but not cleared). */
function LMSW(v: u32): void {
  if (!cpl0()) return;
  const old = getCr0();
  const nv = (old & ~(<u64>0xe)) | <u64>(v & 0xf) | (old & CR0_PE);
  writeCr0(nv);
}
