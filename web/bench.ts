// The page's Benchmarks panel: a button runs the xenwasm benchmark guests in a domain worker, the
// same code path as `npm run bench` in Node (bench/xenwasm.ts: calibrated operation counts, each
// timed run minus a run with iters=0, median of several runs), and shows the same table
// (bench/report.ts). v86, QEMU and the native programs need the host, so they are listed as not
// run, with that reason. URL parameters bench-runs and bench-seconds change the run count and the
// seconds per timed run; window.__xenwasmBench exposes the state and the session for tests.
import './bench.css';
import type { Measurement, Session } from '../bench/model.ts';
import { header, sections } from '../bench/report.ts';
import { XENWASM_BENCHES, XenwasmBench, type GuestType } from '../bench/xenwasm.ts';
import { spawnVm } from '../workers/host/browser.ts';

interface BenchHook {
  state: 'idle' | 'running' | 'done' | 'error';
  progress: string;
  session?: Session;
  error?: string;
}

const DEFAULT_RUNS = 5;
const DEFAULT_SECONDS = 0.5;

const PEERS_IN_NODE: Pick<Measurement, 'bench' | 'target' | 'label'>[] = [
  { bench: 'int', target: 'v86', label: 'v86' },
  { bench: 'int', target: 'qemu', label: 'QEMU TCG' },
  { bench: 'int', target: 'native-i686', label: 'native i686' },
  { bench: 'int', target: 'native-x86_64', label: 'native x86-64' },
  { bench: 'getppid', target: 'native-x86_64', label: 'native x86-64 (syscall)' },
  { bench: 'getppid', target: 'native-i686', label: 'native i686 (int $0x80)' },
];

function param(name: string, fallback: number, min: number, max: number): number {
  const raw = new URLSearchParams(location.search).get(name);
  const v = raw === null ? fallback : Number(raw);
  return Number.isFinite(v) && v >= min && v <= max ? v : fallback;
}

function browserName(): string {
  const m = /(Chrome|Chromium|Firefox|Version)\/([\d.]+)/.exec(navigator.userAgent);
  if (!m) return navigator.userAgent;
  return `${m[1] === 'Version' ? 'Safari' : m[1]} ${m[2]} (page worker)`;
}

function renderSession(root: HTMLElement, session: Session): void {
  root.replaceChildren();
  const head = document.createElement('p');
  head.className = 'bench-head';
  head.textContent = header(session).join(' · ');
  root.append(head);
  for (const s of sections(session)) {
    const h = document.createElement('h3');
    h.textContent = s.title;
    const table = document.createElement('table');
    table.className = 'bench-table';
    const thead = table.createTHead().insertRow();
    for (const c of s.head) {
      const th = document.createElement('th');
      th.textContent = c;
      thead.append(th);
    }
    const body = table.createTBody();
    for (const r of s.rows) {
      const tr = body.insertRow();
      for (const c of r) tr.insertCell().textContent = c;
    }
    root.append(h, table);
    for (const n of s.notes) {
      const p = document.createElement('p');
      p.className = 'bench-note';
      p.textContent = n;
      root.append(p);
    }
  }
}

/** Wires the panel of index.html (#bench-pane); safe to call when the panel is absent. */
export function setupBench(): void {
  const button = document.getElementById('btn-bench') as HTMLButtonElement | null;
  const status = document.getElementById('bench-status');
  const results = document.getElementById('bench-results');
  if (!button || !status || !results) return;
  const hook: BenchHook = { state: 'idle', progress: '' };
  (window as unknown as { __xenwasmBench: BenchHook }).__xenwasmBench = hook;
  const say = (text: string) => {
    hook.progress = text;
    status.textContent = text;
  };

  button.addEventListener('click', async () => {
    button.disabled = true;
    hook.state = 'running';
    hook.session = hook.error = undefined;
    const runs = Math.round(param('bench-runs', DEFAULT_RUNS, 1, 100));
    const seconds = param('bench-seconds', DEFAULT_SECONDS, 0.01, 60);
    const base = import.meta.env.BASE_URL;
    const bench = new XenwasmBench({
      spawn: spawnVm,
      async image(file) {
        const res = await fetch(`${base}guests/${encodeURIComponent(file)}`);
        if (!res.ok) throw new Error(`cannot fetch guest image ${file}: HTTP ${res.status}`);
        return new Uint8Array(await res.arrayBuffer());
      },
      progress: say,
    });
    const measurements: Measurement[] = [];
    try {
      for (const { bench: id } of XENWASM_BENCHES) {
        for (const type of ['pv32', 'pv64'] as GuestType[]) measurements.push(await bench.measure(id, type, runs, seconds));
      }
      for (const p of PEERS_IN_NODE) {
        measurements.push({ ...p, status: 'unavailable', samples: [], reason: 'needs the host: run `npm run bench` in Node' });
      }
      const session: Session = {
        date: new Date().toISOString(),
        machine: {
          cpu: 'not visible to a page',
          nproc: navigator.hardwareConcurrency,
          os: navigator.platform || 'unknown OS',
          node: '',
          host: browserName(),
        },
        runs,
        seconds,
        measurements,
      };
      hook.session = session;
      renderSession(results, session);
      const failed = measurements.filter((m) => m.status === 'failed');
      hook.state = failed.length ? 'error' : 'done';
      if (failed.length) hook.error = failed.map((m) => `${m.label} ${m.bench}: ${m.reason}`).join('; ');
      say(failed.length ? `done, ${failed.length} failed` : `done (${runs} runs of about ${seconds} s each)`);
    } catch (e) {
      hook.state = 'error';
      hook.error = (e as Error).message;
      say(`error: ${hook.error}`);
    } finally {
      await bench.close();
      button.disabled = false;
    }
  });
}
