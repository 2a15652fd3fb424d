// The data of one benchmark session, shared by the Node harness (bench/run.ts), the page
// (web/bench.ts) and the JSON file: what was measured on which target, each timed run's seconds
// and guest instructions, and why a target could not run. Derived figures (MIPS, ns per operation,
// ratios) are computed from these by bench/report.ts, never stored twice.

/** What is measured. `int` is the integer workload; the others are per-operation costs. */
export type BenchId = 'int' | 'hypercall' | 'event' | 'ctxswitch' | 'ptupdate' | 'getppid';

export interface Sample {
  /** Wall-clock seconds of the timed region (boot excluded). */
  seconds: number;
  /** Guest instructions retired in it, when the target has a counter. */
  instructions?: number;
}

export interface Measurement {
  bench: BenchId;
  /** Stable key of the target: 'xenwasm-pv32', 'xenwasm-pv64', 'v86', 'qemu', 'native-i686', 'native-x86_64'. */
  target: string;
  /** How the table names it, e.g. "xenwasm PV32". */
  label: string;
  status: 'ok' | 'unavailable' | 'failed';
  /** Why a target did not run (unavailable) or what went wrong (failed): one line. */
  reason?: string;
  /** Operations per timed run (passes of the workload, calls, round trips, switches, updates). */
  ops?: number;
  samples: Sample[];
  /** What the guest reported besides its count: the workload checksum or a count of misbehaving
   *  operations, as printed ("0x…"). */
  result?: string;
  /** How the timed region was cut out of the run (for the notes). */
  method?: string;
  /** Integer workload only: the checksum of a fixed number of passes, the same on every target
   *  that computes correctly (the timed runs use different counts per target). */
  verify?: { passes: number; result: string; instructions?: number };
}

export interface Machine {
  cpu: string;
  nproc: number;
  os: string;
  node: string;
  gcc?: string;
  v86?: string;
  qemu?: string;
  /** Where the numbers were taken: "node" or the browser's user agent. */
  host: string;
}

export interface Session {
  /** ISO date of the run. */
  date: string;
  machine: Machine;
  /** Timed runs per measurement (the median and spread are over these). */
  runs: number;
  /** Target seconds per timed run. */
  seconds: number;
  measurements: Measurement[];
}

/** How the harness asks an emulator peer (v86, QEMU) to run the multiboot workload kernel. */
export interface EmulatorPeerOptions {
  /** The multiboot kernel, or undefined when it could not be built (then `unavailable` says why). */
  kernel: string | undefined;
  unavailable?: string;
  runs: number;
  seconds: number;
  /** Passes run once more to compare the checksum with the other targets. */
  verifyPasses: number;
  progress?(message: string): void;
}
