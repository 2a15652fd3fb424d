// The educator views of one domain, under its console: the page-table view, the privilege view, step
// mode and the profiler (web/page-table-panel.ts, privilege-panel.ts, step-panel.ts, profiler-panel.ts)
// in one collapsible pane with tabs. Live while the guest runs (the shown view refreshes a few times a second; every read is an
// asynchronous worker call and at most one per view is in flight, so the page never waits on the
// emulator), exact when it is paused (refreshed once on pause and after each step).
import './inspect.css';
import type { PageTableView, Registers } from '../workers/api.ts';
import type { InspectApi } from './domain.ts';
import { PageTablePanel, type PageTableSnapshot } from './page-table-panel.ts';
import { PrivilegePanel, type PrivilegeSnapshot } from './privilege-panel.ts';
import { StepPanel, type StepSnapshot } from './step-panel.ts';
import { ProfilerPanel, type ProfilerPanelSnapshot } from './profiler-panel.ts';

export type InspectTab = 'page-tables' | 'privilege' | 'step' | 'profiler';

/** What tests read (DomainHook.inspect). */
export interface InspectHook {
  open: boolean;
  tab: InspectTab;
  pageTable?: PageTableSnapshot;
  privilege?: PrivilegeSnapshot;
  step?: StepSnapshot;
  profiler?: ProfilerPanelSnapshot;
  /** The same worker call the page-table view makes, for comparing what it shows (tests, devtools). */
  readPageTables(start: string, count: number): Promise<PageTableView>;
}

export class Inspector {
  readonly hook: InspectHook;
  private api?: InspectApi;
  private guestType?: string;
  private regs?: Registers;
  private paused = false;
  private readonly details: HTMLDetailsElement;
  private readonly pageTables: PageTablePanel;
  private readonly privilege: PrivilegePanel;
  private readonly stepper: StepPanel;
  private readonly profiler: ProfilerPanel;
  private tab: InspectTab = 'page-tables';

  constructor(root: HTMLElement, private readonly events: { stepped(): void }) {
    this.details = root as HTMLDetailsElement;
    const $ = (role: string) => root.querySelector<HTMLElement>(`[data-role="${role}"]`)!;
    const changed = () => this.syncHook();
    this.pageTables = new PageTablePanel($('inspect-page-tables'), {
      source: () => this.api,
      guestType: () => this.guestType,
      rip: () => this.regs?.rip,
      rsp: () => this.regs?.rsp,
      changed,
    });
    this.privilege = new PrivilegePanel($('inspect-privilege'), { source: () => this.api, changed });
    this.stepper = new StepPanel($('inspect-step'), {
      source: () => this.api,
      stepped: () => {
        this.events.stepped();
        void this.refresh(true);
      },
      changed,
    });
    this.profiler = new ProfilerPanel($('inspect-profiler'), { source: () => this.api, changed });
    const inspector = this;
    this.hook = {
      get open() {
        return inspector.details.open;
      },
      get tab() {
        return inspector.tab;
      },
      readPageTables: (start, count) => {
        if (!this.api) return Promise.reject(new Error('no domain'));
        return this.api.pageTables(BigInt(start), count);
      },
    };
    this.details.addEventListener('toggle', () => this.details.open && void this.refresh(true));
    this.setUpTabs(root);
  }

  /** A new domain (or none): the views start over. */
  attach(api: InspectApi | undefined, guestType?: string): void {
    this.api = api;
    this.guestType = guestType;
    this.regs = undefined;
    this.paused = false;
    this.pageTables.clear();
    this.privilege.clear();
    this.stepper.clear();
    this.stepper.setPaused(false);
    this.profiler.clear();
    this.syncHook();
  }

  /** The domain's state changed: paused views are read once, exactly; stopped ones a last time. */
  setState(state: string): void {
    const paused = state === 'paused';
    this.stepper.setPaused(paused);
    const wasPaused = this.paused;
    this.paused = paused;
    if ((paused && !wasPaused) || state === 'shutdown' || state === 'crashed') void this.refresh(true);
    if (state === 'shutdown' || state === 'crashed') this.profiler.domainEnded();
  }

  /** Called a few times a second while the domain runs: refreshes the view shown, if any. */
  tick(): void {
    if (this.details.open && this.api) void this.refresh(false);
  }

  /** Reads the registers, then the shown view (every view when `all`). */
  async refresh(all: boolean): Promise<void> {
    const api = this.api;
    if (!api || !this.details.open) return;
    try {
      this.regs = await api.registers();
    } catch {
      // The domain went away; the views say so themselves.
    }
    if (api !== this.api) return;
    const jobs: Promise<void>[] = [];
    if (all || this.tab === 'page-tables') jobs.push(this.pageTables.refresh());
    if (all || this.tab === 'privilege') jobs.push(this.privilege.refresh());
    if (all || this.tab === 'step') jobs.push(this.stepper.refresh());
    if (this.tab === 'profiler') jobs.push(this.profiler.refresh());
    await Promise.all(jobs);
  }

  /** Opens the pane on `tab` (tests and links). */
  show(tab: InspectTab): void {
    this.details.open = true;
    this.select(tab);
  }

  private syncHook() {
    this.hook.pageTable = this.pageTables.snapshot;
    this.hook.privilege = this.privilege.snapshot;
    this.hook.step = this.stepper.snapshot;
    this.hook.profiler = this.profiler.snapshot;
  }

  private select(tab: InspectTab) {
    this.tab = tab;
    for (const t of this.details.querySelectorAll<HTMLButtonElement>('[data-inspect-tab]')) {
      const on = t.dataset.inspectTab === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      this.details.querySelector<HTMLElement>(`[data-inspect-panel="${t.dataset.inspectTab}"]`)!.hidden = !on;
    }
    void this.refresh(false);
  }

  private setUpTabs(root: HTMLElement) {
    const tabs = [...root.querySelectorAll<HTMLButtonElement>('[data-inspect-tab]')];
    tabs.forEach((t, i) => {
      const panel = root.querySelector<HTMLElement>(`[data-inspect-panel="${t.dataset.inspectTab}"]`)!;
      const id = `${root.closest('.domain')?.id ?? 'domain'}-inspect-${t.dataset.inspectTab}`;
      panel.id = id;
      t.id = `${id}-tab`;
      t.setAttribute('aria-controls', id);
      panel.setAttribute('aria-labelledby', t.id);
      t.addEventListener('click', () => this.select(t.dataset.inspectTab as InspectTab));
      t.addEventListener('keydown', (e) => {
        if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
        const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
        this.select(next.dataset.inspectTab as InspectTab);
        next.focus();
      });
    });
    this.select(this.tab);
  }
}
