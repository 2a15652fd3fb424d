// Log-dirty mode, as Xen's paging_log_dirty for live migration (XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY,
// _PEEK, _CLEAN): while it is on, a guest page is writable in the TLB only after its frame's bit is set
// in the dirty bitmap (DIRTY_BASE, one bit per PFN; P2M is the identity), and the first write sets it.
// "Clean" returns the bitmap to the host and clears it, taking write rights back from the TLB, so the
// next round reports only new writes. Shadows keep what the guest tables grant; this is a filter
// applied whenever a translation enters the TLB (tlbFill), like the decode cache's code guard.
// Also marked: page-table frames the hypervisor writes for the guest (mmu_update, writable page
// tables), as Xen does. Not marked: frames written by the host's backends (console, xenstore rings).
import { DIRTY_BASE, DIRTY_SIZE, GUEST_RAM_BASE, CNT_BASE, CNT_LOGDIRTY_MARKS } from '../layout';
import { nrPages } from './machine';
import { tlbInsert, tlbRevokeWrites, RIGHT_WRITE_SUP, RIGHT_WRITE_USER } from './tlb';
import { codeGuard } from '../cpu/decode-cache';

export let logDirtyOn: bool = false;

const WRITE_RIGHTS: u32 = RIGHT_WRITE_SUP | RIGHT_WRITE_USER;

@inline function isDirty(pfn: u32): bool { return (load<u8>(DIRTY_BASE + (pfn >> 3)) & (<u32>1 << (pfn & 7))) != 0; }

/** Sets the bit of machine frame `mfn` (guest RAM only). */
export function logDirtyMark(mfn: u64): void {
  if (!logDirtyOn || mfn >= <u64>nrPages) return;
  const pfn = <u32>mfn;
  if (isDirty(pfn)) return;
  store<u8>(DIRTY_BASE + (pfn >> 3), load<u8>(DIRTY_BASE + (pfn >> 3)) | (<u32>1 << (pfn & 7)));
  store<u64>(CNT_BASE + CNT_LOGDIRTY_MARKS, load<u64>(CNT_BASE + CNT_LOGDIRTY_MARKS) + 1);
}

/** Turns the mode on (with an empty bitmap) or off. */
export function logDirtyEnable(on: bool): void {
  logDirtyOn = on;
  memory.fill(DIRTY_BASE, 0, DIRTY_SIZE);
  if (on) tlbRevokeWrites();
}

/** Clears the bitmap (the host has read it) and takes the write rights back. */
export function logDirtyClean(): void {
  memory.fill(DIRTY_BASE, 0, DIRTY_SIZE);
  if (logDirtyOn) tlbRevokeWrites();
}

/**
 * Enters a translation into the TLB with the filters applied: the decode cache's code guard, then,
 * in log-dirty mode, no write right for a clean frame unless this access is the write that dirties it.
 */
export function tlbFill(linear: u64, hostPage: u32, rights: u32, acc: u32, large: bool): void {
  let r = codeGuard(hostPage, acc, rights);
  if (logDirtyOn && (r & WRITE_RIGHTS) != 0 && hostPage >= GUEST_RAM_BASE) {
    const mfn = <u64>((hostPage - GUEST_RAM_BASE) >> 12);
    if (mfn < <u64>nrPages && !isDirty(<u32>mfn)) {
      if (acc == 1) logDirtyMark(mfn); // ACC_WRITE
      else r &= ~WRITE_RIGHTS;
    }
  }
  tlbInsert(linear, hostPage, r, large);
}
