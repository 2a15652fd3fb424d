// Xen's own part of a PV guest's address space, which the guest cannot map itself
// (xen-pv-abi.md 1.8, 4.1): the read-only M2P table at the machphys window.
//   PV64: L4 slots 256..271 (0xFFFF800000000000 .. 0xFFFF87FFFFFFFFFF); the M2P starts at the base.
//   PV32: 0xF5800000 .. 4 GiB (the compat M2P with 4-byte entries starts at 0xF5800000).
// Reads of the M2P are served from M2P_BASE; writes fault (#PF, protection) as on Xen; anything
// else in the window is not present.
import { M2P_BASE, M2P_SIZE, GUEST_PV64 } from '../layout';
import { raisePageFault, PFEC_P, PFEC_W, PFEC_U } from '../cpu/fault';
import { tlbInsert, RIGHT_READ_SUP, RIGHT_READ_USER } from './tlb';

export const PV64_XEN_START: u64 = 0xffff800000000000;
export const PV64_XEN_END: u64 = 0xffff880000000000;
export const PV64_M2P_START: u64 = 0xffff800000000000;
export const PV32_XEN_START: u64 = 0xf5800000;
export const PV32_XEN_END: u64 = 0x100000000;
export const PV32_M2P_START: u64 = 0xf5800000;

/** 0xffffffff when `linear` is guest territory; else the host offset, or 0 after raising #PF. */
export function xenWindow(linear: u64, acc: u32, user: bool, guestType: u32): u32 {
  let start: u64, end: u64, m2p: u64;
  if (guestType == GUEST_PV64) { start = PV64_XEN_START; end = PV64_XEN_END; m2p = PV64_M2P_START; }
  else { start = PV32_XEN_START; end = PV32_XEN_END; m2p = PV32_M2P_START; }
  if (linear < start || linear >= end) return 0xffffffff;
  const err: u32 = (acc == 1 ? PFEC_W : 0) | (user ? PFEC_U : 0);
  const off = linear - m2p;
  if (linear >= m2p && off < <u64>M2P_SIZE) {
    if (acc != 0) { raisePageFault(linear, err | PFEC_P); return 0; }
    const host = M2P_BASE + <u32>off;
    tlbInsert(linear, host & ~0xfff, RIGHT_READ_SUP | RIGHT_READ_USER, false);
    return host;
  }
  raisePageFault(linear, err);
  return 0;
}
