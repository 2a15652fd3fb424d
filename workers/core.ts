// One instance of the core (build/xenwasm.wasm) and typed access to its linear memory: counters,
// registers, the exit record and the trace ring, all read at the offsets of workers/layout.gen.ts.
// Follows the export contract of assembly/index.ts (coreInit, domainStart, run, sendEvent, setClock,
// nextTimerNs, and the grant exports the host backends use). Invariant: the memory never grows
// (initial == maximum), so the views made here stay valid for the instance's whole life; everything
// is little-endian, as in wasm.
import { jitHost, type JitHost } from './jit/host.ts';
import type { Registers } from './api.ts';
import * as L from './layout.gen.ts';
import { hypercallName } from './hypercalls.ts';
import { vectorName } from './vector-names.ts';

/** The functions the core exports (assembly/index.ts). */
export interface CoreExports {
  /** 0, or 1 when the memory map does not fit. */
  coreInit(nrPages: number, extraFrames: number): number;
  domainStart(): number;
  /** Types, validates and pins the bootstrap page tables under top-level table `topMfn`; 0 = ok. */
  pinInitialTables(topMfn: number): number;
  run(budget: number): number;
  sendEvent(port: number): void;
  setClock(realtime: number, hostNs: number): void;
  nextTimerNs(): number;
  /** Optional: RFLAGS with the lazy arithmetic flags folded in (see Core.registers). */
  readRflags?(): bigint;
  /** Host backends (xen/grant-host.ts): grant frames the guest set up. */
  grantHostFrames?(): number;
  /** GNTST_okay, or why the host may not map guest frame `mfn` (writable = 1: takes a type reference). */
  grantHostPin?(mfn: number, writable: number): number;
  /** Drops what grantHostPin took. */
  grantHostUnpin?(mfn: number, writable: number): void;
  /** Optimisation switches (1 on, 0 off; design.md: each can be turned off to bisect a wrong result). */
  setTlbEnabled?(on: number): void;
  setShadowPageTables?(on: number): void;
  setDecodeCache?(on: number): void;
  setDecodedRuns?(on: number): void;
  setJit?(on: number): void;
  setJitThreshold?(n: number): void;
  /** Shadow page tables (mmu/shadow.ts, audit.ts, log-dirty.ts): see workers/shadow-view.ts. */
  shadowAudit?(): number;
  setShadowAuditAfterPtOps?(on: number): void;
  setLogDirty?(on: number): void;
  logDirtyCleanBitmap?(): void;
  shadowCurrentSlot?(): number;
  /** The transitions ring for the privilege view (debug/transitions.ts), 1 on, 0 off (the default). */
  setTransitionsRecording?(on: number): void;
  /** The profiler (assembly/debug/profile.ts): 1 records transitions into PROF_*, 0 stops. */
  setProfiling?(on: number): void;
  /** Appends up to n empty calibration intervals (PROF_CALIBRATE) to the profiler buffer; how many. */
  profCalibrate?(n: number): number;
}

/** Xen's SHUTDOWN_* codes (public/sched.h), indexed by the number in EXIT_ARG. */
export const SHUTDOWN_REASONS = ['poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'] as const;

const GUEST_TYPES: Record<number, string> = {
  [L.GUEST_PV32]: 'pv32',
  [L.GUEST_PV64]: 'pv64',
  [L.GUEST_BARE32]: 'bare32',
  [L.GUEST_BARE64]: 'bare64',
};

const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

/** Wasm pages a domain of `nrPages` guest frames needs (core regions, RAM, Xen's extra frames). */
export function memoryPagesFor(nrPages: number): number {
  return Math.ceil((L.GUEST_RAM_BASE + (nrPages + L.XEN_EXTRA_FRAMES) * L.PAGE_SIZE) / L.WASM_PAGE);
}

/** Whether this environment can share a WebAssembly.Memory with other threads. */
export function canShareMemory(): boolean {
  if (isNode()) return true;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

export function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/** Reads (Node) or fetches (browser) build/xenwasm.wasm and compiles it. */
export async function compileCore(): Promise<WebAssembly.Module> {
  const url = new URL('../build/xenwasm.wasm', import.meta.url);
  if (url.protocol === 'file:') {
    const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(url);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') {
        throw new Error('build/xenwasm.wasm is missing: build the core with `npm run build:core`');
      }
      throw e;
    }
    return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch the core (${url}): HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Decodes an AssemblyScript string (UTF-16LE, byte length in the u32 before it). */
function readAsString(bytes: Uint8Array, ptr: number): string {
  if (ptr < 4 || ptr >= bytes.length) return '';
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(ptr - 4, true);
  let s = '';
  for (let i = 0; i + 1 < len && ptr + i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[ptr + i] | (bytes[ptr + i + 1] << 8));
  return s;
}

export class Core {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** The host clock in ns the core reads while profiling (env.profNow); the profiler may replace it. */
  profileClock: () => number = hostClockNs;
  /** The block compiler serving this instance (workers/jit/host.ts). */
  jit?: JitHost;

  constructor(readonly memory: WebAssembly.Memory, readonly exports: CoreExports) {
    this.bytes = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
  }

  /**
   * Creates the memory for `nrPages` guest frames and instantiates the core in it. Shared memory is
   * used when `shared` (the core must then be built with shared memory, and vice versa: on a link
   * error the other kind is tried, so one build serves both).
   */
  static async instantiate(module: WebAssembly.Module, nrPages: number, shared = canShareMemory()): Promise<Core> {
    const pages = memoryPagesFor(nrPages);
    let lastError: unknown;
    for (const tryShared of [shared, !shared]) {
      let memory: WebAssembly.Memory;
      try {
        memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: tryShared });
      } catch (e) {
        // Out of address space (a huge `memory`), or shared memory unsupported here.
        lastError = new Error(`cannot allocate ${(pages * L.WASM_PAGE) >>> 20} MiB for the domain: ${(e as Error).message}`);
        continue;
      }
      let core: Core | undefined;
      const jit = jitHost(memory, () => core?.exports);
      const imports = {
        env: {
          memory,
          // Compiled blocks (assembly/cpu/jit.ts, workers/jit/).
          jitCompile: jit.jitCompile,
          // The profiler's host clock (assembly/debug/profile.ts), read only while profiling is on.
          profNow: (): number => (core ? core.profileClock() : 0),
          abort(msgPtr: number, filePtr: number, line: number, col: number): never {
            const bytes = core ? core.bytes : new Uint8Array(memory.buffer);
            throw new Error(`core abort: ${readAsString(bytes, msgPtr)} at ${readAsString(bytes, filePtr)}:${line}:${col}`);
          },
        },
      };
      try {
        const instance = await WebAssembly.instantiate(module, imports);
        core = new Core(memory, instance.exports as unknown as CoreExports);
        core.jit = jit;
        return core;
      } catch (e) {
        if (!(e instanceof WebAssembly.LinkError)) throw e;
        lastError = e;
      }
    }
    throw lastError;
  }

  u8(addr: number): number {
    return this.bytes[addr];
  }
  u16(addr: number): number {
    return this.view.getUint16(addr, true);
  }
  u32(addr: number): number {
    return this.view.getUint32(addr, true);
  }
  setU32(addr: number, value: number): void {
    this.view.setUint32(addr, value, true);
  }
  u64(addr: number): bigint {
    return this.view.getBigUint64(addr, true);
  }

  /** A u64 counter of the CNT region (offset CNT_*), as a number (exact below 2^53). */
  counter(offset: number): number {
    return Number(this.u64(L.CNT_BASE + offset));
  }

  /** Non-zero entries of a counter array (CNT_HYPERCALL, CNT_EXCEPTION), keyed by `name(index)`. */
  counterTable(offset: number, count: number, name: (i: number) => string): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < count; i++) {
      const n = this.counter(offset + 8 * i);
      if (n !== 0) out[name(i)] = n;
    }
    return out;
  }

  domU32(offset: number): number {
    return this.u32(L.DOM_BASE + offset);
  }

  exitArg(): number {
    return this.u32(L.EXIT_BASE + L.EXIT_ARG);
  }

  /** The core's one-line explanation of the last exit (EXIT_MSG), or '' when it left none. */
  exitMessage(): string {
    const len = Math.min(this.u32(L.EXIT_BASE + L.EXIT_MSG_LEN), L.EXIT_MSG_MAX);
    const start = L.EXIT_BASE + L.EXIT_MSG;
    // slice(): TextDecoder refuses views of shared memory.
    return new TextDecoder().decode(this.bytes.slice(start, start + len));
  }

  guestType(): string {
    return GUEST_TYPES[this.domU32(L.DOM_GUEST_TYPE)] ?? `unknown(${this.domU32(L.DOM_GUEST_TYPE)})`;
  }

  /**
   * The vCPU's registers. RFLAGS: the core keeps the six arithmetic flags lazily (CPU_CC_*); when it
   * exports readRflags() that is used, otherwise the stored word is returned as is (exact whenever
   * CC_OP is 0, which is the case after every exit that materialises flags).
   */
  registers(vcpu = 0): Registers {
    const base = L.CPU_BASE + vcpu * L.VCPU_STRIDE;
    const regs: Partial<Registers> = {};
    GPR_NAMES.forEach((name, i) => (regs[name] = this.u64(base + L.CPU_GPR + 8 * i)));
    SEG_NAMES.forEach((name, i) => (regs[name] = this.u16(base + L.CPU_SEG + L.SEG_STRIDE * i + L.SEG_SEL)));
    regs.rip = this.u64(base + L.CPU_RIP);
    regs.rflags = this.exports.readRflags ? BigInt.asUintN(64, BigInt(this.exports.readRflags())) : this.u64(base + L.CPU_RFLAGS);
    regs.cr0 = this.u64(base + L.CPU_CR0);
    regs.cr2 = this.u64(base + L.CPU_CR2);
    regs.cr3 = this.u64(base + L.CPU_CR3);
    regs.cr4 = this.u64(base + L.CPU_CR4);
    regs.cpl = this.u32(base + L.CPU_CPL);
    regs.guestType = this.guestType();
    return regs as Registers;
  }

  /** The last `max` trace entries, oldest first, one formatted line each (see formatTraceEntry). */
  trace(max = 64): string[] {
    const head = this.u32(L.TRACE_BASE + L.TRACE_HEAD);
    const n = Math.min(head, L.TRACE_COUNT, max);
    const wide = this.guestType() === 'pv64' || this.guestType() === 'bare64';
    const lines: string[] = [];
    for (let i = head - n; i < head; i++) {
      const at = L.TRACE_BASE + L.TRACE_ENTRIES + ((i >>> 0) & (L.TRACE_COUNT - 1)) * L.TRACE_ENTRY_SIZE;
      lines.push(formatTraceEntry(this.u64(at), this.u32(at + 8), this.u32(at + 12), wide));
    }
    return lines;
  }
}

const hex = (v: number | bigint, digits: number) => v.toString(16).padStart(digits, '0');

/** performance.now() in nanoseconds: the profiler's default host clock (docs/profiler.md). */
export function hostClockNs(): number {
  return performance.now() * 1e6;
}

/**
 * One trace line: the rip in hex, the kind, and what `info` means for that kind, e.g.
 * `0x00102a3c  insn` (`insn       0f 01 d0 90` when the core records the bytes),
 * `0x00102a40  hypercall  18 console_io`, `0xc0001234  exception  14 #PF`, `0xc0001234  event      port 3`.
 */
export function formatTraceEntry(rip: bigint, kind: number, info: number, wide: boolean): string {
  const where = `0x${hex(rip, wide ? 16 : 8)}`;
  switch (kind) {
    case L.TRACE_KIND_INSN: {
      // info: the first four instruction bytes, first byte lowest; 0 when the core did not record them.
      if (info === 0) return `${where}  insn`;
      const bytes = [0, 8, 16, 24].map((s) => hex((info >>> s) & 0xff, 2));
      return `${where}  insn       ${bytes.join(' ')}`;
    }
    case L.TRACE_KIND_HYPERCALL:
      return `${where}  hypercall  ${info} ${hypercallName(info)}`;
    case L.TRACE_KIND_EXCEPTION:
      return `${where}  exception  ${info} ${vectorName(info)}`;
    case L.TRACE_KIND_EVENT:
      return `${where}  event      port ${info}`;
    default:
      return `${where}  kind ${kind}     0x${hex(info >>> 0, 8)}`;
  }
}
