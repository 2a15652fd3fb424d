// The host side of one domain, independent of where it runs (browser Worker, Node worker_threads,
// or directly in a test): builds the domain from an xl.cfg-like config, runs the core in slices,
// serves its exits (console, xenstore kicks, blocking, shutdown, crash) and keeps the statistics.
// Its backends ("dom0"): the console ring, xenstore (with xl-style shutdown requests) and the grant
// table the host maps the guest's pages through (`grants`).
// Invariants: run() is only ever called from runSlice(), whose wall time is the only time counted;
// the event loop gets a turn between slices, so pause() and input are never starved; onExit is
// called exactly once per stop, after the console was drained.
import type {
  DomainConfig, DomainExit, DomainInfo, DomainState, DomainStats, Registers, ShutdownControl, VmApi, VmCallbacks, OptimisationSwitches, AuditReport, PageTableView,
} from './api.ts';
import { Core, SHUTDOWN_REASONS, compileCore } from './core.ts';
import { ConsoleBackend } from './backends/console.ts';
import { XenStoreBackend, type ShutdownRequest } from './backends/xenstore.ts';
import { GrantTable } from './backends/grants.ts';
import { ProfilerControl } from './profile/control.ts';
import type { ProfileOptions, ProfileSnapshot } from './profile/types.ts';
import { CounterMirror } from './counter-mirror.ts';
import { hypercallName } from './hypercalls.ts';
import { vectorName } from './vector-names.ts';
import { loadKernelImage, buildDomain, MAX_MEMORY_MIB, type KernelImage } from './loader/index.ts';
import * as L from './layout.gen.ts';
import { pageTableView, runAudit, dirtyPfns } from './shadow-view.ts';
import { privilegeView, type PrivilegeView } from './transitions.ts';
import { nextInstructions, type NextInstructions } from './step-view.ts';
import { addressSpace, type AddressSpaceView } from './address-space.ts';

export const DEFAULT_MEMORY_MIB = 64;
export const DEFAULT_SLICE = 200_000;
/** Trace lines kept in a DomainExit. */
export const EXIT_TRACE_LINES = 64;

/** What one slice left the run loop to do. */
type Outcome = 'continue' | 'blocked' | 'paused' | 'stopped';

let coreModule: Promise<WebAssembly.Module> | undefined;

let channel: MessageChannel | undefined;
const turnWaiters: (() => void)[] = [];

/**
 * Gives the event loop a turn (messages, timers) without the 4 ms clamp of nested setTimeout:
 * setImmediate in Node, a message to ourselves in a browser worker.
 */
function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => turnWaiters.shift()?.();
  }
  const port = channel.port2;
  return new Promise((resolve) => {
    turnWaiters.push(resolve);
    port.postMessage(null);
  });
}

/** Checks one numeric config field; returns it or throws a one-line Error naming the field. */
function wholeNumber(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return v;
}

export class Vm implements VmApi {
  private core?: Core;
  private console?: ConsoleBackend;
  private xenstore?: XenStoreBackend;
  private grantTable?: GrantTable;
  private callbacks?: VmCallbacks;
  private config: DomainConfig = { kernel: new Uint8Array() };
  private state: DomainState = 'destroyed';
  private loop?: Promise<void>;
  private pauseRequested = false;
  /** Ends a wait of the run loop for a timer or input (set only while waiting). */
  private wake?: () => void;
  private wallMs = 0;
  private slices = 0;
  private clockEpoch = 0;
  /** Stats frozen when the core was released (destroy(), or on_poweroff/on_crash = 'destroy'). */
  private finalStats?: DomainStats;
  /** The profiler's recording (workers/profile/), drained after every slice. */
  private readonly profiler = new ProfilerControl();
  /** Made on the first counters() call; refreshed after every slice from then on. */
  private counterMirror?: CounterMirror;

  async create(config: DomainConfig, callbacks: VmCallbacks): Promise<DomainInfo> {
    if (this.core) throw new Error('this worker already holds a domain: destroy it first');
    const name = config.kernelName ?? config.name ?? 'kernel';
    const memory = wholeNumber('memory', config.memory, DEFAULT_MEMORY_MIB, 1, MAX_MEMORY_MIB);
    wholeNumber('vcpus', config.vcpus, 1, 1, 1);
    wholeNumber('maxInstructions', config.maxInstructions, 0, 0, Number.MAX_SAFE_INTEGER);
    wholeNumber('sliceInstructions', config.sliceInstructions, DEFAULT_SLICE, 1, 0xffffffff);
    const nrPages = memory * 256;

    // Parse first: a bad image is the most likely error and needs no memory.
    let image: KernelImage;
    try {
      image = await loadKernelImage(config.kernel);
    } catch (e) {
      throw namedError(e, name);
    }
    const module = config.coreModule ?? (await (coreModule ??= compileCore()));
    const core = await Core.instantiate(module, nrPages);
    if (core.exports.coreInit(nrPages, L.XEN_EXTRA_FRAMES) !== 0) {
      throw new Error(`the core cannot lay out a domain of ${memory} MiB (coreInit failed)`);
    }
    let info: DomainInfo;
    let topTable: number;
    try {
      const built = buildDomain(image, {
        name: config.name ?? name,
        memory,
        cmdline: config.extra ?? '',
        ramdisk: config.ramdisk,
        // Deterministic runs must not depend on the date.
        wallclockSec: (config.clock ?? 'realtime') === 'realtime' ? Math.floor(Date.now() / 1000) : 0,
      }, core.bytes);
      info = built.info;
      topTable = built.pinnedFrames[0];
    } catch (e) {
      throw namedError(e, name);
    }
    // Xen pins the bootstrap top-level table before the vCPU starts (xen-pv-abi.md 1.4): that types and
    // validates every bootstrap table, so the guest's own updates are checked against them.
    if (core.exports.pinInitialTables(topTable) !== 0 || core.exports.domainStart() !== 0) {
      throw Object.assign(new Error(`${name}: ${core.exitMessage() || 'the core refused to start the domain'}`), { name: 'LoadError' });
    }
    this.attach(core, config, callbacks);
    if (config.switches) await this.setSwitches(config.switches);
    if (config.auditPageTables) core.exports.setShadowAuditAfterPtOps?.(1);
    if (config.recordTransitions) core.exports.setTransitionsRecording?.(1);
    return info;
  }

  /**
   * Takes over a core whose domain is built and started (create() does this; tests and bare
   * machines call it directly).
   */
  attach(core: Core, config: DomainConfig, callbacks: VmCallbacks): void {
    this.core = core;
    this.config = config;
    this.callbacks = callbacks;
    this.console = new ConsoleBackend(core);
    this.xenstore = XenStoreBackend.forCore(core, config.name ?? config.kernelName ?? 'kernel');
    this.grantTable = undefined;
    this.state = 'built';
    this.wallMs = 0;
    this.slices = 0;
    this.finalStats = undefined;
    this.clockEpoch = performance.now();
    if (!this.realtime) core.exports.setClock(0, 0);
    this.counterMirror?.publish(core.bytes, 0);
  }

  private get realtime(): boolean {
    return (this.config.clock ?? 'realtime') === 'realtime';
  }

  private requireCore(): Core {
    if (!this.core) throw new Error(this.state === 'destroyed' && this.finalStats ? 'the domain was destroyed' : 'no domain: call create() first');
    return this.core;
  }

  async start(): Promise<void> {
    this.requireCore();
    if (this.state === 'running') return;
    if (this.state !== 'built' && this.state !== 'paused') throw new Error(`cannot start a domain that is ${this.state}`);
    this.state = 'running';
    this.pauseRequested = false;
    this.loop = this.runLoop();
  }

  async pause(): Promise<void> {
    if (this.state !== 'running') return;
    this.pauseRequested = true;
    this.wake?.();
    await this.loop;
  }

  async resume(): Promise<void> {
    if (this.state === 'paused') await this.start();
  }

  async step(n: number): Promise<void> {
    this.requireCore();
    if (this.state !== 'built' && this.state !== 'paused') throw new Error(`step needs a paused domain; it is ${this.state}`);
    wholeNumber('step count', n, 1, 1, Number.MAX_SAFE_INTEGER);
    const goal = this.instructions() + n;
    let idle = 0;
    while (this.instructions() < goal) {
      const before = this.instructions();
      const outcome = this.runSlice(Math.min(goal - before, this.sliceSize));
      if (outcome === 'stopped') return;
      // A blocked or stuck vCPU retires nothing: give up instead of spinning.
      idle = this.instructions() === before ? idle + 1 : 0;
      if (outcome === 'paused' || (outcome === 'blocked' && idle > 0) || idle > 1000) break;
    }
    this.state = 'paused';
  }

  async stats(): Promise<DomainStats> {
    if (this.core) return this.snapshot();
    if (this.finalStats) return { ...this.finalStats, state: this.state };
    throw new Error('no domain: call create() first');
  }

  /** The live counters as shared memory (workers/counter-mirror.ts), or undefined where memory
   *  cannot be shared. The same buffer for the worker's life, refreshed after every slice. */
  async counters(): Promise<SharedArrayBuffer | undefined> {
    this.counterMirror ??= CounterMirror.create();
    if (this.core) this.counterMirror?.publish(this.core.bytes, this.wallMs);
    return this.counterMirror?.buffer;
  }

  async registers(): Promise<Registers> {
    return this.requireCore().registers();
  }

  // ---- the profiler (workers/profile/, docs/profiler.md) ----
  async startProfiling(options?: ProfileOptions): Promise<void> {
    this.profiler.start(this.requireCore(), options, this.config.name ?? this.config.kernelName ?? 'domain');
  }

  async stopProfiling(): Promise<ProfileSnapshot> {
    return this.profiler.stop();
  }

  async profile(): Promise<ProfileSnapshot | undefined> {
    return this.profiler.snapshot();
  }

  async profileTrace(): Promise<string> {
    return this.profiler.trace();
  }

  async sendInput(bytes: Uint8Array): Promise<void> {
    const core = this.requireCore();
    if (this.console!.send(bytes)) core.exports.sendEvent(this.console!.port);
    this.wake?.();
  }

  /**
   * Asks the guest to shut down, reboot or suspend (xl shutdown/reboot): writes control/shutdown,
   * which fires the guest's watch. The guest acts in its own time; onExit follows when it does.
   * Returns whether the guest watched control/shutdown at that moment (else it may never react).
   */
  async shutdown(reason: ShutdownRequest = 'poweroff'): Promise<ShutdownControl> {
    const core = this.requireCore();
    if (!this.xenstore) throw new Error('this domain has no xenstore to send a shutdown request through');
    if (this.state === 'shutdown' || this.state === 'crashed') throw new Error(`cannot shut down a domain that is ${this.state}`);
    if (this.xenstore.requestShutdown(reason)) core.exports.sendEvent(this.xenstore.port);
    this.wake?.();
    return this.xenstore.shutdownControl();
  }

  /**
   * The domain's grant table as the host's backends see it (dom0's side): map() a page the guest
   * granted, unmap() it. Host-side only (not part of the worker API); gone with the domain.
   */
  get grants(): GrantTable {
    const core = this.requireCore();
    this.grantTable ??= GrantTable.forCore(core);
    return this.grantTable;
  }

  async readMachine(addr: number, length: number): Promise<Uint8Array> {
    const core = this.requireCore();
    const limit = core.domU32(L.DOM_TOTAL_FRAMES) * L.PAGE_SIZE;
    if (!Number.isInteger(addr) || !Number.isInteger(length) || addr < 0 || length < 0 || addr + length > limit) {
      throw new Error(`machine range 0x${addr.toString(16)}+${length} is outside the domain's 0x${limit.toString(16)} bytes`);
    }
    return core.bytes.slice(L.GUEST_RAM_BASE + addr, L.GUEST_RAM_BASE + addr + length);
  }

  async setSwitches(switches: OptimisationSwitches): Promise<void> {
    const core = this.requireCore();
    const set = (name: string, fn: ((on: number) => void) | undefined, on: boolean | undefined) => {
      if (on === undefined) return;
      if (typeof on !== 'boolean') throw new Error(`switches.${name} must be true or false`);
      if (!fn) throw new Error(`this core has no ${name} switch`);
      fn(on ? 1 : 0);
    };
    set('tlb', core.exports.setTlbEnabled, switches.tlb);
    set('shadows', core.exports.setShadowPageTables, switches.shadows);
    set('decodeCache', core.exports.setDecodeCache, switches.decodeCache);
    set('decodedRuns', core.exports.setDecodedRuns, switches.decodedRuns);
    set('jit', core.exports.setJit, switches.jit);
  }

  async pageTables(start: bigint, count: number): Promise<PageTableView> {
    return pageTableView(this.requireCore(), BigInt(start), count);
  }

  async addressSpace(): Promise<AddressSpaceView> {
    return addressSpace(this.requireCore());
  }

  async privilege(count?: number): Promise<PrivilegeView> {
    return privilegeView(this.requireCore(), count);
  }

  async nextInstructions(count?: number): Promise<NextInstructions> {
    return nextInstructions(this.requireCore(), count);
  }

  async audit(): Promise<AuditReport> {
    return runAudit(this.requireCore());
  }

  async setLogDirty(on: boolean): Promise<void> {
    const core = this.requireCore();
    if (!core.exports.setLogDirty) throw new Error('this core has no log-dirty mode');
    core.exports.setLogDirty(on ? 1 : 0);
  }

  async peekAndCleanDirty(): Promise<number[]> {
    const core = this.requireCore();
    if (!core.exports.logDirtyCleanBitmap) throw new Error('this core has no log-dirty mode');
    const pfns = dirtyPfns(core);
    core.exports.logDirtyCleanBitmap();
    return pfns;
  }

  async destroy(): Promise<void> {
    await this.pause();
    this.release();
  }

  // ---- the run loop ----------------------------------------------------------------------------

  private get sliceSize(): number {
    return this.config.sliceInstructions ?? DEFAULT_SLICE;
  }

  private snapshot(): DomainStats {
    const core = this.core!;
    const instructions = this.instructions();
    return {
      state: this.state,
      instructions,
      wall_ms: round(this.wallMs, 3),
      mips: this.wallMs > 0 ? round(instructions / (this.wallMs * 1000), 3) : 0,
      hypercalls_total: core.counter(L.CNT_HYPERCALLS_TOTAL),
      hypercalls: core.counterTable(L.CNT_HYPERCALL, L.CNT_HYPERCALL_MAX, hypercallName),
      hypercalls_by_nr: Array.from({ length: L.CNT_HYPERCALL_MAX }, (_, n) => core.counter(L.CNT_HYPERCALL + 8 * n)),
      exceptions_total: core.counter(L.CNT_EXCEPTIONS_TOTAL),
      exceptions: core.counterTable(L.CNT_EXCEPTION, 32, vectorName),
      events_delivered: core.counter(L.CNT_EVENTS_DELIVERED),
      tlb_hits: core.counter(L.CNT_TLB_HITS),
      tlb_misses: core.counter(L.CNT_TLB_MISSES),
      page_walks: core.counter(L.CNT_PAGE_WALKS),
      pt_updates: core.counter(L.CNT_PT_UPDATES),
      ptwr_emulations: core.counter(L.CNT_PTWR_EMULATIONS),
      tlb_flushes: core.counter(L.CNT_TLB_FLUSHES),
      shadow_hits: core.counter(L.CNT_SHADOW_HITS),
      shadow_misses: core.counter(L.CNT_SHADOW_MISSES),
      shadow_fills: core.counter(L.CNT_SHADOW_FILLS),
      shadow_invalidations: core.counter(L.CNT_SHADOW_INVALIDATIONS),
      shadow_switches: core.counter(L.CNT_SHADOW_SWITCHES),
      shadow_new: core.counter(L.CNT_SHADOW_NEW),
      shadow_resets: core.counter(L.CNT_SHADOW_RESETS),
      logdirty_marks: core.counter(L.CNT_LOGDIRTY_MARKS),
      audits: core.counter(L.CNT_AUDITS),
      audit_errors: core.counter(L.CNT_AUDIT_ERRORS),
      jit_blocks: core.counter(L.CNT_JIT_BLOCKS),
      jit_entries: core.counter(L.CNT_JIT_ENTRIES),
      jit_failures: core.counter(L.CNT_JIT_FAILURES),
      jit_compile_ms: round(core.jit?.stats().compileMs ?? 0, 3),
      slices: this.slices,
      ...(this.xenstore ? { shutdown_control: this.xenstore.shutdownControl() } : {}),
    };
  }

  private instructions(): number {
    return this.core ? this.core.counter(L.CNT_INSTRUCTIONS) : (this.finalStats?.instructions ?? 0);
  }

  private async runLoop(): Promise<void> {
    while (!this.pauseRequested) {
      const outcome = this.runSlice(this.sliceSize);
      if (outcome === 'stopped') return;
      if (outcome === 'paused') break;
      if (outcome === 'blocked') await this.waitWhileBlocked();
      else await yieldToEventLoop();
    }
    this.state = 'paused';
  }

  /** Runs one slice of at most `budget` instructions and serves its exit. */
  private runSlice(budget: number): Outcome {
    const core = this.core!;
    const max = this.config.maxInstructions ?? 0;
    if (max > 0) {
      const left = max - this.instructions();
      if (left <= 0) return this.stopAtLimit(max);
      budget = Math.min(budget, left);
    }
    if (this.realtime) core.exports.setClock(1, this.nowNs());
    let code: number;
    const t0 = performance.now();
    try {
      code = core.exports.run(budget);
    } catch (e) {
      this.wallMs += performance.now() - t0;
      this.slices++;
      this.profiler.afterSlice();
      this.counterMirror?.publish(core.bytes, this.wallMs);
      this.drainConsole();
      return this.stop('crashed', { state: 'crashed', message: `core error: ${(e as Error).message}` });
    }
    this.wallMs += performance.now() - t0;
    this.slices++;
    this.profiler.afterSlice();
    this.counterMirror?.publish(core.bytes, this.wallMs);
    this.drainConsole();
    // The store is served after every slice (cheap when idle), a kick of its port (EXIT_HOST_EVENT)
    // included; a reply or event it sends also wakes a vCPU that blocked waiting for it.
    const storeNotified = this.serviceStore();

    switch (code) {
      case L.EXIT_BUDGET:
      case L.EXIT_YIELD:
        break;
      case L.EXIT_HOST_EVENT:
        this.serveHostPorts();
        break;
      case L.EXIT_BLOCKED:
        return storeNotified ? 'continue' : 'blocked';
      case L.EXIT_PAUSE:
        return 'paused';
      case L.EXIT_SHUTDOWN:
        return this.stopAtShutdown(core.exitArg());
      case L.EXIT_CRASH:
        return this.stop('crashed', { state: 'crashed', message: core.exitMessage() || 'the domain crashed' });
      default:
        return this.stop('crashed', { state: 'crashed', message: `the core returned exit code ${code}, which a PV domain never expects` });
    }
    if (max > 0 && this.instructions() >= max) return this.stopAtLimit(max);
    return 'continue';
  }

  /** Ports the host serves that the guest kicked: bitmap of two u32 words at DOM_HOST_PORTS. */
  private serveHostPorts(): void {
    const core = this.core!;
    for (let word = 0; word < 2; word++) {
      const at = L.DOM_BASE + L.DOM_HOST_PORTS + 4 * word;
      const bits = core.u32(at);
      if (bits === 0) continue;
      for (let bit = 0; bit < 32; bit++) {
        if (!(bits & (1 << bit))) continue;
        const port = word * 32 + bit;
        if (port === this.console!.port) {
          // Output was drained after the slice; the guest may also have consumed input.
          if (this.console!.pushInput()) core.exports.sendEvent(port);
        }
        // The xenstore port was served by runSlice() right after the slice.
      }
      core.setU32(at, 0);
    }
  }

  /** Serves the xenstore ring; notifies the guest's store port when it should look. */
  private serviceStore(): boolean {
    const xs = this.xenstore;
    if (!xs || !xs.service()) return false;
    this.core!.exports.sendEvent(xs.port);
    return true;
  }

  private drainConsole(): void {
    const bytes = this.console!.drain();
    if (bytes) this.callbacks!.onConsole(bytes);
  }

  /**
   * A blocked vCPU waits for its next timer or for input. Deterministic time needs no waiting while
   * a timer is armed (the core advances guest time to it); with no timer only input can wake it.
   */
  private async waitWhileBlocked(): Promise<void> {
    const next = this.core!.exports.nextTimerNs();
    let delayMs = Infinity;
    if (next >= 0) {
      if (!this.realtime) return yieldToEventLoop(); // time jumps in the core; let input messages in
      delayMs = (next - this.nowNs()) / 1e6;
      if (delayMs <= 0) return yieldToEventLoop();
    }
    await new Promise<void>((resolve) => {
      const timer = Number.isFinite(delayMs) ? setTimeout(() => this.wake?.(), delayMs) : undefined;
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private nowNs(): number {
    return (performance.now() - this.clockEpoch) * 1e6;
  }

  private stopAtShutdown(code: number): Outcome {
    const reason = SHUTDOWN_REASONS[code] ?? `unknown shutdown code ${code}`;
    const failed = reason === 'crash' || reason === 'watchdog';
    return this.stop('shutdown', { state: 'shutdown', reason, message: `the guest shut down (${reason})` }, failed);
  }

  private stopAtLimit(max: number): Outcome {
    return this.stop('paused', { state: 'limit', message: `stopped after ${max} instructions (the maxInstructions limit)` });
  }

  /** Records the stop, tells the caller (after the last console bytes), applies on_poweroff/on_crash. */
  private stop(state: DomainState, exit: DomainExit, withDetails = state === 'crashed'): Outcome {
    const core = this.core!;
    if (withDetails) {
      exit.registers = core.registers();
      exit.trace = core.trace(EXIT_TRACE_LINES);
    }
    this.state = state;
    this.callbacks!.onExit(exit);
    const crashed = state === 'crashed' || exit.reason === 'crash';
    const policy = crashed ? this.config.on_crash : state === 'shutdown' ? this.config.on_poweroff : undefined;
    if (policy === 'destroy') this.release();
    return 'stopped';
  }

  /** Drops the core (and its memory), keeping the final statistics. */
  private release(): void {
    this.wake?.();
    if (this.core) this.finalStats = this.snapshot();
    this.profiler.detach();
    this.grantTable?.unmapAll();
    this.grantTable = undefined;
    this.core = undefined;
    this.console = undefined;
    this.xenstore = undefined;
    this.state = 'destroyed';
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Prefixes a loader error with the image name ("hello.elf: not an ELF file"), keeping its name. */
function namedError(e: unknown, file: string): Error {
  if (!(e instanceof Error)) return new Error(`${file}: ${String(e)}`);
  const err = new Error(`${file}: ${e.message}`);
  err.name = e.name;
  return err;
}

