// The iret hypercall (xen-pv-abi.md 3.7): return from a bounce frame, possibly to guest user mode.
//   PV64: from RSP upward: RAX, R11, RCX, flags, RIP, CS, RFLAGS, RSP, SS (72 bytes). CS RPL 3 switches
//         to user mode (needs a user L4). Unless flags has VGCF_in_syscall, RCX and R11 are restored.
//   PV32: from ESP upward: EAX, EIP, CS, EFLAGS, [ESP, SS when returning to ring 2/3]; ring 0 target
//         crashes the domain; EFLAGS.VM is refused with #GP.
// In both, the event mask := !RFLAGS.IF; RAX := the saved RAX. Never returns to the caller on success.
// A data segment register that no longer loads sends the vCPU to the failsafe callback (failsafe.ts).
import { getReg64, setReg64, setRip, RAX, RCX, RSP, CS, SS, FLAG_IF, FLAG_IOPL, FLAG_VM } from '../cpu/state';
import { setFlags } from '../cpu/flags';
import { refreshMode } from '../cpu/interp';
import { raiseGP } from '../cpu/fault';
import { hex } from '../exit';
import { crashDomain, isPv64 } from './domain';
import { guestRead32, guestRead64, guestFault } from './guest-mem';
import { xenLoadSegment } from './descriptors';
import { vcpuInfoHost } from './evtchn';
import { inGuestKernel, toggleGuestMode } from './vcpu';
import { unloadableDataSegments, failsafeCallback } from './failsafe';
import { EFAULT } from './errno';
import { PROF_K_DELIVER_BEGIN, PROF_K_DELIVER_END, PROF_D_FAILSAFE, PROF_OUT_BOUNCED, PROF_OUT_FAILED } from '../layout';
import { profiling, profRecord } from '../debug/profile';

const R11: i32 = 11;
export const VGCF_in_syscall: u64 = 0x100;

/** Returns the value for RAX when the frame is unreadable (-EFAULT); otherwise RAX is the saved one. */
export function doIret(): i64 {
  return isPv64() ? iret64() : iret32();
}

function iret64(): i64 {
  const sp = getReg64(RSP);
  const rax = guestRead64(sp), r11 = guestRead64(sp + 8), rcx = guestRead64(sp + 16);
  const flags = guestRead64(sp + 24), rip = guestRead64(sp + 32), cs = guestRead64(sp + 40);
  const rflags = guestRead64(sp + 48), rsp = guestRead64(sp + 56), ss = guestRead64(sp + 64);
  if (guestFault) return -EFAULT;
  const badSegs = unloadableDataSegments(); // with the kernel's tables: the LDT is read through them
  const toUser = (cs & 3) == 3; // (bits 32..39 of the CS slot hold the event mask of a bounce frame)
  if (toUser && inGuestKernel() && !toggleGuestMode()) {
    crashDomain('iret to guest user mode at ' + hex(rip) + ' without a user page table (NEW_USER_BASEPTR)');
    return 0;
  }
  if (!xenLoadSegment(CS, (<u32>cs & 0xffff) | 3) || !xenLoadSegment(SS, (<u32>ss & 0xffff) | 3)) {
    crashDomain('iret hypercall: bad CS ' + hex(cs) + ' or SS ' + hex(ss) + ' in the frame');
    return 0;
  }
  refreshMode();
  setRip(rip);
  setReg64(RSP, rsp);
  setFlags(<u64>((<u32>rflags & ~(FLAG_IOPL | FLAG_VM)) | FLAG_IF));
  store<u8>(vcpuInfoHost() + 1, (rflags & FLAG_IF) != 0 ? 0 : 1);
  if ((flags & VGCF_in_syscall) == 0) { setReg64(RCX, rcx); setReg64(R11, r11); }
  if (badSegs != 0) enterFailsafe(badSegs);
  return <i64>rax;
}

function iret32(): i64 {
  const sp = getReg64(RSP) & 0xffffffff;
  // CS and SS are 16-bit selectors in 32-bit slots; bounce frames carry the saved event mask above CS.
  const eax = guestRead32(sp), eip = guestRead32(sp + 4), cs = guestRead32(sp + 8) & 0xffff, eflags = guestRead32(sp + 12);
  if (guestFault) return -EFAULT;
  if ((eflags & FLAG_VM) != 0) { raiseGP(0); return <i64>getReg64(RAX); }
  const badSegs = unloadableDataSegments();
  const rpl = cs & 3;
  if (rpl == 0) { crashDomain('iret hypercall to ring 0 (cs ' + hex(<u64>cs) + ')'); return 0; }
  let esp = sp + 16, ss: u32 = 0;
  const outer = rpl >= 2;
  if (outer) {
    esp = <u64>guestRead32(sp + 16);
    ss = guestRead32(sp + 20) & 0xffff;
    if (guestFault) return -EFAULT;
  }
  if (!xenLoadSegment(CS, cs) || (outer && !xenLoadSegment(SS, ss))) {
    crashDomain('iret hypercall: bad CS ' + hex(<u64>cs) + ' or SS ' + hex(<u64>ss) + ' in the frame');
    return 0;
  }
  refreshMode();
  setRip(<u64>eip);
  setReg64(RSP, esp);
  setFlags(<u64>((eflags & ~(FLAG_IOPL | FLAG_VM)) | FLAG_IF));
  store<u8>(vcpuInfoHost() + 1, (eflags & FLAG_IF) != 0 ? 0 : 1);
  if (badSegs != 0) enterFailsafe(badSegs);
  return <i64>eax;
}

/** The failsafe callback, recorded by the profiler as a delivery (debug/profile.ts). */
@inline function enterFailsafe(badSegs: u32): void {
  if (!profiling()) { failsafeCallback(badSegs); return; }
  profRecord(PROF_K_DELIVER_BEGIN, PROF_D_FAILSAFE, badSegs);
  profRecord(PROF_K_DELIVER_END, PROF_D_FAILSAFE, failsafeCallback(badSegs) ? PROF_OUT_BOUNCED : PROF_OUT_FAILED);
}
