// Grant tables, version 1 (xen-pv-abi.md 2.3 grant_table_op): a domU shares its pages by writing
// 8-byte entries {u16 flags; u16 domid; u32 frame} into grant frames that Xen owns and the guest maps.
// Grant frames are Xen-owned machine frames just above shared_info (MFN nr_pages + 1 + i).
// This slice: setup_table, query_size, set_version (v1 only), get_version. The host's backends
// ("dom0") map grants without a hypercall: workers/backends/grants.ts, with grant-host.ts.
import { DOM_BASE, DOM_SHARED_INFO_MFN, DOM_DOMID, XEN_EXTRA_FRAMES, PAGE_SIZE } from '../layout';
import { frameHost } from '../mmu/machine';
import { guestRead16, guestRead32, guestRead64, guestWrite16, guestWrite32, guestWriteLong, guestFault } from './guest-mem';
import { isPv64 } from './domain';
import { DOMID_SELF } from './evtchn';
import { EFAULT, EINVAL, ENOSYS } from './errno';

export const GNTTABOP_setup_table: u32 = 2;
export const GNTTABOP_query_size: u32 = 6;
export const GNTTABOP_set_version: u32 = 8;
export const GNTTABOP_get_version: u32 = 10;
export const GNTST_okay: i32 = 0;
export const GNTST_general_error: i32 = -1;
export const GNTST_bad_domain: i32 = -2;
export const MAX_GRANT_FRAMES: u32 = 8;

let nrGrantFrames: u32 = 0;

export function grantTableReset(): void { nrGrantFrames = 0; }

/** Grant frames the guest has set up with setup_table (its table holds 512 v1 entries per frame). */
export function grantFramesInUse(): u32 { return nrGrantFrames; }

/** MFN of grant frame `i`. */
export function grantFrameMfn(i: u32): u32 { return load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN) + 1 + i; }

/** True if `mfn` is a grant frame the guest has set up (it may map it). */
export function isGrantFrame(mfn: u64): bool {
  const first = <u64>grantFrameMfn(0);
  return mfn >= first && mfn < first + <u64>nrGrantFrames;
}

@inline function isSelf(dom: u32): bool { return dom == DOMID_SELF || dom == load<u32>(DOM_BASE + DOM_DOMID); }

function setupTable(uop: u64): i64 {
  const dom = guestRead16(uop);
  const nr = guestRead32(uop + 4);
  const list = isPv64() ? guestRead64(uop + 16) : <u64>guestRead32(uop + 12);
  if (guestFault) return -EFAULT;
  let status = GNTST_okay;
  if (!isSelf(dom)) status = GNTST_bad_domain;
  else if (nr > MAX_GRANT_FRAMES || 1 + MAX_GRANT_FRAMES > XEN_EXTRA_FRAMES) status = GNTST_general_error;
  else {
    for (let i: u32 = 0; i < nr; i++) {
      if (i >= nrGrantFrames) memory.fill(frameHost(<u64>grantFrameMfn(i)), 0, PAGE_SIZE);
      if (!guestWriteLong(list + <u64>i * (isPv64() ? 8 : 4), <u64>grantFrameMfn(i), isPv64())) return -EFAULT;
    }
    if (nr > nrGrantFrames) nrGrantFrames = nr;
  }
  return guestWrite16(uop + 8, <u32>status) ? 0 : -EFAULT;
}

function querySize(uop: u64): i64 {
  const dom = guestRead16(uop);
  if (guestFault) return -EFAULT;
  if (!isSelf(dom)) return guestWrite16(uop + 12, <u32>GNTST_bad_domain) ? 0 : -EFAULT;
  if (!guestWrite32(uop + 4, nrGrantFrames) || !guestWrite32(uop + 8, MAX_GRANT_FRAMES) || !guestWrite16(uop + 12, 0)) return -EFAULT;
  return 0;
}

export function doGrantTableOp(cmd: u64, uop: u64, count: u64): i64 {
  const c = <u32>cmd;
  if (c == GNTTABOP_set_version) {
    const v = guestRead32(uop);
    if (guestFault) return -EFAULT;
    return v == 1 ? 0 : -EINVAL; // version 2 is not offered
  }
  if (c == GNTTABOP_get_version) {
    const dom = guestRead16(uop);
    if (guestFault) return -EFAULT;
    if (!isSelf(dom)) return -EINVAL;
    return guestWrite32(uop + 4, 1) ? 0 : -EFAULT;
  }
  if (c != GNTTABOP_setup_table && c != GNTTABOP_query_size) return -ENOSYS;
  if (count != 1) return -EINVAL; // Xen takes exactly one setup_table / query_size at a time
  const size: u64 = c == GNTTABOP_setup_table ? (isPv64() ? 24 : 16) : 16;
  for (let i: u64 = 0; i < count; i++) {
    const r = c == GNTTABOP_setup_table ? setupTable(uop + i * size) : querySize(uop + i * size);
    if (r != 0) return r;
  }
  return 0;
}
