// Descriptor tables of a PV vCPU (xen-pv-abi.md 3.3): entries 0..7167 come from the guest's frames
// (set_gdt, validated there), entries 7168..7679 are Xen's reserved page with the flat selectors;
// the LDT (MMUEXT_SET_LDT) is read from its guest linear address with supervisor rights.
// Invariant: a selector beyond the table raises #GP(selector & ~3) and returns 0.
import {
  DOM_BASE, DOM_VCPU, PV_GDT_FRAMES, PV_LDT_BASE, PV_LDT_ENTS, DOM_GDT_MFNS, GUEST_PV64, DOM_GUEST_TYPE,
} from '../layout';
import { raiseGP, faulted, clearFault } from '../cpu/fault';
import { setSegCache } from '../cpu/state';
import { descAttr, loadCache } from '../cpu/segments';
import { frameHost } from '../mmu/machine';
import { read64As } from '../mmu/access';
import { checkDescriptor, checkedDescriptor } from './gdt';

export const FIRST_RESERVED_GDT_ENTRY: u32 = 7168;
export const FLAT_RING1_CS: u32 = 0xe019;
export const FLAT_RING1_DS: u32 = 0xe021;
export const FLAT_RING3_CS32_PV32: u32 = 0xe02b;
export const FLAT_RING3_DS_PV32: u32 = 0xe033;
export const FLAT_KERNEL_CS64: u32 = 0xe033;
export const FLAT_KERNEL_SS64: u32 = 0xe02b;
export const FLAT_USER_CS32_PV64: u32 = 0xe023;

/** Xen's reserved GDT entry `i` (0..511 within the reserved page) for the domain's guest type. */
export function xenReservedDescriptor(i: u32, pv64: bool): u64 {
  switch (i) {
    case 1: return 0x00af9b000000ffff; // 0xe008 Xen ring-0 64-bit code
    case 2: return 0x00cf93000000ffff; // 0xe010 Xen ring-0 data
    case 3: return pv64 ? 0 : 0x00cfbb000000ffff; // 0xe018 PV32 FLAT_RING1_CS
    case 4: return pv64 ? 0x00cffb000000ffff : 0x00cfb3000000ffff; // 0xe020 PV64 compat user CS / PV32 ring-1 DS
    case 5: return pv64 ? 0x00cff3000000ffff : 0x00cffb000000ffff; // 0xe028 PV64 data DPL3 / PV32 ring-3 CS
    case 6: return pv64 ? 0x00affb000000ffff : 0x00cff3000000ffff; // 0xe030 PV64 CS64 / PV32 ring-3 DS
    default: return 0;
  }
}

export function xenReadDescriptor(selector: u32): u64 {
  const index = selector >> 3;
  const vcpu = DOM_BASE + DOM_VCPU;
  if ((selector & 4) != 0) {
    if (index >= load<u32>(vcpu + PV_LDT_ENTS)) { raiseGP(selector & 0xfffc); return 0; }
    // The LDT lives in guest memory: each descriptor passes Xen's check_descriptor when read, so a
    // guest cannot plant a ring-0 segment there (a refused one reads as not present).
    const d = read64As(load<u64>(vcpu + PV_LDT_BASE) + <u64>index * 8, false);
    if (faulted()) return 0;
    return checkDescriptor(d) ? checkedDescriptor : 0;
  }
  if (index >= FIRST_RESERVED_GDT_ENTRY && index < FIRST_RESERVED_GDT_ENTRY + 512) {
    return xenReservedDescriptor(index - FIRST_RESERVED_GDT_ENTRY, load<u32>(DOM_BASE + DOM_GUEST_TYPE) == GUEST_PV64);
  }
  if (index >= load<u32>(vcpu + PV_GDT_FRAMES)) { raiseGP(selector & 0xfffc); return 0; }
  const host = frameHost(<u64>load<u32>(DOM_BASE + DOM_GDT_MFNS + (index >> 9) * 4));
  if (host == 0) { raiseGP(selector & 0xfffc); return 0; }
  return load<u64>(host + (index & 511) * 8);
}

/**
 * Loads segment `seg` with `selector` for a transfer Xen itself performs (bounce frame, iret hypercall,
 * start of day): the descriptor must be present and of the right kind (code for CS, writable data for
 * SS, data or readable code otherwise). A null selector loads a null segment (not for CS/SS).
 * Returns false (with no fault pending) when the selector is unusable.
 */
export function xenLoadSegment(seg: i32, selector: u32): bool {
  if ((selector & 0xfffc) == 0) {
    if (seg == 1 || seg == 2) return false; // CS, SS
    setSegCache(seg, selector, 0, 0, 0);
    return true;
  }
  const d = xenReadDescriptor(selector);
  if (faulted()) { clearFault(); return false; }
  const attr = descAttr(d);
  if ((attr & 0x80) == 0 || (attr & 0x10) == 0) return false; // not present, or a system descriptor
  const code = (attr & 0x8) != 0;
  if (seg == 1 && !code) return false;
  if (seg == 2 && (code || (attr & 0x2) == 0)) return false;
  if (seg != 1 && seg != 2 && code && (attr & 0x2) == 0) return false;
  loadCache(seg, selector, d); // also keeps the stack-pointer width in step with SS.B
  return true;
}
