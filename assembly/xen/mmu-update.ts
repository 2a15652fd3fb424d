// mmu_update(req*, count, done*, foreigndom) (xen-pv-abi.md 2.3; Xen arch/x86/mm.c do_mmu_update):
// requests {u64 ptr; u64 val} (16 bytes for both ABIs); ptr & 7 selects the command:
//   0 MMU_NORMAL_PT_UPDATE      *ptr = val, validated per the type of the frame holding ptr
//   1 MMU_MACHPHYS_UPDATE       M2P[ptr >> 12] = val (the frame must be the domain's)
//   2 MMU_PT_UPDATE_PRESERVE_AD as 0, keeping the entry's current A and D bits
//   3 MMU_PT_UPDATE_NO_TRANSLATE as 0 (PV guests are never translated)
// Processing stops at the first failure; *done (u32) receives the number of requests that succeeded.
// Invariant: a failed request changes nothing; no fault is left pending.
import { DOM_BASE, DOM_DOMID, M2P_BASE, HOST_DOMID } from '../layout';
import { frameHost } from '../mmu/machine';
import { codeWritten } from '../cpu/decode-cache';
import { isPv64 } from './domain';
import { guestRead32, guestRead64, guestReadSpan, guestWrite32, guestFault, beginGuestAccess } from './guest-mem';
import {
  ownsFrame, ownsRam, frameType, frameCount, frameFlags, getPageType, putPageType, modEntry, requestFlush,
  flushIfPending, resetFailure, guestRangeOk, lastUpdateDroppedPresent, PGT_L1, PGT_L4, PGT_WRITABLE, PGF_VALIDATED,
} from './mm';
import { EINVAL, EFAULT, ESRCH, EPERM, ENOSYS } from './errno';

export const MMU_NORMAL_PT_UPDATE: u32 = 0;
export const MMU_MACHPHYS_UPDATE: u32 = 1;
export const MMU_PT_UPDATE_PRESERVE_AD: u32 = 2;
export const MMU_PT_UPDATE_NO_TRANSLATE: u32 = 3;
/** Continuation marker Xen keeps in the top bit of `count`. */
export const MMU_UPDATE_PREEMPTED: u32 = 0x80000000;
export const DOMID_SELF: u32 = 0x7ff0;
export const DOMID_IO: u32 = 0x7ff1;
export const DOMID_XEN: u32 = 0x7ff2;

/** Result of resolving a foreigndom page owner (get_pg_owner): 0 self, 1 DOMID_IO, or a negative errno. */
const OWNER_SELF: i64 = 0;
const OWNER_IO: i64 = 1;
/** A domain that exists but that a domU may not act on (the XSM check fails later, per request). */
const OWNER_DENIED: i64 = 2;

function pageOwner(domid: u32): i64 {
  if (domid == DOMID_SELF) return OWNER_SELF;
  if (domid == load<u32>(DOM_BASE + DOM_DOMID)) return -ESRCH; // "cannot specify itself as foreign domain"
  if (domid == DOMID_IO) return OWNER_IO;
  if (domid == DOMID_XEN || domid == HOST_DOMID) return OWNER_DENIED;
  return -ESRCH;
}

export function doMmuUpdate(reqs: u64, countArg: u64, pdone: u64, foreigndom: u64): i64 {
  resetFailure();
  let count = <u32>countArg;
  let done: u32 = 0;
  if ((count & MMU_UPDATE_PREEMPTED) != 0) {
    count &= ~MMU_UPDATE_PREEMPTED;
    if (pdone != 0) { done = guestRead32(pdone); beginGuestAccess(); }
  }
  if (!guestRangeOk(reqs, <u64>count * 16)) return -EFAULT;
  const fd = <u32>foreigndom;
  const ptDom = fd >> 16;
  let ptForeign = false; // the tables belong to another (existing) domain: refused by the XSM check
  if (ptDom != 0) {
    const id = ptDom - 1;
    if (id == HOST_DOMID) ptForeign = true;
    else if (id != load<u32>(DOM_BASE + DOM_DOMID)) return -ESRCH;
  }
  const owner = pageOwner(fd & 0xffff);
  let rc: i64 = 0;
  let i: u32 = 0;
  if (owner < 0) rc = owner;
  else {
    const pgDenied = owner == OWNER_DENIED;
    const io = owner == OWNER_IO;
    for (; i < count; i++) {
      const req = reqs + <u64>i * 16;
      let ptr: u64 = 0, val: u64 = 0;
      const h = guestReadSpan(req, 16); // the usual case: one translation for the whole request
      if (h != 0) {
        ptr = load<u64>(h);
        val = load<u64>(h, 8);
      } else if (!guestFault) { // it crosses a page: field by field
        ptr = guestRead64(req);
        val = guestRead64(req + 8);
      }
      if (guestFault) { rc = -EFAULT; break; }
      const cmd = <u32>ptr & 7;
      switch (cmd) {
        case MMU_NORMAL_PT_UPDATE: case MMU_PT_UPDATE_PRESERVE_AD: case MMU_PT_UPDATE_NO_TRANSLATE:
          rc = ptForeign || pgDenied ? -EPERM : normalUpdate(ptr - cmd, val, cmd == MMU_PT_UPDATE_PRESERVE_AD, io);
          break;
        case MMU_MACHPHYS_UPDATE:
          rc = ptForeign || pgDenied ? -EPERM : machphysUpdate(ptr >> 12, val, io);
          break;
        default: rc = -ENOSYS;
      }
      if (rc != 0) break;
    }
  }
  if (pdone != 0) { guestWrite32(pdone, done + i); beginGuestAccess(); }
  flushIfPending();
  return rc;
}

/** One MMU_NORMAL_PT_UPDATE: a validated entry update if the frame is an in-use table, else a checked plain write. */
export function normalUpdate(ma: u64, val: u64, preserveAD: bool, io: bool): i64 {
  const mfn = ma >> 12;
  if (!ownsFrame(mfn)) return -EINVAL;
  const m = <u32>mfn;
  const slot = (<u32>ma & 0xfff) >> 3;
  if (ownsRam(mfn) && frameCount(m) > 0 && (frameFlags(m) & PGF_VALIDATED) != 0) {
    const t = frameType(m);
    if (t >= PGT_L1 && t <= PGT_L4) {
      const rc = modEntry(m, t, slot, val, preserveAD, io);
      if (rc == 0 && lastUpdateDroppedPresent) requestFlush();
      return rc;
    }
    if (t != PGT_WRITABLE) return -EINVAL; // a descriptor page: only update_descriptor writes it
  }
  // Not a page table in use: an ordinary checked write (the frame must be able to be writable).
  if (getPageType(mfn, PGT_WRITABLE, false) != 0) return -EINVAL;
  codeWritten(mfn);
  store<u64>(frameHost(mfn) + slot * 8, val);
  putPageType(mfn);
  return 0;
}

/** MMU_MACHPHYS_UPDATE: entry[mfn] of the M2P table the guest reads (8 bytes PV64, 4 bytes PV32). */
function machphysUpdate(mfn: u64, pfn: u64, io: bool): i64 {
  if (io || !ownsFrame(mfn)) return -EINVAL;
  if (isPv64()) store<u64>(M2P_BASE + <u32>mfn * 8, pfn);
  else store<u32>(M2P_BASE + <u32>mfn * 4, <u32>pfn);
  return 0;
}
