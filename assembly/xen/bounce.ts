// Bounce frames (xen-pv-abi.md 3.5): how Xen hands an exception, a software interrupt, an event or a
// system call to a PV guest's handler, by building a frame on the guest kernel stack.
//   PV64, from the new RSP upward (16-byte aligned; kernel_sp if the vCPU was in user mode):
//     RCX, R11, [error code], RIP, CS (RPL 0 if from guest kernel) | old mask << 32, RFLAGS, RSP, SS
//     then RIP = handler, CS = 0xe033, SS = 0xe02b.
//   PV32 (ring 1): if interrupted in ring 3, switch to kernel_ss:kernel_sp and push SS, ESP first;
//     then EFLAGS, CS | old mask << 16, EIP, [error code]; CS:EIP = handler.
// Saved RFLAGS.IF = !old mask. The mask is set when the delivery "disables events".
// Invariant: if the frame cannot be written the domain crashes (Xen does the same); no fault leaks.
import {
  PV_KERNEL_SP, PV_KERNEL_SS, TRACE_KIND_EVENT,
} from '../layout';
import {
  getReg64, setReg64, getRip, setRip, segSel, segBase, getCpl, RSP, RCX, CS, SS,
  FLAG_TF, FLAG_NT, FLAG_RF, FLAG_VM, FLAG_AC, FLAG_IF, FLAG_DF, FLAG_IOPL,
} from '../cpu/state';
import { faulted, clearFault } from '../cpu/fault';
import { getFlags, setFlags } from '../cpu/flags';
import { refreshMode } from '../cpu/interp';
import { writeNAs } from '../mmu/access';
import { hex } from '../exit';
import { crashDomain, isPv64 } from './domain';
import { vcpuInfoHost } from './evtchn';
import { xenLoadSegment, FLAT_KERNEL_CS64, FLAT_KERNEL_SS64 } from './descriptors';
import { pvGet32, pvGet64, inGuestKernel, toggleGuestMode } from './vcpu';
import { traceEvent } from '../debug/trace';

const R11: i32 = 11;
export const NO_ERROR_CODE: i64 = -1;

@inline function upcallMask(): u32 { return load<u8>(vcpuInfoHost() + 1); }
@inline function setUpcallMask(v: u32): void { store<u8>(vcpuInfoHost() + 1, <u8>v); }

/**
 * Delivers to the guest handler at `cs`:`ip` (PV64 ignores cs). `errorCode` < 0 means none.
 * `returnRip` is the RIP saved in the frame (the faulting instruction, or the one after a trap).
 * `what` names the delivery for crash messages. Returns false if the domain crashed.
 */
export function bounce(cs: u32, ip: u64, errorCode: i64, returnRip: u64, maskEvents: bool, clearDf: bool, what: string): bool {
  const oldMask = upcallMask();
  let flags = <u32>getFlags();
  // The saved RFLAGS shows the virtual interrupt flag: IF = events enabled; IOPL is not the guest's.
  const savedFlags = (flags & ~(FLAG_IF | FLAG_IOPL)) | (oldMask == 0 ? FLAG_IF : 0);
  const ok = isPv64()
    ? bounce64(ip, errorCode, returnRip, savedFlags, oldMask, what)
    : bounce32(cs, ip, errorCode, returnRip, savedFlags, oldMask, what);
  if (!ok) return false;
  flags &= ~(FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM | FLAG_AC);
  if (clearDf) flags &= ~FLAG_DF;
  setFlags(<u64>(flags | FLAG_IF));
  if (maskEvents) setUpcallMask(1);
  return true;
}

function frameFailed(what: string, at: u64): bool {
  clearFault();
  crashDomain('cannot deliver ' + what + ': the guest kernel stack at ' + hex(at) + ' is not writable');
  return false;
}

// The interrupted context of the PV64 frame being built (enterGuestKernel64).
export let frameCs64: u32 = 0;
export let frameSs64: u32 = 0;
export let frameRsp64: u64 = 0;

/**
 * PV64, the start of every frame Xen builds: note the interrupted CS (RPL 0 if it was the guest
 * kernel), SS and RSP, switch to guest-kernel mode when coming from user mode (GS and CR3 swap),
 * and return the 16-byte aligned top of the stack the frame goes on; 0 if the domain crashed.
 */
export function enterGuestKernel64(what: string): u64 {
  const wasKernel = inGuestKernel();
  frameRsp64 = getReg64(RSP);
  frameCs64 = segSel(CS);
  frameSs64 = segSel(SS);
  if (wasKernel) frameCs64 &= ~3;
  else if (!toggleGuestMode()) {
    crashDomain('cannot deliver ' + what + ': no kernel page table (NEW_BASEPTR) to switch to');
    return 0;
  }
  return (wasKernel ? frameRsp64 : pvGet64(PV_KERNEL_SP)) & ~(<u64>15);
}

/** PV64, the end of every frame: run the handler at `ip` on Xen's flat kernel selectors, stack `rsp`. */
export function enterHandler64(rsp: u64, ip: u64, what: string): bool {
  if (!xenLoadSegment(CS, FLAT_KERNEL_CS64) || !xenLoadSegment(SS, FLAT_KERNEL_SS64)) {
    crashDomain('cannot deliver ' + what + ': Xen flat kernel selectors are unusable');
    return false;
  }
  refreshMode();
  setReg64(RSP, rsp);
  setRip(ip);
  return true;
}

function bounce64(ip: u64, errorCode: i64, returnRip: u64, savedFlags: u32, oldMask: u32, what: string): bool {
  let rsp = enterGuestKernel64(what);
  if (rsp == 0) return false;
  const cs = frameCs64, ss = frameSs64, oldRsp = frameRsp64;
  const words: u32 = errorCode >= 0 ? 8 : 7;
  rsp -= <u64>words * 8;
  let p = rsp;
  writeNAs(p, getReg64(RCX), 8, true); p += 8;
  writeNAs(p, getReg64(R11), 8, true); p += 8;
  if (errorCode >= 0) { writeNAs(p, <u64>(<u32>errorCode), 8, true); p += 8; }
  writeNAs(p, returnRip, 8, true); p += 8;
  writeNAs(p, <u64>cs | (<u64>oldMask << 32), 8, true); p += 8;
  writeNAs(p, <u64>savedFlags, 8, true); p += 8;
  writeNAs(p, oldRsp, 8, true); p += 8;
  writeNAs(p, <u64>ss, 8, true);
  if (faulted()) return frameFailed(what, rsp);
  return enterHandler64(rsp, ip, what);
}

function bounce32(handlerCs: u32, ip: u64, errorCode: i64, returnRip: u64, savedFlags: u32, oldMask: u32, what: string): bool {
  const fromRing = getCpl();
  const oldEsp = <u32>getReg64(RSP);
  const oldSs = segSel(SS);
  const oldCs = segSel(CS);
  if ((handlerCs & 0xfffc) == 0) {
    crashDomain('cannot deliver ' + what + ': the handler has a null code selector');
    return false;
  }
  let esp: u32;
  if (fromRing >= 2) {
    const kss = pvGet32(PV_KERNEL_SS);
    if (!xenLoadSegment(SS, (kss & ~3) | 1)) {
      crashDomain('cannot deliver ' + what + ': kernel stack selector ' + hex(<u64>kss) + ' (stack_switch) is unusable');
      return false;
    }
    esp = <u32>pvGet64(PV_KERNEL_SP);
  } else esp = oldEsp;
  const base = segBase(SS);
  let n: u32 = (fromRing >= 2 ? 5 : 3) + (errorCode >= 0 ? 1 : 0);
  esp -= n * 4;
  let p = base + <u64>esp;
  if (errorCode >= 0) { writeNAs(p, <u64>(<u32>errorCode), 4, false); p += 4; }
  writeNAs(p, returnRip & 0xffffffff, 4, false); p += 4;
  writeNAs(p, <u64>(oldCs | (oldMask << 16)), 4, false); p += 4;
  writeNAs(p, <u64>savedFlags, 4, false); p += 4;
  if (fromRing >= 2) {
    writeNAs(p, <u64>oldEsp, 4, false); p += 4;
    writeNAs(p, <u64>oldSs, 4, false);
  }
  if (faulted()) return frameFailed(what, base + <u64>esp);
  if (!xenLoadSegment(CS, (handlerCs & ~3) | 1)) {
    crashDomain('cannot deliver ' + what + ': handler code selector ' + hex(<u64>handlerCs) + ' is unusable');
    return false;
  }
  refreshMode();
  setReg64(RSP, <u64>esp);
  setRip(ip & 0xffffffff);
  return true;
}

export function traceDelivery(rip: u64, info: u32): void { traceEvent(TRACE_KIND_EVENT, rip, info); }
