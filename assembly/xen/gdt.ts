// Guest descriptor tables (xen-pv-abi.md 2.3 set_gdt / update_descriptor, 3.3; Xen pv/descriptor-tables.c):
// set_gdt installs up to 14 guest frames, each typed "segment descriptor page" (so it cannot be
// mapped writable anywhere) after every descriptor passed check_descriptor; update_descriptor writes
// one checked descriptor into a descriptor page or an ordinary page. check_descriptor raises DPLs to
// the guest kernel's ring, refuses system descriptors other than call gates, and forces call-gate DPL
// to 0 (the original DPL moves to the target selector's RPL). Invariant: DOM_GDT_MFNS[0..frames) each
// hold one PGT_SEG_DESC reference while installed.
import { DOM_BASE, DOM_GDT_MFNS, PV_GDT_FRAMES } from '../layout';
import { totalFrames, frameHost } from '../mmu/machine';
import { codeWritten } from '../cpu/decode-cache';
import { tlbFlushAll } from '../mmu/tlb';
import { isPv64 } from './domain';
import { pvGet32, pvSet32 } from './vcpu';
import { guestRead32, guestRead64, guestFault } from './guest-mem';
import { getPageType, putPageType, frameType, ownsFrame, PGT_SEG_DESC, PGT_WRITABLE, resetFailure, flushIfPending } from './mm';
import { EINVAL, EFAULT } from './errno';

export const FIRST_RESERVED_GDT_ENTRY: u32 = 7168; // 14 guest frames of 512 descriptors
const SEG_P: u32 = 1 << 15;
const SEG_S: u32 = 1 << 12;
const SEG_DPL: u32 = 3 << 13;
const SEG_L: u32 = 1 << 21;
const SEG_G: u32 = 1 << 23;
const SEG_TYPE: u32 = 0xf00;
const TYPE_CALL_GATE: u32 = 0xc00;
/** PV32 flat segments reaching into the hypervisor hole are widened to 4 GiB (HYPERVISOR_COMPAT_VIRT_START). */
const PV32_COMPAT_VIRT_START: u64 = 0xf5800000;
const FLAT_KERNEL_CS_PV64: u32 = 0xe033;
const FLAT_KERNEL_CS_PV32: u32 = 0xe019; // FLAT_RING1_CS

/** The descriptor as check_descriptor left it (valid after it returned true). */
export let checkedDescriptor: u64 = 0;

/** A call gate may target a guest GDT selector, an LDT selector, or Xen's flat kernel CS. */
function gateSelectorOk(sel: u32, pv64: bool): bool {
  return (sel >> 3) < FIRST_RESERVED_GDT_ENTRY || sel == (pv64 ? FLAT_KERNEL_CS_PV64 : FLAT_KERNEL_CS_PV32) || (sel & 4) != 0;
}

/**
 * Xen's check_descriptor: true if the 8-byte descriptor `d` may appear in a guest GDT/LDT, with the
 * (possibly rewritten) descriptor in `checkedDescriptor`.
 */
export function checkDescriptor(d: u64): bool {
  const pv64 = isPv64();
  let a = <u32>d;
  let b = <u32>(d >> 32);
  checkedDescriptor = d;
  if ((b & SEG_P) == 0) return true; // a not-present descriptor always faults: safe
  let dpl = (b >> 13) & 3;
  const kernelRpl: u32 = pv64 ? 3 : 1;
  if (dpl < kernelRpl) dpl = kernelRpl;
  b = (b & ~SEG_DPL) | (dpl << 13);
  if ((b & SEG_S) != 0) {
    // Code and data segments: no base/limit checks, except for PV32 (no 64-bit code; widen flat segments).
    if (!pv64) {
      if ((b & SEG_L) != 0) return false;
      const base = (b & 0xff000000) | ((b & 0xff) << 16) | (a >> 16);
      let limit = <u64>((b & 0xf0000) | (a & 0xffff)) + 1;
      if ((b & SEG_G) != 0) limit <<= 12;
      if (base == 0 && limit > PV32_COMPAT_VIRT_START) {
        a |= 0x0000ffff;
        b |= 0x000f0000;
      }
    }
    checkedDescriptor = <u64>a | (<u64>b << 32);
    return true;
  }
  if ((b & SEG_TYPE) == 0) return true; // type 0: the upper half of a 16-byte gate (left as it is)
  if ((b & SEG_TYPE) != TYPE_CALL_GATE) return false; // no TSS, LDT, interrupt or trap gates
  let cs = a >> 16;
  if (!gateSelectorOk(cs, pv64)) return false;
  // DPL 0 makes every use trap to Xen, which emulates the gate; the guest's DPL travels in the RPL.
  b &= ~SEG_DPL;
  cs = (cs & ~3) | dpl;
  a = (a & 0xffff) | (cs << 16);
  if ((b & (pv64 ? 0xff : 0xe0)) != 0) return false; // reserved bits (PV32: above the parameter count)
  checkedDescriptor = <u64>a | (<u64>b << 32);
  return true;
}

/** The frame list being installed (no allocation per call: the core's runtime never frees). */
const newFrames = new StaticArray<u64>(14);

/** Frames used by a GDT of `entries` descriptors. */
@inline function framesFor(entries: u32): u32 { return (entries + 511) >> 9; }

/**
 * set_gdt(frame_list, entries): frames are MFNs (PV64 u64, PV32 u32). Returns 0, -EINVAL (too many
 * entries, a frame that is not the domain's, mapped writable, or holding a bad descriptor) or -EFAULT.
 */
export function doSetGdt(frameList: u64, entriesArg: u64): i64 {
  resetFailure();
  const entries = <u32>entriesArg;
  if (entries > FIRST_RESERVED_GDT_ENTRY) return -EINVAL;
  const n = framesFor(entries);
  const pv64 = isPv64();
  const frames = newFrames;
  for (let i: u32 = 0; i < n; i++) {
    frames[i] = pv64 ? guestRead64(frameList + <u64>i * 8) : <u64>guestRead32(frameList + <u64>i * 4);
  }
  if (guestFault) return -EFAULT;
  for (let i: u32 = 0; i < n; i++) {
    if (frames[i] >= <u64>totalFrames || getPageType(frames[i], PGT_SEG_DESC, false) != 0) {
      while (i-- > 0) putPageType(frames[i]);
      flushIfPending();
      return -EINVAL;
    }
  }
  // Tear down the old GDT, install the new one.
  const old = framesFor(pvGet32(PV_GDT_FRAMES));
  for (let i: u32 = 0; i < old; i++) putPageType(<u64>load<u32>(DOM_BASE + DOM_GDT_MFNS + i * 4));
  for (let i: u32 = 0; i < 14; i++) store<u32>(DOM_BASE + DOM_GDT_MFNS + i * 4, i < n ? <u32>frames[i] : 0);
  pvSet32(PV_GDT_FRAMES, entries);
  flushIfPending();
  tlbFlushAll();
  return 0;
}

/**
 * update_descriptor(maddr, desc) [PV32: ma_lo, ma_hi, d_lo, d_hi]: one checked descriptor at an
 * 8-aligned machine address of a descriptor page or of a page that may be writable. 0 or -EINVAL.
 */
export function doUpdateDescriptor(a1: u64, a2: u64, a3: u64, a4: u64): i64 {
  resetFailure();
  const pv64 = isPv64();
  const maddr = pv64 ? a1 : (a1 & 0xffffffff) | (a2 << 32);
  const desc = pv64 ? a2 : (a3 & 0xffffffff) | (a4 << 32);
  if ((maddr & 7) != 0 || !checkDescriptor(desc)) return -EINVAL;
  const mfn = maddr >> 12;
  if (mfn >= <u64>totalFrames || !ownsFrame(mfn)) return -EINVAL;
  const type = frameType(<u32>mfn) == PGT_SEG_DESC ? PGT_SEG_DESC : PGT_WRITABLE;
  if (getPageType(mfn, type, false) != 0) {
    flushIfPending();
    return -EINVAL;
  }
  codeWritten(mfn);
  store<u64>(frameHost(mfn) + (<u32>maddr & 0xff8), checkedDescriptor);
  putPageType(mfn);
  flushIfPending();
  return 0;
}
