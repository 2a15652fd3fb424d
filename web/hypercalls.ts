// The hypercall table panel: every row of workers/hypercalls.ts (number, name, status for the
// running guest's type, the note as a tooltip) with the live call count per number (the counter
// region's CNT_HYPERCALL array, as web/sampler.ts reads it). Sortable by number or by count (click the column header); a number
// outside the table that the guest called anyway gets a row too (the core answers it -ENOSYS).
// Rows carry data-nr, cells data-col ("nr", "name", "status", "count") for tests and tools.
import { HYPERCALLS, hypercallName, type HypercallRow, type HypercallStatus } from '../workers/hypercalls.ts';

const int = new Intl.NumberFormat('en-US');
const LABEL: Record<HypercallStatus, string> = { implemented: 'implemented', partial: 'partial', enosys: '-ENOSYS' };
const MEANING: Record<HypercallStatus, string> = {
  implemented: 'every sub-op a domU may use',
  partial: 'some sub-ops',
  enosys: 'answers -ENOSYS, as Xen does for a call it does not offer',
};

type GuestType = 'pv32' | 'pv64';
type SortKey = 'nr' | 'count';

export interface HypercallPanel {
  /** The guest type whose status column to show (undefined: no guest yet). */
  setGuestType(type: GuestType | undefined): void;
  /** Shows the call counts, indexed by hypercall number. */
  update(byNr: readonly number[]): void;
  clear(): void;
}

interface Line {
  nr: number;
  row?: HypercallRow;
  tr: HTMLTableRowElement;
  status: HTMLTableCellElement;
  count: HTMLTableCellElement;
  calls: number;
}

export function createHypercallPanel(root: HTMLElement): HypercallPanel {
  root.replaceChildren();
  const summary = el('p', 'hc-summary');
  const table = el('table', 'hc-table');
  table.dataset.table = 'hypercall-table';
  const head = el('thead');
  const headRow = el('tr');
  const sortButtons = new Map<SortKey, HTMLButtonElement>();
  for (const [key, label, cls, sortKey] of [
    ['nr', '#', 'num', 'nr'], ['name', 'hypercall', '', undefined], ['status', 'status', '', undefined], ['count', 'calls', 'num', 'count'],
  ] as const) {
    const th = el('th', cls);
    th.dataset.col = key;
    if (sortKey) {
      const b = el('button', 'hc-sort');
      b.type = 'button';
      b.textContent = label;
      b.title = sortKey === 'nr' ? 'Sort by hypercall number' : 'Sort by calls, most first';
      b.addEventListener('click', () => sortBy(sortKey));
      sortButtons.set(sortKey, b);
      th.append(b);
    } else th.textContent = label;
    headRow.append(th);
  }
  head.append(headRow);
  const body = el('tbody');
  table.append(head, body);
  root.append(summary, table);

  const lines = new Map<number, Line>();
  let guestType: GuestType | undefined;
  let sort: SortKey = 'nr';

  function addLine(nr: number, row?: HypercallRow): Line {
    const tr = el('tr');
    tr.dataset.nr = String(nr);
    const cells = ['nr', 'name', 'status', 'count'].map((col) => {
      const td = el('td', col === 'nr' || col === 'count' ? 'num' : '');
      td.dataset.col = col;
      tr.append(td);
      return td;
    });
    cells[0].textContent = String(nr);
    cells[1].textContent = row?.name ?? hypercallName(nr);
    const line = { nr, row, tr, status: cells[2], count: cells[3], calls: 0 };
    lines.set(nr, line);
    showStatus(line);
    showCount(line, 0);
    return line;
  }

  function statusOf(line: Line): HypercallStatus | undefined {
    if (!guestType) return undefined;
    return line.row ? line.row[guestType] : 'enosys';
  }

  function showStatus(line: Line) {
    const s = statusOf(line);
    line.status.textContent = s ? LABEL[s] : '';
    line.status.dataset.status = s ?? '';
    const parts = [line.row?.note ?? (line.row ? '' : 'not a hypercall of Xen\'s public/xen.h table')];
    if (s) parts.push(`${guestType}: ${LABEL[s]} (${MEANING[s]})`);
    line.tr.title = parts.filter(Boolean).join('\n');
  }

  function showCount(line: Line, calls: number) {
    line.calls = calls;
    line.count.textContent = calls > 0 ? int.format(calls) : '–';
    line.tr.classList.toggle('hc-called', calls > 0);
  }

  function order() {
    const all = [...lines.values()].sort((a, b) => (sort === 'count' ? b.calls - a.calls : 0) || a.nr - b.nr);
    // Move only when the order changed: keeps the DOM (and a selection in it) calm while polling.
    const now = [...body.children];
    if (all.length !== now.length || all.some((l, i) => l.tr !== now[i])) body.replaceChildren(...all.map((l) => l.tr));
    for (const [key, b] of sortButtons) b.setAttribute('aria-pressed', String(key === sort));
  }

  function sortBy(key: SortKey) {
    sort = key;
    order();
  }

  function summarize() {
    const called = [...lines.values()].filter((l) => l.calls > 0).length;
    if (!guestType) {
      summary.textContent = `${HYPERCALLS.length} hypercalls in the table; no guest running`;
      return;
    }
    const count = (s: HypercallStatus) => HYPERCALLS.filter((r) => r[guestType!] === s).length;
    summary.textContent = `${guestType}: ${count('implemented')} implemented, ${count('partial')} partial, ` +
      `${count('enosys')} -ENOSYS; ${called} called`;
  }

  for (const row of HYPERCALLS) addLine(row.nr, row);
  order();
  summarize();

  return {
    setGuestType(type) {
      guestType = type;
      for (const line of lines.values()) showStatus(line);
      summarize();
    },
    update(byNr) {
      byNr.forEach((n, nr) => {
        const line = lines.get(nr) ?? (n > 0 ? addLine(nr) : undefined);
        if (line && line.calls !== n) showCount(line, n);
      });
      order();
      summarize();
    },
    clear() {
      for (const line of [...lines.values()]) {
        if (!line.row) lines.delete(line.nr);
        else showCount(line, 0);
      }
      order();
      summarize();
    },
  };
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}
