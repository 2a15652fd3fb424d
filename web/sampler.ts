// The live counters of one domain, sampled a few times a second without ever waiting on its worker:
// from the worker's shared counter mirror (workers/counter-mirror.ts: a plain read, no message) when
// the page is cross-origin isolated, else from stats() answers (messages; at most one in flight).
// Rates are the difference of two samples over page time, so they fall to zero while the domain is
// paused or blocked. stats() still comes by message (once a second with a mirror) for what the
// mirror lacks: the domain's state and its xenstore control/ flags.
import type { DomainStats } from '../workers/api.ts';
import { readCounters, type CounterSample } from '../workers/counter-mirror.ts';
import { vectorName } from '../workers/vector-names.ts';
import type { Domain } from './domain.ts';

/** Per second of page time, between two samples. */
export interface Rates {
  mips: number;
  hypercalls: number;
  exceptions: number;
  tlbMisses: number;
}

export interface Reading {
  /** Page time of the sample (performance.now()). */
  at: number;
  counters: CounterSample;
  /** Undefined for the first sample of a domain. */
  rates?: Rates;
  /** Where the numbers came from. */
  source: 'shared memory' | 'messages';
}

/** How often a domain with a mirror also sends stats() (ms). */
const STATS_EVERY_MS = 1000;

export class Sampler {
  private mirror?: SharedArrayBuffer;
  private last?: Reading;
  private inFlight = false;
  private lastStatsAt = -Infinity;
  /** Readings taken since the domain started (tests read it through the page hook). */
  readings = 0;

  constructor(
    private readonly domain: Domain,
    private readonly onReading: (r: Reading) => void,
    private readonly onStats: (s: DomainStats) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Asks the worker for its mirror once; without one (not isolated) the sampler uses messages. */
  async init(): Promise<void> {
    try {
      this.mirror = await this.domain.counters();
    } catch (e) {
      this.onError(e);
    }
  }

  get source(): Reading['source'] {
    return this.mirror ? 'shared memory' : 'messages';
  }

  /** Takes one sample now (and asks for stats() when due). `force` asks for stats() regardless. */
  tick(force = false): void {
    const now = performance.now();
    if (this.mirror) {
      const c = readCounters(this.mirror);
      if (c) this.emit(c, now);
    }
    if (force || !this.mirror || now - this.lastStatsAt >= STATS_EVERY_MS) void this.requestStats();
  }

  private async requestStats(): Promise<void> {
    if (this.inFlight || !this.domain.alive) return;
    this.inFlight = true;
    this.lastStatsAt = performance.now();
    try {
      const stats = await this.domain.stats();
      if (!this.domain.alive) return;
      this.onStats(stats);
      if (!this.mirror) this.emit(fromStats(stats), performance.now());
    } catch (e) {
      if (this.domain.alive) this.onError(e);
    } finally {
      this.inFlight = false;
    }
  }

  private emit(counters: CounterSample, at: number): void {
    const prev = this.last;
    let rates: Rates | undefined;
    if (prev && at > prev.at) {
      const per = 1000 / (at - prev.at);
      const d = (f: (c: CounterSample) => number) => Math.max(0, f(counters) - f(prev.counters)) * per;
      rates = {
        mips: d((c) => c.instructions) / 1e6,
        hypercalls: d((c) => c.hypercalls_total),
        exceptions: d((c) => c.exceptions_total),
        tlbMisses: d((c) => c.tlb_misses),
      };
    }
    const reading: Reading = { at, counters, rates, source: this.source };
    this.last = reading;
    this.readings++;
    this.onReading(reading);
  }
}

/** The counters of a stats() answer in the mirror's shape (exceptions back from names to vectors). */
export function fromStats(s: DomainStats): CounterSample {
  return {
    instructions: s.instructions,
    hypercalls_total: s.hypercalls_total,
    exceptions_total: s.exceptions_total,
    events_delivered: s.events_delivered,
    tlb_misses: s.tlb_misses,
    page_walks: s.page_walks,
    pt_updates: s.pt_updates,
    mmu: {
      tlb_hits: s.tlb_hits, tlb_flushes: s.tlb_flushes, shadow_hits: s.shadow_hits, shadow_misses: s.shadow_misses,
      shadow_fills: s.shadow_fills, shadow_invalidations: s.shadow_invalidations, shadow_switches: s.shadow_switches,
      shadow_new: s.shadow_new, shadow_resets: s.shadow_resets, ptwr_emulations: s.ptwr_emulations, audits: s.audits,
      audit_errors: s.audit_errors,
    },
    hypercalls_by_nr: s.hypercalls_by_nr,
    exceptions_by_vector: Array.from({ length: 32 }, (_, v) => s.exceptions[vectorName(v)] ?? 0),
    wall_ms: s.wall_ms,
  };
}
