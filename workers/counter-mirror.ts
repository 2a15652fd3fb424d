// Live counters without messages (design.md, Execution model): a SharedArrayBuffer that the domain's
// worker refreshes after every slice with a copy of the core's counter region (CNT_BASE, CNT_SIZE
// bytes, read at the CNT_* offsets of layout.gen.ts) and its run time, so the page samples them when
// it likes and never waits on the worker. Only where memory can be shared (a cross-origin isolated
// page, Node). Invariant: writers bump MIRROR_SEQ to odd before and to even after a copy (a sequence
// lock); a reader that sees it odd or changed retries a few times, else keeps its previous sample.
import type { MmuCounters } from './api.ts';
import * as L from './layout.gen.ts';

/** Int32 index of the sequence word, right after the copied counter region. */
const SEQ_INDEX = L.CNT_SIZE / 4;
/** Byte offset of the run time (f64, ms of wall-clock time spent inside the core's run()). */
const WALL_MS_AT = L.CNT_SIZE + 8;
export const MIRROR_SIZE = L.CNT_SIZE + 16;

/** Whether a SharedArrayBuffer can be made and posted here (Node, or a cross-origin isolated page). */
export function canMirror(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } } };
  return g.crossOriginIsolated === true || !!g.process?.versions?.node;
}

/** The worker's side: owns the buffer and copies the counters into it. */
export class CounterMirror {
  readonly buffer: SharedArrayBuffer;
  private readonly bytes: Uint8Array;
  private readonly seq: Int32Array;
  private readonly view: DataView;

  private constructor() {
    this.buffer = new SharedArrayBuffer(MIRROR_SIZE);
    this.bytes = new Uint8Array(this.buffer);
    this.seq = new Int32Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  /** A mirror, or undefined where memory cannot be shared (the caller then polls stats()). */
  static create(): CounterMirror | undefined {
    return canMirror() ? new CounterMirror() : undefined;
  }

  /** Copies the counter region of `coreBytes` (the core's linear memory) and the run time. */
  publish(coreBytes: Uint8Array, wallMs: number): void {
    Atomics.add(this.seq, SEQ_INDEX, 1);
    this.bytes.set(coreBytes.subarray(L.CNT_BASE, L.CNT_BASE + L.CNT_SIZE));
    this.view.setFloat64(WALL_MS_AT, wallMs, true);
    Atomics.add(this.seq, SEQ_INDEX, 1);
  }
}

/** One reading of the mirrored counters (the same numbers as DomainStats, without names). */
export interface CounterSample {
  instructions: number;
  hypercalls_total: number;
  exceptions_total: number;
  events_delivered: number;
  tlb_misses: number;
  page_walks: number;
  pt_updates: number;
  /** The emulated MMU (docs/shadow-page-tables.md): TLB, shadow page tables, writable page tables, audits. */
  mmu: MmuCounters;
  /** Calls per hypercall number (CNT_HYPERCALL_MAX entries). */
  hypercalls_by_nr: number[];
  /** Exceptions per vector (32 entries). */
  exceptions_by_vector: number[];
  wall_ms: number;
}

/** The reader's side (the page): a consistent copy of the counters, or undefined if the worker kept
 *  writing through every retry (try again at the next sample). Never blocks. */
export function readCounters(buffer: SharedArrayBuffer, retries = 4): CounterSample | undefined {
  const seq = new Int32Array(buffer);
  for (let i = 0; i <= retries; i++) {
    const before = Atomics.load(seq, SEQ_INDEX);
    if (before & 1) continue;
    // slice(): a private copy, so the numbers below cannot change while they are read.
    const copy = new DataView(buffer.slice(0, MIRROR_SIZE) as unknown as ArrayBuffer);
    if (Atomics.load(seq, SEQ_INDEX) !== before) continue;
    const u64 = (at: number) => Number(copy.getBigUint64(at, true));
    const cnt = (offset: number) => u64(offset);
    return {
      instructions: cnt(L.CNT_INSTRUCTIONS),
      hypercalls_total: cnt(L.CNT_HYPERCALLS_TOTAL),
      exceptions_total: cnt(L.CNT_EXCEPTIONS_TOTAL),
      events_delivered: cnt(L.CNT_EVENTS_DELIVERED),
      tlb_misses: cnt(L.CNT_TLB_MISSES),
      page_walks: cnt(L.CNT_PAGE_WALKS),
      pt_updates: cnt(L.CNT_PT_UPDATES),
      mmu: {
        tlb_hits: cnt(L.CNT_TLB_HITS), tlb_flushes: cnt(L.CNT_TLB_FLUSHES), shadow_hits: cnt(L.CNT_SHADOW_HITS),
        shadow_misses: cnt(L.CNT_SHADOW_MISSES), shadow_fills: cnt(L.CNT_SHADOW_FILLS),
        shadow_invalidations: cnt(L.CNT_SHADOW_INVALIDATIONS), shadow_switches: cnt(L.CNT_SHADOW_SWITCHES),
        shadow_new: cnt(L.CNT_SHADOW_NEW), shadow_resets: cnt(L.CNT_SHADOW_RESETS), ptwr_emulations: cnt(L.CNT_PTWR_EMULATIONS),
        audits: cnt(L.CNT_AUDITS), audit_errors: cnt(L.CNT_AUDIT_ERRORS),
      },
      hypercalls_by_nr: Array.from({ length: L.CNT_HYPERCALL_MAX }, (_, n) => cnt(L.CNT_HYPERCALL + 8 * n)),
      exceptions_by_vector: Array.from({ length: 32 }, (_, v) => cnt(L.CNT_EXCEPTION + 8 * v)),
      wall_ms: copy.getFloat64(WALL_MS_AT, true),
    };
  }
  return undefined;
}
