// What the profiler gives its callers (the CLI's --profile table, the page's profiler panel) through
// the worker API (workers/api.ts): the options of a recording and a snapshot of its cost accounting.
// docs/profiler.md explains the method; every time is in nanoseconds, every count a plain number.

/**
 * The clock a recording is timed with:
 * - 'host': the host's performance.now(), read by the core at every record (what things cost here);
 * - 'guest': the guest's virtual time (the virtual TSC; with the deterministic domain clock it
 *   advances 10 ns per retired instruction), the same on every run of a deterministic domain. The
 *   hypervisor's own work takes no guest time, so hypercalls show as zero-length there.
 */
export type ProfileClock = 'host' | 'guest';

export interface ProfileOptions {
  /** Default 'host'. */
  clock?: ProfileClock;
  /**
   * Records kept for the trace (profileTrace()): the first this many of the recording, 32 bytes
   * each. 0 keeps none (the cost accounting is always complete). Default 1 000 000.
   */
  traceRecords?: number;
}

/**
 * Count, sum and distribution of one cost (ns of the recording's clock, or guest instructions).
 * total and mean keep intervals that came out below 0 after the overhead was subtracted (so they
 * stay unbiased); min, max, percentiles and the histogram count those as 0.
 */
export interface CostStats {
  total: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  /** For a chart: consecutive buckets [lo, hi) covering min..max, four per doubling of the value. */
  histogram: HistogramBucket[];
}

export interface HistogramBucket {
  lo: number;
  hi: number;
  count: number;
}

/**
 * One line of the cost accounting.
 * - 'hypercall': one hypercall number and sub-op ("event_channel_op/send"), from entry to return.
 * - 'delivery': the hypervisor's work to deliver something to the guest, named by what became of it:
 *   "bounce #PF", "bounce upcall", "bounce syscall", "emulate #PF" (a writable page-table store),
 *   "emulate #GP" (a privileged instruction), "#PF not delivered".
 * - 'handler': the guest's handling of a delivery, from its handler's first instruction to the iret
 *   that returns from it ("#PF handler", "upcall handler").
 */
export interface ProfileRow {
  kind: 'hypercall' | 'delivery' | 'handler';
  name: string;
  /** Hypercall number and sub-op (hypercall rows; sub is absent for calls without sub-ops). */
  nr?: number;
  sub?: number;
  count: number;
  /** Time in the recording's clock, less the profiler's own cost (docs/profiler.md). */
  time: CostStats;
  /** Guest instructions retired meanwhile (0 for the hypervisor's own work). */
  instructions: CostStats;
  /** time.total over the time spent inside the core while recording (0..1). */
  share: number;
}

/** Where the vCPU's time went: guest user, guest kernel, the hypervisor, blocked, or the host's turn. */
export type VcpuState = 'user' | 'kernel' | 'hypervisor' | 'blocked' | 'host';

export interface ProfileSnapshot {
  /** True between startProfiling() and stopProfiling(). */
  recording: boolean;
  clock: ProfileClock;
  /** What the clock's readings are worth (host clock; zeros for the guest clock). */
  clockInfo: {
    /** The smallest step the clock was seen to take, ns. */
    resolutionNs: number;
    /** What an empty interval measures (mean of the calibration), ns: subtracted per interval. */
    overheadNs: number;
    /** Spread of that calibration (90th minus 10th percentile), ns: the error of one interval. */
    jitterNs: number;
  };
  /** From the first record to the last, ns of the recording's clock. */
  durationNs: number;
  /** Of which inside the core's run() slices. */
  coreNs: number;
  instructions: number;
  hypercalls: number;
  /** Hypercall rows first (by total time, largest first), then deliveries, then handlers. */
  rows: ProfileRow[];
  states: Record<VcpuState, { ns: number; instructions: number }>;
  /** Instants seen: page-table entries written, events set pending, timer expiries. */
  ptUpdates: number;
  eventsPending: number;
  timers: number;
  /** Records the core dropped because its buffer was full (instants only, unless many). */
  lostRecords: number;
  /** Records kept for the trace, and whether the trace stops before the recording does. */
  traceRecords: number;
  traceTruncated: boolean;
}
