// A scripted stand-in for the wasm core, for testing the host side (workers/vm.ts, backends) without
// a CPU: real linear memory laid out as in workers/layout.gen.ts, and exports whose run() plays one
// scripted step per call (write console bytes, bump counters, return an EXIT_* code).
import { Core, memoryPagesFor, type CoreExports } from '../../../workers/core.ts';
import * as L from '../../../workers/layout.gen.ts';

export const NR_PAGES = 16;
export const CONSOLE_MFN = 5;
export const CONSOLE_PORT = 3;
export const STORE_PORT = 2;
export const RING = L.GUEST_RAM_BASE + CONSOLE_MFN * L.PAGE_SIZE;

/** One run() call: receives the budget and the memory helpers, returns an EXIT_* code. */
export type Step = (budget: number, m: FakeCore) => number;

export class FakeCore {
  readonly core: Core;
  readonly budgets: number[] = [];
  readonly events: number[] = [];
  readonly clocks: [number, number][] = [];
  nextTimer = -1;
  private steps: Step[];

  constructor(steps: Step[], opts: { rflags?: bigint } = {}) {
    this.steps = [...steps];
    const pages = memoryPagesFor(NR_PAGES);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const exports: CoreExports = {
      coreInit: () => 0,
      domainStart: () => 0,
      pinInitialTables: () => 0,
      run: (budget) => {
        this.budgets.push(budget);
        const step = this.steps.shift();
        if (!step) throw new Error('fake core: run() called after the script ended');
        return step(budget, this);
      },
      sendEvent: (port) => void this.events.push(port),
      setClock: (realtime, ns) => void this.clocks.push([realtime, ns]),
      nextTimerNs: () => this.nextTimer,
    };
    if (opts.rflags !== undefined) exports.readRflags = () => opts.rflags!;
    this.core = new Core(memory, exports);
    const dom = (off: number, v: number) => this.core.setU32(L.DOM_BASE + off, v);
    dom(L.DOM_GUEST_TYPE, L.GUEST_PV32);
    dom(L.DOM_NR_PAGES, NR_PAGES);
    dom(L.DOM_TOTAL_FRAMES, NR_PAGES + L.XEN_EXTRA_FRAMES);
    dom(L.DOM_CONSOLE_MFN, CONSOLE_MFN);
    dom(L.DOM_CONSOLE_PORT, CONSOLE_PORT);
    dom(L.DOM_STORE_PORT, STORE_PORT);
  }

  get remainingSteps(): number {
    return this.steps.length;
  }

  setU64(addr: number, v: bigint): void {
    this.core.view.setBigUint64(addr, v, true);
  }

  /** Adds n to a counter of the CNT region. */
  count(offset: number, n = 1): void {
    this.setU64(L.CNT_BASE + offset, this.core.u64(L.CNT_BASE + offset) + BigInt(n));
  }

  /** Retires n instructions. */
  retire(n: number): void {
    this.count(L.CNT_INSTRUCTIONS, n);
  }

  /** What console_io(write) does: appends to the hypervisor console ring. */
  hvcWrite(text: string): void {
    let prod = this.core.u32(L.HVC_BASE + L.HVC_PROD);
    for (const b of new TextEncoder().encode(text)) {
      this.core.bytes[L.HVC_BASE + L.HVC_DATA + (prod & (L.HVC_DATA_SIZE - 1))] = b;
      prod = (prod + 1) >>> 0;
    }
    this.core.setU32(L.HVC_BASE + L.HVC_PROD, prod);
  }

  /** What a PV guest's console driver does: copies into out[] and bumps out_prod. */
  ringWrite(text: string): void {
    let prod = this.core.u32(RING + 3084);
    for (const b of new TextEncoder().encode(text)) {
      this.core.bytes[RING + 1024 + (prod & 2047)] = b;
      prod = (prod + 1) >>> 0;
    }
    this.core.setU32(RING + 3084, prod);
  }

  /** What the guest's console driver does with input: reads in[in_cons..in_prod) and consumes it. */
  ringRead(max = Infinity): string {
    let cons = this.core.u32(RING + 3072);
    const prod = this.core.u32(RING + 3076);
    const out: number[] = [];
    while (cons !== prod && out.length < max) {
      out.push(this.core.bytes[RING + (cons & 1023)]);
      cons = (cons + 1) >>> 0;
    }
    this.core.setU32(RING + 3072, cons);
    return new TextDecoder().decode(new Uint8Array(out));
  }

  /** The guest kicks a host-served port (what EVTCHNOP_send does before EXIT_HOST_EVENT). */
  kick(port: number): void {
    const at = L.DOM_BASE + L.DOM_HOST_PORTS + 4 * (port >> 5);
    this.core.setU32(at, this.core.u32(at) | (1 << (port & 31)));
  }

  hostPorts(): [number, number] {
    return [this.core.u32(L.DOM_BASE + L.DOM_HOST_PORTS), this.core.u32(L.DOM_BASE + L.DOM_HOST_PORTS + 4)];
  }

  setExit(arg: number, message = ''): void {
    this.core.setU32(L.EXIT_BASE + L.EXIT_ARG, arg);
    const bytes = new TextEncoder().encode(message);
    this.core.bytes.set(bytes, L.EXIT_BASE + L.EXIT_MSG);
    this.core.setU32(L.EXIT_BASE + L.EXIT_MSG_LEN, bytes.length);
  }

  /** Appends one trace entry (u64 rip, u32 kind, u32 info). */
  trace(rip: bigint, kind: number, info: number): void {
    const head = this.core.u32(L.TRACE_BASE + L.TRACE_HEAD);
    const at = L.TRACE_BASE + L.TRACE_ENTRIES + (head & (L.TRACE_COUNT - 1)) * L.TRACE_ENTRY_SIZE;
    this.setU64(at, rip);
    this.core.setU32(at + 8, kind);
    this.core.setU32(at + 12, info);
    this.core.setU32(L.TRACE_BASE + L.TRACE_HEAD, head + 1);
  }

  setRegister(offset: number, v: bigint): void {
    this.setU64(L.CPU_BASE + offset, v);
  }
}

/** A step that retires the whole budget and returns EXIT_BUDGET. */
export const busy: Step = (budget, m) => {
  m.retire(budget);
  return L.EXIT_BUDGET;
};
