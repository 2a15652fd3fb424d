// The trace ring: the last TRACE_COUNT events (instructions when enabled, hypercalls, exceptions,
// events) kept in linear memory so a crash report can show what led to it (layout.ts TRACE_*).
// Invariant: TRACE_HEAD counts every event ever written; entry i lives at slot i & (TRACE_COUNT-1).
import { TRACE_BASE, TRACE_HEAD, TRACE_ENTRIES, TRACE_ENTRY_SIZE, TRACE_COUNT } from '../layout';

/** Runtime switch: record every instruction's RIP (costs a few stores per instruction). */
export let traceInstructions: bool = true;
export function setTraceInstructions(on: bool): void { traceInstructions = on; }

@inline export function traceEvent(kind: u32, rip: u64, info: u32): void {
  const head = load<u32>(TRACE_BASE + TRACE_HEAD);
  const e = TRACE_BASE + TRACE_ENTRIES + (head & (TRACE_COUNT - 1)) * TRACE_ENTRY_SIZE;
  store<u64>(e, rip);
  store<u32>(e, kind, 8);
  store<u32>(e, info, 12);
  store<u32>(TRACE_BASE + TRACE_HEAD, head + 1);
}
