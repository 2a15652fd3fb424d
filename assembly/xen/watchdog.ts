// The domain watchdog, sched_op(SCHEDOP_watchdog, {u32 id; u32 timeout}) (xen-pv-abi.md 2.3; Xen's
// common/sched/core.c domain_watchdog): NR_DOMAIN_WATCHDOG_TIMERS timers per domain. id 0 takes the
// first free one, arms it for `timeout` seconds and returns its id (1-based; -ENOSPC when none is
// free); id n with timeout t re-arms ("pets") it, timeout 0 frees it (-EINVAL for an id not in use or
// above the maximum). A timer that expires shuts the domain down with SHUTDOWN_watchdog.
// Invariant: `deadline[i]` is meaningful only while bit i of `inUse` is set.
import { SHUTDOWN_WATCHDOG, shutdownDomain } from './domain';
import { systemTimeNs } from './time';
import { EINVAL, ENOSPC } from './errno';

export const NR_DOMAIN_WATCHDOG_TIMERS: u32 = 2;
const NS_PER_SECOND: u64 = 1_000_000_000;

let inUse: u32 = 0;
let deadline0: u64 = 0;
let deadline1: u64 = 0;

@inline function getDeadline(i: u32): u64 { return i == 0 ? deadline0 : deadline1; }
@inline function setDeadline(i: u32, ns: u64): void { if (i == 0) deadline0 = ns; else deadline1 = ns; }

export function watchdogReset(): void {
  inUse = 0;
  deadline0 = 0;
  deadline1 = 0;
}

export function doWatchdog(id: u32, timeoutSeconds: u32): i64 {
  if (id > NR_DOMAIN_WATCHDOG_TIMERS) return -EINVAL;
  const due = systemTimeNs() + <u64>timeoutSeconds * NS_PER_SECOND;
  if (id == 0) {
    for (let i: u32 = 0; i < NR_DOMAIN_WATCHDOG_TIMERS; i++) {
      if ((inUse & (1 << i)) != 0) continue;
      inUse |= 1 << i;
      setDeadline(i, due);
      return <i64>(i + 1);
    }
    return -ENOSPC;
  }
  const i = id - 1;
  if ((inUse & (1 << i)) == 0) return -EINVAL;
  if (timeoutSeconds == 0) inUse &= ~(1 << i);
  else setDeadline(i, due);
  return 0;
}

/** The earliest armed watchdog deadline in ns of system time (at least 1), or 0 when none is armed. */
export function watchdogNextDeadline(): u64 {
  let best: u64 = 0;
  for (let i: u32 = 0; i < NR_DOMAIN_WATCHDOG_TIMERS; i++) {
    if ((inUse & (1 << i)) == 0) continue;
    const d = getDeadline(i) > 0 ? getDeadline(i) : 1;
    if (best == 0 || d < best) best = d;
  }
  return best;
}

/** Shuts the domain down (SHUTDOWN_watchdog) when an armed watchdog has expired; true if it did. */
export function checkWatchdogs(): bool {
  const d = watchdogNextDeadline();
  if (d == 0 || systemTimeNs() < d) return false;
  inUse = 0; // the domain is going: nothing fires twice
  shutdownDomain(SHUTDOWN_WATCHDOG);
  return true;
}
