// The narrow interface between the CPU ("hardware") and what runs on it: a bare test machine
// (bare.ts, test-vectors.md) or a Xen PV domain (xen/). The CPU calls these where a real x86 would
// consult the IDT, MSRs or the hypervisor; it never looks at the guest type itself.
// Invariant: every hook leaves the CPU either continuing at a consistent RIP or with a stop requested.
import { DOM_BASE, DOM_GUEST_TYPE, GUEST_BARE32, GUEST_BARE64 } from './layout';
import * as bare from './bare';
import * as xen from './xen/traps';
import { xenCpuid } from './xen/cpuid';
import { readVirtualTsc } from './xen/time';
import { xenReadDescriptor } from './xen/descriptors';
import {
  TRANS_K_HYPERCALL, TRANS_K_SYSCALL, TRANS_K_SYSENTER, TRANS_K_SOFTINT, TRANS_K_FAULT, TRANS_NO_SUB,
  TRANS_MODE_KERNEL, CPU_BASE, CPU_GPR, GUEST_PV32, GUEST_PV64,
} from './layout';
import { transEnter, transLeave, transMode, transSubop, transOn } from './debug/transitions';
import { faultVector, pendingCr2 } from './cpu/fault';

@inline function isBare(): bool {
  const t = load<u32>(DOM_BASE + DOM_GUEST_TYPE);
  return t == GUEST_BARE32 || t == GUEST_BARE64;
}

/** A fault is pending after an instruction (cpu/fault.ts): deliver it or stop. */
export function deliverFault(): void {
  if (isBare()) { bare.stopOnFault(); return; }
  transEnter(TRANS_K_FAULT, faultVector, TRANS_NO_SUB, faultVector == 14 ? pendingCr2() : 0);
  xen.deliverPendingFault();
  transLeave();
}

/** A hypercall is being made: its number and sub-op for the transitions ring (debug/transitions.ts). */
function enterHypercall(pv64: bool): void {
  if (!transOn) return;
  const nr = load<u64>(CPU_BASE + CPU_GPR) & (pv64 ? 0xffffffffffffffff : 0xffffffff); // RAX
  const a1 = load<u64>(CPU_BASE + CPU_GPR + (pv64 ? 7 * 8 : 3 * 8)) & (pv64 ? 0xffffffffffffffff : 0xffffffff); // RDI / EBX
  transEnter(TRANS_K_HYPERCALL, nr < 0xffff ? <u32>nr : 0xffff, transSubop(nr, a1), 0);
}

// Kinds of software interrupt instruction.
export const SOFTINT_INTN: u32 = 0; // CD ib
export const SOFTINT_INT3: u32 = 1; // CC
export const SOFTINT_INTO: u32 = 2; // CE, only called when OF = 1
export const SOFTINT_INT1: u32 = 3; // F1 (ICEBP)

/**
 * INT n / INT3 / INTO / INT1 executed at RIP (not yet advanced); `nextRip` is the address after it.
 * The platform decides what the gate does: a hypercall (PV32 `int $0x82`), a guest trap handler,
 * or #GP as for a gate whose DPL is below CPL.
 */
export function softwareInterrupt(vector: u32, nextRip: u64, kind: u32): void {
  if (isBare()) { bare.softwareInterrupt(vector, nextRip, kind); return; }
  if (!transOn) { xen.softwareInterrupt(vector, nextRip, kind); return; } // the usual case: nothing to record
  if (kind == SOFTINT_INTN && vector == 0x82 && load<u32>(DOM_BASE + DOM_GUEST_TYPE) == GUEST_PV32 && (transMode() & 3) == 1) {
    enterHypercall(false);
  } else {
    transEnter(TRANS_K_SOFTINT, kind == SOFTINT_INTN ? vector : kind == SOFTINT_INT3 ? 3 : kind == SOFTINT_INTO ? 4 : 1, TRANS_NO_SUB, 0);
  }
  xen.softwareInterrupt(vector, nextRip, kind);
  transLeave();
}

/** SYSCALL executed at RIP (EFER.SCE is assumed on); `nextRip` follows it. */
export function syscallInstruction(nextRip: u64): void {
  if (isBare()) { bare.syscallInstruction(nextRip); return; }
  if (!transOn) { xen.syscallInstruction(nextRip); return; } // the usual case: nothing to record
  if (load<u32>(DOM_BASE + DOM_GUEST_TYPE) == GUEST_PV64 && (transMode() & TRANS_MODE_KERNEL) != 0) enterHypercall(true);
  else transEnter(TRANS_K_SYSCALL, 0, TRANS_NO_SUB, 0);
  xen.syscallInstruction(nextRip);
  transLeave();
}

/** SYSENTER executed at RIP. */
export function sysenterInstruction(nextRip: u64): void {
  if (isBare()) { bare.syscallInstruction(nextRip); return; }
  transEnter(TRANS_K_SYSENTER, 0, TRANS_NO_SUB, 0);
  xen.sysenterInstruction(nextRip);
  transLeave();
}

/** CPUID: writes EAX, EBX, ECX, EDX for (leaf, subleaf) per the platform's CPUID policy. */
export function cpuid(leaf: u32, subleaf: u32): void {
  xenCpuid(leaf, subleaf);
}

/** The time-stamp counter seen by RDTSC. */
export function readTsc(): u64 {
  return readVirtualTsc();
}

/**
 * The 8-byte descriptor for `selector` from the GDT or LDT (TI bit), or 0 with #GP(selector & ~3)
 * raised when the index lies beyond the table. Bare machines use the descriptor table in memory.
 */
export function readDescriptor(selector: u32): u64 {
  if (isBare()) return bare.readDescriptor(selector);
  return xenReadDescriptor(selector);
}
