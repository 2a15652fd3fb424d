// The counters panel: one reading of a domain's counters (web/sampler.ts) rendered as numbers plus
// two small tables (hypercalls by name, exceptions by vector). While the domain runs, MIPS and
// hypercalls per second are the sampler's rates over page time (so they fall to zero while paused);
// once the domain has stopped they are averages over the domain's run time.
// Every value cell carries data-counter="<name>" so tests and tools can read it.
import { hypercallName } from '../workers/hypercalls.ts';
import { vectorName } from '../workers/vector-names.ts';
import type { Reading } from './sampler.ts';

const int = new Intl.NumberFormat('en-US');
const dec1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const dec2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

interface Row {
  key: string;
  label: string;
  title: string;
  value(r: Reading, running: boolean): string;
}

/** Per second: the live rate while running, else the average over the run time. */
function perSecond(r: Reading, running: boolean, live: number | undefined, total: number): number {
  if (running) return live ?? 0;
  return r.counters.wall_ms > 0 ? (total * 1000) / r.counters.wall_ms : 0;
}

const ROWS: Row[] = [
  { key: 'instructions', label: 'Instructions retired', title: 'Guest instructions executed so far', value: (r) => int.format(r.counters.instructions) },
  {
    key: 'mips', label: 'MIPS', title: 'Million guest instructions per second: over the last sample while running, over the run time once stopped',
    value: (r, run) => dec1.format(perSecond(r, run, r.rates?.mips, r.counters.instructions / 1e6)),
  },
  {
    key: 'hypercalls_per_s', label: 'Hypercalls / s', title: 'Over the last sample while running; the average over the run time once stopped',
    value: (r, run) => int.format(Math.round(perSecond(r, run, r.rates?.hypercalls, r.counters.hypercalls_total))),
  },
  { key: 'hypercalls_total', label: 'Hypercalls', title: 'All hypercalls since boot', value: (r) => int.format(r.counters.hypercalls_total) },
  { key: 'exceptions_total', label: 'Exceptions', title: 'Exceptions raised by guest code', value: (r) => int.format(r.counters.exceptions_total) },
  { key: 'events_delivered', label: 'Events delivered', title: 'Event-channel upcalls into the guest', value: (r) => int.format(r.counters.events_delivered) },
  { key: 'pt_updates', label: 'Page-table updates', title: 'Validated guest page-table writes', value: (r) => int.format(r.counters.pt_updates) },
  // The emulated MMU (docs/shadow-page-tables.md): TLB, then the shadow page tables behind it.
  {
    key: 'tlb', label: 'TLB hits / misses', title: 'Translations found in the software TLB, and those that were not (served by the shadow or a page walk)',
    value: (r) => pair(r.counters.mmu.tlb_hits, r.counters.tlb_misses),
  },
  {
    key: 'shadow', label: 'Shadow hits / misses', title: "TLB misses served by the current address space's shadow page table / not in it (a walk of the guest tables followed)",
    value: (r) => pair(r.counters.mmu.shadow_hits, r.counters.mmu.shadow_misses),
  },
  { key: 'page_walks', label: 'Page walks', title: "Walks of the guest's page tables (each fills the shadow)", value: (r) => int.format(r.counters.page_walks) },
  {
    key: 'shadow_fills', label: 'Shadow fills / invalidations', title: 'Shadow entries written by page walks / dropped because a guest entry they came from changed',
    value: (r) => pair(r.counters.mmu.shadow_fills, r.counters.mmu.shadow_invalidations),
  },
  {
    key: 'shadow_switches', label: 'CR3 loads: shadow kept / new', title: "Address-space switches that found their shadow / had to start (or recycle) one",
    value: (r) => pair(r.counters.mmu.shadow_switches, r.counters.mmu.shadow_new),
  },
  {
    key: 'tlb_flushes', label: 'TLB flushes / shadow resets', title: 'Whole-TLB flushes / every shadow dropped at once (a switch toggled, CR0/CR4 changes, reverse map full)',
    value: (r) => pair(r.counters.mmu.tlb_flushes, r.counters.mmu.shadow_resets),
  },
  {
    key: 'ptwr_emulations', label: 'Writable page-table stores', title: 'Guest stores to its read-only page tables that Xen emulated (writable page tables)',
    value: (r) => int.format(r.counters.mmu.ptwr_emulations),
  },
  {
    key: 'audits', label: 'Audits / disagreements', title: 'MMU audits run (shadows and TLB checked against the guest tables) / disagreements found: 0 expected',
    value: (r) => pair(r.counters.mmu.audits, r.counters.mmu.audit_errors),
  },
  { key: 'wall_ms', label: 'Run time', title: 'Wall-clock time spent running guest code', value: (r) => duration(r.counters.wall_ms) },
  {
    key: 'source', label: 'Read from', title: 'Shared memory when the page is cross-origin isolated (no message to the worker), else stats() messages',
    value: (r) => r.source,
  },
];

function pair(a: number, b: number): string {
  return `${int.format(a)} / ${int.format(b)}`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${dec1.format(ms)} ms`;
  if (ms < 600_000) return `${dec2.format(ms / 1000)} s`;
  return `${int.format(Math.floor(ms / 60_000))} min ${int.format(Math.floor((ms % 60_000) / 1000))} s`;
}

export interface CountersPanel {
  /** Shows a reading; `running` says whether the domain still runs (live rates) or has stopped. */
  update(reading: Reading, running: boolean): void;
  clear(): void;
}

export function createCounters(root: HTMLElement): CountersPanel {
  root.replaceChildren();
  const list = el('dl', 'counter-list');
  const cells = new Map<string, HTMLElement>();
  for (const row of ROWS) {
    const dt = el('dt');
    dt.textContent = row.label;
    dt.title = row.title;
    const dd = el('dd');
    dd.dataset.counter = row.key;
    cells.set(row.key, dd);
    list.append(dt, dd);
  }
  const hypercalls = table('Hypercalls by name', 'hypercall', 'hypercalls');
  const exceptions = table('Exceptions by vector', 'vector', 'exceptions');
  root.append(list, hypercalls.section, exceptions.section);

  function clear() {
    for (const dd of cells.values()) dd.textContent = '–';
    hypercalls.fill([]);
    exceptions.fill([]);
  }
  clear();

  return {
    update(reading, running) {
      for (const row of ROWS) cells.get(row.key)!.textContent = row.value(reading, running);
      hypercalls.fill(named(reading.counters.hypercalls_by_nr, hypercallName));
      exceptions.fill(named(reading.counters.exceptions_by_vector, vectorName));
    },
    clear,
  };
}

function named(counts: number[], name: (i: number) => string): [string, number][] {
  return counts.flatMap((n, i) => (n > 0 ? [[name(i), n] as [string, number]] : []));
}

function table(caption: string, keyHeader: string, name: string) {
  const section = el('section', 'counter-table');
  const h = el('h3');
  h.textContent = caption;
  const t = el('table');
  t.dataset.table = name;
  const head = el('thead');
  head.innerHTML = `<tr><th>${keyHeader}</th><th class="num">count</th></tr>`;
  const body = el('tbody');
  t.append(head, body);
  const empty = el('p', 'empty');
  empty.textContent = 'none yet';
  section.append(h, t, empty);
  return {
    section,
    fill(counts: [string, number][]) {
      const entries = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      body.replaceChildren(
        ...entries.map(([k, n]) => {
          const tr = el('tr');
          const a = el('td');
          a.textContent = k;
          const b = el('td', 'num');
          b.textContent = int.format(n);
          tr.append(a, b);
          return tr;
        }),
      );
      t.hidden = entries.length === 0;
      empty.hidden = entries.length > 0;
    },
  };
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}
