// How run() ends: the exit record the host reads (layout.ts EXIT_*), and the stop flag the
// interpreter loop polls after every instruction. Invariant: the first stop request of a slice
// wins (a soft stop yields to any later one); a crash message is kept until the next coreInit.
import { EXIT_BASE, EXIT_REASON, EXIT_ARG, EXIT_MSG_LEN, EXIT_MSG, EXIT_MSG_MAX, EXIT_BUDGET } from './layout';

/** Set when the current slice must end after the instruction in progress. */
export let stopRequested: bool = false;
/** The stop requested so far is a soft one (requestSoftStop): a real request still replaces it. */
let softStop: bool = false;

export function requestStop(reason: u32, arg: u32): void {
  if (stopRequested && !softStop) return;
  stopRequested = true;
  softStop = false;
  store<u32>(EXIT_BASE + EXIT_REASON, reason);
  store<u32>(EXIT_BASE + EXIT_ARG, arg);
}

/**
 * Ends the slice after the current instruction as if its budget ran out (EXIT_BUDGET), so the host
 * gets a turn (the profiler's buffer is nearly full). Any other stop requested later wins over it.
 */
export function requestSoftStop(): void {
  if (stopRequested) return;
  stopRequested = true;
  softStop = true;
  store<u32>(EXIT_BASE + EXIT_REASON, EXIT_BUDGET);
  store<u32>(EXIT_BASE + EXIT_ARG, 0);
}

export function beginSlice(): void {
  stopRequested = false;
  softStop = false;
  store<u32>(EXIT_BASE + EXIT_REASON, EXIT_BUDGET);
  store<u32>(EXIT_BASE + EXIT_ARG, 0);
}

@inline export function exitReason(): u32 { return load<u32>(EXIT_BASE + EXIT_REASON); }

/** Writes the exit message (ASCII/UTF-8 from an AssemblyScript string; truncated to EXIT_MSG_MAX). */
export function setExitMessage(msg: string): void {
  if (msg.length > 1200) msg = msg.substring(0, 1200); // at most 3 bytes a UTF-16 unit: fits EXIT_MSG_MAX
  const n = String.UTF8.byteLength(msg);
  const len = n < <i32>EXIT_MSG_MAX ? n : <i32>EXIT_MSG_MAX;
  String.UTF8.encodeUnsafe(changetype<usize>(msg), msg.length, EXIT_BASE + EXIT_MSG, false);
  store<u32>(EXIT_BASE + EXIT_MSG_LEN, <u32>len);
}

/** Hex formatting for messages (no allocation-heavy formatting on hot paths: messages are rare). */
export function hex(v: u64): string {
  return '0x' + v.toString(16);
}
