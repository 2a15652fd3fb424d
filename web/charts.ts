// Live charts of one domain's rates (MIPS, hypercalls/s, exceptions/s, TLB misses/s), drawn with
// uPlot from the sampler's readings (web/sampler.ts): the last WINDOW_S seconds of page time, x in
// seconds since the domain booted. Points are kept while the charts are hidden (another tab) and
// drawn when they show again; a chart never redraws more often than readings arrive.
// Each chart box carries data-chart="<key>" and data-points="<n>" for tests and tools.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Rates, Reading } from './sampler.ts';

const WINDOW_S = 60;
const HEIGHT = 64;

interface Spec {
  key: keyof Rates;
  title: string;
  color: string;
  format(v: number): string;
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const dec1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

const SPECS: Spec[] = [
  { key: 'mips', title: 'MIPS', color: '#7fd962', format: (v) => dec1.format(v) },
  { key: 'hypercalls', title: 'Hypercalls / s', color: '#5aa9e6', format: (v) => compact.format(v) },
  { key: 'exceptions', title: 'Exceptions / s', color: '#f2c14e', format: (v) => compact.format(v) },
  { key: 'tlbMisses', title: 'TLB misses / s', color: '#c792ea', format: (v) => compact.format(v) },
];

export interface ChartsPanel {
  push(reading: Reading): void;
  /** Redraws at the current size (after being shown). */
  refresh(): void;
  clear(): void;
  /** Points per series (for tests). */
  readonly points: number;
}

export function createCharts(root: HTMLElement): ChartsPanel {
  root.replaceChildren();
  root.classList.add('charts');
  const xs: number[] = [];
  const ys: Record<keyof Rates, number[]> = { mips: [], hypercalls: [], exceptions: [], tlbMisses: [] };
  let t0: number | undefined;

  const charts = SPECS.map((spec) => {
    const box = document.createElement('figure');
    box.className = 'chart';
    box.dataset.chart = spec.key;
    const cap = document.createElement('figcaption');
    const title = document.createElement('span');
    title.textContent = spec.title;
    const value = document.createElement('span');
    value.className = 'chart-value';
    value.dataset.value = spec.key;
    value.textContent = '–';
    cap.append(title, value);
    const plotBox = document.createElement('div');
    plotBox.className = 'chart-plot';
    box.append(cap, plotBox);
    root.append(box);
    const axis = { stroke: '#8a93a3', grid: { stroke: '#262d3a', width: 1 }, ticks: { show: false }, font: '10px system-ui, sans-serif' };
    const plot = new uPlot(
      {
        width: 200,
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: (_u, min, max) => [Math.max(0, max - WINDOW_S), Math.max(max, min + 5)] },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
        },
        axes: [
          { ...axis, size: 18, space: 40, values: (_u, vals) => vals.map((v) => `${v}s`) },
          { ...axis, size: 38, space: 18, values: (_u, vals) => vals.map((v) => compact.format(v)) },
        ],
        series: [{}, { stroke: spec.color, width: 1.5, fill: `${spec.color}22`, points: { show: false } }],
      },
      [xs, ys[spec.key]],
      plotBox,
    );
    return { spec, box, value, plotBox, plot };
  });

  let width = 0;
  const resize = () => {
    const w = Math.floor(charts[0].plotBox.clientWidth);
    if (w <= 0 || w === width) return false;
    width = w;
    for (const c of charts) c.plot.setSize({ width: w, height: HEIGHT });
    return true;
  };
  new ResizeObserver(() => {
    if (resize()) draw();
  }).observe(root);

  const visible = () => root.offsetParent !== null;
  const draw = () => {
    if (!visible()) return;
    resize();
    for (const c of charts) c.plot.setData([xs, ys[c.spec.key]]);
  };

  return {
    push(reading) {
      if (!reading.rates) {
        t0 ??= reading.at;
        return;
      }
      t0 ??= reading.at;
      xs.push((reading.at - t0) / 1000);
      for (const c of charts) {
        const v = reading.rates[c.spec.key];
        ys[c.spec.key].push(v);
        c.value.textContent = c.spec.format(v);
      }
      // Keep a little more than the window so the left edge never shows a gap.
      while (xs.length > 2 && xs[xs.length - 1] - xs[1] > WINDOW_S) {
        xs.shift();
        for (const c of charts) ys[c.spec.key].shift();
      }
      for (const c of charts) c.box.dataset.points = String(xs.length);
      draw();
    },
    refresh: draw,
    clear() {
      t0 = undefined;
      xs.length = 0;
      for (const c of charts) {
        ys[c.spec.key].length = 0;
        c.value.textContent = '–';
        c.box.dataset.points = '0';
      }
      draw();
    },
    get points() {
      return xs.length;
    },
  };
}
