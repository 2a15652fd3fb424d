// Xen's page types for direct-paging PV guests (xen-pv-abi.md 4.1; Xen arch/x86/mm.c, pv/mm.h):
// every machine frame has a type (L1..L4 page table, segment-descriptor page, writable) and a type
// reference count in FRAME_TYPE_BASE (u8 type, u8 flags, u16 count). A frame changes type only at
// count 0; taking a page-table type validates every entry, and each valid entry holds a reference on
// what it points to (a writable L1 entry: a writable reference on the data frame; an L2..L4 entry: a
// table reference on the next level). Invariant: a frame in use as a page table or descriptor page is
// never mapped writable, so every change to it goes through validation here.
import {
  FRAME_TYPE_BASE, FRAME_INFO_SIZE, DOM_BASE, DOM_SHARED_INFO_MFN, DOM_GUEST_TYPE, GUEST_PV32, GUEST_PV64,
  CPU_BASE, CPU_CR3, PV_KERNEL_CR3, CNT_BASE, CNT_PT_UPDATES, PAGE_SIZE, GUEST_RAM_BASE,
} from '../layout';
import { nrPages, totalFrames, frameHost } from '../mmu/machine';
import { codeWritten, codeWrittenHost } from '../cpu/decode-cache';
import { tlbFlushAll } from '../mmu/tlb';
import { shadowActive, shadowEntryChanged, shadowRootGone } from '../mmu/shadow';
import { logDirtyMark } from '../mmu/log-dirty';
import { setExitMessage, hex } from '../exit';
import { pvSet64 } from './vcpu';
import { profPtUpdate } from '../debug/profile';
import { isGrantFrame } from './grant-table';
import { checkDescriptor, checkedDescriptor } from './gdt';
import { EINVAL, EPERM, EBUSY } from './errno';

// ---- Frame types and flags (the values stored in FRAME_TYPE_BASE) ----
export const PGT_NONE: u32 = 0;
export const PGT_L1: u32 = 1;
export const PGT_L2: u32 = 2;
export const PGT_L3: u32 = 3;
export const PGT_L4: u32 = 4;
export const PGT_SEG_DESC: u32 = 5; // GDT/LDT page
export const PGT_WRITABLE: u32 = 6; // mapped writable by the guest
export const PGF_PINNED: u32 = 1 << 0; // MMUEXT_PIN_Ln_TABLE holds one type reference
export const PGF_VALIDATED: u32 = 1 << 1; // contents checked for the current type
export const PGF_PAE_XEN_L2: u32 = 1 << 2; // PV32: the L2 in slot 3 of an L3 (Xen's compat slots)
export const PGF_FREED: u32 = 1 << 3; // given back by decrease_reservation: not the domain's
export const TYPE_COUNT_MAX: u32 = 0xffff;

// ---- Page-table entry bits Xen cares about beyond mmu/paging.ts (Xen's 24-bit "flags" = bits 0-11, 52-63) ----
// The architectural bits are defined once, with the page walk; PSE is PAT in an L1 entry.
import { PTE_P, PTE_RW, PTE_US, PTE_PWT, PTE_PCD, PTE_A, PTE_D, PTE_PS as PTE_PSE, PTE_G } from '../mmu/paging';
export { PTE_P, PTE_RW, PTE_US, PTE_PWT, PTE_PCD, PTE_A, PTE_D, PTE_PS as PTE_PSE, PTE_G } from '../mmu/paging';
export const PTE_AVAIL: u64 = 0x7 << 9;
export const PTE_GUEST_KERNEL: u64 = <u64>1 << 52; // Xen's tag for PV64 kernel-only L1 entries
export const PTE_AVAIL_HIGH: u64 = <u64>0x7ff << 52; // bits 52..62
export const PTE_GNTTAB: u64 = <u64>1 << 62; // reserved for grant mappings
export const PTE_NX: u64 = <u64>1 << 63;
/** Machine frame bits 12..51 (Xen's 52-bit machine addresses; bits above our 40-bit width give a frame that does not exist). */
export const PTE_MFN_MASK: u64 = 0x000ffffffffff000;
const PTE_FLAGS: u64 = 0xfff0000000000fff;
const BASE_ALLOWED: u64 = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_AVAIL | PTE_AVAIL_HIGH | PTE_NX;
/** Flags a domU may not set in a present entry (Xen's L*_DISALLOW_MASK; no PWT/PCD/PAT without I/O rights). */
export const L1_DISALLOW: u64 = (PTE_FLAGS & ~(BASE_ALLOWED | PTE_G)) | PTE_GNTTAB;
export const L2_DISALLOW: u64 = PTE_FLAGS & ~BASE_ALLOWED; // also L4 and PV64 L3: no PSE, no G
export const PV32_L3_DISALLOW: u64 = PTE_FLAGS & ~(PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_AVAIL);
/** Bits a guest may change without re-validation (Xen's FASTPATH_FLAG_WHITELIST). */
export const FASTPATH_FLAGS: u64 = PTE_NX | PTE_AVAIL_HIGH | PTE_AVAIL | PTE_G | PTE_D | PTE_A | PTE_US;

/** PV64 L4 slots 256..271 belong to Xen (0xFFFF800000000000..0xFFFF87FFFFFFFFFF). */
export const L4_XEN_FIRST: u32 = 256;
export const L4_XEN_LAST: u32 = 271;
/** PV32: slots from here up of the L2 in L3 slot 3 are Xen's (0xF5800000 and above). */
export const PAE_L2_XEN_FIRST: u32 = 428;

// ---- Frame info accessors ----
@inline function infoAt(mfn: u32): u32 { return FRAME_TYPE_BASE + mfn * FRAME_INFO_SIZE; }
@inline export function frameType(mfn: u32): u32 { return load<u8>(infoAt(mfn)); }
@inline export function frameFlags(mfn: u32): u32 { return load<u8>(infoAt(mfn), 1); }
@inline export function frameCount(mfn: u32): u32 { return load<u16>(infoAt(mfn), 2); }
@inline function setType(mfn: u32, t: u32): void { store<u8>(infoAt(mfn), <u8>t); }
@inline function setFlags(mfn: u32, f: u32): void { store<u8>(infoAt(mfn), <u8>f, 1); }
@inline function setCount(mfn: u32, c: u32): void { store<u16>(infoAt(mfn), <u16>c, 2); }
export function setFrameFlag(mfn: u32, flag: u32, on: bool): void {
  setFlags(mfn, on ? frameFlags(mfn) | flag : frameFlags(mfn) & ~flag);
}

@inline export function isPv32(): bool { return load<u32>(DOM_BASE + DOM_GUEST_TYPE) == GUEST_PV32; }
@inline function pv64(): bool { return load<u32>(DOM_BASE + DOM_GUEST_TYPE) == GUEST_PV64; }
@inline export function pteMfn(e: u64): u64 { return (e & PTE_MFN_MASK) >> 12; }

/** A guest RAM frame the domain currently owns (MFN == PFN; not given back by decrease_reservation). */
export function ownsRam(mfn: u64): bool {
  return mfn < <u64>nrPages && (frameFlags(<u32>mfn) & PGF_FREED) == 0;
}

/** A Xen-owned frame the guest may map, even writable: shared_info and the grant frames it set up. */
export function isSharedXenFrame(mfn: u64): bool {
  return mfn < <u64>totalFrames && (mfn == <u64>load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN) || isGrantFrame(mfn));
}

/** Frames an L1 entry of this domain may point at. */
@inline export function ownsFrame(mfn: u64): bool { return ownsRam(mfn) || isSharedXenFrame(mfn); }

// ---- Deferred TLB flush: requested by any change that can remove a translation, done before the guest runs again ----
// With shadows on, every entry change already invalidated exactly what it must (shadowEntryChanged).
let flushPending: bool = false;
export function requestFlush(): void { if (!shadowActive) flushPending = true; }
export function flushIfPending(): void {
  if (flushPending) {
    flushPending = false;
    tlbFlushAll();
  }
}

export function countPtUpdate(): void {
  store<u64>(CNT_BASE + CNT_PT_UPDATES, load<u64>(CNT_BASE + CNT_PT_UPDATES) + 1);
  profPtUpdate();
}

// ---- Why the last validation failed (numbers only: no allocation on guest-triggered paths) ----
export const WHY_NONE: u32 = 0;
export const WHY_FLAGS: u32 = 1; // an entry sets bits a domU may not use
export const WHY_NO_FRAME: u32 = 2; // the entry points beyond machine memory
export const WHY_NOT_OWNED: u32 = 3; // the frame is not the domain's
export const WHY_IN_USE: u32 = 4; // the frame has another type in use (failType)
export const WHY_LINEAR_RW: u32 = 5; // a recursive entry is writable
export const WHY_LINEAR_OTHER: u32 = 6; // a same-level entry points at another table
export const WHY_PAE_SLOT3: u32 = 7; // PV32 L3 slot 3 missing or bad
export const WHY_PAE_SHARED: u32 = 8; // PV32: the slot-3 L2 is used by another L3
export const WHY_OVERFLOW: u32 = 9; // type count overflow
export const WHY_DESCRIPTOR: u32 = 10; // a segment descriptor is not allowed
export const WHY_LEVEL: u32 = 11; // no such page-table level for this guest type
export let failWhy: u32 = WHY_NONE;
export let failTable: u32 = 0; // the table (or descriptor page) holding the bad entry
export let failLevel: u32 = 0;
export let failSlot: u32 = 0;
export let failEntry: u64 = 0;
export let failType: u32 = 0;
let ctxTable: u32 = 0;
let ctxLevel: u32 = 0;
let ctxSlot: u32 = 0;
let ctxEntry: u64 = 0;

export function resetFailure(): void { failWhy = WHY_NONE; }

function fail(why: u32, rc: i64, frame: u32): i64 {
  if (failWhy == WHY_NONE) {
    failWhy = why;
    failTable = ctxTable;
    failLevel = ctxLevel;
    failSlot = ctxSlot;
    failEntry = ctxEntry;
    failType = frame < totalFrames ? frameType(frame) : PGT_NONE;
  }
  return rc;
}

@inline function setCtx(table: u32, level: u32, slot: u32, e: u64): void {
  ctxTable = table; ctxLevel = level; ctxSlot = slot; ctxEntry = e;
}

// ---- Type references (Xen _get_page_type / _put_page_type) ----

/**
 * Takes a reference of `type` on `mfn`, validating the frame if its type changes (or was dropped).
 * `paeXenL2` asks for the PV32 slot-3 flavour of L2. Returns 0 or -EINVAL (the frame is not the
 * domain's, has another type in use, or does not validate; validation may also give -EBUSY/-EPERM).
 */
export function getPageType(mfn: u64, type: u32, paeXenL2: bool): i64 {
  if (!ownsRam(mfn)) {
    // Xen-owned frames shared with the guest are permanently writable pages.
    if (type == PGT_WRITABLE && isSharedXenFrame(mfn)) return 0;
    return fail(WHY_NOT_OWNED, -EINVAL, 0xffffffff);
  }
  const m = <u32>mfn;
  if ((type == PGT_L4 && !pv64()) || (paeXenL2 && !isPv32())) return fail(WHY_LEVEL, -EINVAL, m);
  const count = frameCount(m);
  const t = frameType(m);
  const flags = frameFlags(m);
  const paeFlag: u32 = paeXenL2 ? PGF_PAE_XEN_L2 : 0;
  if (count >= TYPE_COUNT_MAX) return fail(WHY_OVERFLOW, -EINVAL, m);
  if (count > 0) {
    if (t != type || (flags & PGF_PAE_XEN_L2) != paeFlag || (flags & PGF_VALIDATED) == 0) return fail(WHY_IN_USE, -EINVAL, m);
    setCount(m, count + 1);
    return 0;
  }
  if (t == type && (flags & PGF_PAE_XEN_L2) == paeFlag && (flags & PGF_VALIDATED) != 0) {
    setCount(m, 1); // still valid from its last use (writable and descriptor pages keep their validation)
    return 0;
  }
  // Type change: stale writable translations of this frame must go before the guest runs again.
  if (type != PGT_WRITABLE && t != type) requestFlush();
  setType(m, type);
  setFlags(m, (flags & PGF_FREED) | paeFlag);
  setCount(m, 1);
  codeWritten(mfn); // validation may rewrite the frame (Xen slots, descriptor DPLs)
  let rc: i64 = 0;
  switch (type) {
    case PGT_L1: rc = validateL1(m); break;
    case PGT_L2: rc = validateL2(m, paeXenL2); break;
    case PGT_L3: rc = validateL3(m); break;
    case PGT_L4: rc = validateL4(m); break;
    case PGT_SEG_DESC: rc = validateSegDescPage(m); break;
    default: break;
  }
  if (rc != 0) {
    setType(m, PGT_NONE);
    setFlags(m, flags & PGF_FREED);
    setCount(m, 0);
    return rc;
  }
  setFlags(m, frameFlags(m) | PGF_VALIDATED);
  return 0;
}

/**
 * getPageType(mfn, type, false) for its commonest case, a frame already in use with that type (a
 * pinned table loaded as a base, a page mapped writable once more): only the count moves. Every other
 * case (first use, another type, a count at its limit, the PAE flavour, freed) takes the full path.
 */
@inline export function getPageTypeHeld(mfn: u64, type: u32): i64 {
  if (mfn < <u64>nrPages) {
    const info = infoAt(<u32>mfn);
    const w = load<u32>(info); // u8 type | u8 flags << 8 | u16 count << 16
    const flags = (w >> 8) & (PGF_VALIDATED | PGF_PAE_XEN_L2 | PGF_FREED);
    const count = w >> 16;
    if ((w & 0xff) == type && flags == PGF_VALIDATED && count - 1 < TYPE_COUNT_MAX - 1) {
      store<u16>(info, <u16>(count + 1), 2);
      return 0;
    }
  }
  return getPageType(mfn, type, false);
}

/** putPageType when the frame keeps other references (the count stays above 0), else the full path. */
@inline export function putPageTypeHeld(mfn: u64): void {
  if (mfn < <u64>nrPages) {
    const count = frameCount(<u32>mfn);
    if (count > 1) { setCount(<u32>mfn, count - 1); return; }
  }
  putPageType(mfn);
}

/** Drops one type reference; a page table whose count reaches 0 releases what its entries hold. */
export function putPageType(mfn: u64): void {
  if (mfn >= <u64>nrPages) return; // Xen-owned shared frames are not counted
  const m = <u32>mfn;
  const count = frameCount(m);
  if (count == 0) return; // never underflow (a reference this module did not take)
  setCount(m, count - 1);
  if (count != 1) return;
  const t = frameType(m);
  if (t < PGT_L1 || t > PGT_L4) return; // writable and descriptor pages keep their validation
  const flags = frameFlags(m);
  setFlags(m, flags & ~(PGF_VALIDATED | PGF_PAE_XEN_L2));
  if (t == PGT_L4 || (t == PGT_L3 && isPv32())) shadowRootGone(mfn);
  devalidate(m, t, flags);
}

function devalidate(m: u32, t: u32, flags: u32): void {
  const base = frameHost(<u64>m);
  const n = slotsFor(t, flags);
  for (let i: u32 = 0; i < n; i++) {
    if (t == PGT_L4 && i >= L4_XEN_FIRST && i <= L4_XEN_LAST) continue;
    const e = load<u64>(base + i * 8);
    if (t == PGT_L1) putL1eRef(e);
    else putUpperRef(e, m);
  }
}

/** Entries that can hold references, per table type. */
function slotsFor(t: u32, flags: u32): u32 {
  if (t == PGT_L2 && (flags & PGF_PAE_XEN_L2) != 0) return PAE_L2_XEN_FIRST;
  if (t == PGT_L3 && isPv32()) return 4;
  return 512;
}

// ---- Entry references (Xen get_page_from_lNe / put_page_from_lNe) ----

/**
 * Checks a present L1 entry and takes its reference: a writable mapping takes a writable type
 * reference on the frame. `pgOwnerIo` is foreigndom DOMID_IO (I/O pages: none for a domU).
 * Returns 0, -EINVAL (bad flags), -EPERM (no such frame: I/O space) or -EBUSY (not the domain's
 * frame, or a writable mapping of a frame in use as a page table or descriptor page).
 */
export function getL1eRef(e: u64, pgOwnerIo: bool): i64 {
  if ((e & PTE_P) == 0) return 0;
  if ((e & L1_DISALLOW) != 0) return fail(WHY_FLAGS, -EINVAL, 0xffffffff);
  const mfn = pteMfn(e);
  if (mfn >= <u64>totalFrames) return fail(WHY_NO_FRAME, -EPERM, 0xffffffff);
  if (pgOwnerIo || !ownsFrame(mfn)) return fail(WHY_NOT_OWNED, -EBUSY, <u32>mfn);
  if ((e & PTE_RW) != 0 && getPageType(mfn, PGT_WRITABLE, false) != 0) {
    failWhy = WHY_NONE; // report the entry, not the nested typing
    return fail(WHY_IN_USE, -EBUSY, <u32>mfn);
  }
  return 0;
}

export function putL1eRef(e: u64): void {
  if ((e & (PTE_P | PTE_RW)) == (PTE_P | PTE_RW)) putPageType(pteMfn(e));
}

function upperDisallow(level: u32): u64 { return level == 3 && isPv32() ? PV32_L3_DISALLOW : L2_DISALLOW; }

/**
 * Checks a present L2/L3/L4 entry of table `table` and takes a reference of the next level's type on
 * its target. A table may map itself read-only (linear page table); a same-level entry pointing at
 * another table is refused (Xen allows one level of it; we keep only self-maps so no chain of tables
 * can pin each other). Returns 0 or -EINVAL.
 */
export function getUpperRef(level: u32, e: u64, table: u32): i64 {
  if ((e & PTE_P) == 0) return 0;
  if ((e & upperDisallow(level)) != 0) return fail(WHY_FLAGS, -EINVAL, 0xffffffff);
  const mfn = pteMfn(e);
  if (!ownsRam(mfn)) return fail(mfn >= <u64>totalFrames ? WHY_NO_FRAME : WHY_NOT_OWNED, -EINVAL, 0xffffffff);
  const m = <u32>mfn;
  if (m == table) {
    if ((e & PTE_RW) != 0) return fail(WHY_LINEAR_RW, -EINVAL, m);
    if (level == 3 && isPv32()) return fail(WHY_IN_USE, -EINVAL, m);
    return 0; // a self-map holds no reference
  }
  const rc = getPageType(mfn, level - 1, false);
  if (rc != 0 && frameType(m) == level && frameCount(m) > 0) {
    failWhy = WHY_NONE;
    return fail((e & PTE_RW) != 0 ? WHY_LINEAR_RW : WHY_LINEAR_OTHER, -EINVAL, m);
  }
  return rc;
}

export function putUpperRef(e: u64, table: u32): void {
  if ((e & PTE_P) == 0) return;
  const mfn = pteMfn(e);
  if (mfn != <u64>table) putPageType(mfn);
}

// ---- What Xen writes back into entries (pv/mm.h adjust_guest_lNe) ----

/** PV64: U is forced on; kernel-only pages are tagged with bit 52, user pages get G. */
export function adjustL1(e: u64): u64 {
  if ((e & PTE_P) == 0 || !pv64()) return e;
  if ((e & PTE_US) == 0) e |= PTE_GUEST_KERNEL | PTE_US;
  if ((e & PTE_GUEST_KERNEL) == 0) e |= PTE_G | PTE_US;
  return e;
}
export function adjustL2(e: u64): u64 { return (e & PTE_P) != 0 && pv64() ? e | PTE_US : e; }
/**
 * PV64: U forced on. PV32: Xen adds U|RW because its hardware runs the PDPT in long mode; our PV32
 * guests run on PAE paging, where those bits (and A, D) are reserved in a PDPTE, so they are cleared.
 */
export function adjustL3(e: u64): u64 {
  if ((e & PTE_P) == 0) return e;
  return pv64() ? e | PTE_US : e & ~(PTE_RW | PTE_US | PTE_A | PTE_D);
}
export function adjustL4(e: u64): u64 { return (e & PTE_P) != 0 ? e | PTE_A | PTE_US : e; }

export function adjustEntry(level: u32, e: u64): u64 {
  switch (level) {
    case 1: return adjustL1(e);
    case 2: return adjustL2(e);
    case 3: return adjustL3(e);
    default: return adjustL4(e);
  }
}

// ---- Validation of whole tables (Xen promote_lN_table) ----

function validateL1(m: u32): i64 {
  const base = frameHost(<u64>m);
  for (let i: u32 = 0; i < 512; i++) {
    const e = load<u64>(base + i * 8);
    setCtx(m, 1, i, e);
    const rc = getL1eRef(e, false);
    if (rc != 0) {
      while (i-- > 0) putL1eRef(load<u64>(base + i * 8));
      return rc;
    }
    store<u64>(base + i * 8, adjustL1(e));
  }
  return 0;
}

function validateUpper(m: u32, level: u32, first: u32, end: u32): i64 {
  const base = frameHost(<u64>m);
  for (let i = first; i < end; i++) {
    if (level == 4 && i >= L4_XEN_FIRST && i <= L4_XEN_LAST) continue;
    const e = load<u64>(base + i * 8);
    setCtx(m, level, i, e);
    const rc = getUpperRef(level, e, m);
    if (rc != 0) {
      while (i-- > first) {
        if (level == 4 && i >= L4_XEN_FIRST && i <= L4_XEN_LAST) continue;
        putUpperRef(load<u64>(base + i * 8), m);
      }
      return rc;
    }
    store<u64>(base + i * 8, adjustEntry(level, e));
  }
  return 0;
}

function validateL2(m: u32, pae: bool): i64 {
  const rc = validateUpper(m, 2, 0, pae ? PAE_L2_XEN_FIRST : 512);
  // Xen fills its own slots of a PV32 slot-3 L2 (the compat M2P); our MMU serves that window itself.
  if (rc == 0 && pae) memory.fill(frameHost(<u64>m) + PAE_L2_XEN_FIRST * 8, 0, (512 - PAE_L2_XEN_FIRST) * 8);
  return rc;
}

function validateL3(m: u32): i64 {
  if (!isPv32()) return validateUpper(m, 3, 0, 512);
  // PV32 PDPT: only four entries are architectural; Xen clears the rest of the page.
  const base = frameHost(<u64>m);
  memory.fill(base + 32, 0, PAGE_SIZE - 32);
  const rc = validateUpper(m, 3, 0, 3);
  if (rc != 0) return rc;
  // Slot 3 must be present; its L2 becomes "pae_xen_l2" and may not be shared with another L3.
  const e = load<u64>(base + 24);
  setCtx(m, 3, 3, e);
  let rc3: i64 = 0;
  if ((e & PTE_P) == 0 || (e & PV32_L3_DISALLOW) != 0) rc3 = fail(WHY_PAE_SLOT3, -EINVAL, 0xffffffff);
  else {
    const l2 = pteMfn(e);
    rc3 = getPageType(l2, PGT_L2, true);
    if (rc3 == 0 && frameCount(<u32>l2) != 1) {
      putPageType(l2);
      rc3 = fail(WHY_PAE_SHARED, -EINVAL, <u32>l2);
    }
  }
  if (rc3 != 0) {
    for (let i: u32 = 0; i < 3; i++) putUpperRef(load<u64>(base + i * 8), m);
    return rc3;
  }
  store<u64>(base + 24, adjustL3(e));
  return 0;
}

function validateL4(m: u32): i64 {
  const rc = validateUpper(m, 4, 0, 512);
  // Xen's slots 256..271 carry Xen's own entries; guest values there are overwritten. Our MMU serves
  // Xen's window (mmu/xen-window.ts) before walking, so they are cleared.
  if (rc == 0) memory.fill(frameHost(<u64>m) + L4_XEN_FIRST * 8, 0, (L4_XEN_LAST - L4_XEN_FIRST + 1) * 8);
  return rc;
}

/** Every descriptor of a GDT/LDT frame must pass check_descriptor (xen-pv-abi.md 3.3); DPLs are fixed in place. */
function validateSegDescPage(m: u32): i64 {
  const base = frameHost(<u64>m);
  for (let i: u32 = 0; i < 512; i++) {
    const d = load<u64>(base + i * 8);
    setCtx(m, 0, i, d);
    if (!checkDescriptor(d)) return fail(WHY_DESCRIPTOR, -EINVAL, m);
    store<u64>(base + i * 8, checkedDescriptor);
  }
  return 0;
}

// ---- Pinning ----

/** MMUEXT_PIN_Ln_TABLE: validate as `type` and hold one reference. Double pin: -EINVAL. */
export function pinTable(mfn: u64, type: u32): i64 {
  if (!ownsRam(mfn)) return fail(WHY_NOT_OWNED, -EINVAL, 0xffffffff);
  const rc = getPageType(mfn, type, false);
  if (rc != 0) return rc;
  const m = <u32>mfn;
  if ((frameFlags(m) & PGF_PINNED) != 0) {
    putPageType(mfn);
    return -EINVAL;
  }
  setFrameFlag(m, PGF_PINNED, true);
  return 0;
}

/** MMUEXT_UNPIN_TABLE: -EINVAL if the frame is not the domain's or not pinned. */
export function unpinTable(mfn: u64): i64 {
  if (!ownsRam(mfn)) return -EINVAL;
  const m = <u32>mfn;
  if ((frameFlags(m) & PGF_PINNED) == 0) return -EINVAL;
  setFrameFlag(m, PGF_PINNED, false);
  putPageType(mfn);
  return 0;
}

// ---- The domain builder's bootstrap tables ----

function typeName(t: u32): string {
  switch (t) {
    case PGT_L1: return 'an L1 page table';
    case PGT_L2: return 'an L2 page table';
    case PGT_L3: return 'an L3 page table';
    case PGT_L4: return 'an L4 page table';
    case PGT_SEG_DESC: return 'a descriptor table';
    case PGT_WRITABLE: return 'a writable mapping';
    default: return 'another use';
  }
}

/** One line naming the last validation failure (only for rare, host-facing paths: it allocates). */
export function describeFailure(): string {
  const where = 'the L' + failLevel.toString() + ' table at mfn ' + hex(<u64>failTable) + ', entry ' +
    failSlot.toString() + ' (' + hex(failEntry) + ')';
  const target = hex(pteMfn(failEntry));
  switch (failWhy) {
    case WHY_FLAGS: return where + ' sets bits a domU may not use (PWT/PCD/PAT, PSE above L1, or reserved)';
    case WHY_NO_FRAME: return where + ' points at mfn ' + target + ', beyond machine memory';
    case WHY_NOT_OWNED: return where + ' points at mfn ' + target + ', which the domain does not own';
    case WHY_IN_USE: return where + ' needs mfn ' + target + ' as ' + ((failEntry & PTE_RW) != 0 && failLevel == 1 ? 'a writable page' : 'a page table') + ', but it is in use as ' + typeName(failType);
    case WHY_LINEAR_RW: return where + ' maps a page table of its own level writable';
    case WHY_LINEAR_OTHER: return where + ' maps another table of its own level (only read-only self-maps are allowed)';
    case WHY_PAE_SLOT3: return 'the PAE L3 at mfn ' + hex(<u64>failTable) + ' has no valid entry in slot 3 (Xen requires it)';
    case WHY_PAE_SHARED: return 'the L2 in slot 3 of the PAE L3 at mfn ' + hex(<u64>failTable) + ' is shared with another L3';
    case WHY_OVERFLOW: return 'a type reference count overflowed at ' + where;
    case WHY_LEVEL: return 'a PV32 guest has no L4 tables';
    default: return 'validation failed';
  }
}

/**
 * Validates the tables the domain builder wrote (workers/loader/page-tables.ts) as Xen does before
 * the vCPU starts: the top level (PV64 L4, PV32 PAE L3) is pinned and loaded as the kernel's CR3
 * (one reference each). Returns 0, or an error code with the exit message naming the bad entry.
 */
export function pinBootstrapTables(topMfn: u32): u32 {
  resetFailure();
  const type = pv64() ? PGT_L4 : PGT_L3;
  if (!pv64() && !isPv32()) {
    setExitMessage('pinBootstrapTables: the guest type must be set (DOM_GUEST_TYPE) before the tables are pinned');
    return <u32>EINVAL;
  }
  if (!ownsRam(<u64>topMfn)) {
    setExitMessage('bootstrap page tables: the top-level table mfn ' + hex(<u64>topMfn) + ' is not guest RAM');
    return <u32>EINVAL;
  }
  let rc = pinTable(<u64>topMfn, type);
  if (rc == 0) rc = getPageType(<u64>topMfn, type, false); // the reference held by the vCPU's CR3
  if (rc != 0) {
    setExitMessage('bootstrap page tables do not validate: ' + describeFailure());
    flushIfPending();
    return <u32>(-rc);
  }
  const cr3 = <u64>topMfn << 12;
  pvSet64(PV_KERNEL_CR3, cr3);
  store<u64>(CPU_BASE + CPU_CR3, cr3);
  flushPending = false;
  tlbFlushAll();
  return 0;
}

// ---- Entry updates (Xen mod_lN_entry) ----

export const PT_UPDATE_NORMAL: u32 = 0;
export const PT_UPDATE_PRESERVE_AD: u32 = 2;

/** How the last successful entry update changed translations: the caller decides what to flush. */
export let lastUpdateDroppedPresent: bool = false;

/**
 * Writes `nval` into slot `slot` of table `table` (typed `level`, in use) after validation, taking the
 * new entry's reference before dropping the old one. Returns 0 or Xen's error code; on error nothing
 * changed. With preserve-AD the old A and D bits are ORed in.
 */
export function modEntry(table: u32, level: u32, slot: u32, nval: u64, preserveAD: bool, pgOwnerIo: bool): i64 {
  lastUpdateDroppedPresent = false;
  if (level > 1 && pgOwnerIo) return -EINVAL; // only L1 entries may map another owner's pages
  if (level == 2 && (frameFlags(table) & PGF_PAE_XEN_L2) != 0 && slot >= PAE_L2_XEN_FIRST) return -EPERM;
  if (level == 3 && isPv32() && slot >= 3) return -EINVAL;
  if (level == 4 && slot >= L4_XEN_FIRST && slot <= L4_XEN_LAST) return -EINVAL;
  const host = frameHost(<u64>table) + slot * 8;
  const old = load<u64>(host);
  setCtx(table, level, slot, nval);
  if ((nval & PTE_P) != 0) {
    const disallow = level == 1 ? L1_DISALLOW : upperDisallow(level);
    if ((nval & disallow) != 0) return fail(WHY_FLAGS, -EINVAL, 0xffffffff);
    // Fast path: the same frame and rights; only flags a guest may flip freely change.
    if (((old ^ nval) & ~FASTPATH_FLAGS) == 0) {
      writeEntry(host, old, adjustEntry(level, nval), preserveAD);
      lastUpdateDroppedPresent = old != load<u64>(host);
      if (lastUpdateDroppedPresent) shadowEntryChanged(table, slot, old);
      countPtUpdate();
      return 0;
    }
    const rc = level == 1 ? getL1eRef(nval, pgOwnerIo) : getUpperRef(level, nval, table);
    if (rc != 0) return rc;
    writeEntry(host, old, adjustEntry(level, nval), preserveAD);
  } else {
    writeEntry(host, old, nval, preserveAD);
  }
  shadowEntryChanged(table, slot, old);
  if (level == 1) putL1eRef(old);
  else putUpperRef(old, table);
  lastUpdateDroppedPresent = (old & PTE_P) != 0;
  countPtUpdate();
  return 0;
}

function writeEntry(host: u32, old: u64, nval: u64, preserveAD: bool): void {
  codeWrittenHost(host);
  logDirtyMark(<u64>((host - GUEST_RAM_BASE) >> 12));
  store<u64>(host, preserveAD ? nval | (old & (PTE_A | PTE_D)) : nval);
}

// ---- Walking the current address space (Xen map_guest_l1e) ----

/** Set by findL1e: the L1 frame holding the entry. */
export let foundL1Mfn: u32 = 0;

/**
 * Host address of the L1 entry mapping `va` in the current address space (CPU CR3), or 0 if some
 * upper level is not present (or is a large page, or points outside machine memory).
 */
export function findL1e(va: u64): u32 {
  const cr3 = load<u64>(CPU_BASE + CPU_CR3);
  let table: u64;
  let levels: u32;
  if (pv64()) {
    if ((<i64>(va << 16) >> 16) != <i64>va) return 0; // non-canonical
    table = cr3 >> 12;
    levels = 4;
  } else {
    if (va > 0xffffffff) return 0;
    const base = frameHost(cr3 >> 12);
    if (base == 0) return 0;
    const pdpte = load<u64>(base + <u32>(va >> 30) * 8);
    if ((pdpte & PTE_P) == 0) return 0;
    table = pteMfn(pdpte);
    levels = 2;
  }
  for (let level = levels; level >= 2; level--) {
    const base = frameHost(table);
    if (base == 0) return 0;
    const e = load<u64>(base + (<u32>(va >> (12 + 9 * (level - 1))) & 511) * 8);
    if ((e & (PTE_P | PTE_PSE)) != PTE_P) return 0;
    table = pteMfn(e);
  }
  const l1 = frameHost(table);
  if (l1 == 0) return 0;
  foundL1Mfn = <u32>table;
  return l1 + (<u32>(va >> 12) & 511) * 8;
}

/** An L1 table frame in use by the domain (Xen's page_lock on an L1). */
export function isL1InUse(mfn: u32): bool {
  return ownsRam(<u64>mfn) && frameType(mfn) == PGT_L1 && frameCount(mfn) > 0 && (frameFlags(mfn) & PGF_VALIDATED) != 0;
}

// ---- Guest pointer ranges (Xen guest_handle_okay / __addr_ok) ----
const PV64_LOW_END: u64 = 0x0000800000000000; // end of the lower canonical half
const PV64_XEN_END: u64 = 0xffff880000000000; // guest addresses resume above Xen's slots
const PV32_XEN_START: u64 = 0xf5800000;

/** True if [va, va+len) lies in guest address space (not in Xen's part, not non-canonical). */
export function guestRangeOk(va: u64, len: u64): bool {
  const end = va + len;
  if (end < va) return false;
  if (pv64()) return end <= PV64_LOW_END || va >= PV64_XEN_END;
  return end <= PV32_XEN_START;
}

/** Xen's __addr_ok for a single linear address (PV32: any 32-bit address). */
export function guestAddrOk(va: u64): bool {
  if (pv64()) return va < PV64_LOW_END || va >= PV64_XEN_END;
  return va <= 0xffffffff;
}
