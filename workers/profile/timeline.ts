// Turns the core's profiler records (records.ts) into what happened on the vCPU, in order: the
// hypervisor's intervals (a hypercall from entry to return, a delivery from the event to the guest
// handler's start), the guest's handling spans (from a handler's first instruction to the iret that
// returns from it, or to the return to guest user mode; the host's turns between slices are left
// out of its time), instants (faults, upcalls, timers, pending events, page-table writes) and the
// vCPU's state (user, kernel, hypervisor, blocked, host).
// It feeds two optional consumers: the cost accounting (accounting.ts) and a trace writer
// (trace-json.ts). Invariants: slices come out properly nested per track and in time order (a
// guest span opens or closes only while no hypervisor interval is open), and times never go back.
import * as L from '../layout.gen.ts';
import type { ProfRecord } from './records.ts';
import type { ProfileClock, VcpuState } from './types.ts';
import { deliveryLabel, deliveryRowName, hypercallLabel, OUTCOME_NAMES } from './names.ts';

export type Track = 'vcpu' | 'state';
export type Args = Record<string, string | number | boolean>;

/** Where the timeline's slices and instants go (trace-json.ts writes them as trace events). */
export interface TraceSink {
  begin(track: Track, t: number, name: string, cat: string, args?: Args): void;
  end(track: Track, t: number, args?: Args): void;
  instant(t: number, name: string, cat: string, args?: Args): void;
}

/** Where the finished intervals go (accounting.ts). Times in ns of the clock, overhead removed. */
export interface CostSink {
  hypercall(nr: number, sub: number | undefined, name: string, ns: number, instructions: number): void;
  delivery(name: string, ns: number, instructions: number): void;
  handler(name: string, ns: number, instructions: number): void;
  state(state: VcpuState, ns: number, instructions: number): void;
  slice(ns: number, instructions: number): void;
  instant(kind: number): void;
}

interface Open {
  hcall: boolean;
  /** Where its handler goes among those delivered in the same stay in the hypervisor: frames are
   *  built in the order deliveries begin (an upcall checked on the way out of a #PF bounce lands on
   *  top of the #PF frame, so its handler runs first), not in the order they end. */
  pendingAt: number;
  nr: number;
  sub?: number;
  what: string;
  t0: number;
  insn0: number;
  seq0: number;
}

interface Span {
  name: string;
  t0: number;
  insn0: number;
  seq0: number;
  /** Timeline.outside when it opened: the host's turns between slices are not the guest's time. */
  outside0: number;
}

const INSTANT_KINDS = new Set([L.PROF_K_PT_UPDATE, L.PROF_K_TIMER, L.PROF_K_EVENT_PENDING]);

export class Timeline {
  private first = NaN;
  private t = -Infinity;
  private insn = 0;
  private seq = 0;
  private inSlice = false;
  private sliceT0 = 0;
  private sliceInsn0 = 0;
  private blockedInSlice = false;
  private lastExit = -1;
  /** Time spent outside the core's slices so far, and when the last slice ended. */
  private outside = 0;
  private sliceEndT = NaN;
  private mode = 1;
  private hv: Open[] = [];
  private spans: Span[] = [];
  private pendingPops = 0;
  private pendingCloseAll = false;
  private pendingOpens: string[] = [];
  private state: VcpuState | undefined;
  private stateT0 = 0;
  private stateInsn0 = 0;
  /** Hypercall labels by nr * 2^32 + sub (built once each). */
  private readonly labels = new Map<number, string>();

  /**
   * `overheadNs`: what the profiler adds to one measured interval (the calibration's mean);
   * an interval with k records inside loses (k + 1) times it.
   */
  constructor(
    private readonly clock: ProfileClock,
    private readonly overheadNs: number,
    private readonly costs?: CostSink,
    private readonly trace?: TraceSink,
  ) {}

  /** The time of the first record (the trace's zero), NaN before any. */
  get origin(): number {
    return this.first;
  }

  /** The time of the last record, NaN before any. */
  get now(): number {
    return Number.isNaN(this.first) ? NaN : this.t;
  }

  /** Accounts the current state's time up to the last record (for a snapshot while recording). */
  flushState(): void {
    if (!this.state) return;
    this.costs?.state(this.state, this.t - this.stateT0, this.insn - this.stateInsn0);
    this.stateT0 = this.t;
    this.stateInsn0 = this.insn;
  }

  feed(r: ProfRecord): void {
    if ((r.kind === L.PROF_K_HCALL_ENTER || r.kind === L.PROF_K_HCALL_EXIT) && r.a === L.PROF_CALIBRATE) return;
    const raw = this.clock === 'host' ? r.host : r.tsc;
    if (Number.isNaN(this.first)) {
      this.first = raw;
      this.t = raw;
      this.insn = r.insn;
      this.stateT0 = raw;
      this.stateInsn0 = r.insn;
    }
    const t = Math.max(this.t, raw);
    this.t = t;
    this.insn = Math.max(this.insn, r.insn);
    this.seq++;
    if (!INSTANT_KINDS.has(r.kind) && r.kind !== L.PROF_K_SLICE_END) this.blockedInSlice = false;
    switch (r.kind) {
      case L.PROF_K_SLICE_BEGIN:
        if (!this.inSlice && !Number.isNaN(this.sliceEndT)) this.outside += t - this.sliceEndT;
        this.inSlice = true;
        this.sliceT0 = t;
        this.sliceInsn0 = this.insn;
        this.mode = r.a & 1;
        this.blockedInSlice = (r.a & 2) !== 0;
        break;
      case L.PROF_K_SLICE_END:
        if (this.inSlice) this.costs?.slice(t - this.sliceT0, this.insn - this.sliceInsn0);
        this.inSlice = false;
        this.sliceEndT = t;
        this.lastExit = r.a;
        // A vCPU still blocked (or blocked again) waits outside the core.
        this.blockedInSlice = false;
        break;
      case L.PROF_K_HCALL_ENTER: {
        const sub = r.b === L.PROF_NO_SUB ? undefined : r.b;
        const key = r.a * 2 ** 32 + r.b;
        let what = this.labels.get(key);
        if (what === undefined) this.labels.set(key, (what = hypercallLabel(r.a, sub)));
        this.hv.push({ hcall: true, pendingAt: 0, nr: r.a, sub, what, t0: t, insn0: this.insn, seq0: this.seq });
        this.trace?.begin('vcpu', t, what, 'hypercall', sub === undefined ? { nr: r.a } : { nr: r.a, sub });
        break;
      }
      case L.PROF_K_HCALL_EXIT: {
        const open = this.popTo(true, r.a, t);
        if (!open) break;
        const ns = this.cost(t - open.t0, open.seq0);
        this.trace?.end('vcpu', t, { result: r.b | 0 });
        this.costs?.hypercall(open.nr, open.sub, open.what, ns, this.insn - open.insn0);
        if (r.a === 23) this.pendingPops++; // iret: the guest returns from the handler on top
        break;
      }
      case L.PROF_K_DELIVER_BEGIN: {
        const what = deliveryLabel(r.a, r.b);
        if (r.a === L.PROF_D_FAULT) this.trace?.instant(t, `fault ${what}`, 'fault', { vector: r.b });
        if (r.a === L.PROF_D_EVENT) this.trace?.instant(t, 'upcall', 'event');
        this.hv.push({ hcall: false, pendingAt: this.pendingOpens.length, nr: r.a, what, t0: t, insn0: this.insn, seq0: this.seq });
        this.trace?.begin('vcpu', t, what, 'delivery');
        break;
      }
      case L.PROF_K_DELIVER_END: {
        const open = this.popTo(false, r.a, t);
        if (!open) break;
        const ns = this.cost(t - open.t0, open.seq0);
        this.trace?.end('vcpu', t, { outcome: OUTCOME_NAMES[r.b] ?? String(r.b) });
        this.costs?.delivery(deliveryRowName(open.what, r.b), ns, this.insn - open.insn0);
        if (r.b === L.PROF_OUT_BOUNCED) this.pendingOpens.splice(open.pendingAt, 0, `${open.what} handler`);
        break;
      }
      case L.PROF_K_MODE:
        this.mode = r.a & 1;
        if (this.mode === 0) this.pendingCloseAll = true; // back in user mode: no kernel handler runs
        break;
      case L.PROF_K_PT_UPDATE:
        this.costs?.instant(r.kind);
        this.trace?.instant(t, 'page-table update', 'mm');
        break;
      case L.PROF_K_TIMER:
        this.costs?.instant(r.kind);
        this.trace?.instant(t, 'timer', 'timer', { singleshot: (r.a & 1) !== 0, periodic: (r.a & 2) !== 0 });
        break;
      case L.PROF_K_EVENT_PENDING:
        this.costs?.instant(r.kind);
        this.trace?.instant(t, `event port ${r.b}`, 'event', { port: r.b });
        break;
      default:
        break;
    }
    if (this.hv.length === 0) this.applyGuestSpans(t);
    this.updateState(t);
  }

  /** Closes whatever is open at the last record's time (end of a recording or of a trace). */
  finish(): void {
    if (Number.isNaN(this.first)) return;
    const t = this.t;
    while (this.hv.length) {
      this.hv.pop();
      this.trace?.end('vcpu', t, { unfinished: true });
    }
    this.applyGuestSpans(t);
    while (this.spans.length) this.closeSpan(t, false);
    if (this.state) {
      this.costs?.state(this.state, t - this.stateT0, this.insn - this.stateInsn0);
      this.trace?.end('state', t);
      this.state = undefined;
    }
  }

  /** Pops hypervisor intervals down to the innermost one of this kind (others were left open). */
  private popTo(hcall: boolean, nr: number, t: number): Open | undefined {
    const i = this.hv.findLastIndex((o) => o.hcall === hcall && o.nr === nr);
    if (i < 0) return undefined;
    while (this.hv.length > i + 1) {
      this.hv.pop();
      this.trace?.end('vcpu', t, { unfinished: true });
    }
    return this.hv.pop();
  }

  /**
   * An interval's time less the profiler's own: one clock read per record it spans. It may come out
   * below 0 (a coarse clock, jitter): the accounting keeps the sign for totals and means.
   */
  private cost(raw: number, seq0: number): number {
    return raw - this.overheadNs * (this.seq - seq0);
  }

  /** The guest runs again: returns from handlers, then the handlers just delivered start. */
  private applyGuestSpans(t: number): void {
    for (; this.pendingPops > 0; this.pendingPops--) if (this.spans.length) this.closeSpan(t, true);
    if (this.pendingCloseAll) {
      while (this.spans.length) this.closeSpan(t, true);
      this.pendingCloseAll = false;
    }
    if (this.pendingOpens.length === 0) return;
    for (const name of this.pendingOpens) {
      this.spans.push({ name, t0: t, insn0: this.insn, seq0: this.seq, outside0: this.outside });
      this.trace?.begin('vcpu', t, name, 'handler');
    }
    this.pendingOpens.length = 0;
  }

  private closeSpan(t: number, complete: boolean): void {
    const s = this.spans.pop()!;
    this.trace?.end('vcpu', t, complete ? undefined : { unfinished: true });
    if (complete) this.costs?.handler(s.name, this.cost(t - s.t0 - (this.outside - s.outside0), s.seq0), this.insn - s.insn0);
  }

  private currentState(): VcpuState {
    if (this.hv.length) return 'hypervisor';
    if (this.inSlice) return this.blockedInSlice ? 'blocked' : this.mode ? 'kernel' : 'user';
    return this.lastExit === L.EXIT_BLOCKED ? 'blocked' : 'host';
  }

  private updateState(t: number): void {
    const next = this.currentState();
    if (next === this.state) return;
    if (this.state) {
      this.costs?.state(this.state, t - this.stateT0, this.insn - this.stateInsn0);
      this.trace?.end('state', t);
    }
    this.state = next;
    this.stateT0 = t;
    this.stateInsn0 = this.insn;
    this.trace?.begin('state', t, next, 'state');
  }
}
