// vcpu_op (xen-pv-abi.md 2.3) for the one vCPU of a domain, and set_timer_op. Linux 6.1 panics unless
// register_vcpu_info, register_runstate_memory_area, stop_periodic_timer and set_singleshot_timer
// succeed, so those follow Xen exactly; SMP commands (initialise, up, down) answer for vCPU 0 only.
import {
  DOM_BASE, DOM_VCPU, PV_VCPU_INFO_MA, PV_RUNSTATE_VA, PV_BLOCKED, DOM_SHARED_INFO_MFN,
} from '../layout';
import { frameHost, machineHost, isRamFrame } from '../mmu/machine';
import { codeWritten } from '../cpu/decode-cache';
import { guestRead32, guestRead64, guestWrite32, guestWrite64, guestWriteLong, guestProbeWrite, guestFault } from './guest-mem';
import { isPv64 } from './domain';
import { vcpuInfoHost } from './evtchn';
import { pvGet64, pvSet64 } from './vcpu';
import { systemTimeNs, writeVcpuTimeInfo } from './time';
import { setSingleshot, stopSingleshot, setPeriodic, MIN_PERIOD_NS } from './timer';
import { getPageType, PGT_WRITABLE, resetFailure } from './mm';
import { EFAULT, EINVAL, ENOENT, ENOSYS, EEXIST, ETIME } from './errno';

export const VCPUOP_initialise: u32 = 0;
export const VCPUOP_up: u32 = 1;
export const VCPUOP_down: u32 = 2;
export const VCPUOP_is_up: u32 = 3;
export const VCPUOP_get_runstate_info: u32 = 4;
export const VCPUOP_register_runstate_memory_area: u32 = 5;
export const VCPUOP_set_periodic_timer: u32 = 6;
export const VCPUOP_stop_periodic_timer: u32 = 7;
export const VCPUOP_set_singleshot_timer: u32 = 8;
export const VCPUOP_stop_singleshot_timer: u32 = 9;
export const VCPUOP_register_vcpu_info: u32 = 10;
export const VCPUOP_send_nmi: u32 = 11;
export const VCPUOP_get_physid: u32 = 12;
export const VCPUOP_register_vcpu_time_memory_area: u32 = 13;
export const VCPU_SSHOTTMR_future: u32 = 1;
export const RUNSTATE_running: u32 = 0;
export const RUNSTATE_blocked: u32 = 2;

let runstateEntryNs: u64 = 0;
let runningNs: u64 = 0;
let blockedNs: u64 = 0;
let lastState: u32 = RUNSTATE_running;
let timeAreaVa: u64 = 0;

export function vcpuOpReset(): void {
  runstateEntryNs = 0; runningNs = 0; blockedNs = 0; lastState = RUNSTATE_running; timeAreaVa = 0;
}

/** Accounts time to the old state and enters `state`; refreshes the registered runstate area. */
export function runstateChange(state: u32): void {
  const now = systemTimeNs();
  if (lastState == RUNSTATE_running) runningNs += now - runstateEntryNs;
  else blockedNs += now - runstateEntryNs;
  runstateEntryNs = now;
  lastState = state;
  writeRunstate(pvGet64(PV_RUNSTATE_VA));
}

/** Writes {state, state_entry_time, time[4]} (48 bytes PV64, 44 PV32) at `va`; false if unwritable. */
function writeRunstate(va: u64): bool {
  if (va == 0) return true;
  const now = systemTimeNs();
  const run = runningNs + (lastState == RUNSTATE_running ? now - runstateEntryNs : 0);
  const blk = blockedNs + (lastState == RUNSTATE_blocked ? now - runstateEntryNs : 0);
  const t: u64 = isPv64() ? 16 : 12;
  return guestWrite32(va, lastState) && guestWrite64(va + (isPv64() ? 8 : 4), runstateEntryNs) &&
    guestWrite64(va + t, run) && guestWrite64(va + t + 8, 0) && guestWrite64(va + t + 16, blk) && guestWrite64(va + t + 24, 0);
}

/** Refreshes guest-visible time copies (the vcpu_time_memory_area) at slice boundaries. */
export function refreshTimeAreas(): void {
  if (timeAreaVa == 0) return;
  // The area is written like vcpu_time_info in vcpu_info, through the guest's mapping.
  const ns = systemTimeNs();
  guestWrite32(timeAreaVa, 1);
  guestWrite64(timeAreaVa + 8, ns);
  guestWrite64(timeAreaVa + 16, ns);
  guestWrite32(timeAreaVa + 24, 0x80000000);
  guestWrite32(timeAreaVa + 28, 0x0101); // tsc_shift 1, flags TSC_STABLE
  guestWrite32(timeAreaVa, 2);
}

export function doVcpuOp(cmd: u64, vcpuid: u64, arg: u64): i64 {
  if (vcpuid != 0) return -ENOENT; // one vCPU: every other id does not exist
  switch (<u32>cmd) {
    case VCPUOP_is_up: return 1;
    case VCPUOP_up: return 0;
    case VCPUOP_initialise: return -EEXIST;
    case VCPUOP_down: return -EINVAL; // the last vCPU cannot go down
    case VCPUOP_get_runstate_info: {
      if (!guestProbeWrite(arg, isPv64() ? 48 : 44)) return -EFAULT;
      return writeRunstate(arg) ? 0 : -EFAULT;
    }
    case VCPUOP_register_runstate_memory_area: {
      const va = guestReadLongArg(arg);
      if (guestFault) return -EFAULT;
      pvSet64(PV_RUNSTATE_VA, va);
      writeRunstate(va); // a bad address is not an error at registration time (Xen writes lazily)
      return 0;
    }
    case VCPUOP_set_periodic_timer: {
      const period = guestRead64(arg);
      if (guestFault) return -EFAULT;
      if (period < MIN_PERIOD_NS) return -EINVAL;
      setPeriodic(period);
      return 0;
    }
    case VCPUOP_stop_periodic_timer: setPeriodic(0); return 0;
    case VCPUOP_set_singleshot_timer: {
      const deadline = guestRead64(arg);
      const flags = guestRead32(arg + 8);
      if (guestFault) return -EFAULT;
      if ((flags & VCPU_SSHOTTMR_future) != 0 && deadline < systemTimeNs()) return -ETIME;
      setSingleshot(deadline == 0 ? 1 : deadline);
      return 0;
    }
    case VCPUOP_stop_singleshot_timer: stopSingleshot(); return 0;
    case VCPUOP_register_vcpu_info: {
      const mfn = guestRead64(arg);
      const offset = guestRead32(arg + 8);
      if (guestFault) return -EFAULT;
      // Once per vCPU: until then vcpu_info is the vCPU's slot in shared_info (or 0 before the builder ran).
      const current = pvGet64(PV_VCPU_INFO_MA);
      const slot = <u64>load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN) << 12;
      if (current != 0 && current != slot) return -EINVAL;
      if (offset > 4096 - 64 || !isRamFrame(mfn)) return -EINVAL;
      // Like Xen, hold a writable-type reference: the frame can never become a page table or GDT.
      if (getPageType(mfn, PGT_WRITABLE, false) != 0) { resetFailure(); return -EINVAL; }
      const oldHost = vcpuInfoHost();
      const ma = (mfn << 12) + offset;
      const newHost = machineHost(ma);
      codeWritten(mfn); // from now on Xen writes this frame at every event: it is never cached
      memory.copy(newHost, oldHost, 64);
      pvSet64(PV_VCPU_INFO_MA, ma);
      // Xen forces a scan: every selector bit set and an upcall pending.
      if (isPv64()) store<u64>(newHost + 8, 0xffffffffffffffff); else store<u32>(newHost + 4, 0xffffffff);
      store<u8>(newHost, 1);
      writeVcpuTimeInfo(newHost + 32);
      return 0;
    }
    case VCPUOP_register_vcpu_time_memory_area: {
      const va = guestReadLongArg(arg);
      if (guestFault) return -EFAULT;
      timeAreaVa = va;
      refreshTimeAreas();
      return 0;
    }
    default: return -ENOSYS; // send_nmi, get_physid, the *_phys_area variants
  }
}

function guestReadLongArg(arg: u64): u64 { return isPv64() ? guestRead64(arg) : <u64>guestRead32(arg); }

/** set_timer_op(deadline): one-shot VIRQ_TIMER at absolute system time; 0 cancels. */
export function doSetTimerOp(lo: u64, hi: u64): i64 {
  const deadline = isPv64() ? lo : ((hi & 0xffffffff) << 32) | (lo & 0xffffffff);
  if (deadline == 0) stopSingleshot(); else setSingleshot(deadline);
  return 0;
}
