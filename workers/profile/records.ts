// The core's profiler buffer (layout.ts PROF_*, assembly/debug/profile.ts) seen from the host:
// decoding one 32-byte record, and draining the buffer after a slice (copy, then count back to 0).
// Invariant: only the host thread that runs the core drains, between run() calls, so the core never
// writes while the buffer is read.
import type { Core } from '../core.ts';
import * as L from '../layout.gen.ts';

export interface ProfRecord {
  kind: number;
  vcpu: number;
  a: number;
  b: number;
  /** Retired guest instructions when the record was written. */
  insn: number;
  /** The virtual TSC (ns of guest time; inside a slice advanced by the deterministic rule). */
  tsc: number;
  /** The host clock, ns (0 when the recording uses the guest clock). */
  host: number;
}

export const RECORD_SIZE = L.PROF_RECORD_SIZE;

/** Reads the record at byte `offset` of `view` into `into` (a fresh record by default). */
export function decodeRecord(view: DataView, offset: number, into: ProfRecord = emptyRecord()): ProfRecord {
  into.kind = view.getUint8(offset);
  into.vcpu = view.getUint8(offset + 1);
  into.a = view.getUint16(offset + 2, true);
  into.b = view.getUint32(offset + 4, true);
  // u64 counts as two halves: exact below 2^53, and no BigInt on this path (it runs per record).
  into.insn = view.getUint32(offset + 8, true) + view.getUint32(offset + 12, true) * 2 ** 32;
  into.tsc = view.getUint32(offset + 16, true) + view.getUint32(offset + 20, true) * 2 ** 32;
  into.host = view.getFloat64(offset + 24, true);
  return into;
}

export function emptyRecord(): ProfRecord {
  return { kind: 0, vcpu: 0, a: 0, b: 0, insn: 0, tsc: 0, host: 0 };
}

/**
 * Calls `fn` with every record of a block of raw records, in order. The same object is handed out
 * each time (refilled): a consumer that keeps a record must copy it.
 */
export function forEachRecord(bytes: Uint8Array, fn: (r: ProfRecord) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = emptyRecord();
  for (let off = 0; off + RECORD_SIZE <= bytes.byteLength; off += RECORD_SIZE) fn(decodeRecord(view, off, r));
}

/** Copies out the records the core wrote since the last drain and empties its buffer. */
export function drainRecords(core: Core): Uint8Array {
  const count = Math.min(core.u32(L.PROF_BASE + L.PROF_COUNT), L.PROF_CAPACITY);
  const start = L.PROF_BASE + L.PROF_RECORDS;
  const bytes = core.bytes.slice(start, start + count * RECORD_SIZE);
  core.setU32(L.PROF_BASE + L.PROF_COUNT, 0);
  return bytes;
}

/** The core's free-running count of records it had to drop. */
export function lostRecords(core: Core): number {
  return Number(core.u64(L.PROF_BASE + L.PROF_LOST));
}
