// Domain life cycle seen from inside the core: running, shut down (with Xen's reason), crashed
// (with a message naming the cause). Either ends the slice; the host reads the exit record.
import {
  DOM_BASE, DOM_STATE, DOM_SHUTDOWN_REASON, DOMSTATE_SHUTDOWN, DOMSTATE_CRASHED, EXIT_SHUTDOWN, EXIT_CRASH,
  DOM_GUEST_TYPE, GUEST_PV64,
} from '../layout';
import { requestStop, setExitMessage } from '../exit';

export const SHUTDOWN_POWEROFF: u32 = 0;
export const SHUTDOWN_REBOOT: u32 = 1;
export const SHUTDOWN_SUSPEND: u32 = 2;
export const SHUTDOWN_CRASH: u32 = 3;
export const SHUTDOWN_WATCHDOG: u32 = 4;
export const SHUTDOWN_SOFT_RESET: u32 = 5;

@inline export function isPv64(): bool { return load<u32>(DOM_BASE + DOM_GUEST_TYPE) == GUEST_PV64; }

export function shutdownDomain(reason: u32): void {
  store<u32>(DOM_BASE + DOM_STATE, DOMSTATE_SHUTDOWN);
  store<u32>(DOM_BASE + DOM_SHUTDOWN_REASON, reason);
  requestStop(EXIT_SHUTDOWN, reason);
}

/** Crashes the domain: its registers and trace stay for inspection; the host reports `why`. */
export function crashDomain(why: string): void {
  store<u32>(DOM_BASE + DOM_STATE, DOMSTATE_CRASHED);
  setExitMessage(why);
  requestStop(EXIT_CRASH, 0);
}
