// sched_op(SCHEDOP_watchdog, {u32 id; u32 timeout}) against the core, as Xen's domain_watchdog
// answers it (common/sched/core.c): two timers per domain, id 0 creates, id n re-arms or (timeout 0)
// frees, expiry shuts the domain down with SHUTDOWN_watchdog.
import { describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { newCore, type TestCore } from '../helpers/core-instance.ts';

const SCHED_OP = 29;
const SCHEDOP_watchdog = 6;
const ARG = 0x100; // guest address of the {id, timeout} struct (paging is off in a fresh core)
const EINVAL = -22n, ENOSPC = -28n, EFAULT = -14n;
const SHUTDOWN_watchdog = 4;

function domain(type = L.GUEST_PV64): TestCore {
  const core = newCore(64);
  core.view.setUint32(L.DOM_BASE + L.DOM_GUEST_TYPE, type, true);
  core.view.setUint32(L.DOM_BASE + L.DOM_SHARED_INFO_MFN, 64, true);
  core.view.setUint32(L.DOM_BASE + L.DOM_STATE, L.DOMSTATE_RUNNING, true);
  core.exports.setClock(0, 0);
  return core;
}

function watchdog(core: TestCore, id: number, timeoutSeconds: number): bigint {
  core.view.setUint32(L.GUEST_RAM_BASE + ARG, id, true);
  core.view.setUint32(L.GUEST_RAM_BASE + ARG + 4, timeoutSeconds, true);
  return BigInt(core.exports.debugHypercall(SCHED_OP, BigInt(SCHEDOP_watchdog), BigInt(ARG), 0n, 0n, 0n));
}

/** Marks vCPU 0 blocked with nothing pending, so run() lets deterministic time jump to the next deadline. */
function block(core: TestCore): void {
  core.view.setUint32(L.DOM_BASE + L.DOM_VCPU + L.PV_BLOCKED, 1, true);
}

describe('SCHEDOP_watchdog', () => {
  for (const [type, name] of [[L.GUEST_PV32, 'PV32'], [L.GUEST_PV64, 'PV64']] as const) {
    it(`id 0 creates watchdogs 1 and 2, then -ENOSPC (${name})`, () => {
      const core = domain(type);
      expect(watchdog(core, 0, 30)).toBe(1n);
      expect(watchdog(core, 0, 30)).toBe(2n);
      expect(watchdog(core, 0, 30)).toBe(ENOSPC);
    });
  }

  it('re-arms an existing watchdog with a new timeout and frees it with timeout 0', () => {
    const core = domain();
    expect(watchdog(core, 0, 30)).toBe(1n);
    expect(watchdog(core, 1, 60)).toBe(0n);
    expect(watchdog(core, 1, 0)).toBe(0n);
    expect(watchdog(core, 1, 0)).toBe(EINVAL); // no longer in use
    expect(watchdog(core, 0, 30)).toBe(1n); // its slot is free again
  });

  it('refuses an id that is not in use or above the two per domain', () => {
    const core = domain();
    expect(watchdog(core, 2, 10)).toBe(EINVAL);
    expect(watchdog(core, 3, 10)).toBe(EINVAL);
    expect(watchdog(core, 0xffffffff, 0)).toBe(EINVAL);
  });

  it('answers -EFAULT for an unreadable argument', () => {
    const core = domain();
    expect(BigInt(core.exports.debugHypercall(SCHED_OP, BigInt(SCHEDOP_watchdog), 0x7fff_f000n, 0n, 0n, 0n))).toBe(EFAULT);
  });

  it('is the next timer the host waits for: timeout seconds from now', () => {
    const core = domain();
    expect(core.exports.nextTimerNs()).toBe(-1);
    watchdog(core, 0, 5);
    expect(core.exports.nextTimerNs()).toBe(5e9);
    watchdog(core, 0, 3);
    expect(core.exports.nextTimerNs()).toBe(3e9);
    watchdog(core, 2, 0);
    expect(core.exports.nextTimerNs()).toBe(5e9);
  });

  it('shuts the domain down with SHUTDOWN_watchdog when it expires', () => {
    const core = domain();
    watchdog(core, 0, 2);
    block(core);
    expect(core.exports.run(1000)).toBe(L.EXIT_SHUTDOWN);
    expect(core.view.getUint32(L.EXIT_BASE + L.EXIT_ARG, true)).toBe(SHUTDOWN_watchdog);
    expect(core.view.getUint32(L.DOM_BASE + L.DOM_SHUTDOWN_REASON, true)).toBe(SHUTDOWN_watchdog);
    expect(core.exports.currentTimeNs()).toBeGreaterThanOrEqual(2e9);
  });

  it('does not fire once freed: a blocked vCPU with no timer stays blocked', () => {
    const core = domain();
    watchdog(core, 0, 2);
    watchdog(core, 1, 0);
    block(core);
    expect(core.exports.run(1000)).toBe(L.EXIT_BLOCKED);
    expect(core.exports.currentTimeNs()).toBe(0);
  });
});
