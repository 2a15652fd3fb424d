// Machine memory: the frames a domain owns, MFN n at GUEST_RAM_BASE + n * 4096 of the wasm memory.
// MFNs 0 .. nrPages-1 are guest RAM (P2M is the identity); nrPages .. totalFrames-1 are Xen-owned
// frames (shared_info, grant frames). Invariant: no machine address outside totalFrames ever
// reaches a load or store: machineHost() returns 0 for those and callers treat it as a fault.
import { GUEST_RAM_BASE, PAGE_SIZE } from '../layout';

export let nrPages: u32 = 0;
export let totalFrames: u32 = 0;

export function setMachineSize(ramFrames: u32, allFrames: u32): void {
  nrPages = ramFrames;
  totalFrames = allFrames;
}

/** Wasm-memory offset of machine address `ma`, or 0 if no frame backs it. */
@inline export function machineHost(ma: u64): u32 {
  if ((ma >> 12) >= <u64>totalFrames) return 0;
  return GUEST_RAM_BASE + <u32>ma;
}

@inline export function frameHost(mfn: u64): u32 {
  if (mfn >= <u64>totalFrames) return 0;
  return GUEST_RAM_BASE + (<u32>mfn) * PAGE_SIZE;
}

@inline export function isRamFrame(mfn: u64): bool { return mfn < <u64>nrPages; }
