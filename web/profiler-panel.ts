// The profiler view of one domain (docs/profiler.md): Start / Stop a recording timed with the host
// clock, a table of what each hypercall, delivery and guest handler cost (count; mean, p50 and p99 in
// ns and in guest instructions; share of the time inside the core), live while recording, the
// distribution of the selected row as a uPlot bar chart, and the recording as a Trace Event Format
// file to download once stopped. Data: VmApi.startProfiling / stopProfiling / profile / profileTrace.
// Every call is asynchronous with at most one read in flight, polled every POLL_MS (slower than the
// sampler's 250 ms), so the page never waits on the emulator.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './profiler.css';
import type { CostStats, ProfileRow, ProfileSnapshot, VcpuState, VmApi } from '../workers/api.ts';
import { formatNs } from '../cli/profile-table.ts';
import { h } from './dom.ts';

export type ProfilerApi = Pick<VmApi, 'startProfiling' | 'stopProfiling' | 'profile' | 'profileTrace'>;

/** What the panel shows, for tests (DomainHook.inspect.profiler). */
export interface ProfilerPanelSnapshot {
  recording: boolean;
  hypercalls: number;
  instructions: number;
  rows: {
    kind: ProfileRow['kind'];
    name: string;
    count: number;
    meanNs: number;
    p50Ns: number;
    p99Ns: number;
    meanInstructions: number;
    p50Instructions: number;
    p99Instructions: number;
    share: number;
  }[];
  selected?: string;
  metric: Metric;
  /** Bars in the histogram drawn for the selected row, and the calls they count. */
  histogram?: { bars: number; count: number };
  traceRecords: number;
  traceTruncated: boolean;
  refreshes: number;
  downloads: { name: string; bytes: number }[];
}

type Metric = 'time' | 'instructions';

const POLL_MS = 500;
/** Records kept for the page's trace: about 50 MB of JSON, a few seconds of a hypercall-bound loop
 *  (the worker's default, 1 000 000, makes 200 MB strings in the tab). The table is always complete. */
const TRACE_RECORDS = 250_000;
const CHART_HEIGHT = 150;
const KIND_TITLE: Record<ProfileRow['kind'], string> = {
  hypercall: 'hypercalls: the hypervisor\'s work, from entry to return',
  delivery: 'deliveries: the hypervisor\'s work to bounce or emulate an event',
  handler: 'guest handlers: the guest kernel\'s own handling, up to its iret',
};
const STATES: VcpuState[] = ['user', 'kernel', 'hypervisor', 'blocked', 'host'];

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const instr = (n: number) => (n >= 100 || n === 0 ? int(n) : n.toFixed(1));
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const percent = (x: number) => `${(100 * x).toFixed(x >= 0.0995 ? 1 : 2)}%`;

export class ProfilerPanel {
  snapshot?: ProfilerPanelSnapshot;
  private readonly startBtn: HTMLButtonElement;
  private readonly stopBtn: HTMLButtonElement;
  private readonly downloadBtn: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly tableBox: HTMLElement;
  private readonly chartFigure: HTMLElement;
  private readonly chartCaption: HTMLElement;
  private readonly chartBox: HTMLElement;
  private readonly metricButtons: Record<Metric, HTMLButtonElement>;
  private plot?: uPlot;
  private bars: { lo: number; hi: number; count: number }[] = [];
  private last?: ProfileSnapshot;
  private selected?: string;
  private metric: Metric = 'time';
  private recording = false;
  private timer?: ReturnType<typeof setTimeout>;
  private busy = false;
  private refreshes = 0;
  private downloads: { name: string; bytes: number }[] = [];
  /** Bumped by clear(): answers to an older domain's calls are dropped. */
  private generation = 0;

  constructor(private readonly root: HTMLElement, private readonly ctx: { source(): ProfilerApi | undefined; changed(): void }) {
    this.startBtn = h('button', { type: 'button', 'data-role': 'prof-start', title: 'Start a new recording (drops the previous one), timed with the host clock' }, 'Start recording');
    this.stopBtn = h('button', { type: 'button', 'data-role': 'prof-stop', title: 'End the recording; its table and trace stay until the next one' }, 'Stop');
    this.downloadBtn = h('button', { type: 'button', 'data-role': 'prof-download', title: 'Save the recording as a Trace Event Format file for ui.perfetto.dev or chrome://tracing' }, 'Download trace');
    this.status = h('span', { class: 'prof-status', 'data-role': 'prof-status', 'aria-live': 'polite' });
    this.summary = h('p', { class: 'inspect-summary', 'data-role': 'prof-summary' });
    this.tableBox = h('div', { class: 'pt-table-box', 'data-role': 'prof-table-box' });
    this.metricButtons = {
      time: h('button', { type: 'button', 'aria-pressed': 'true', 'data-role': 'prof-metric-time' }, 'time'),
      instructions: h('button', { type: 'button', 'aria-pressed': 'false', 'data-role': 'prof-metric-instructions' }, 'guest instructions'),
    };
    this.chartCaption = h('figcaption', { class: 'prof-chart-caption', 'data-role': 'prof-chart-caption' });
    this.chartBox = h('div', { class: 'prof-chart-plot', 'data-role': 'prof-histogram' });
    this.chartFigure = h('figure', { class: 'prof-chart' },
      h('div', { class: 'prof-chart-head' }, this.chartCaption, h('div', { class: 'segmented', role: 'group', 'aria-label': 'Histogram of' }, this.metricButtons.time, this.metricButtons.instructions)),
      this.chartBox);
    root.replaceChildren(
      h('div', { class: 'toolbar inspect-toolbar' }, this.startBtn, this.stopBtn, this.downloadBtn, this.status),
      h('p', { class: 'inspect-legend' },
        'Record to see what each hypercall costs: how often the guest made it, how long Xen took (mean, median and 99th ',
        'percentile, in ns of this tab\'s clock and in guest instructions) and its share of the time inside the core; also ',
        'the deliveries (exceptions and events bounced to the guest) and the guest\'s handlers. Pick a row for its ',
        'distribution. The trace opens in ui.perfetto.dev or chrome://tracing.'),
      this.summary, this.tableBox, this.chartFigure);
    this.startBtn.addEventListener('click', () => void this.start());
    this.stopBtn.addEventListener('click', () => void this.stop());
    this.downloadBtn.addEventListener('click', () => void this.download());
    for (const m of ['time', 'instructions'] as Metric[]) {
      this.metricButtons[m].addEventListener('click', () => {
        this.metric = m;
        for (const k of ['time', 'instructions'] as Metric[]) this.metricButtons[k].setAttribute('aria-pressed', String(k === m));
        this.drawChart();
        this.publish();
      });
    }
    new ResizeObserver(() => this.sizeChart()).observe(this.chartBox);
    this.clear();
  }

  /** A new domain (or none): nothing recorded yet. */
  clear(): void {
    this.generation++;
    this.stopPolling();
    this.recording = false;
    this.last = undefined;
    this.selected = undefined;
    this.downloads = [];
    this.snapshot = undefined;
    this.summary.textContent = '';
    this.tableBox.replaceChildren(h('p', { class: 'empty' }, 'Nothing recorded yet.'));
    this.status.textContent = '';
    this.drawChart();
    this.syncButtons();
  }

  /** The domain ended (shut down or crashed): a recording under way ends with it, ready to download. */
  domainEnded(): void {
    if (this.recording) void this.stop('the guest stopped: recording ended');
  }

  /** The tab was shown: the chart takes its width. Reads come from the panel's own loop while
   *  recording (at POLL_MS, whatever the pane's refresh rate) and the final snapshot at stop. */
  async refresh(): Promise<void> {
    this.sizeChart();
  }

  private async start() {
    const source = this.ctx.source();
    if (!source) {
      this.status.textContent = 'Start a guest first: the profiler records a running domain.';
      return;
    }
    const gen = this.generation;
    this.startBtn.disabled = true;
    try {
      await source.startProfiling({ clock: 'host', traceRecords: TRACE_RECORDS });
      if (gen !== this.generation) return;
      this.recording = true;
      this.last = undefined;
      this.selected = undefined;
      this.status.textContent = 'recording…';
      this.tableBox.replaceChildren(h('p', { class: 'empty' }, 'Recording: the first hypercalls show here within a second.'));
      this.drawChart();
      this.schedule();
    } catch (e) {
      this.status.textContent = `could not start: ${e instanceof Error ? e.message : String(e)}`;
    }
    this.syncButtons();
  }

  private async stop(why = 'stopped') {
    const source = this.ctx.source();
    if (!source || !this.recording) return;
    const gen = this.generation;
    this.stopPolling();
    this.stopBtn.disabled = true;
    try {
      const final = await source.stopProfiling();
      if (gen !== this.generation) return;
      this.recording = false;
      this.status.textContent = `${why}: the table is final; download the trace to look at every call.`;
      this.draw(final);
    } catch (e) {
      this.recording = false;
      this.status.textContent = `could not stop: ${e instanceof Error ? e.message : String(e)}`;
    }
    this.syncButtons();
  }

  private async download() {
    const source = this.ctx.source();
    if (!source) return;
    const gen = this.generation;
    this.downloadBtn.disabled = true;
    this.status.textContent = 'writing the trace…';
    try {
      const json = await source.profileTrace();
      if (gen !== this.generation) return;
      const blob = new Blob([json], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      const name = `xenwasm-trace-${stamp}.json`;
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.downloads.push({ name, bytes: blob.size });
      this.status.textContent = `saved ${name} (${(blob.size / 1e6).toFixed(1)} MB): open it in ui.perfetto.dev or chrome://tracing`;
      this.publish();
    } catch (e) {
      this.status.textContent = `no trace: ${e instanceof Error ? e.message : String(e)}`;
    }
    this.syncButtons();
  }

  private schedule() {
    this.stopPolling();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().then(() => this.recording && this.schedule());
    }, POLL_MS);
  }

  private stopPolling() {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll() {
    const source = this.ctx.source();
    if (!source || this.busy) return;
    const gen = this.generation;
    this.busy = true;
    try {
      const snap = await source.profile();
      if (gen === this.generation && snap) this.draw(snap);
    } catch (e) {
      if (gen === this.generation) this.status.textContent = e instanceof Error ? e.message : String(e);
    } finally {
      this.busy = false;
    }
  }

  private syncButtons() {
    const alive = this.ctx.source() !== undefined;
    this.startBtn.disabled = !alive || this.recording;
    this.stopBtn.disabled = !this.recording;
    this.downloadBtn.disabled = this.recording || !this.last || this.last.traceRecords === 0;
  }

  private draw(p: ProfileSnapshot) {
    this.last = p;
    const clock = p.clock === 'host' ? 'host time' : 'guest time';
    const res = p.clockInfo.resolutionNs;
    this.summary.replaceChildren(
      `${int(p.hypercalls)} hypercalls · ${int(p.instructions)} guest instructions · ${formatNs(p.coreNs)} inside the core of ${formatNs(p.durationNs)} (${clock})`,
      h('br'),
      'vCPU 0: ', ...STATES.flatMap((s, i) => [i ? ', ' : '', h('span', { class: `prof-state prof-state-${s}` }, s), ` ${percent(p.durationNs ? p.states[s].ns / p.durationNs : 0)}`]),
      ` · page-table updates ${int(p.ptUpdates)}, events set pending ${int(p.eventsPending)}`,
      h('br'),
      p.clock === 'host'
        ? `clock steps of ${formatNs(res)}: single calls shorter than that read 0 or one step, means over many calls still hold (docs/profiler.md)`
        : 'guest clock: the hypervisor\'s work takes no guest time, so hypercalls read 0',
      p.lostRecords ? ` · ${int(p.lostRecords)} records lost` : '',
      p.traceTruncated ? ` · the trace keeps the first ${int(p.traceRecords)} records (the table counts every call)` : '',
    );
    if (this.selected && !p.rows.some((r) => r.name === this.selected)) this.selected = undefined;
    this.tableBox.replaceChildren(p.rows.length ? this.table(p.rows) : h('p', { class: 'empty' }, 'No hypercall yet: is the guest paused or blocked?'));
    this.refreshes++;
    this.drawChart();
    this.syncButtons();
    this.publish();
  }

  private table(rows: ProfileRow[]) {
    const head = h('thead', {},
      h('tr', {}, h('th', { rowspan: 2 }, 'name'), h('th', { rowspan: 2, class: 'num' }, 'count'),
        h('th', { colspan: 3, class: 'prof-group' }, 'time'), h('th', { colspan: 3, class: 'prof-group' }, 'guest instructions'),
        h('th', { rowspan: 2, class: 'num', title: 'total time over the time spent inside the core while recording' }, 'share')),
      h('tr', {}, ['mean', 'p50', 'p99', 'mean', 'p50', 'p99'].map((t) => h('th', { class: 'num' }, t))));
    const bodies = (['hypercall', 'delivery', 'handler'] as const).map((kind) => {
      const of = rows.filter((r) => r.kind === kind);
      if (!of.length) return null;
      return h('tbody', { 'data-kind': kind },
        h('tr', { class: 'prof-kind' }, h('th', { colspan: 9 }, KIND_TITLE[kind])),
        of.map((r) => this.row(r)));
    });
    return h('table', { class: 'transition-table prof-table', 'data-role': 'prof-table' }, head, bodies);
  }

  private row(r: ProfileRow) {
    const on = r.name === this.selected;
    const tr = h('tr', { class: on ? 'prof-row selected' : 'prof-row', 'data-name': r.name, tabindex: 0, 'aria-selected': String(on), title: 'Show its distribution' },
      h('td', { class: 'prof-name' }, r.name),
      h('td', { class: 'num' }, int(r.count)),
      h('td', { class: 'num' }, formatNs(r.time.mean)), h('td', { class: 'num' }, formatNs(r.time.p50)), h('td', { class: 'num' }, formatNs(r.time.p99)),
      h('td', { class: 'num' }, instr(r.instructions.mean)), h('td', { class: 'num' }, instr(r.instructions.p50)), h('td', { class: 'num' }, instr(r.instructions.p99)),
      h('td', { class: 'num' }, percent(r.share)));
    const pick = () => {
      this.selected = r.name;
      for (const other of this.tableBox.querySelectorAll('tr.prof-row')) {
        const mine = other === tr;
        other.classList.toggle('selected', mine);
        other.setAttribute('aria-selected', String(mine));
      }
      this.drawChart();
      this.publish();
    };
    tr.addEventListener('click', pick);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        pick();
      }
    });
    return tr;
  }

  private selectedRow(): ProfileRow | undefined {
    return this.selected ? this.last?.rows.find((r) => r.name === this.selected) : undefined;
  }

  private drawChart() {
    const row = this.selectedRow();
    this.chartFigure.hidden = !row;
    if (!row) {
      this.bars = [];
      return;
    }
    const stats: CostStats = this.metric === 'time' ? row.time : row.instructions;
    const fmt = this.metric === 'time' ? formatNs : (v: number) => instr(v);
    this.bars = stats.histogram;
    this.chartCaption.textContent = `${row.name}: ${int(row.count)} × ${this.metric === 'time' ? 'time' : 'guest instructions'} — ` +
      `calls per bucket on a log scale; min ${fmt(stats.min)}, p50 ${fmt(stats.p50)}, p90 ${fmt(stats.p90)}, p99 ${fmt(stats.p99)}, max ${fmt(stats.max)}`;
    const xs = this.bars.map((_, i) => i);
    const ys = this.bars.map((b) => b.count || null); // a log scale: empty buckets draw no bar
    this.plot ??= this.makePlot();
    this.sizeChart();
    this.plot.setData([xs, ys]);
    this.chartBox.dataset.bars = String(this.bars.length);
  }

  private makePlot(): uPlot {
    const axis = { stroke: '#8a93a3', grid: { stroke: '#262d3a', width: 1 }, ticks: { show: false }, font: '10px system-ui, sans-serif' };
    const label = (v: number) => {
      const b = this.bars[v];
      if (!Number.isInteger(v) || !b) return '';
      return this.metric === 'time' ? formatNs(b.lo) : instr(b.lo);
    };
    return new uPlot(
      {
        width: Math.max(200, Math.floor(this.chartBox.clientWidth)),
        height: CHART_HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: () => [-0.5, Math.max(1, this.bars.length) - 0.5] },
          // Counts on a log scale: the rare slow calls (the tail that makes p99) stay visible.
          y: { distr: 3, log: 10, range: (_u, _min, max) => [1, Math.max(10, max * 2)] },
        },
        axes: [
          { ...axis, size: 22, space: 56, values: (_u, vals) => vals.map(label) },
          {
            ...axis, size: 40,
            // One line per power of ten (uPlot's log splits also mark 2..9 of each decade).
            splits: (_u, _i, _min, max) => Array.from({ length: Math.max(1, Math.ceil(Math.log10(max)) + 1) }, (_, k) => 10 ** k),
            values: (_u, vals) => vals.map((v) => (v == null ? '' : compact.format(v))), // null: a tick uPlot left out for room
          },
        ],
        series: [{}, { stroke: '#5aa9e6', fill: '#5aa9e699', width: 1, paths: uPlot.paths.bars!({ size: [0.9, 48], align: 0 }), points: { show: false } }],
      },
      [[], []],
      this.chartBox,
    );
  }

  private sizeChart() {
    const w = Math.floor(this.chartBox.clientWidth);
    if (this.plot && w > 0 && w !== this.plot.width) this.plot.setSize({ width: w, height: CHART_HEIGHT });
  }

  private publish() {
    const p = this.last;
    const row = this.selectedRow();
    this.snapshot = {
      recording: this.recording,
      hypercalls: p?.hypercalls ?? 0,
      instructions: p?.instructions ?? 0,
      rows: (p?.rows ?? []).map((r) => ({
        kind: r.kind, name: r.name, count: r.count, meanNs: r.time.mean, p50Ns: r.time.p50, p99Ns: r.time.p99,
        meanInstructions: r.instructions.mean, p50Instructions: r.instructions.p50, p99Instructions: r.instructions.p99, share: r.share,
      })),
      selected: row?.name,
      metric: this.metric,
      histogram: row ? { bars: this.bars.length, count: this.bars.reduce((s, b) => s + b.count, 0) } : undefined,
      traceRecords: p?.traceRecords ?? 0,
      traceTruncated: p?.traceTruncated ?? false,
      refreshes: this.refreshes,
      downloads: [...this.downloads],
    };
    this.ctx.changed();
  }
}
