// Guest timers (xen-pv-abi.md 2.3 set_timer_op, vcpu_op timers; 3.6): one singleshot deadline per
// vCPU (shared by set_timer_op and VCPUOP_set_singleshot_timer) and one periodic timer (Xen arms a
// 10 ms one at boot; Linux stops it). Both raise VIRQ_TIMER when due. Checked at slice boundaries,
// after hypercalls, and when the vCPU blocks (deterministic time then jumps to the next deadline).
// The domain watchdogs (xen/watchdog.ts) are checked here too: their expiry ends the domain.
import { PV_TIMER_DEADLINE, PV_TIMER_PERIOD, PV_TIMER_NEXT_PERIODIC, PROF_K_TIMER } from '../layout';
import { profiling, profRecord } from '../debug/profile';
import { systemTimeNs } from './time';
import { sendVirq, virqPort, VIRQ_TIMER } from './evtchn';
import { pvGet64, pvSet64 } from './vcpu';
import { watchdogReset, watchdogNextDeadline, checkWatchdogs } from './watchdog';

export const DEFAULT_PERIOD_NS: u64 = 10_000_000;
export const MIN_PERIOD_NS: u64 = 1_000_000;
/** Deadlines further away than this are clamped to now + 100 ms, as Xen does for set_timer_op. */
const ABSURD_NS: u64 = <u64>1 << 50;

export function timerReset(): void {
  pvSet64(PV_TIMER_DEADLINE, 0);
  pvSet64(PV_TIMER_PERIOD, DEFAULT_PERIOD_NS);
  pvSet64(PV_TIMER_NEXT_PERIODIC, DEFAULT_PERIOD_NS);
  watchdogReset();
  cancelPollTimeout();
}

export function setSingleshot(deadline: u64): void {
  const now = systemTimeNs();
  if (deadline > now + ABSURD_NS) deadline = now + 100_000_000;
  pvSet64(PV_TIMER_DEADLINE, deadline == 0 ? 0 : (deadline < 1 ? 1 : deadline));
}

export function stopSingleshot(): void { pvSet64(PV_TIMER_DEADLINE, 0); }

// SCHEDOP_poll's timeout: a timer of its own (Xen's poll_timer), so a poll never moves the guest's
// singleshot; when due it only wakes the polling vCPU (no VIRQ_TIMER).
let pollDeadline: u64 = 0;
let pollExpired: bool = false;
export function setPollTimeout(deadline: u64): void { pollDeadline = deadline; pollExpired = false; }
export function cancelPollTimeout(): void { pollDeadline = 0; pollExpired = false; }
/** True once when the poll timeout passed. */
export function takePollExpired(): bool { const e = pollExpired; pollExpired = false; return e; }

export function setPeriodic(period: u64): void {
  pvSet64(PV_TIMER_PERIOD, period);
  pvSet64(PV_TIMER_NEXT_PERIODIC, period == 0 ? 0 : systemTimeNs() + period);
}

/**
 * The earliest deadline that can wake the vCPU or end the domain, in ns of system time, or 0 when
 * none can: the singleshot, a poll timeout, the periodic timer while VIRQ_TIMER is
 * bound, and an armed watchdog.
 */
export function nextDeadline(): u64 {
  return earliest(earliest(earliest(pvGet64(PV_TIMER_DEADLINE), pollDeadline),
    pvGet64(PV_TIMER_PERIOD) != 0 && virqPort(VIRQ_TIMER) != 0 ? pvGet64(PV_TIMER_NEXT_PERIODIC) : 0),
    watchdogNextDeadline());
}

/** The earlier of two deadlines, 0 meaning none. */
@inline function earliest(a: u64, b: u64): u64 {
  if (a == 0) return b;
  if (b == 0) return a;
  return a < b ? a : b;
}


/** Fires whatever is due; true when VIRQ_TIMER was raised. An expired watchdog shuts the domain down. */
export function checkTimers(): bool {
  if (checkWatchdogs()) return false;
  const now = systemTimeNs();
  if (pollDeadline != 0 && now >= pollDeadline) { pollDeadline = 0; pollExpired = true; }
  let fired = false;
  let which: u32 = 0; // for the profiler: 1 singleshot, 2 periodic
  const d = pvGet64(PV_TIMER_DEADLINE);
  if (d != 0 && now >= d) { pvSet64(PV_TIMER_DEADLINE, 0); fired = true; which = 1; }
  const period = pvGet64(PV_TIMER_PERIOD);
  if (period != 0) {
    let next = pvGet64(PV_TIMER_NEXT_PERIODIC);
    if (now >= next) {
      fired = true;
      which |= 2;
      // Missed periods are merged into one event, as Xen does after a long deschedule.
      next += ((now - next) / period + 1) * period;
      pvSet64(PV_TIMER_NEXT_PERIODIC, next);
    }
  }
  if (fired && profiling()) profRecord(PROF_K_TIMER, which, 0);
  if (fired) sendVirq(VIRQ_TIMER);
  return fired;
}
