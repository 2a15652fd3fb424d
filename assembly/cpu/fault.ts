// The fault protocol (docs/fault-protocol.md). AssemblyScript cannot unwind, so an access that
// faults records the fault here and returns a dummy value; every caller checks faulted() right after
// each access that may fault and returns at once. An instruction commits architectural state (RIP,
// registers, memory) only after all of its faulting accesses succeeded; the run loop then hands a
// pending fault to the platform (bare machine: stop; PV domain: Xen's trap handling).
// Invariant: at most one fault is pending; the first one raised wins until clearFault().
import { CPU_BASE, CPU_FAULT_VEC, CPU_FAULT_ERR, CPU_FAULT_HAS_ERR, CPU_FAULT_CR2, FAULT_NONE } from '../layout';

// Exception vectors (Intel SDM vol. 3, table 6-1).
export const VEC_DE: u32 = 0;
export const VEC_DB: u32 = 1;
export const VEC_NMI: u32 = 2;
export const VEC_BP: u32 = 3;
export const VEC_OF: u32 = 4;
export const VEC_BR: u32 = 5;
export const VEC_UD: u32 = 6;
export const VEC_NM: u32 = 7;
export const VEC_DF: u32 = 8;
export const VEC_TS: u32 = 10;
export const VEC_NP: u32 = 11;
export const VEC_SS: u32 = 12;
export const VEC_GP: u32 = 13;
export const VEC_PF: u32 = 14;
export const VEC_MF: u32 = 16;
export const VEC_AC: u32 = 17;
export const VEC_MC: u32 = 18;
export const VEC_XM: u32 = 19;

// #PF error code bits (SDM vol. 3, 4.7).
export const PFEC_P: u32 = 1 << 0;
export const PFEC_W: u32 = 1 << 1;
export const PFEC_U: u32 = 1 << 2;
export const PFEC_RSVD: u32 = 1 << 3;
export const PFEC_I: u32 = 1 << 4;

/** The pending vector, or FAULT_NONE. A wasm global: checked after every access, so it must be cheap. */
export let faultVector: u32 = FAULT_NONE;

@inline export function faulted(): bool { return faultVector != FAULT_NONE; }

/** Records a fault; the first one wins. Mirrors it into the CPU region for the host and Xen. */
export function raiseFault(vector: u32, errorCode: u32, hasErrorCode: bool): void {
  if (faultVector != FAULT_NONE) return;
  faultVector = vector;
  store<u32>(CPU_BASE + CPU_FAULT_VEC, vector);
  store<u32>(CPU_BASE + CPU_FAULT_ERR, errorCode);
  store<u32>(CPU_BASE + CPU_FAULT_HAS_ERR, hasErrorCode ? 1 : 0);
  store<u64>(CPU_BASE + CPU_FAULT_CR2, 0);
}

export function raisePageFault(linear: u64, errorCode: u32): void {
  if (faultVector != FAULT_NONE) return;
  raiseFault(VEC_PF, errorCode, true);
  store<u64>(CPU_BASE + CPU_FAULT_CR2, linear);
}

@inline export function raiseGP(errorCode: u32): void { raiseFault(VEC_GP, errorCode, true); }
@inline export function raiseUD(): void { raiseFault(VEC_UD, 0, false); }
@inline export function raiseSS(errorCode: u32): void { raiseFault(VEC_SS, errorCode, true); }
@inline export function raiseNP(errorCode: u32): void { raiseFault(VEC_NP, errorCode, true); }
@inline export function raiseTS(errorCode: u32): void { raiseFault(VEC_TS, errorCode, true); }
@inline export function raiseDE(): void { raiseFault(VEC_DE, 0, false); }

@inline export function pendingErrorCode(): u32 { return load<u32>(CPU_BASE + CPU_FAULT_ERR); }
@inline export function pendingHasErrorCode(): bool { return load<u32>(CPU_BASE + CPU_FAULT_HAS_ERR) != 0; }
@inline export function pendingCr2(): u64 { return load<u64>(CPU_BASE + CPU_FAULT_CR2); }

export function clearFault(): void {
  faultVector = FAULT_NONE;
  store<u32>(CPU_BASE + CPU_FAULT_VEC, FAULT_NONE);
}
