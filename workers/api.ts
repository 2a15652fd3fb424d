// The contract between a domain's worker and whoever drives it (the page, the CLI, the tests).
// The worker (workers/vm.worker.ts) exposes a VmApi through Comlink; the same API serves the browser
// Worker and Node's worker_threads. Configs use Xen's xl.cfg names so Xen users feel at home.

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

export interface DomainStats {
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
  tlb_hits: number;
  tlb_misses: number;
  page_walks: number;
  pt_updates: number;
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
  registers(): Promise<Registers>;
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
  /** Releases the domain; the worker can then be terminated. */
  destroy(): Promise<void>;
}
