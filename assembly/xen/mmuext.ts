// mmuext_op(op*, count, done*, foreigndom) (xen-pv-abi.md 2.3; Xen arch/x86/mm.c do_mmuext_op):
// op = {u32 cmd; arg1 @8 [PV32 @4]; arg2 @16 [@8]}, 24 bytes [12]. Pinning, the kernel and user
// top-level tables (NEW_BASEPTR / NEW_USER_BASEPTR, with Xen's reference counting: the loaded base
// holds one type reference), TLB flushes and INVLPG, SET_LDT, CLEAR_PAGE / COPY_PAGE. Stops at the
// first failure; *done (u32) counts the operations that succeeded.
// Invariant: PV_KERNEL_CR3 / PV_USER_CR3 only ever hold validated top-level tables with a reference.
import {
  DOM_BASE, DOM_DOMID, HOST_DOMID, PV_KERNEL_CR3, PV_USER_CR3, PV_LDT_BASE, PV_LDT_ENTS, PAGE_SIZE,
} from '../layout';
import { frameHost } from '../mmu/machine';
import { codeWritten } from '../cpu/decode-cache';
import { tlbFlushAll, tlbInvalidatePage } from '../mmu/tlb';
import { shadowActive } from '../mmu/shadow';
import { isPv64 } from './domain';
import { pvGet64, pvSet64, pvGet32, pvSet32, inGuestKernel, loadCr3 } from './vcpu';
import { guestRead32, guestRead64, guestReadLong, guestReadSpan, guestWrite32, guestFault, beginGuestAccess } from './guest-mem';
import {
  ownsRam, ownsFrame, getPageType, putPageType, getPageTypeHeld, putPageTypeHeld, pinTable, unpinTable, flushIfPending, resetFailure, guestRangeOk,
  guestAddrOk, PGT_L1, PGT_L2, PGT_L3, PGT_L4, PGT_WRITABLE,
} from './mm';
import { DOMID_SELF, DOMID_IO, DOMID_XEN, MMU_UPDATE_PREEMPTED } from './mmu-update';
import { EINVAL, EFAULT, ESRCH, EPERM, EACCES, ENOSYS, EOPNOTSUPP } from './errno';

export const MMUEXT_PIN_L1_TABLE: u32 = 0;
export const MMUEXT_PIN_L2_TABLE: u32 = 1;
export const MMUEXT_PIN_L3_TABLE: u32 = 2;
export const MMUEXT_PIN_L4_TABLE: u32 = 3;
export const MMUEXT_UNPIN_TABLE: u32 = 4;
export const MMUEXT_NEW_BASEPTR: u32 = 5;
export const MMUEXT_TLB_FLUSH_LOCAL: u32 = 6;
export const MMUEXT_INVLPG_LOCAL: u32 = 7;
export const MMUEXT_TLB_FLUSH_MULTI: u32 = 8;
export const MMUEXT_INVLPG_MULTI: u32 = 9;
export const MMUEXT_TLB_FLUSH_ALL: u32 = 10;
export const MMUEXT_INVLPG_ALL: u32 = 11;
export const MMUEXT_FLUSH_CACHE: u32 = 12;
export const MMUEXT_SET_LDT: u32 = 13;
export const MMUEXT_NEW_USER_BASEPTR: u32 = 15;
export const MMUEXT_CLEAR_PAGE: u32 = 16;
export const MMUEXT_COPY_PAGE: u32 = 17;
export const MMUEXT_FLUSH_CACHE_GLOBAL: u32 = 18;
export const MMUEXT_MARK_SUPER: u32 = 19;
export const MMUEXT_UNMARK_SUPER: u32 = 20;
/** Most LDT entries SET_LDT accepts (a 64 KiB LDT). */
export const LDT_ENTRIES_MAX: u32 = 8192;

export function doMmuextOp(ops: u64, countArg: u64, pdone: u64, foreigndom: u64): i64 {
  resetFailure();
  const pv64 = isPv64();
  const size: u64 = pv64 ? 24 : 12;
  let count = <u32>countArg;
  let done: u32 = 0;
  if ((count & MMU_UPDATE_PREEMPTED) != 0) {
    count &= ~MMU_UPDATE_PREEMPTED;
    if (pdone != 0) { done = guestRead32(pdone); beginGuestAccess(); }
  }
  if (!guestRangeOk(ops, <u64>count * size)) return -EFAULT;
  // Only the domain itself may be the page owner: another domain is either unknown or refused.
  const fd = <u32>foreigndom & 0xffff;
  if (fd != DOMID_SELF) {
    if (fd == load<u32>(DOM_BASE + DOM_DOMID)) return -ESRCH;
    return fd == HOST_DOMID || fd == DOMID_IO || fd == DOMID_XEN ? -EPERM : -ESRCH;
  }
  let rc: i64 = 0;
  let i: u32 = 0;
  for (; i < count; i++) {
    const op = ops + <u64>i * size;
    let cmd: u32 = 0, arg1: u64 = 0, arg2: u64 = 0;
    const h = guestReadSpan(op, <u32>size); // the usual case: one translation for the whole op
    if (h != 0) {
      cmd = load<u32>(h);
      arg1 = pv64 ? load<u64>(h, 8) : <u64>load<u32>(h, 4);
      arg2 = pv64 ? load<u64>(h, 16) : <u64>load<u32>(h, 8);
    } else if (!guestFault) { // it crosses a page: field by field
      cmd = guestRead32(op);
      arg1 = pv64 ? guestRead64(op + 8) : <u64>guestRead32(op + 4);
      arg2 = pv64 ? guestRead64(op + 16) : <u64>guestRead32(op + 8);
    }
    if (guestFault) { rc = -EFAULT; break; }
    rc = mmuextOne(cmd, arg1, arg2, pv64);
    beginGuestAccess();
    if (rc != 0) break;
  }
  if (pdone != 0) { guestWrite32(pdone, done + i); beginGuestAccess(); }
  flushIfPending();
  return rc;
}

function mmuextOne(cmd: u32, arg1: u64, arg2: u64, pv64: bool): i64 {
  switch (cmd) {
    case MMUEXT_PIN_L1_TABLE: return pinTable(arg1, PGT_L1);
    case MMUEXT_PIN_L2_TABLE: return pinTable(arg1, PGT_L2);
    case MMUEXT_PIN_L3_TABLE: return pinTable(arg1, PGT_L3);
    case MMUEXT_PIN_L4_TABLE:
      if (!pv64) return 0; // Xen ignores PIN_L4 from a PV32 guest (it has no L4 tables)
      return pinTable(arg1, PGT_L4);
    case MMUEXT_UNPIN_TABLE: return unpinTable(arg1);
    case MMUEXT_NEW_BASEPTR: return newBaseptr(arg1);
    case MMUEXT_NEW_USER_BASEPTR: return pv64 ? newUserBaseptr(arg1) : -EINVAL;
    case MMUEXT_TLB_FLUSH_LOCAL: case MMUEXT_TLB_FLUSH_ALL:
      tlbFlushAll();
      return 0;
    case MMUEXT_INVLPG_LOCAL:
      if (canonical(arg1)) tlbInvalidatePage(arg1);
      return 0;
    case MMUEXT_INVLPG_ALL:
      if (guestAddrOk(arg1)) tlbInvalidatePage(arg1);
      return 0;
    case MMUEXT_TLB_FLUSH_MULTI: case MMUEXT_INVLPG_MULTI: {
      // arg2 points at a bitmap of vCPUs (one unsigned long covers ours); an unreadable one is -EINVAL.
      const mask = guestReadLong(arg2, pv64);
      if (guestFault) return -EINVAL;
      if ((mask & 1) != 0) {
        if (cmd == MMUEXT_TLB_FLUSH_MULTI) tlbFlushAll();
        else if (guestAddrOk(arg1)) tlbInvalidatePage(arg1);
      }
      return 0;
    }
    case MMUEXT_FLUSH_CACHE: return -EACCES; // only for domains with cache-flush rights (device owners)
    case MMUEXT_FLUSH_CACHE_GLOBAL: return -EINVAL;
    case MMUEXT_SET_LDT: return setLdt(arg1, <u32>arg2);
    case MMUEXT_CLEAR_PAGE: return clearPage(arg1);
    case MMUEXT_COPY_PAGE: return copyPage(arg1, arg2);
    case MMUEXT_MARK_SUPER: case MMUEXT_UNMARK_SUPER: return -EOPNOTSUPP;
    default: return -ENOSYS;
  }
}

@inline function canonical(v: u64): bool { return (<i64>(v << 16) >> 16) == <i64>v; }

/**
 * NEW_BASEPTR (also MOV to CR3, xen-pv-abi.md 3.4): validates `mfn` as the kernel's top-level table
 * (PV64 L4, PV32 PAE L3), takes its reference, loads it and drops the old base's reference. Loading
 * the current base again only flushes the TLB. 0 or -EINVAL (or an entry's -EBUSY/-EPERM).
 */
export function newBaseptr(mfn: u64): i64 {
  const pv64 = isPv64();
  const old = pvGet64(PV_KERNEL_CR3) >> 12;
  if (mfn != old || old == 0) {
    if (!ownsRam(mfn)) return -EINVAL;
    const rc = getPageTypeHeld(mfn, pv64 ? PGT_L4 : PGT_L3); // a pinned table: only its count moves
    if (rc != 0) { flushIfPending(); return rc; }
    pvSet64(PV_KERNEL_CR3, mfn << 12);
    if (old != 0) putPageTypeHeld(old);
  }
  if (!pv64 || inGuestKernel()) loadCr3(mfn << 12);
  flushIfPending();
  // A CR3 load flushes the TLB; with shadows the TLB never holds a stale translation, so it need not.
  if (!shadowActive) tlbFlushAll();
  return 0;
}

/** NEW_USER_BASEPTR (PV64): the L4 used in guest user mode; 0 removes it. */
export function newUserBaseptr(mfn: u64): i64 {
  const old = pvGet64(PV_USER_CR3) >> 12;
  if (mfn == old) return 0;
  if (mfn != 0) {
    if (!ownsRam(mfn)) return -EINVAL;
    const rc = getPageType(mfn, PGT_L4, false);
    if (rc != 0) return rc;
  }
  pvSet64(PV_USER_CR3, mfn << 12);
  if (!inGuestKernel() && mfn != 0) loadCr3(mfn << 12);
  if (old != 0) putPageType(old);
  return 0;
}

/** SET_LDT: a page-aligned guest address and at most 8192 entries (0 entries: no LDT). */
function setLdt(va: u64, ents: u32): i64 {
  const ptr: u64 = ents != 0 ? va : 0;
  if ((ptr & 0xfff) != 0 || !guestAddrOk(ptr) || ents > LDT_ENTRIES_MAX) return -EINVAL;
  if (pvGet32(PV_LDT_ENTS) != ents || pvGet64(PV_LDT_BASE) != ptr) {
    pvSet64(PV_LDT_BASE, ptr);
    pvSet32(PV_LDT_ENTS, ents);
    tlbFlushAll();
  }
  return 0;
}

/** CLEAR_PAGE: the frame must be the domain's and able to be writable (not a table in use). */
function clearPage(mfn: u64): i64 {
  if (!ownsFrame(mfn) || getPageType(mfn, PGT_WRITABLE, false) != 0) return -EINVAL;
  codeWritten(mfn);
  memory.fill(frameHost(mfn), 0, PAGE_SIZE);
  putPageType(mfn);
  return 0;
}

/** COPY_PAGE: any frame of the domain to one that may be writable. */
function copyPage(dst: u64, src: u64): i64 {
  if (!ownsFrame(src)) return -EINVAL;
  if (!ownsFrame(dst) || getPageType(dst, PGT_WRITABLE, false) != 0) return -EINVAL;
  codeWritten(dst);
  memory.copy(frameHost(dst), frameHost(src), PAGE_SIZE);
  putPageType(dst);
  return 0;
}
