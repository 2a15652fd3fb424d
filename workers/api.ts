// The contract between a domain's worker and whoever drives it (the page, the CLI, the tests).
// The worker (workers/vm.worker.ts) exposes a VmApi through Comlink; the same API serves the browser
// Worker and Node's worker_threads. Configs use Xen's xl.cfg names so Xen users feel at home.
import type { AuditReport, PageTableView } from './shadow-view.ts';
export type { AuditReport, AuditRecord, PageTableView, PageView, GuestEntry, CachedTranslation } from './shadow-view.ts';
import type { PrivilegeView } from './transitions.ts';
export type { PrivilegeView, Transition, TransitionKind, GuestSide, GuestMode } from './transitions.ts';
import type { NextInstructions } from './step-view.ts';
export type { NextInstructions, DisassembledLine } from './step-view.ts';
import type { AddressSpaceView } from './address-space.ts';
export type { AddressSpaceView, MappedRange } from './address-space.ts';
import type { ProfileOptions, ProfileSnapshot } from './profile/types.ts';
export type {
  ProfileOptions, ProfileSnapshot, ProfileRow, CostStats, HistogramBucket, ProfileClock, VcpuState,
} from './profile/types.ts';

/** A guest configuration, as in xl.cfg (names kept), plus the image bytes the host already read. */
export interface DomainConfig {
  name?: string;
  /** The kernel image: an ELF with Xen notes, or a Linux bzImage. */
  kernel: Uint8Array;
  /** Shown in messages; the file name the kernel came from. */
  kernelName?: string;
  ramdisk?: Uint8Array;
  /** Guest RAM in MiB (xl.cfg `memory`). Default 64. */
  memory?: number;
  /** Number of vCPUs (xl.cfg `vcpus`). Only 1 for now. */
  vcpus?: number;
  /** The kernel command line (xl.cfg `extra`). */
  extra?: string;
  /** After a shutdown / a crash: 'destroy' frees the domain's memory at once (stats stay readable);
   *  'preserve' (the default for both) keeps it for registers() and readMachine() until destroy(). */
  on_poweroff?: 'destroy' | 'preserve';
  on_crash?: 'destroy' | 'preserve';
  /** Clock: 'deterministic' advances time with retired instructions (tests); 'realtime' (the default)
   *  follows the host. */
  clock?: 'deterministic' | 'realtime';
  /** Stop after this many guest instructions (0 = no limit). */
  maxInstructions?: number;
  /** Instructions per slice (one call into the core). Default 200000. */
  sliceInstructions?: number;
  /** The compiled core (build/xenwasm.wasm), when the caller already compiled it (a main thread
   *  that starts several domains compiles once); without it the worker reads or fetches it. */
  coreModule?: WebAssembly.Module;
  /** Optimisation switches, all on by default (design.md: each can be turned off to bisect a wrong result). */
  switches?: OptimisationSwitches;
  /** Record the last transitions between guest user, guest kernel and the hypervisor for privilege()
   *  (a few stores per transition; off by default, the page turns it on). */
  recordTransitions?: boolean;
  /** Tests: run the MMU audit after every hypercall, emulated page-table store and CR3 load;
   *  stats().audit_errors sums the disagreements (details: audit()). */
  auditPageTables?: boolean;
}

/** The emulated MMU's and CPU's caches, each with its own off switch. */
export interface OptimisationSwitches {
  /** The software TLB in front of the shadows and the page walk. */
  tlb?: boolean;
  /** Shadow page tables per address space (off: a CR3 change flushes the TLB). */
  shadows?: boolean;
  /** The decoded-instruction cache. */
  decodeCache?: boolean;
  /** Runs of decoded instructions without per-instruction bookkeeping (needs decodeCache). */
  decodedRuns?: boolean;
  /** Compiling hot blocks of decoded instructions to wasm (docs/jit.md; needs decodeCache and decodedRuns). */
  jit?: boolean;
}

export type DomainState = 'built' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'destroyed';

/** Why the domain stopped, when it did. */
export interface DomainExit {
  state: 'shutdown' | 'crashed' | 'limit';
  /** For shutdown: poweroff, reboot, suspend, crash, watchdog, soft_reset. */
  reason?: string;
  /** A one-line message naming the cause (crashes, limits). */
  message?: string;
  /** Registers at the stop, for crash reports. */
  registers?: Registers;
  /** The last instructions and hypercalls, oldest first, formatted one per line. */
  trace?: string[];
}

export interface Registers {
  rax: bigint; rcx: bigint; rdx: bigint; rbx: bigint; rsp: bigint; rbp: bigint; rsi: bigint; rdi: bigint;
  r8: bigint; r9: bigint; r10: bigint; r11: bigint; r12: bigint; r13: bigint; r14: bigint; r15: bigint;
  rip: bigint; rflags: bigint;
  cs: number; ss: number; ds: number; es: number; fs: number; gs: number;
  cr0: bigint; cr2: bigint; cr3: bigint; cr4: bigint;
  cpl: number;
  /** 'pv32' | 'pv64' | 'bare32' | 'bare64' */
  guestType: string;
}

/** The emulated MMU's counters (docs/shadow-page-tables.md): TLB, shadow page tables, writable page
 *  tables, audits. Part of DomainStats, and what the counter mirror reads (counter-mirror.ts). */
export interface MmuCounters {
  tlb_hits: number;
  tlb_flushes: number;
  /** TLB misses served by the current address space's shadow / not served (a page walk followed). */
  shadow_hits: number;
  shadow_misses: number;
  /** Shadow entries written by page walks, and dropped because a guest entry they came from changed. */
  shadow_fills: number;
  shadow_invalidations: number;
  /** CR3 loads that found their address space's shadow / had to start (or recycle) one. */
  shadow_switches: number;
  shadow_new: number;
  /** Every shadow dropped at once (a switch toggled, the reverse map full, CR0/CR4/EFER changes). */
  shadow_resets: number;
  /** Guest stores to read-only page tables that Xen emulated (writable page tables). */
  ptwr_emulations: number;
  audits: number;
  audit_errors: number;
}

/** Compiled blocks (docs/jit.md): blocks compiled, calls of them, blocks the compiler refused, and
 *  the host's wall time compiling. */
export interface JitCounters {
  jit_blocks: number;
  jit_entries: number;
  jit_failures: number;
  jit_compile_ms: number;
}

export interface DomainStats extends MmuCounters, JitCounters {
  state: DomainState;
  instructions: number;
  /** Wall-clock milliseconds spent running guest code. */
  wall_ms: number;
  /** Millions of guest instructions per second of wall_ms. */
  mips: number;
  hypercalls_total: number;
  /** Calls per hypercall name (only those called at least once). */
  hypercalls: Record<string, number>;
  /**
   * Calls per hypercall number: index n counts hypercall n (0..63, zeros included), so numbers
   * without a name and the hypercall table of workers/hypercalls.ts line up with the counts.
   */
  hypercalls_by_nr: number[];
  exceptions_total: number;
  /** Exceptions per vector name ("#PF", "#GP", ...), only those seen. */
  exceptions: Record<string, number>;
  events_delivered: number;
  tlb_misses: number;
  page_walks: number;
  pt_updates: number;
  /** Clean pages marked dirty by their first write while log-dirty mode was on (cumulative: never reset). */
  logdirty_marks: number;
  slices: number;
  /**
   * The guest's side of xenstore control/ (what `xl shutdown` / `xl reboot` rely on): whether it
   * watches control/shutdown (a watch on it or on a node above it), and which of
   * control/feature-poweroff, feature-reboot, feature-suspend it set to "1". Absent for a domain
   * without xenstore.
   */
  shutdown_control?: ShutdownControl;
}

export type ShutdownRequest = 'poweroff' | 'reboot' | 'suspend';

export interface ShutdownControl {
  /** The guest watches control/shutdown, so a request written there reaches it now. */
  watched: boolean;
  /** The control/feature-* flags the guest advertised. */
  features: ShutdownRequest[];
}

/** What one successful load tells about the image (shown by the CLI and the page). */
export interface DomainInfo {
  name: string;
  guestType: 'pv32' | 'pv64';
  entry: bigint;
  virtBase: bigint;
  nrPages: number;
  notes: Record<string, string>;
}

export interface VmCallbacks {
  /** Bytes the guest wrote to its console, in order: the PV console ring, and console_io output
   *  until the guest first writes to that ring (afterwards it would duplicate the ring's text). */
  onConsole(bytes: Uint8Array): void;
  /** The domain stopped (shutdown, crash, or instruction limit). */
  onExit(exit: DomainExit): void;
}

export interface VmApi {
  /** Builds the domain from a config; throws an Error whose message names the cause on bad input. */
  create(config: DomainConfig, callbacks: VmCallbacks): Promise<DomainInfo>;
  /** Runs until shutdown, crash, the instruction limit, or pause(). Resolves at once; watch onExit. */
  start(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Runs exactly n instructions (paused domains), then stays paused. */
  step(n: number): Promise<void>;
  stats(): Promise<DomainStats>;
  /**
   * The live counters as a SharedArrayBuffer (layout and reader: workers/counter-mirror.ts), refreshed
   * after every slice, so a page can sample them without a message; undefined where memory cannot be
   * shared (a page without cross-origin isolation): poll stats() instead.
   */
  counters(): Promise<SharedArrayBuffer | undefined>;
  registers(): Promise<Registers>;
  /**
   * The profiler (docs/profiler.md). startProfiling() begins a recording (dropping the previous
   * one): every hypercall, delivery and guest user/kernel switch from the next slice on is timed
   * and counted. Throws without a domain, or for bad options.
   */
  startProfiling(options?: ProfileOptions): Promise<void>;
  /** Ends the recording; its final cost accounting. It stays readable (profile(), profileTrace())
   *  until the next startProfiling(), also after the domain stopped or was destroyed. */
  stopProfiling(): Promise<ProfileSnapshot>;
  /** The cost accounting so far (live while recording: poll it for a table or histograms);
   *  undefined when nothing was profiled yet. */
  profile(): Promise<ProfileSnapshot | undefined>;
  /** The recording as Trace Event Format JSON, for ui.perfetto.dev or chrome://tracing (a file
   *  download in the page). Throws when nothing was profiled. */
  profileTrace(): Promise<string>;
  /**
   * Asks the guest to shut down through xenstore (control/shutdown), as `xl shutdown` does; onExit
   * follows when the guest acts on it. The request stays in the store either way (a guest that sets
   * its watch later still sees it, as with xl); the result says whether the guest watched
   * control/shutdown when it was written. A guest that does not may never react: tell the user,
   * and destroy() it if need be. Throws if the domain has stopped or has no xenstore.
   */
  shutdown(reason?: ShutdownRequest): Promise<ShutdownControl>;
  /** Keyboard input for the guest's console ring. */
  sendInput(bytes: Uint8Array): Promise<void>;
  /** Reads guest memory by machine address. */
  readMachine(addr: number, length: number): Promise<Uint8Array>;
  /** Turns optimisations on or off while the domain exists (the caches they keep are dropped). */
  setSwitches(switches: OptimisationSwitches): Promise<void>;
  /** For `count` pages from virtual address `start`: the guest's page-table entries, the current
   *  address space's shadow entry and the TLB entry (workers/shadow-view.ts). Exact when paused. */
  pageTables(start: bigint, count: number): Promise<PageTableView>;
  /** Every mapped range of the current address space, from a walk of the guest's tables (workers/address-space.ts). */
  addressSpace(): Promise<AddressSpaceView>;
  /** The current ring, guest kernel or user mode, and the last `count` (default 20, at most 256) transitions
   *  between guest user, guest kernel and the hypervisor with their cause (workers/transitions.ts);
   *  transitions are recorded only with DomainConfig.recordTransitions. */
  privilege(count?: number): Promise<PrivilegeView>;
  /** The next `count` (default 8, 1-64) instructions at RIP, disassembled (workers/step-view.ts). */
  nextInstructions(count?: number): Promise<NextInstructions>;
  /** Compares every shadow and TLB entry with the guest's page tables; 0 disagreements expected. */
  audit(): Promise<AuditReport>;
  /** Log-dirty mode (live migration's): on starts with an empty bitmap. */
  setLogDirty(on: boolean): Promise<void>;
  /** The PFNs written since log-dirty mode started or the last call, and clears them (Xen's peek + clean). */
  peekAndCleanDirty(): Promise<number[]>;
  /** Releases the domain; the worker can then be terminated. */
  destroy(): Promise<void>;
}
