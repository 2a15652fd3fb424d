// The failsafe callback (xen-pv-abi.md 3.5; Xen's arch/x86/domain.c load_segments): when Xen cannot
// reload a data segment register (DS, ES, FS, GS) for the context it returns to, it loads a null
// selector in its place and enters the guest's failsafe callback with a frame that also carries the
// four selectors as they were, so the guest can tell a bad segment (retry) from a bad iret:
//   PV64, 16-aligned, downward from the kernel stack: SS, RSP, RFLAGS, CS | mask << 32, RIP, GS, FS,
//        ES, DS, R11, RCX (RCX at the new RSP); then CS:RIP = FLAT_KERNEL_CS:failsafe, SS = FLAT_KERNEL_SS.
//   PV32 (ring 1): [SS, ESP if from ring 3], EFLAGS, CS | mask << 16, EIP, GS, FS, ES, DS (DS at ESP).
// A selector loads when Xen (ring 0) could load it: null, or a present code/data descriptor that is
// data or readable code, with DPL >= RPL unless conforming code. Checked on the iret hypercall, the
// return path that sets the guest context here. Invariant: no fault is left pending; if the frame
// cannot be written or no callback is registered the domain crashes with a message naming why.
import { PV_FAILSAFE_CS, PV_FAILSAFE_IP, PV_KERNEL_SP, PV_KERNEL_SS } from '../layout';
import {
  getReg64, setReg64, setRip, getRip, segSel, segBase, setSegCache, getCpl, RSP, RCX, CS, SS, DS, ES, FS, GS,
  FLAG_TF, FLAG_NT, FLAG_RF, FLAG_VM, FLAG_AC, FLAG_IF, FLAG_IOPL, ATTR_P, ATTR_S, ATTR_CODE, ATTR_RW, ATTR_DC,
} from '../cpu/state';
import { faulted, clearFault } from '../cpu/fault';
import { getFlags, setFlags } from '../cpu/flags';
import { refreshMode } from '../cpu/interp';
import { writeNAs } from '../mmu/access';
import { hex } from '../exit';
import { crashDomain, isPv64 } from './domain';
import { vcpuInfoHost } from './evtchn';
import { xenReadDescriptor, xenLoadSegment, FLAT_KERNEL_CS64, FLAT_KERNEL_SS64 } from './descriptors';
import { pvGet32, pvGet64, inGuestKernel, toggleGuestMode } from './vcpu';
import { callbackMasksEvents, CALLBACKTYPE_failsafe } from './callbacks';
import { enterGuestKernel64, enterHandler64, frameCs64, frameSs64, frameRsp64 } from './bounce';

const WHAT = 'the failsafe callback';

const R11: i32 = 11;
/** The data segment registers in the order of the frame (lowest address first). */
const FRAME_SEGS: StaticArray<i32> = [DS, ES, FS, GS];

/** Whether Xen, at ring 0, could load `selector` into a data segment register. */
function loadable(selector: u32): bool {
  if ((selector & 0xfffc) == 0) return true;
  const d = xenReadDescriptor(selector);
  if (faulted()) { clearFault(); return false; }
  const attr = <u32>(d >> 40) & 0xff;
  if ((attr & ATTR_P) == 0 || (attr & ATTR_S) == 0) return false;
  const code = (attr & ATTR_CODE) != 0;
  if (code && (attr & ATTR_RW) == 0) return false; // execute-only code
  const conforming = code && (attr & ATTR_DC) != 0;
  return conforming || ((attr >> 5) & 3) >= (selector & 3);
}

/**
 * Bit i set when FRAME_SEGS[i] holds a selector that no longer loads (its descriptor changed, or the
 * GDT/LDT shrank under it). Call before switching page tables: LDT descriptors are read through them.
 */
export function unloadableDataSegments(): u32 {
  let bad: u32 = 0;
  for (let i = 0; i < FRAME_SEGS.length; i++) {
    if (!loadable(segSel(FRAME_SEGS[i]))) bad |= 1 << i;
  }
  return bad;
}

/**
 * Xen's answer to unloadable data segments (`bad` from unloadableDataSegments) on the way back to
 * the guest: those registers become null, and the vCPU enters the failsafe callback. Returns false
 * if the domain crashed instead.
 */
export function failsafeCallback(bad: u32): bool {
  // The selectors as they were, packed 16 bits each in frame order (DS lowest).
  let sels: u64 = 0;
  for (let i = 0; i < FRAME_SEGS.length; i++) sels |= <u64>segSel(FRAME_SEGS[i]) << <u64>(16 * i);
  const ip = pvGet64(PV_FAILSAFE_IP);
  if (ip == 0) {
    let names = '';
    for (let i = 0; i < FRAME_SEGS.length; i++) {
      if ((bad & (1 << i)) != 0) names += (names.length > 0 ? ', ' : '') + SEG_NAMES[i] + ' ' + hex(frameSel(sels, i));
    }
    crashDomain('cannot reload ' + names + ' on return to the guest at ' + hex(getRip()) +
      ', and no failsafe callback is registered (set_callbacks / callback_op)');
    return false;
  }
  for (let i = 0; i < FRAME_SEGS.length; i++) {
    const seg = FRAME_SEGS[i];
    // Null selector; PV64 keeps the FS/GS bases, which Xen reloads from their saved values.
    if ((bad & (1 << i)) != 0) setSegCache(seg, 0, 0, 0, isPv64() && (seg == FS || seg == GS) ? segBase(seg) : 0);
  }
  const mask = <u32>load<u8>(vcpuInfoHost() + 1);
  let flags = <u32>getFlags();
  const savedFlags = (flags & ~(FLAG_IF | FLAG_IOPL)) | (mask == 0 ? FLAG_IF : 0);
  const ok = isPv64() ? frame64(ip, sels, savedFlags, mask) : frame32(ip, sels, savedFlags, mask);
  if (!ok) return false;
  flags &= ~(FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM | FLAG_AC);
  setFlags(<u64>(flags | FLAG_IF));
  if (callbackMasksEvents(CALLBACKTYPE_failsafe)) store<u8>(vcpuInfoHost() + 1, 1);
  return true;
}

const SEG_NAMES: StaticArray<string> = ['%ds', '%es', '%fs', '%gs'];
@inline function frameSel(sels: u64, i: i32): u64 { return (sels >> <u64>(16 * i)) & 0xffff; }

function frameFailed(at: u64): bool {
  clearFault();
  crashDomain('cannot deliver the failsafe callback: the guest kernel stack at ' + hex(at) + ' is not writable');
  return false;
}

function frame64(ip: u64, sels: u64, savedFlags: u32, mask: u32): bool {
  const top = enterGuestKernel64(WHAT);
  if (top == 0) return false;
  const cs = frameCs64, ss = frameSs64, oldRsp = frameRsp64;
  const rsp = top - 11 * 8;
  let p = rsp;
  writeNAs(p, getReg64(RCX), 8, true); p += 8;
  writeNAs(p, getReg64(R11), 8, true); p += 8;
  for (let i = 0; i < 4; i++) { writeNAs(p, frameSel(sels, i), 8, true); p += 8; }
  writeNAs(p, getRip(), 8, true); p += 8;
  writeNAs(p, <u64>cs | (<u64>mask << 32), 8, true); p += 8;
  writeNAs(p, <u64>savedFlags, 8, true); p += 8;
  writeNAs(p, oldRsp, 8, true); p += 8;
  writeNAs(p, <u64>ss, 8, true);
  if (faulted()) return frameFailed(rsp);
  return enterHandler64(rsp, ip, WHAT);
}

function frame32(ip: u64, sels: u64, savedFlags: u32, mask: u32): bool {
  const handlerCs = pvGet32(PV_FAILSAFE_CS);
  if ((handlerCs & 0xfffc) == 0) {
    crashDomain('cannot deliver the failsafe callback: its code selector is null');
    return false;
  }
  const fromOuter = getCpl() >= 2;
  const oldEsp = <u32>getReg64(RSP);
  const oldSs = segSel(SS);
  const oldCs = segSel(CS);
  let esp = oldEsp;
  if (fromOuter) {
    const kss = pvGet32(PV_KERNEL_SS);
    if (!xenLoadSegment(SS, (kss & ~3) | 1)) {
      crashDomain('cannot deliver the failsafe callback: kernel stack selector ' + hex(<u64>kss) + ' (stack_switch) is unusable');
      return false;
    }
    esp = <u32>pvGet64(PV_KERNEL_SP);
  }
  const base = segBase(SS);
  esp -= (fromOuter ? 9 : 7) * 4;
  let p = base + <u64>esp;
  for (let i = 0; i < 4; i++) { writeNAs(p, frameSel(sels, i), 4, false); p += 4; }
  writeNAs(p, getRip() & 0xffffffff, 4, false); p += 4;
  writeNAs(p, <u64>(oldCs | (mask << 16)), 4, false); p += 4;
  writeNAs(p, <u64>savedFlags, 4, false); p += 4;
  if (fromOuter) {
    writeNAs(p, <u64>oldEsp, 4, false); p += 4;
    writeNAs(p, <u64>oldSs, 4, false);
  }
  if (faulted()) return frameFailed(base + <u64>esp);
  if (!xenLoadSegment(CS, (handlerCs & ~3) | 1)) {
    crashDomain('cannot deliver the failsafe callback: its code selector ' + hex(<u64>handlerCs) + ' is unusable');
    return false;
  }
  refreshMode();
  setReg64(RSP, <u64>esp);
  setRip(ip & 0xffffffff);
  return true;
}
