// The trace ring: the last TRACE_COUNT events (instructions when enabled, hypercalls, exceptions,
// events) kept in linear memory so a crash report can show what led to it (layout.ts TRACE_*).
// Invariant: TRACE_HEAD counts every event ever written; entry i lives at slot i & (TRACE_COUNT-1).
import { TRACE_BASE, TRACE_HEAD, TRACE_ENTRIES, TRACE_ENTRY_SIZE, TRACE_COUNT, TRACE_KIND_INSN } from '../layout';

/** Runtime switch: record every instruction's RIP (costs a few stores per instruction). */
export let traceInstructions: bool = true;
export function setTraceInstructions(on: bool): void { traceInstructions = on; }

// A run of decoded instructions (cpu/interp.ts runDecoded) keeps the head in a local: traceHead(),
// traceInsnAt() per instruction, then traceSetHead() before anything else may write an event.
@inline export function traceHead(): u32 { return load<u32>(TRACE_BASE + TRACE_HEAD); }
@inline export function traceSetHead(head: u32): void { store<u32>(TRACE_BASE + TRACE_HEAD, head); }
/** The instruction entry (kind TRACE_KIND_INSN, info 0) at ring index `head`; TRACE_HEAD is not touched. */
@inline export function traceInsnAt(head: u32, rip: u64): void {
  const e = TRACE_BASE + TRACE_ENTRIES + (head & (TRACE_COUNT - 1)) * TRACE_ENTRY_SIZE;
  store<u64>(e, rip);
  store<u64>(e, <u64>TRACE_KIND_INSN, 8); // kind in the low half, info 0 in the high half
}

@inline export function traceEvent(kind: u32, rip: u64, info: u32): void {
  const head = load<u32>(TRACE_BASE + TRACE_HEAD);
  const e = TRACE_BASE + TRACE_ENTRIES + (head & (TRACE_COUNT - 1)) * TRACE_ENTRY_SIZE;
  store<u64>(e, rip);
  store<u32>(e, kind, 8);
  store<u32>(e, info, 12);
  store<u32>(TRACE_BASE + TRACE_HEAD, head + 1);
}
