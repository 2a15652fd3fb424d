// The page-table view of one domain: for a range of virtual pages, the guest's own page-table entries
// level by level (what the guest wrote, validated by Xen), the machine frame they map to, the entry
// the hypervisor's shadow of this address space holds and the software TLB's entry
// (docs/shadow-page-tables.md) side by side; a shadow or TLB entry that names another frame than the
// guest tables is a disagreement and is marked (there should be none). Or the whole address space as
// ranges, from a walk of the guest's tables in the worker. Data: VmApi.pageTables() / addressSpace().
import type { AddressSpaceView, PageTableView, PageView } from '../workers/api.ts';
import { h } from './dom.ts';
import { hex, levelNames, parseAddress, pteFlags, pteFrame, sizeText, vaText } from './pte-format.ts';

export interface PageTableRow {
  va: string;
  /** Entry values top level first, as hex ("" where the walk stopped above). */
  guest: string[];
  mfn: string | null;
  shadow: string | null;
  tlb: string | null;
  /** The shadow or TLB entry names another frame than the guest tables. */
  disagrees: boolean;
}

/** What the panel shows, for tests (DomainHook.inspect.pageTable). */
export interface PageTableSnapshot {
  mode: 'range' | 'space';
  start?: string;
  count?: number;
  rows: PageTableRow[];
  ranges?: number;
  mappedPages?: number;
  disagreements: number;
  /** Round trip of the last refresh (ms) and how many refreshes so far. */
  refreshMs: number;
  refreshes: number;
}

export interface PanelSource {
  pageTables(start: bigint, count: number): Promise<PageTableView>;
  addressSpace(): Promise<AddressSpaceView>;
}

const COUNTS = [1, 4, 16, 64, 256];

export class PageTablePanel {
  snapshot?: PageTableSnapshot;
  private mode: 'range' | 'space' = 'range';
  /** Start page chosen by the user; undefined follows RIP. */
  private start?: bigint;
  private count = 16;
  private readonly input: HTMLInputElement;
  private readonly countSelect: HTMLSelectElement;
  private readonly modeButtons: Record<'range' | 'space', HTMLButtonElement>;
  private readonly table: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly error: HTMLElement;
  private refreshes = 0;
  /** The guest width of the table drawn (its columns), so a redraw can keep its rows. */
  private drawnShape = '';
  private busy = false;
  /** A refresh was asked for while one was under way: run again when it ends (the view must end exact). */
  private again = false;

  constructor(
    root: HTMLElement,
    private readonly ctx: { source(): PanelSource | undefined; guestType(): string | undefined; rip(): bigint | undefined; rsp(): bigint | undefined; changed(): void },
  ) {
    this.input = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', 'data-role': 'pt-address', 'aria-label': 'Virtual address (hex)', placeholder: 'virtual address (hex), RIP when empty' });
    this.countSelect = h('select', { 'data-role': 'pt-count', 'aria-label': 'Pages' }, COUNTS.map((n) => h('option', { value: n }, `${n} page${n > 1 ? 's' : ''}`)));
    this.countSelect.value = String(this.count);
    const go = h('button', { type: 'button', 'data-role': 'pt-go', title: 'Show the pages from this address' }, 'Show');
    const atRip = h('button', { type: 'button', 'data-role': 'pt-rip', title: 'The page of the next instruction (RIP), followed as it moves' }, 'RIP');
    const atRsp = h('button', { type: 'button', 'data-role': 'pt-rsp', title: 'The page of the stack pointer (RSP)' }, 'RSP');
    this.modeButtons = {
      range: h('button', { type: 'button', 'data-role': 'pt-mode-range', 'aria-pressed': 'true', title: 'Entries for a range of pages' }, 'Pages'),
      space: h('button', { type: 'button', 'data-role': 'pt-mode-space', 'aria-pressed': 'false', title: 'Every mapped range of the address space (a walk of the guest tables from CR3)' }, 'Whole address space'),
    };
    this.table = h('div', { class: 'pt-table-box' });
    this.summary = h('p', { class: 'inspect-summary', 'data-role': 'pt-summary' });
    this.error = h('p', { class: 'inspect-error', 'data-role': 'pt-error', hidden: true });
    const legend = h('p', { class: 'inspect-legend' },
      'Guest entries are what the guest wrote (Xen validated them); ', h('b', {}, 'shadow'), ' is the hypervisor\'s copy the CPU uses for this address space, ',
      h('b', {}, 'TLB'), ' the cached translation in front of it; rights are read/write/execute for kernel/user, and grant a write ',
      'only once the entry\'s D bit is set and never on a frame holding decoded code (so those writes are seen). ',
      h('span', { class: 'pt-uncached' }, 'not cached'), ' is normal; ', h('span', { class: 'pt-bad' }, 'red'), ' marks a disagreement with the guest tables (there should be none).');
    root.replaceChildren(
      h('div', { class: 'toolbar inspect-toolbar' },
        h('div', { class: 'segmented' }, this.modeButtons.range, this.modeButtons.space),
        this.input, this.countSelect, go, atRip, atRsp),
      this.error, this.summary, this.table, legend,
    );
    const show = () => {
      const text = this.input.value.trim();
      if (text === '') this.start = undefined;
      else {
        const va = parseAddress(text);
        if (va === undefined) return this.showError(`"${text}" is not a hex address`);
        this.start = va & ~0xfffn;
      }
      this.setMode('range');
    };
    go.addEventListener('click', show);
    this.input.addEventListener('keydown', (e) => e.key === 'Enter' && show());
    this.countSelect.addEventListener('change', () => {
      this.count = Number(this.countSelect.value);
      void this.refresh();
    });
    atRip.addEventListener('click', () => {
      this.input.value = '';
      this.start = undefined;
      this.setMode('range');
    });
    atRsp.addEventListener('click', () => {
      const rsp = this.ctx.rsp();
      if (rsp === undefined) return;
      this.input.value = vaText(rsp & ~0xfffn, this.pv64);
      this.start = rsp & ~0xfffn;
      this.setMode('range');
    });
    this.modeButtons.range.addEventListener('click', () => this.setMode('range'));
    this.modeButtons.space.addEventListener('click', () => this.setMode('space'));
    this.clear();
  }

  private get pv64(): boolean {
    return this.ctx.guestType() !== 'pv32';
  }

  /** Shows `va`'s page (a click in the address-space list, or a test). */
  showAddress(va: bigint, count = this.count): void {
    this.start = va & ~0xfffn;
    this.count = COUNTS.includes(count) ? count : this.count;
    this.countSelect.value = String(this.count);
    this.input.value = vaText(this.start, this.pv64);
    this.setMode('range');
  }

  private setMode(mode: 'range' | 'space') {
    this.mode = mode;
    for (const [m, b] of Object.entries(this.modeButtons)) b.setAttribute('aria-pressed', String(m === mode));
    this.input.disabled = this.countSelect.disabled = mode === 'space';
    void this.refresh();
  }

  clear(): void {
    this.snapshot = undefined;
    this.drawnShape = '';
    this.table.replaceChildren();
    this.summary.textContent = 'Start a guest to see its page tables.';
    this.error.hidden = true;
  }

  private showError(message: string) {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  /** Reads the data from the worker and redraws; a refresh still under way makes this one a no-op. */
  async refresh(): Promise<void> {
    const source = this.ctx.source();
    if (!source) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    const t0 = performance.now();
    try {
      if (this.mode === 'space') {
        const space = await source.addressSpace();
        this.drawSpace(space, performance.now() - t0);
      } else {
        const rip = this.ctx.rip();
        const start = this.start ?? (rip !== undefined ? rip & ~0xfffn : undefined);
        if (start === undefined) return;
        const view = await source.pageTables(start, this.count);
        this.drawRange(view, performance.now() - t0, rip);
      }
      this.error.hidden = true;
    } catch (e) {
      this.showError(e instanceof Error ? e.message : String(e));
    } finally {
      this.busy = false;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  private drawRange(view: PageTableView, ms: number, rip: bigint | undefined) {
    const pv64 = view.guestType === 'pv64';
    const levels = levelNames(pv64);
    const head = h('tr', {},
      h('th', { title: 'Virtual address of the page' }, 'VA'),
      levels.map((l) => h('th', { title: l.title }, l.name)),
      h('th', { title: 'The machine frame the guest tables map the page to' }, 'MFN'),
      h('th', { title: "The hypervisor's shadow entry for this address space" }, 'shadow'),
      h('th', { title: 'The software TLB entry' }, 'TLB'),
    );
    const rows: PageTableRow[] = [];
    let disagreements = 0;
    let shadowed = 0;
    let inTlb = 0;
    const built = view.pages.map((p) => {
      const isRip = rip !== undefined && (rip & ~0xfffn) === p.va;
      const key = `${isRip} ${p.guestMfn} ${p.guest.map((g) => `${g.tableMfn}:${g.value}`).join()} ${p.shadow?.mfn}:${p.shadow?.rights} ${p.tlb?.mfn}:${p.tlb?.rights}`;
      const row = this.row(p, pv64, levels.map((l) => l.level));
      rows.push(row.data);
      if (row.data.disagrees) disagreements++;
      if (p.shadow) shadowed++;
      if (p.tlb) inTlb++;
      if (isRip) row.tr.classList.add('pt-rip');
      row.tr.dataset.key = key;
      return row.tr;
    });
    // While the guest runs this redraws a few times a second: rows whose data did not change stay
    // in place (rebuilding a table of 64 rows each time costs the main thread tens of milliseconds).
    const old = this.table.querySelector<HTMLTableSectionElement>('table.pt-table:not(.pt-space) > tbody');
    const reusable = old && old.rows.length === built.length && this.drawnShape === `${pv64}`;
    if (reusable) {
      built.forEach((tr, i) => {
        const cur = old.rows[i];
        if (cur.dataset.key !== tr.dataset.key) cur.replaceWith(tr);
      });
    } else {
      this.table.replaceChildren(h('table', { class: 'pt-table', 'data-role': 'pt-table' }, h('thead', {}, head), h('tbody', {}, built)));
      this.drawnShape = `${pv64}`;
    }
    const mapped = view.pages.filter((p) => p.guestMfn !== null).length;
    this.refreshes++;
    this.summary.textContent = `${view.pages.length} page${view.pages.length > 1 ? 's' : ''} from ${vaText(view.pages[0].va, pv64)} · ` +
      `${mapped} mapped · CR3 ${hex(view.cr3)} · shadow slot ${view.shadowSlot >= 0 ? view.shadowSlot : 'none (shadows off)'} · ` +
      `${shadowed} in the shadow, ${inTlb} in the TLB · ${disagreements} disagreement${disagreements === 1 ? '' : 's'} · read in ${ms.toFixed(1)} ms`;
    this.summary.dataset.disagreements = String(disagreements);
    this.snapshot = {
      mode: 'range', start: vaText(view.pages[0].va, pv64), count: view.pages.length, rows, disagreements,
      refreshMs: ms, refreshes: this.refreshes,
    };
    this.ctx.changed();
  }

  private row(p: PageView, pv64: boolean, levels: number[]): { tr: HTMLTableRowElement; data: PageTableRow } {
    const cells: HTMLElement[] = [h('td', { class: 'pt-va' }, vaText(p.va, pv64))];
    const guest: string[] = [];
    for (const level of levels) {
      const e = p.guest.find((g) => g.level === level);
      if (!e) {
        const above = p.guest.at(-1);
        const why = above && (above.value & 1n) === 0n ? '' : above && (above.value & 0x80n) !== 0n ? `(${above.level === 2 ? '2 MiB' : '1 GiB'} page)` : '';
        cells.push(h('td', { class: 'pt-entry pt-none' }, why));
        guest.push('');
        continue;
      }
      const present = (e.value & 1n) !== 0n;
      const value = hex(e.value, 16);
      guest.push(value);
      cells.push(h('td', {
        class: `pt-entry${present ? '' : ' pt-notpresent'}`,
        title: `L${e.level} table at machine frame ${hex(e.tableMfn)}, entry ${e.index}${present ? `: points at frame ${hex(pteFrame(e.value))}` : ': not present'}`,
        'data-level': e.level,
      },
      h('span', { class: 'pt-value' }, value),
      h('span', { class: 'pt-flags' }, present ? pteFlags(e.value, e.level, pv64).map((f) => h('abbr', { title: f.title }, f.name)) : 'not present'),
      ));
    }
    const mfn = p.guestMfn === null ? null : hex(p.guestMfn);
    cells.push(h('td', { class: `pt-mfn${mfn ? '' : ' pt-none'}` }, mfn ?? 'not mapped'));
    let disagrees = false;
    const cachedCell = (c: PageView['shadow'], what: string) => {
      if (!c) return h('td', { class: 'pt-cached pt-uncached', title: `no ${what} entry for this page (filled on first use)` }, 'not cached');
      const bad = c.mfn !== p.guestMfn;
      if (bad) disagrees = true;
      return h('td', {
        class: `pt-cached${bad ? ' pt-bad' : ''}`,
        title: bad ? `DISAGREES: the ${what} maps frame ${hex(c.mfn)}, the guest tables ${mfn ?? 'nothing'}` : `the ${what} maps frame ${hex(c.mfn)}; rights kernel/user ${c.rights}`,
      }, `${hex(c.mfn)} ${c.rights}`);
    };
    cells.push(cachedCell(p.shadow, 'shadow'), cachedCell(p.tlb, 'TLB'));
    const tr = h('tr', { 'data-va': vaText(p.va, pv64) }, cells);
    if (disagrees) tr.classList.add('pt-disagrees');
    return {
      tr,
      data: {
        va: vaText(p.va, pv64), guest, mfn,
        shadow: p.shadow ? `${hex(p.shadow.mfn)} ${p.shadow.rights}` : null,
        tlb: p.tlb ? `${hex(p.tlb.mfn)} ${p.tlb.rights}` : null,
        disagrees,
      },
    };
  }

  private drawSpace(space: AddressSpaceView, ms: number) {
    const pv64 = space.guestType === 'pv64';
    const head = h('tr', {}, h('th', {}, 'virtual range'), h('th', {}, 'size'), h('th', {}, 'machine frames'), h('th', {}, 'rights'), h('th', {}, 'pages'));
    const body = space.ranges.map((r) => {
      const end = r.start + BigInt(r.pages) * 4096n - 1n;
      const rights = [r.writable ? 'RW' : 'RO', r.user ? 'user' : 'kernel only', r.noExecute ? 'NX' : 'exec'].join(' · ');
      const link = h('button', { type: 'button', class: 'link', title: 'Show these pages entry by entry' }, `${vaText(r.start, pv64)} – ${vaText(end, pv64)}`);
      link.addEventListener('click', () => this.showAddress(r.start, r.pages >= 64 ? 64 : r.pages >= 16 ? 16 : r.pages >= 4 ? 4 : 1));
      return h('tr', {},
        h('td', { class: 'pt-va' }, link),
        h('td', { class: 'num' }, sizeText(r.pages * 4096)),
        h('td', { class: 'pt-mfn' }, `${hex(r.mfn)} – ${hex(r.mfn + r.pages - 1)}`),
        h('td', {}, rights),
        h('td', {}, r.pageSize === 4096 ? '4 KiB' : sizeText(r.pageSize)),
      );
    });
    this.table.replaceChildren(h('table', { class: 'pt-table pt-space', 'data-role': 'pt-space' }, h('thead', {}, head), h('tbody', {}, body)));
    this.drawnShape = '';
    this.refreshes++;
    this.summary.textContent = `CR3 ${hex(space.cr3)} · ${space.ranges.length} mapped range${space.ranges.length === 1 ? '' : 's'}` +
      `${space.truncated ? ' (list cut short)' : ''} · ${sizeText(space.mappedPages * 4096)} mapped in ${space.mappedPages} pages · ` +
      `frames and rights consecutive within a range · walked in ${ms.toFixed(1)} ms`;
    this.snapshot = { mode: 'space', rows: [], ranges: space.ranges.length, mappedPages: space.mappedPages, disagreements: 0, refreshMs: ms, refreshes: this.refreshes };
    this.ctx.changed();
  }
}
