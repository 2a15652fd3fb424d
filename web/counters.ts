// The counters panel: one DomainStats snapshot (workers/api.ts) rendered as numbers plus two small
// tables (hypercalls by name, exceptions by vector). While the domain runs, hypercalls per second is
// the difference between two snapshots over page time (so it falls to zero while paused); once the
// domain has stopped it is the average over the domain's run time.
// Every value cell carries data-counter="<name>" so tests and tools can read it.
import type { DomainStats } from '../workers/api.ts';

const int = new Intl.NumberFormat('en-US');
const dec1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const dec2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

interface Row {
  key: string;
  label: string;
  title: string;
  value(s: DomainStats, rate: Rates): string;
}

interface Rates {
  hypercallsPerSecond: number;
}

const ROWS: Row[] = [
  { key: 'instructions', label: 'Instructions retired', title: 'Guest instructions executed so far', value: (s) => int.format(s.instructions) },
  { key: 'mips', label: 'MIPS', title: 'Million guest instructions per second of run time', value: (s) => dec1.format(s.mips) },
  { key: 'hypercalls_per_s', label: 'Hypercalls / s', title: 'Over the last refresh while running; the average over the run time once stopped', value: (_, r) => int.format(Math.round(r.hypercallsPerSecond)) },
  { key: 'hypercalls_total', label: 'Hypercalls', title: 'All hypercalls since boot', value: (s) => int.format(s.hypercalls_total) },
  { key: 'exceptions_total', label: 'Exceptions', title: 'Exceptions raised by guest code', value: (s) => int.format(s.exceptions_total) },
  { key: 'events_delivered', label: 'Events delivered', title: 'Event-channel upcalls into the guest', value: (s) => int.format(s.events_delivered) },
  { key: 'pt_updates', label: 'Page-table updates', title: 'Validated guest page-table writes', value: (s) => int.format(s.pt_updates) },
  { key: 'tlb', label: 'TLB misses / page walks', title: 'Software TLB misses and the page-table walks they caused (hits are not counted on the fast path)', value: (s) => `${int.format(s.tlb_misses)} / ${int.format(s.page_walks)}` },
  { key: 'wall_ms', label: 'Run time', title: 'Wall-clock time spent running guest code', value: (s) => duration(s.wall_ms) },
];

function duration(ms: number): string {
  if (ms < 1000) return `${dec1.format(ms)} ms`;
  if (ms < 600_000) return `${dec2.format(ms / 1000)} s`;
  return `${int.format(Math.floor(ms / 60_000))} min ${int.format(Math.floor((ms % 60_000) / 1000))} s`;
}

export interface CountersPanel {
  /** Shows a snapshot taken at page time `nowMs`; `running` says whether the domain still runs. */
  update(stats: DomainStats, nowMs: number, running: boolean): void;
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

  let last: { stats: DomainStats; at: number } | undefined;

  function clear() {
    last = undefined;
    for (const dd of cells.values()) dd.textContent = '–';
    hypercalls.fill({});
    exceptions.fill({});
  }
  clear();

  return {
    update(stats, nowMs, running) {
      let hypercallsPerSecond = 0;
      if (!running) {
        hypercallsPerSecond = stats.wall_ms > 0 ? (stats.hypercalls_total * 1000) / stats.wall_ms : 0;
      } else if (last && nowMs > last.at) {
        hypercallsPerSecond = ((stats.hypercalls_total - last.stats.hypercalls_total) * 1000) / (nowMs - last.at);
      }
      last = { stats, at: nowMs };
      for (const row of ROWS) cells.get(row.key)!.textContent = row.value(stats, { hypercallsPerSecond });
      hypercalls.fill(stats.hypercalls);
      exceptions.fill(stats.exceptions);
    },
    clear,
  };
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
    fill(counts: Record<string, number>) {
      const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
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
