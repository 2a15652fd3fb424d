// One profiling session of a domain: switches the core's profiler on (assembly/debug/profile.ts),
// calibrates the host clock, drains the core's buffer after every slice into the cost accounting
// (accounting.ts, always complete) and keeps the first records for the trace (trace-json.ts), which
// is made on demand by replaying them. docs/profiler.md describes the method and its errors.
// Invariants: drained only between slices; after stop() or detach() the core is never touched again.
import type { Core } from '../core.ts';
import { hostClockNs } from '../core.ts';
import * as L from '../layout.gen.ts';
import { Accounting } from './accounting.ts';
import { drainRecords, forEachRecord, lostRecords, RECORD_SIZE } from './records.ts';
import { Timeline } from './timeline.ts';
import { TraceEventWriter } from './trace-json.ts';
import type { ProfileClock, ProfileOptions, ProfileSnapshot } from './types.ts';

export const DEFAULT_TRACE_RECORDS = 1_000_000;
/** Empty intervals measured to calibrate the clock. */
const CALIBRATION_PAIRS = 2000;

export interface ClockInfo {
  resolutionNs: number;
  overheadNs: number;
  jitterNs: number;
}

/** The smallest step `clock` takes (ns), from back-to-back reads over at most `budgetMs`. */
export function clockResolution(clock: () => number, budgetMs = 20): number {
  const stop = performance.now() + budgetMs;
  let min = Infinity;
  let last = clock();
  for (let i = 0; i < 200_000 && performance.now() < stop; i++) {
    const t = clock();
    if (t > last && t - last < min) min = t - last;
    last = t;
  }
  return Number.isFinite(min) ? min : 0;
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : 0;
}

export class ProfileRecorder {
  readonly clock: ProfileClock;
  private core?: Core;
  private timeline!: Timeline;
  private readonly accounting = new Accounting();
  private readonly keep: number;
  private kept = 0;
  private readonly chunks: Uint8Array[] = [];
  private truncated = false;
  private lostAtStart = 0;
  private lost = 0;
  private running = false;
  private info: ClockInfo = { resolutionNs: 0, overheadNs: 0, jitterNs: 0 };

  constructor(core: Core, options: ProfileOptions = {}, private readonly domainName = 'domain') {
    const clock = options.clock ?? 'host';
    if (clock !== 'host' && clock !== 'guest') throw new Error(`profile clock must be 'host' or 'guest', got ${JSON.stringify(clock)}`);
    const keep = options.traceRecords ?? DEFAULT_TRACE_RECORDS;
    if (!Number.isSafeInteger(keep) || keep < 0) throw new Error(`traceRecords must be a whole number of at least 0, got ${keep}`);
    if (!core.exports.setProfiling || !core.exports.profCalibrate) throw new Error('this core was built without the profiler');
    this.clock = clock;
    this.keep = keep;
    this.core = core;
  }

  /** Calibrates the clock and switches the core's profiler on. */
  start(): void {
    const core = this.core!;
    drainRecords(core); // whatever an earlier session left
    if (this.clock === 'host') {
      core.profileClock = hostClockNs;
      this.info = this.calibrate(core);
    } else {
      core.profileClock = () => 0;
    }
    this.timeline = new Timeline(this.clock, this.info.overheadNs, this.accounting);
    this.lostAtStart = lostRecords(core);
    core.exports.setProfiling!(1);
    this.running = true;
  }

  /** Takes what the core recorded during the last slice (call after every run()). */
  afterSlice(): void {
    if (!this.running || !this.core) return;
    const bytes = drainRecords(this.core);
    this.lost = lostRecords(this.core) - this.lostAtStart;
    if (bytes.length === 0) return;
    const timeline = this.timeline;
    forEachRecord(bytes, (r) => timeline.feed(r));
    const room = this.keep - this.kept;
    const n = bytes.length / RECORD_SIZE;
    if (room > 0) {
      this.chunks.push(n <= room ? bytes : bytes.slice(0, room * RECORD_SIZE));
      this.kept += Math.min(n, room);
    }
    if (n > room) this.truncated = true;
  }

  /** Switches the profiler off after taking the last records; the results stay readable. */
  stop(): void {
    if (!this.running) return;
    this.afterSlice();
    this.core?.exports.setProfiling!(0);
    this.running = false;
    this.timeline.finish();
  }

  /** stop(), and forget the core (the domain is going away). */
  detach(): void {
    this.stop();
    this.core = undefined;
  }

  get recording(): boolean {
    return this.running;
  }

  snapshot(): ProfileSnapshot {
    if (this.running) this.timeline.flushState();
    const span = Number.isNaN(this.timeline.origin) ? 0 : this.timeline.now - this.timeline.origin;
    return {
      recording: this.running,
      clock: this.clock,
      clockInfo: { ...this.info },
      ...this.accounting.totals(span),
      lostRecords: this.lost,
      traceRecords: this.kept,
      traceTruncated: this.truncated,
    };
  }

  /** The recording as Trace Event Format JSON (chrome://tracing, ui.perfetto.dev). */
  traceJson(): string {
    const writer = new TraceEventWriter({ processName: `xenwasm ${this.domainName}` });
    const replay = new Timeline(this.clock, this.info.overheadNs, undefined, writer);
    for (const chunk of this.chunks) forEachRecord(chunk, (r) => replay.feed(r));
    replay.finish();
    return writer.toJson({
      generator: 'xenwasm profiler (docs/profiler.md)',
      domain: this.domainName,
      clock: this.clock,
      clockResolutionNs: this.info.resolutionNs,
      clockOverheadNs: this.info.overheadNs,
      records: this.kept,
      truncated: this.truncated,
      recording: this.running,
      lostRecords: this.lost,
    });
  }

  /**
   * Measures empty intervals the way the core measures real ones (profCalibrate writes pairs of
   * records with nothing between them): their mean is the profiler's own cost per interval.
   */
  private calibrate(core: Core): ClockInfo {
    const resolutionNs = clockResolution(core.profileClock);
    const pairs = core.exports.profCalibrate!(CALIBRATION_PAIRS);
    const bytes = drainRecords(core);
    const deltas: number[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < pairs; i++) {
      const enter = view.getFloat64(2 * i * RECORD_SIZE + 24, true);
      const exit = view.getFloat64((2 * i + 1) * RECORD_SIZE + 24, true);
      if (view.getUint16(2 * i * RECORD_SIZE + 2, true) === L.PROF_CALIBRATE) deltas.push(exit - enter);
    }
    deltas.sort((a, b) => a - b);
    // The mean, not the median: with a clock coarser than the interval (a browser's 5 µs) most empty
    // intervals read 0 and a few read one step, and only the mean says what they cost. Values above
    // the 99th percentile (a garbage collection, the OS) are left out.
    const kept = deltas.slice(0, Math.max(1, Math.ceil(deltas.length * 0.99)));
    const overheadNs = kept.length ? kept.reduce((s, d) => s + d, 0) / kept.length : 0;
    return { resolutionNs, overheadNs, jitterNs: rank(deltas, 90) - rank(deltas, 10) };
  }
}
