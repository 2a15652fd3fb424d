// memory_op(cmd, arg) (xen-pv-abi.md 2.3; Xen common/memory.c, arch/x86/mm.c arch_memory_op) for a
// domain of fixed size: RAM frames 0..nr_pages-1, identity P2M. decrease_reservation gives frames back
// to a pool (they stop being the domain's: PGF_FREED, M2P entry invalid); increase_reservation and
// populate_physmap take them from it again, so the reservation never exceeds nr_pages (= the maximum).
// cmd: low 6 bits = op, the rest = extent to restart from. Reservation ops return the extents done
// (Xen returns that count, never an error, for a bad handle or domid).
// Invariant: a frame with a type reference in use is never given back.
import {
  DOM_BASE, DOM_DOMID, DOM_SHARED_INFO_MFN, HOST_DOMID, M2P_BASE, PAGE_SIZE,
} from '../layout';
import { nrPages, totalFrames, frameHost } from '../mmu/machine';
import { codeWritten } from '../cpu/decode-cache';
import { isPv64 } from './domain';
import { guestRead16, guestRead32, guestReadLong, guestWrite32, guestWrite64, guestWriteLong, guestFault, beginGuestAccess } from './guest-mem';
import { ownsRam, frameCount, frameFlags, setFrameFlag, guestRangeOk, PGF_FREED } from './mm';
import { DOMID_SELF } from './mmu-update';
import { EINVAL, EFAULT, ESRCH, EPERM, ENOSYS } from './errno';

export const XENMEM_increase_reservation: u32 = 0;
export const XENMEM_decrease_reservation: u32 = 1;
export const XENMEM_maximum_ram_page: u32 = 2;
export const XENMEM_current_reservation: u32 = 3;
export const XENMEM_maximum_reservation: u32 = 4;
export const XENMEM_machphys_mfn_list: u32 = 5;
export const XENMEM_populate_physmap: u32 = 6;
export const XENMEM_memory_map: u32 = 9;
export const XENMEM_machphys_mapping: u32 = 12;
export const XENMEM_maximum_gpfn: u32 = 14;
export const MEMOP_EXTENT_SHIFT: u32 = 6;
export const MEMOP_CMD_MASK: u64 = 0x3f;
/** Largest extent order a domU may use (Xen's default domu_max_order). */
export const DOMU_MAX_ORDER: u32 = 9;
export const E820_RAM: u32 = 1;
export const XENMEMF_populate_on_demand: u32 = 1 << 16;
export const XENMEMF_exact_node_request: u32 = 1 << 17;
/** The M2P windows of xen-pv-abi.md 1.8 (Xen's MACH2PHYS_VIRT_START/END and the compat ones). */
export const PV64_M2P_START: u64 = 0xffff800000000000;
export const PV64_M2P_END: u64 = 0xffff804000000000;
export const PV32_M2P_START: u64 = 0xf5800000;
export const PV32_M2P_END: u64 = 0xffe00000;

/** Where the search for a free frame resumes (a hint only: any value is correct). */
let allocHint: u32 = 0;

export function doMemoryOp(cmd: u64, arg: u64): i64 {
  const op = <u32>(cmd & MEMOP_CMD_MASK);
  const start = cmd >> MEMOP_EXTENT_SHIFT;
  switch (op) {
    case XENMEM_increase_reservation: case XENMEM_decrease_reservation: case XENMEM_populate_physmap:
      return reservationOp(op, start, arg);
    case XENMEM_maximum_ram_page:
      if (start != 0) return -EINVAL;
      return <i64>totalFrames; // Xen's max_page: one past the highest machine frame
    case XENMEM_current_reservation: case XENMEM_maximum_reservation: case XENMEM_maximum_gpfn:
      if (start != 0) return -EINVAL;
      return reservationQuery(op, arg);
    case XENMEM_memory_map: return cmd == <u64>op ? memoryMap(arg) : -ENOSYS;
    case XENMEM_machphys_mapping: return cmd == <u64>op ? machphysMapping(arg) : -ENOSYS;
    default: return -ENOSYS;
  }
}

@inline function isSelf(domid: u32): bool { return domid == DOMID_SELF || domid == load<u32>(DOM_BASE + DOM_DOMID); }

/** Frames the domain owns now (tot_pages). */
export function currentReservation(): u32 {
  let n: u32 = 0;
  for (let m: u32 = 0; m < nrPages; m++) if ((frameFlags(m) & PGF_FREED) == 0) n++;
  return n;
}

/** current_reservation / maximum_reservation / maximum_gpfn: arg points at a domid_t. */
function reservationQuery(op: u32, arg: u64): i64 {
  const domid = guestRead16(arg);
  if (guestFault) return -EFAULT;
  if (!isSelf(domid)) return domid == HOST_DOMID ? -EPERM : -ESRCH;
  if (op == XENMEM_current_reservation) return <i64>currentReservation();
  if (op == XENMEM_maximum_reservation) return <i64>nrPages;
  // maximum_gpfn: for PV, one less than the guest-maintained shared_info.arch.max_pfn (or 0 if unset).
  const si = frameHost(<u64>load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN));
  const maxPfn: u64 = si == 0 ? 0 : isPv64() ? load<u64>(si + 3088) : <u64>load<u32>(si + 2316);
  return <i64>(maxPfn == 0 ? 1 : maxPfn) - 1;
}

/**
 * increase_reservation / decrease_reservation / populate_physmap with xen_memory_reservation
 * {extent_start@0; nr_extents@8; extent_order@16; mem_flags@20; domid@24} [PV32 @0,@4,@8,@12,@16].
 */
function reservationOp(op: u32, start: u64, arg: u64): i64 {
  const pv64 = isPv64();
  const w: u64 = pv64 ? 8 : 4;
  const list = guestReadLong(arg, pv64);
  const nr = guestReadLong(arg + w, pv64);
  const order = guestRead32(arg + 2 * w);
  const memFlags = guestRead32(arg + 2 * w + 4);
  const domid = guestRead16(arg + 2 * w + 8);
  if (guestFault) return <i64>start;
  if (nr > <u64>(0xffffffff >> MEMOP_EXTENT_SHIFT) || start >= nr || !isSelf(domid)) return <i64>start;
  const addressBits = memFlags & 0xff;
  if (addressBits != 0 && addressBits < 12) return <i64>start;
  if ((memFlags & XENMEMF_exact_node_request) != 0 && ((memFlags >> 8) & 0xff) != 0) return <i64>start; // no NUMA nodes
  if (op == XENMEM_populate_physmap && (memFlags & XENMEMF_populate_on_demand) != 0) return <i64>start; // PoD: HVM only
  if (order > DOMU_MAX_ORDER) return <i64>start;
  if (list != 0 && !guestRangeOk(list + start * w, (nr - start) * w)) return <i64>start;
  const limit: u64 = addressBits == 0 || addressBits >= 52 ? <u64>0xffffffffffffffff : <u64>1 << (addressBits - 12);
  if (op != XENMEM_increase_reservation && list == 0) return <i64>start; // the list is required
  const n: u64 = <u64>1 << order;
  let i = start;
  for (; i < nr; i++) {
    const slot = list + i * w;
    if (op == XENMEM_decrease_reservation) {
      const gmfn = guestReadLong(slot, pv64);
      if (guestFault) break;
      if (!giveBack(gmfn, n)) break;
      continue;
    }
    let gpfn: u64 = 0;
    if (op == XENMEM_populate_physmap) {
      gpfn = guestReadLong(slot, pv64);
      if (guestFault) break;
    }
    const mfn = takeFree(n, limit);
    if (mfn < 0) break;
    if (op == XENMEM_populate_physmap) {
      for (let j: u64 = 0; j < n; j++) setM2p(<u64>mfn + j, gpfn + j);
    }
    // Inform the guest of the machine frame (increase: only if it gave a list).
    if (list != 0 && !guestWriteLong(slot, <u64>mfn, pv64)) break;
  }
  beginGuestAccess();
  return <i64>i;
}

function setM2p(mfn: u64, pfn: u64): void {
  if (isPv64()) store<u64>(M2P_BASE + <u32>mfn * 8, pfn);
  else store<u32>(M2P_BASE + <u32>mfn * 4, <u32>pfn);
}

/**
 * decrease_reservation of one extent: every frame must be the domain's and hold no type reference
 * (not mapped writable, not a table in use or pinned). Frames of the extent already given back stay so.
 */
function giveBack(gmfn: u64, n: u64): bool {
  if (gmfn + n > <u64>nrPages || gmfn + n < gmfn) return false;
  for (let j: u64 = 0; j < n; j++) {
    const m = <u32>(gmfn + j);
    if (!ownsRam(<u64>m)) return false;
    if (frameCount(m) != 0) return false; // still mapped writable or in use as a table
    setFrameFlag(m, PGF_FREED, true);
    setM2p(<u64>m, isPv64() ? <u64>0xffffffffffffffff : 0xffffffff);
  }
  return true;
}

/** Takes an aligned run of `n` given-back frames below `limit` (in frames); returns its first MFN or -1. */
function takeFree(n: u64, limit: u64): i64 {
  const total = <u64>nrPages;
  if (n > total) return -1;
  let start = (<u64>allocHint / n) * n;
  for (let tries: u64 = 0; tries <= total; tries += n) {
    if (start + n > total) start = 0;
    let ok = start + n <= limit;
    for (let j: u64 = 0; ok && j < n; j++) ok = (frameFlags(<u32>(start + j)) & PGF_FREED) != 0;
    if (ok) {
      for (let j: u64 = 0; j < n; j++) {
        const m = <u32>(start + j);
        setFrameFlag(m, PGF_FREED, false);
        codeWritten(<u64>m);
        memory.fill(frameHost(<u64>m), 0, PAGE_SIZE); // never hand out stale contents
        setM2p(<u64>m, isPv64() ? <u64>0xffffffffffffffff : 0xffffffff);
      }
      allocHint = <u32>(start + n);
      return <i64>start;
    }
    start += n;
  }
  return -1;
}

/**
 * memory_map: {u32 nr_entries (in: capacity, out: count); buffer@8 [@4]} of packed e820 entries
 * {u64 addr; u64 size; u32 type}. Like xl for a PV domU: one RAM entry covering the domain's memory.
 */
function memoryMap(arg: u64): i64 {
  const pv64 = isPv64();
  const cap = guestRead32(arg);
  const buffer = guestReadLong(arg + (pv64 ? 8 : 4), pv64);
  if (guestFault) return -EFAULT;
  const n: u32 = cap < 1 ? cap : 1;
  if (n == 1) {
    if (!guestWrite64(buffer, 0) || !guestWrite64(buffer + 8, <u64>nrPages * PAGE_SIZE) || !guestWrite32(buffer + 16, E820_RAM)) return -EFAULT;
  }
  return guestWrite32(arg, n) ? 0 : -EFAULT;
}

/** machphys_mapping: {ulong v_start, v_end, max_mfn} of the read-only M2P window. */
function machphysMapping(arg: u64): i64 {
  const pv64 = isPv64();
  const start = pv64 ? PV64_M2P_START : PV32_M2P_START;
  const end = pv64 ? PV64_M2P_END : PV32_M2P_END;
  const entry: u64 = pv64 ? 8 : 4;
  const ok = guestWriteLong(arg, start, pv64) && guestWriteLong(arg + entry, end, pv64) &&
    guestWriteLong(arg + 2 * entry, (end - start) / entry - 1, pv64);
  return ok ? 0 : -EFAULT;
}
