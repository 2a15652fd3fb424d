// Writes a timeline (timeline.ts) in the Trace Event Format that chrome://tracing and
// ui.perfetto.dev open ("JSON Object Format": {"traceEvents": [...], "displayTimeUnit": ...}).
// One process per domain; per vCPU two tracks (threads): "vCPU n" with slices (B/E) for hypercalls,
// deliveries and the guest's handlers, and instants (ph "i", thread scope) for faults, upcalls,
// timers, pending events and page-table writes; "vCPU n state" with one slice per stretch of user,
// kernel, hypervisor, blocked or host time. ts is in microseconds (ns precision) from the first record.
// Invariant: the timeline gives begins and ends in stack order and in time order per track.
import type { Args, TraceSink, Track } from './timeline.ts';

export interface TraceMeta {
  /** The process name shown: the domain's name. */
  processName: string;
  pid?: number;
  vcpu?: number;
}

/** The thread ids of vCPU n's two tracks. */
export const vcpuTid = (vcpu: number) => 1 + vcpu;
export const stateTid = (vcpu: number) => 1001 + vcpu;

export class TraceEventWriter implements TraceSink {
  private readonly parts: string[] = [];
  private readonly pid: number;
  private readonly tids: Record<Track, number>;
  private origin = NaN;

  constructor(private readonly meta: TraceMeta) {
    this.pid = meta.pid ?? 1;
    const vcpu = meta.vcpu ?? 0;
    this.tids = { vcpu: vcpuTid(vcpu), state: stateTid(vcpu) };
  }

  /** Sets the time (ns) that becomes ts 0; the first event's time by default. */
  setOrigin(ns: number): void {
    this.origin = ns;
  }

  get events(): number {
    return this.parts.length;
  }

  begin(track: Track, t: number, name: string, cat: string, args?: Args): void {
    this.push({ name, cat, ph: 'B', ts: this.ts(t), pid: this.pid, tid: this.tids[track], ...(args ? { args } : {}) });
  }

  end(track: Track, t: number, args?: Args): void {
    this.push({ ph: 'E', ts: this.ts(t), pid: this.pid, tid: this.tids[track], ...(args ? { args } : {}) });
  }

  instant(t: number, name: string, cat: string, args?: Args): void {
    this.push({ name, cat, ph: 'i', s: 't', ts: this.ts(t), pid: this.pid, tid: this.tids.vcpu, ...(args ? { args } : {}) });
  }

  /** The whole file; `otherData` is kept as metadata (Perfetto shows it under "Metadata"). */
  toJson(otherData: Record<string, unknown> = {}): string {
    const vcpu = this.meta.vcpu ?? 0;
    const metadata = [
      { name: 'process_name', ph: 'M', pid: this.pid, args: { name: this.meta.processName } },
      { name: 'thread_name', ph: 'M', pid: this.pid, tid: this.tids.vcpu, args: { name: `vCPU ${vcpu}` } },
      { name: 'thread_sort_index', ph: 'M', pid: this.pid, tid: this.tids.vcpu, args: { sort_index: 2 * vcpu } },
      { name: 'thread_name', ph: 'M', pid: this.pid, tid: this.tids.state, args: { name: `vCPU ${vcpu} state` } },
      { name: 'thread_sort_index', ph: 'M', pid: this.pid, tid: this.tids.state, args: { sort_index: 2 * vcpu + 1 } },
    ].map((e) => JSON.stringify(e));
    return `{"traceEvents":[\n${[...metadata, ...this.parts].join(',\n')}\n],\n"displayTimeUnit":"ns",\n"otherData":${JSON.stringify(otherData)}}\n`;
  }

  private ts(t: number): number {
    if (Number.isNaN(this.origin)) this.origin = t;
    return Math.round(t - this.origin) / 1000;
  }

  private push(event: Record<string, unknown>): void {
    this.parts.push(JSON.stringify(event));
  }
}
