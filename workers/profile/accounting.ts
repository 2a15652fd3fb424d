// Cost accounting per hypercall number and sub-op, per kind of delivery and per kind of guest
// handler: count, total, mean and percentiles of the time and of the guest instructions each took
// (histogram.ts), and where the vCPU's time went (user, kernel, hypervisor, blocked, host). Fed by
// timeline.ts; read as a ProfileSnapshot (types.ts). Invariant: the hypercall rows' counts add up to
// the hypercalls recorded, which is the core's CNT_HYPERCALLS_TOTAL over the recording.
import * as L from '../layout.gen.ts';
import { Distribution } from './histogram.ts';
import type { CostSink } from './timeline.ts';
import type { ProfileRow, ProfileSnapshot, VcpuState } from './types.ts';

interface Row {
  kind: ProfileRow['kind'];
  name: string;
  nr?: number;
  sub?: number;
  time: Distribution;
  instructions: Distribution;
}

const KIND_ORDER: Record<ProfileRow['kind'], number> = { hypercall: 0, delivery: 1, handler: 2 };
export const VCPU_STATES: VcpuState[] = ['user', 'kernel', 'hypervisor', 'blocked', 'host'];

export type AccountingTotals = Pick<ProfileSnapshot,
  'durationNs' | 'coreNs' | 'instructions' | 'hypercalls' | 'rows' | 'states' | 'ptUpdates' | 'eventsPending' | 'timers'>;

export class Accounting implements CostSink {
  private rows = new Map<string, Row>();
  /** Hypercall rows by nr * 2^32 + sub (2^32 - 1 without a sub-op): looked up per call. */
  private hypercallRows = new Map<number, Row>();
  private states = new Map<VcpuState, { ns: number; instructions: number }>(VCPU_STATES.map((s) => [s, { ns: 0, instructions: 0 }]));
  private hypercalls = 0;
  private coreNs = 0;
  private instructions = 0;
  private ptUpdates = 0;
  private eventsPending = 0;
  private timers = 0;

  hypercall(nr: number, sub: number | undefined, name: string, ns: number, instructions: number): void {
    this.hypercalls++;
    const key = nr * 2 ** 32 + (sub ?? 2 ** 32 - 1);
    let r = this.hypercallRows.get(key);
    if (!r) this.hypercallRows.set(key, (r = this.row('hypercall', name, nr, sub)));
    r.time.add(ns);
    r.instructions.add(instructions);
  }

  delivery(name: string, ns: number, instructions: number): void {
    const r = this.row('delivery', name);
    r.time.add(ns);
    r.instructions.add(instructions);
  }

  handler(name: string, ns: number, instructions: number): void {
    const r = this.row('handler', name);
    r.time.add(ns);
    r.instructions.add(instructions);
  }

  state(state: VcpuState, ns: number, instructions: number): void {
    const s = this.states.get(state)!;
    s.ns += ns;
    s.instructions += instructions;
  }

  slice(ns: number, instructions: number): void {
    this.coreNs += ns;
    this.instructions += instructions;
  }

  instant(kind: number): void {
    if (kind === L.PROF_K_PT_UPDATE) this.ptUpdates++;
    else if (kind === L.PROF_K_EVENT_PENDING) this.eventsPending++;
    else if (kind === L.PROF_K_TIMER) this.timers++;
  }

  /**
   * The accounting so far (rows ordered: hypercalls, deliveries, handlers; each by total time);
   * `durationNs`: from the first record to the last (Timeline.origin, Timeline.now).
   */
  totals(durationNs: number): AccountingTotals {
    const rows: ProfileRow[] = [...this.rows.values()].map((r) => {
      const time = r.time.stats();
      return {
        kind: r.kind,
        name: r.name,
        ...(r.nr !== undefined ? { nr: r.nr } : {}),
        ...(r.sub !== undefined ? { sub: r.sub } : {}),
        count: r.time.count,
        time,
        instructions: r.instructions.stats(),
        share: this.coreNs > 0 ? time.total / this.coreNs : 0,
      };
    });
    rows.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.time.total - a.time.total ||
      b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const states = Object.fromEntries(VCPU_STATES.map((s) => [s, { ...this.states.get(s)! }])) as ProfileSnapshot['states'];
    return {
      durationNs,
      coreNs: this.coreNs,
      instructions: this.instructions,
      hypercalls: this.hypercalls,
      rows,
      states,
      ptUpdates: this.ptUpdates,
      eventsPending: this.eventsPending,
      timers: this.timers,
    };
  }

  private row(kind: Row['kind'], name: string, nr?: number, sub?: number): Row {
    const key = `${kind}:${name}`;
    let r = this.rows.get(key);
    if (!r) {
      r = { kind, name, nr, sub, time: new Distribution(), instructions: new Distribution() };
      this.rows.set(key, r);
    }
    return r;
  }
}
