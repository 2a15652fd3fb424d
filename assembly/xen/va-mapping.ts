// update_va_mapping(va, pte, flags) [PV32: va, pte_lo, pte_hi, flags] (xen-pv-abi.md 2.3; Xen
// arch/x86/mm.c __do_update_va_mapping): rewrites the L1 entry that maps `va` in the current address
// space, found by walking the guest's own tables; the L1 must be present and in use as an L1 table.
// The new entry is validated like MMU_NORMAL_PT_UPDATE. flags: bits 0-1 UVMF_NONE / TLB_FLUSH /
// INVLPG; the rest 0 = UVMF_LOCAL, 4 = UVMF_ALL, anything else a pointer to a vCPU bitmap (UVMF_MULTI).
// Invariant: on error nothing changed and nothing is flushed.
import { tlbFlushAll, tlbInvalidatePage } from '../mmu/tlb';
import { shadowActive } from '../mmu/shadow';
import { isPv64 } from './domain';
import { guestReadLong, guestFault } from './guest-mem';
import { findL1e, foundL1Mfn, isL1InUse, modEntry, flushIfPending, resetFailure, guestAddrOk, lastUpdateDroppedPresent } from './mm';
import { EINVAL, EFAULT } from './errno';

export const UVMF_NONE: u64 = 0;
export const UVMF_TLB_FLUSH: u64 = 1;
export const UVMF_INVLPG: u64 = 2;
export const UVMF_FLUSHTYPE_MASK: u64 = 3;
export const UVMF_LOCAL: u64 = 0;
export const UVMF_ALL: u64 = 4;

export function doUpdateVaMapping(a1: u64, a2: u64, a3: u64, a4: u64): i64 {
  resetFailure();
  const pv64 = isPv64();
  const va = a1;
  const val = pv64 ? a2 : (a2 & 0xffffffff) | (a3 << 32);
  const flags = pv64 ? a3 : a4;
  const rc = updateVaMapping(va, val);
  flushIfPending();
  if (rc != 0) return rc;
  const target = flags & ~UVMF_FLUSHTYPE_MASK;
  const kind = flags & UVMF_FLUSHTYPE_MASK;
  if (kind != UVMF_TLB_FLUSH && kind != UVMF_INVLPG) return 0;
  if (target != UVMF_LOCAL && target != UVMF_ALL) {
    // UVMF_MULTI: a bitmap of vCPUs (one unsigned long covers ours).
    const mask = guestReadLong(target, pv64);
    if (guestFault) return -EFAULT;
    if ((mask & 1) == 0) return 0;
  }
  if (kind == UVMF_TLB_FLUSH) tlbFlushAll();
  else tlbInvalidatePage(va);
  return 0;
}

/** The L1 update itself (shared with nothing else): 0 or Xen's error code. */
function updateVaMapping(va: u64, val: u64): i64 {
  if (!guestAddrOk(va)) return -EINVAL;
  const host = findL1e(va);
  if (host == 0) return -EINVAL;
  const l1 = foundL1Mfn;
  if (!isL1InUse(l1)) return -EINVAL;
  const rc = modEntry(l1, 1, (host & 0xfff) >> 3, val, false, false);
  // The old translation of `va` must not survive; other aliases of this L1 are the guest's to flush.
  // With shadows, modEntry already dropped every translation derived from the entry (aliases too).
  if (rc == 0 && lastUpdateDroppedPresent && !shadowActive) tlbInvalidatePage(va);
  return rc;
}
