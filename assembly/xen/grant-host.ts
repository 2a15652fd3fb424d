// What the host's backends ("dom0", workers/backends/grants.ts) need from the hypervisor to map a
// domain's grants the way Xen's gnttab_map_grant_ref does (common/grant_table.c): how many grant
// frames the guest set up, and the page references a mapping holds. A writable mapping takes a
// writable type reference on the granted frame (get_page_type(PGT_writable_page)), so while it is
// mapped the guest cannot turn that frame into a page table or descriptor page; unmapping drops it.
import { GNTST_okay, GNTST_general_error, grantFramesInUse } from './grant-table';
import { ownsRam, getPageType, putPageType, resetFailure, PGT_WRITABLE } from './mm';
import { codeWritten } from '../cpu/decode-cache';

export const GNTST_bad_page: i32 = -9;

/** Grant frames the guest set up (setup_table). */
export function grantHostFrames(): u32 { return grantFramesInUse(); }

/**
 * Checks that `mfn` is RAM the domain owns and, for a writable mapping, takes a writable type
 * reference on it. Returns GNTST_okay, GNTST_bad_page (not the domain's frame) or
 * GNTST_general_error (the frame is in use as a page table or descriptor page).
 */
export function grantHostPin(mfn: u32, writable: u32): i32 {
  if (!ownsRam(<u64>mfn)) return GNTST_bad_page;
  if (writable == 0) return GNTST_okay;
  const rc = getPageType(<u64>mfn, PGT_WRITABLE, false);
  resetFailure();
  return rc == 0 ? GNTST_okay : GNTST_general_error;
}

/** Drops what grantHostPin took for a writable mapping. */
export function grantHostUnpin(mfn: u32, writable: u32): void {
  if (writable != 0) codeWritten(<u64>mfn); // the backend may have written it (cpu/decode-cache.ts)
  if (writable != 0 && ownsRam(<u64>mfn)) putPageType(<u64>mfn);
}
