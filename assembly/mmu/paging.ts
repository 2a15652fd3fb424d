// Page walks: PAE 3-level (32-bit) and long-mode 4-level, as in Intel SDM vol. 3, 4.4 and 4.5.
// Xen PV guests use direct paging, so the entries hold machine frame numbers and the walk runs on
// machine memory. Entry format (both PAE and 4-level; bits 52..62 are ignored, Xen uses them):
//
//   63  62..52  51........12 11..9 8 7  6 5 4   3   2   1  0
//  [XD][ignored][frame     ][avl ][G][PS][D][A][PCD][PWT][US][RW][P]
//
// Rights are the AND of RW and US over every level and the OR of XD (when EFER.NXE) (SDM table 4-11):
//   access            | allowed when
//   ------------------+------------------------------------------------------------
//   user read         | US=1 on every level
//   user write        | US=1 and RW=1 on every level
//   user fetch        | US=1 on every level and no XD
//   supervisor read   | always
//   supervisor write  | RW=1 on every level, or CR0.WP=0
//   supervisor fetch  | no XD (SMEP is not modelled)
// The walk sets A on every level it uses and D on the leaf for writes, as the hardware does.
// PV64 twist (xen-pv-abi.md 4.1): Xen forces US on every present entry of a PV64 guest, so the
// guest kernel (CPL 3) can reach its own pages; we apply it in the walk instead of rewriting entries.
// Also simplified on purpose: PAE PDPTEs are read from memory on each walk (no PDPTE register cache).
// Frames holding pre-decoded instructions never get TLB write rights (cpu/decode-cache.ts codeGuard).
import {
  CPU_BASE, CPU_CR3, CNT_BASE, CNT_PAGE_WALKS, DOM_BASE, DOM_GUEST_TYPE, GUEST_PV64, GUEST_PV32, GUEST_RAM_BASE,
} from '../layout';
import { getCr0, getCr4, getEfer, CR0_PG, CR0_WP, CR4_PAE, CR4_PSE, EFER_LMA, EFER_NXE } from '../cpu/state';
import { raisePageFault, raiseGP, PFEC_P, PFEC_W, PFEC_U, PFEC_RSVD, PFEC_I } from '../cpu/fault';
import { machineHost } from './machine';
import {
  RIGHT_READ_SUP, RIGHT_READ_USER, RIGHT_WRITE_SUP, RIGHT_WRITE_USER, RIGHT_EXEC_SUP, RIGHT_EXEC_USER,
} from './tlb';
import { xenWindow } from './xen-window';
import { tlbFill, logDirtyOn, logDirtyMark } from './log-dirty';
import { shadowActive, shadowSlot, shadowFill, rmapNote, shadowResetAll } from './shadow';

export const PTE_P: u64 = 1 << 0;
export const PTE_RW: u64 = 1 << 1;
export const PTE_US: u64 = 1 << 2;
export const PTE_PWT: u64 = 1 << 3;
export const PTE_PCD: u64 = 1 << 4;
export const PTE_A: u64 = 1 << 5;
export const PTE_D: u64 = 1 << 6;
export const PTE_PS: u64 = 1 << 7;
export const PTE_G: u64 = 1 << 8;
export const PTE_NX: u64 = <u64>1 << 63;
/** Physical-address bits 12..39: the machine address width we report (CPUID 0x80000008) is 40 bits. */
export const PTE_FRAME: u64 = 0x000000fffffff000;
/** Bits 40..51 must be zero (above MAXPHYADDR); bit 63 too unless EFER.NXE. */
export const PTE_RSVD_HIGH: u64 = 0x000fff0000000000;

export const ACC_READ: u32 = 0;
export const ACC_WRITE: u32 = 1;
export const ACC_EXEC: u32 = 2;

/** The TLB right bit for an access kind by user (CPL 3) or supervisor code. */
@inline export function rightFor(acc: u32, user: bool): u32 { return <u32>1 << (acc * 2 + (user ? 1 : 0)); }

// Results of the last successful walk, for the page-table view and tests.
export let lastWalkLevels: u32 = 0;

function pfErr(acc: u32, user: bool, nxe: bool): u32 {
  let e: u32 = 0;
  if (acc == ACC_WRITE) e |= PFEC_W;
  if (user) e |= PFEC_U;
  if (acc == ACC_EXEC && nxe) e |= PFEC_I;
  return e;
}

/**
 * Translates `linear` for an access of kind `acc` by user or supervisor code. Returns the wasm-memory
 * offset of the byte, or 0 after raising #PF. Fills the TLB on success.
 */
export function walk(linear: u64, acc: u32, user: bool): u32 {
  store<u64>(CNT_BASE + CNT_PAGE_WALKS, load<u64>(CNT_BASE + CNT_PAGE_WALKS) + 1);
  const guestType = load<u32>(DOM_BASE + DOM_GUEST_TYPE);
  if (guestType == GUEST_PV64 || guestType == GUEST_PV32) {
    const w = xenWindow(linear, acc, user, guestType);
    if (w != 0xffffffff) return w; // inside Xen's part of the address space: mapped or #PF raised
  }
  const cr0 = getCr0();
  if ((cr0 & CR0_PG) == 0) {
    const host = machineHost(linear & 0xffffffff);
    if (host == 0) { raisePageFault(linear, PFEC_RSVD | pfErr(acc, user, false)); return 0; }
    tlbFill(linear, host & ~0xfff, 0x3f, acc, false);
    return host;
  }
  const efer = getEfer();
  if ((efer & EFER_LMA) != 0 && (<i64>(linear << 16) >> 16) != <i64>linear) {
    // Non-canonical: the hardware raises #GP(0) before paging (the CPU checks its own accesses
    // first; this catches the hypervisor's accesses for guests, which turn into -EFAULT).
    raiseGP(0);
    return 0;
  }
  if ((efer & EFER_LMA) == 0 && (getCr4() & CR4_PAE) == 0) return walkLegacy(linear, acc, user, cr0);
  return walkTables(load<u64>(CPU_BASE + CPU_CR3), linear, acc, user, false);
}

/** The walk sets A or D in a guest entry: in log-dirty mode that page-table frame is dirty, as Xen logs it. */
function setTableBits(entryHost: u32, value: u64): void {
  store<u64>(entryHost, value);
  if (logDirtyOn) logDirtyMark(<u64>((entryHost - GUEST_RAM_BASE) >> 12));
}

/** Rights found by the last pure walk (walkTables with pure = true), for audit(). */
export let pureRights: u32 = 0;

// The table frames the walk went through, for the shadows' reverse map: frame, level and range base.
const walkFrames = new StaticArray<u32>(4);
const walkBases = new StaticArray<u64>(4);

/**
 * The PAE or 4-level walk from `cr3`. With `pure`, the walk only looks: no A/D bits, no fault, no
 * TLB or shadow fill; it returns the host page (0 = no translation) and leaves the rights in pureRights.
 */
export function walkTables(cr3: u64, linear: u64, acc: u32, user: bool, pure: bool): u32 {
  const cr0 = getCr0();
  const efer = getEfer();
  const guestType = load<u32>(DOM_BASE + DOM_GUEST_TYPE);
  const nxe = (efer & EFER_NXE) != 0;
  const rsvdHigh: u64 = PTE_RSVD_HIGH | (nxe ? 0 : PTE_NX);
  const forceUser = guestType == GUEST_PV64;
  let rw: bool = true, us: bool = true, xd: bool = false;
  let tableMa: u64 = cr3 & PTE_FRAME;
  let levels: i32;
  let shift: u32;
  if ((efer & EFER_LMA) != 0) { levels = 4; shift = 39; }
  else { levels = 3; shift = 30; tableMa = cr3 & 0xffffffe0; }
  // Shadows are kept for page-aligned roots (every PV guest's): the reverse map works on whole frames.
  const shadowed = !pure && shadowActive && shadowSlot >= 0 && (tableMa & 0xfff) == 0;

  let entry: u64 = 0;
  let leafLevel: i32 = 1;
  let entryHost: u32 = 0;
  let pageSize: u64 = 0x1000;
  for (let level = levels; level >= 1; level--) {
    const index = levels == 3 && level == 3 ? <u32>(linear >> 30) & 3 : <u32>(linear >> shift) & 511;
    entryHost = machineHost(tableMa + <u64>index * 8);
    if (entryHost == 0) { if (!pure) raisePageFault(linear, PFEC_RSVD | PFEC_P | pfErr(acc, user, nxe)); return 0; }
    entry = load<u64>(entryHost);
    if ((entry & PTE_P) == 0) { if (!pure) raisePageFault(linear, pfErr(acc, user, nxe)); return 0; }
    if (shadowed) {
      const reach: u64 = <u64>1 << (shift + 9);
      unchecked(walkFrames[level - 1] = <u32>(tableMa >> 12));
      unchecked(walkBases[level - 1] = linear & ~(reach - 1) & 0xffffffffffff);
    }
    let rsvd = entry & rsvdHigh;
    if (levels == 3 && level == 3) rsvd |= entry & (0x1e6 | PTE_NX); // PAE PDPTE: bits 1,2,5..8 and XD reserved
    if (level == 4) rsvd |= entry & PTE_PS; // PS is reserved in the PML4E
    if (rsvd != 0) { if (!pure) raisePageFault(linear, PFEC_RSVD | PFEC_P | pfErr(acc, user, nxe)); return 0; }
    if (!(levels == 3 && level == 3)) { // PAE PDPTEs carry no RW/US/A
      rw = rw && (entry & PTE_RW) != 0;
      us = us && ((entry & PTE_US) != 0 || forceUser);
      xd = xd || (nxe && (entry & PTE_NX) != 0);
    }
    const large = (level == 2 || (level == 3 && levels == 4)) && (entry & PTE_PS) != 0;
    if (level == 1 || large) {
      leafLevel = level;
      if (large) {
        pageSize = <u64>1 << shift;
        // The large frame must be aligned: bits 12..(shift-1) other than PAT (bit 12) are reserved.
        if ((entry & PTE_FRAME & (pageSize - 1) & ~(<u64>0x1000)) != 0) {
          if (!pure) raisePageFault(linear, PFEC_RSVD | PFEC_P | pfErr(acc, user, nxe));
          return 0;
        }
      }
      break;
    }
    // Not the leaf: set A and descend.
    if (!pure && !(levels == 3 && level == 3) && (entry & PTE_A) == 0) setTableBits(entryHost, entry | PTE_A);
    tableMa = entry & PTE_FRAME;
    shift -= 9;
  }

  // Permission check against the access that caused the walk.
  const wp = (cr0 & CR0_WP) != 0;
  let ok: bool;
  if (acc == ACC_READ) ok = !user || us;
  else if (acc == ACC_WRITE) ok = user ? (us && rw) : (rw || !wp);
  else ok = !xd && (!user || us);
  if (!ok && !pure) { raisePageFault(linear, PFEC_P | pfErr(acc, user, nxe)); return 0; }

  // Accessed and dirty bits on the leaf.
  let leaf = entry;
  if (!pure) {
    leaf |= PTE_A;
    if (acc == ACC_WRITE) leaf |= PTE_D;
    if (leaf != entry) setTableBits(entryHost, leaf);
  }

  const frameMa = (leaf & PTE_FRAME & ~(pageSize - 1)) + (linear & (pageSize - 1) & ~(<u64>0xfff));
  const hostPage = machineHost(frameMa);
  if (hostPage == 0) { if (!pure) raisePageFault(linear, PFEC_RSVD | PFEC_P | pfErr(acc, user, nxe)); return 0; }

  const dirty = (leaf & PTE_D) != 0;
  let rights: u32 = RIGHT_READ_SUP;
  if (us) rights |= RIGHT_READ_USER;
  if (dirty && (rw || !wp)) rights |= RIGHT_WRITE_SUP;
  if (dirty && us && rw) rights |= RIGHT_WRITE_USER;
  if (!xd) rights |= RIGHT_EXEC_SUP;
  if (!xd && us) rights |= RIGHT_EXEC_USER;
  if (pure) { pureRights = rights; return hostPage; }
  if (shadowed) noteAndFill(linear, hostPage, rights, levels, leafLevel);
  tlbFill(linear, hostPage, rights, acc, pageSize != 0x1000);
  lastWalkLevels = <u32>levels;
  return hostPage + (<u32>linear & 0xfff);
}

/** Puts the walked frames in the reverse map (starting over when it is full), then fills the shadow. */
function noteAndFill(linear: u64, hostPage: u32, rights: u32, levels: i32, leafLevel: i32): void {
  for (let pass = 0; pass < 2; pass++) {
    let ok = true;
    for (let l = levels; l >= leafLevel && ok; l--) ok = rmapNote(unchecked(walkFrames[l - 1]), <u32>l, unchecked(walkBases[l - 1]));
    if (ok) { shadowFill(linear, hostPage, rights); return; }
    shadowResetAll(true); // the reverse map is full: start over, then note this walk's frames again
  }
}

/** 32-bit paging without PAE (SDM 4.3): 2 levels of 4-byte entries, 4 MiB pages with CR4.PSE. */
function walkLegacy(linear: u64, acc: u32, user: bool, cr0: u64): u32 {
  const lin = <u32>linear;
  const pdeHost = machineHost((load<u64>(CPU_BASE + CPU_CR3) & 0xfffff000) + ((lin >> 22) << 2));
  if (pdeHost == 0) { raisePageFault(linear, PFEC_RSVD | PFEC_P | pfErr(acc, user, false)); return 0; }
  const pde = load<u32>(pdeHost);
  if ((pde & 1) == 0) { raisePageFault(linear, pfErr(acc, user, false)); return 0; }
  let rw = (pde & 2) != 0, us = (pde & 4) != 0;
  let entryHost: u32, entry: u32, frame: u32;
  const big = (pde & 0x80) != 0 && (getCr4() & CR4_PSE) != 0;
  if (big) {
    entryHost = pdeHost; entry = pde; frame = (pde & 0xffc00000) | (lin & 0x3ff000);
  } else {
    if ((pde & 0x20) == 0) store<u32>(pdeHost, pde | 0x20);
    entryHost = machineHost(<u64>(pde & 0xfffff000) + (((lin >> 12) & 1023) << 2));
    if (entryHost == 0) { raisePageFault(linear, PFEC_RSVD | PFEC_P | pfErr(acc, user, false)); return 0; }
    entry = load<u32>(entryHost);
    if ((entry & 1) == 0) { raisePageFault(linear, pfErr(acc, user, false)); return 0; }
    rw = rw && (entry & 2) != 0; us = us && (entry & 4) != 0;
    frame = entry & 0xfffff000;
  }
  const wp = (cr0 & CR0_WP) != 0;
  const ok = acc == ACC_WRITE ? (user ? us && rw : rw || !wp) : (!user || us);
  if (!ok) { raisePageFault(linear, PFEC_P | pfErr(acc, user, false)); return 0; }
  let leaf = entry | 0x20;
  if (acc == ACC_WRITE) leaf |= 0x40;
  if (leaf != entry) store<u32>(entryHost, leaf);
  const hostPage = machineHost(<u64>frame);
  if (hostPage == 0) { raisePageFault(linear, PFEC_RSVD | PFEC_P | pfErr(acc, user, false)); return 0; }
  const dirty = (leaf & 0x40) != 0;
  let rights: u32 = RIGHT_READ_SUP | RIGHT_EXEC_SUP;
  if (us) rights |= RIGHT_READ_USER | RIGHT_EXEC_USER;
  if (dirty && (rw || !wp)) rights |= RIGHT_WRITE_SUP;
  if (dirty && us && rw) rights |= RIGHT_WRITE_USER;
  tlbFill(linear, hostPage, rights, acc, big);
  return hostPage + (lin & 0xfff);
}
