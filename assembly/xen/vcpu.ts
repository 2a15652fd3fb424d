// Per-vCPU PV state (layout.ts PV_*) and the PV64 guest-mode toggle (xen-pv-abi.md 3.2): PV64 kernel
// and user both run at CPL 3, so Xen keeps a virtual kernel-mode flag and, on every switch, swaps
// the GS base with the saved one and CR3 between the kernel and user top-level tables.
// Invariant: PV_KERNEL_MODE is 1 exactly when the kernel L4 is loaded (PV64); PV32 uses the CPL.
import {
  DOM_BASE, DOM_VCPU, PV_KERNEL_MODE, PV_GS_BASE_USER, PV_KERNEL_CR3, PV_USER_CR3, CPU_BASE, CPU_CR3,
} from '../layout';
import { segBase, setSegBase, GS, getCpl } from '../cpu/state';
import { shadowSwitch } from '../mmu/shadow';
import { audit, auditAfterPtOps } from '../mmu/audit';
import { isPv64 } from './domain';

export const VCPU: u32 = DOM_BASE + DOM_VCPU; // vCPU 0 (one vCPU for now)

@inline export function pvGet32(field: u32): u32 { return load<u32>(VCPU + field); }
@inline export function pvSet32(field: u32, v: u32): void { store<u32>(VCPU + field, v); }
@inline export function pvGet64(field: u32): u64 { return load<u64>(VCPU + field); }
@inline export function pvSet64(field: u32, v: u64): void { store<u64>(VCPU + field, v); }

/** True when the vCPU runs its guest kernel (PV64: the virtual flag; PV32: ring 1). */
export function inGuestKernel(): bool {
  if (isPv64()) return pvGet32(PV_KERNEL_MODE) != 0;
  return getCpl() == 1;
}

/** Loads a page-table base: selects its shadow (mmu/shadow.ts), or flushes the TLB with shadows off. */
@inline export function loadCr3(ma: u64): void {
  if (load<u64>(CPU_BASE + CPU_CR3) != ma) {
    store<u64>(CPU_BASE + CPU_CR3, ma);
    shadowSwitch(ma);
    if (auditAfterPtOps) audit();
  }
}

/** PV64 toggle_guest_mode: swap GS bases and CR3. Returns false if no user L4 exists for user mode. */
export function toggleGuestMode(): bool {
  const toUser = pvGet32(PV_KERNEL_MODE) != 0;
  if (toUser && pvGet64(PV_USER_CR3) == 0) return false;
  const gs = segBase(GS);
  setSegBase(GS, pvGet64(PV_GS_BASE_USER));
  pvSet64(PV_GS_BASE_USER, gs);
  pvSet32(PV_KERNEL_MODE, toUser ? 0 : 1);
  loadCr3(toUser ? pvGet64(PV_USER_CR3) : pvGet64(PV_KERNEL_CR3));
  return true;
}
