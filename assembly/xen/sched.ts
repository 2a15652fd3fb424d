// sched_op and sched_op_compat (xen-pv-abi.md 2.3): yield, block, poll, shutdown and its variants,
// and the domain watchdog (xen/watchdog.ts); remote_shutdown and pin_override are privileged.
// One vCPU for now: yield ends the slice so the host can serve the rings; block clears the event
// mask and sleeps until an event is pending (returning at once if one already is).
import { DOM_BASE, DOM_VCPU, PV_BLOCKED, EXIT_YIELD, EXIT_BLOCKED } from '../layout';
import { requestStop } from '../exit';
import { guestRead32, guestFault } from './guest-mem';
import { shutdownDomain, SHUTDOWN_SOFT_RESET } from './domain';
import { portPending } from './evtchn';
import { vcpuInfoHost } from './evtchn';
import { runstateChange, RUNSTATE_blocked } from './vcpu-op';
import { guestRead64 } from './guest-mem';
import { isPv64 } from './domain';
import { setPollTimeout } from './timer';
import { doWatchdog } from './watchdog';
import { EFAULT, EINVAL, ENOSYS, EPERM } from './errno';

export const SCHEDOP_yield: u32 = 0;
export const SCHEDOP_block: u32 = 1;
export const SCHEDOP_shutdown: u32 = 2;
export const SCHEDOP_poll: u32 = 3;
export const SCHEDOP_remote_shutdown: u32 = 4;
export const SCHEDOP_shutdown_code: u32 = 5;
export const SCHEDOP_watchdog: u32 = 6;
export const SCHEDOP_pin_override: u32 = 7;

let shutdownCode: i32 = -1;
/** PV_BLOCKED values: sched_op block, and sched_op poll (its timeout wakes it even without VIRQ_TIMER). */
export const BLOCKED_BLOCK: u32 = 1;
export const BLOCKED_POLL: u32 = 2;

function shutdown(reason: u32): i64 {
  if (reason > SHUTDOWN_SOFT_RESET) return -EINVAL;
  shutdownDomain(reason);
  return 0;
}

export function block(): void {
  const vi = vcpuInfoHost();
  store<u8>(vi, 0, 1); // evtchn_upcall_mask := 0 (block enables events atomically)
  if (load<u8>(vi) != 0) return; // an event is already pending: return at once
  store<u32>(DOM_BASE + DOM_VCPU + PV_BLOCKED, BLOCKED_BLOCK);
  runstateChange(RUNSTATE_blocked);
  requestStop(EXIT_BLOCKED, 0);
}

// The ports a vCPU blocked in SCHEDOP_poll waits on: an event on one of them wakes it even when the
// port is masked (Xen's evtchn_check_pollers; Linux's PV spinlocks poll a masked port).
const pollPorts = new StaticArray<u32>(128);
let pollCount: u32 = 0;
export let pollWoken: bool = false;

/** evtchn.ts: `port` became pending. */
export function pollNotify(port: u32): void {
  if (load<u32>(DOM_BASE + DOM_VCPU + PV_BLOCKED) != BLOCKED_POLL) return;
  for (let i: u32 = 0; i < pollCount; i++) if (unchecked(pollPorts[i]) == port) { pollWoken = true; return; }
}

/** True once if a polled port fired since the vCPU blocked in poll (then the vCPU wakes). */
export function takePollWoken(): bool {
  const w = pollWoken;
  pollWoken = false;
  return w;
}

/**
 * SCHEDOP_poll {ports*, nr_ports, timeout}: returns at once if a listed port is pending, else sleeps
 * until an event arrives, a listed port fires (even masked), or the absolute timeout (its own timer;
 * the mask is left alone, unlike block).
 */
function poll(arg: u64): i64 {
  const pv64 = isPv64();
  const ports = pv64 ? guestRead64(arg) : <u64>guestRead32(arg);
  const nr = guestRead32(arg + (pv64 ? 8 : 4));
  const timeout = guestRead64(arg + (pv64 ? 16 : 8));
  if (guestFault) return -EFAULT;
  if (nr > 128) return -EINVAL;
  for (let i: u32 = 0; i < nr; i++) {
    const port = guestRead32(ports + <u64>i * 4);
    if (guestFault) return -EFAULT;
    if (portPending(port)) return 0;
    unchecked(pollPorts[i] = port);
  }
  pollCount = nr;
  pollWoken = false;
  if (timeout != 0) setPollTimeout(timeout);
  store<u32>(DOM_BASE + DOM_VCPU + PV_BLOCKED, BLOCKED_POLL);
  runstateChange(RUNSTATE_blocked);
  requestStop(EXIT_BLOCKED, 0);
  return 0;
}

export function doSchedOp(cmd: u64, arg: u64): i64 {
  switch (<u32>cmd) {
    case SCHEDOP_yield: requestStop(EXIT_YIELD, 0); return 0;
    case SCHEDOP_block: block(); return 0;
    case SCHEDOP_shutdown: {
      const reason = guestRead32(arg);
      if (guestFault) return -EFAULT;
      return shutdown(reason);
    }
    case SCHEDOP_shutdown_code: {
      const reason = guestRead32(arg);
      if (guestFault) return -EFAULT;
      shutdownCode = <i32>reason;
      return 0;
    }
    case SCHEDOP_poll: return poll(arg);
    case SCHEDOP_watchdog: {
      const id = guestRead32(arg);
      const timeout = guestRead32(arg + 4);
      if (guestFault) return -EFAULT;
      return doWatchdog(id, timeout);
    }
    case SCHEDOP_remote_shutdown: return -EPERM; // privileged
    case SCHEDOP_pin_override: return -EPERM; // the hardware domain only
    default: return -ENOSYS;
  }
}

/** sched_op_compat (6): the argument is the shutdown reason itself. */
export function doSchedOpCompat(cmd: u64, arg: u64): i64 {
  if (<u32>cmd == SCHEDOP_shutdown) return shutdown(<u32>arg);
  if (<u32>cmd == SCHEDOP_yield || <u32>cmd == SCHEDOP_block) return doSchedOp(cmd, 0);
  return -ENOSYS;
}
