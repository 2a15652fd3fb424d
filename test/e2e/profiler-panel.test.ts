// The profiler tab of the educator pane in Chromium (web/profiler-panel.ts): the hypercall bench is
// paused in its null-hypercall loop, a recording is started, the guest runs, and the live table lists
// xen_version/version with the same counts as the panel's snapshot; after pausing and stopping, the
// recording counts exactly the hypercalls the domain's own counter advanced by. A selected row shows
// its histogram (a uPlot canvas), and "Download trace" saves a Trace Event Format file whose slices
// match the table. Leaves a screenshot (docs/screenshot-profiler.png with UPDATE_SCREENSHOTS=1).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { findChromium } from './harness.ts';
import { domainHook, num, openPage, role, screenshot, waitForDomain, type DomainHook, type OpenPage } from './page-hook.ts';

const chrome = findChromium();
const GUEST = 'hcall-bench-pv64';
const NULL_CALL = 'xen_version/version';

interface ProfRow { kind: string; name: string; count: number; meanNs: number; p50Ns: number; p99Ns: number; meanInstructions: number; share: number }
interface Profiler {
  recording: boolean;
  hypercalls: number;
  instructions: number;
  rows: ProfRow[];
  selected?: string;
  metric: string;
  histogram?: { bars: number; count: number };
  traceRecords: number;
  traceTruncated: boolean;
  refreshes: number;
  downloads: { name: string; bytes: number }[];
}
type Hook = DomainHook & { inspect: { open: boolean; tab: string; profiler?: Profiler } };

describe.runIf(chrome !== undefined)('the profiler panel in Chromium', { timeout: 120_000 }, () => {
  let open: OpenPage | undefined;
  let page: Page;
  let before = 0;
  let after = 0;

  beforeAll(async () => {
    open = await openPage(chrome!);
    page = open.page;
  }, 180_000);

  afterAll(async () => {
    await open?.close();
  });

  const wait = (what: string, ok: (h: Hook) => boolean, timeoutMs = 60_000) =>
    waitForDomain(page, 1, what, (h) => ok(h as Hook), { timeoutMs, problems: open!.browser.problems }) as Promise<Hook>;
  const prof = (h: Hook) => h.inspect.profiler;

  it('pauses the hypercall bench in its null-hypercall loop', async () => {
    await wait('the default guest to stop', (h) => h.state === 'shutdown');
    await role(page, 1, 'guest').selectOption(GUEST);
    await wait(`${GUEST} to start`, (h) => h.guest === GUEST && h.state !== 'booting', 30_000);
    await role(page, 1, 'cmdline').fill('ms=5000');
    await role(page, 1, 'cmdline').press('Enter');
    await wait('the null hypercalls', (h) => h.state === 'running' && h.console.includes('== null hypercall'));
    await role(page, 1, 'pause').click();
    const h = await wait('the pause, as stats() reports it', (x) => x.state === 'paused' && x.stats?.state === 'paused');
    expect(h.console).not.toContain('== event round trip');
    before = h.stats!.hypercalls_total;
  });

  it('explains itself before anything is recorded, and offers no trace yet', async () => {
    await page.locator('#domain-1 [data-role="inspect"] > summary').click();
    await page.locator('#domain-1 [data-inspect-tab="profiler"]').click();
    const panel = page.locator('#domain-1 [data-role="inspect-profiler"]');
    expect(await panel.innerText()).toContain('Record to see what each hypercall costs');
    expect(await role(page, 1, 'prof-start').isEnabled()).toBe(true);
    expect(await role(page, 1, 'prof-stop').isEnabled()).toBe(false);
    expect(await role(page, 1, 'prof-download').isEnabled()).toBe(false);
  });

  it('records while the guest runs and refreshes the table live, xen_version first', async () => {
    await role(page, 1, 'prof-start').click();
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('#domain-1 [data-role="prof-stop"]')!.disabled);
    expect(await role(page, 1, 'prof-start').isEnabled()).toBe(false);
    expect(await role(page, 1, 'prof-status').innerText()).toBe('recording…');
    await role(page, 1, 'resume').click();
    await wait('running again', (h) => h.state === 'running' && h.stats?.state === 'running');
    const first = await wait('a first row', (h) => (prof(h)?.rows.length ?? 0) > 0, 20_000);
    const later = await wait('a later refresh', (h) => prof(h)!.refreshes >= prof(first)!.refreshes + 2, 20_000);
    const p = prof(later)!;
    expect(p.recording).toBe(true);
    expect(p.hypercalls).toBeGreaterThan(prof(first)!.hypercalls);
    const row = p.rows.find((r) => r.name === NULL_CALL);
    expect(row, `rows: ${p.rows.map((r) => r.name).join(', ')}`).toBeDefined();
    expect(row!.kind).toBe('hypercall');
    expect(row!.count).toBeGreaterThan(1000);
    expect(row!.meanInstructions).toBe(0); // the hypervisor's work retires no guest instructions
    for (const r of p.rows) expect(r.count).toBeGreaterThan(0);
    const names = await page.locator('#domain-1 [data-role="prof-table"] tr.prof-row td.prof-name').allInnerTexts();
    expect(names).toContain(NULL_CALL);
  });

  it('counts exactly the hypercalls the domain made while recording', async () => {
    await role(page, 1, 'pause').click();
    const h = await wait('the pause, as stats() reports it', (x) => x.state === 'paused' && x.stats?.state === 'paused');
    after = h.stats!.hypercalls_total;
    await role(page, 1, 'prof-stop').click();
    const done = await wait('the recording to stop', (x) => prof(x)?.recording === false);
    const p = prof(done)!;
    expect(p.hypercalls).toBe(after - before);
    const calls = p.rows.filter((r) => r.kind === 'hypercall');
    expect(calls.reduce((s, r) => s + r.count, 0)).toBe(p.hypercalls);
    expect(calls[0].name).toBe(NULL_CALL); // by far the largest total in this loop
    // The table on screen shows the snapshot's counts, row by row.
    const shown = await page.locator('#domain-1 [data-role="prof-table"] tr.prof-row').evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-name'), tr.querySelectorAll('td')[1].textContent ?? '']));
    expect(shown.map(([name, count]) => [name, num(count!)])).toEqual(p.rows.map((r) => [r.name, r.count]));
    expect(await role(page, 1, 'prof-summary').innerText()).toContain(`${p.hypercalls.toLocaleString('en-US')} hypercalls`);
    expect(await role(page, 1, 'prof-start').isEnabled()).toBe(true);
    expect(await role(page, 1, 'prof-download').isEnabled()).toBe(true);
    console.log(`profiler e2e: ${p.hypercalls} hypercalls recorded (${NULL_CALL}: ${calls[0].count}, mean ${calls[0].meanNs.toFixed(1)} ns), ` +
      `${p.traceRecords} trace records, ${p.refreshes} table refreshes`);
  });

  it('draws the histogram of the row the user selects', async () => {
    expect(await page.locator('#domain-1 .prof-chart').isVisible()).toBe(false);
    await page.locator(`#domain-1 [data-role="prof-table"] tr.prof-row[data-name="${NULL_CALL}"]`).click();
    const h = await wait('the histogram', (x) => prof(x)?.selected === NULL_CALL);
    const p = prof(h)!;
    const row = p.rows.find((r) => r.name === NULL_CALL)!;
    expect(p.histogram!.bars).toBeGreaterThan(0);
    expect(p.histogram!.count).toBe(row.count); // every call falls in one bucket
    const canvas = page.locator('#domain-1 [data-role="prof-histogram"] canvas');
    expect(await canvas.isVisible()).toBe(true);
    const box = (await canvas.boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    expect(await role(page, 1, 'prof-chart-caption').innerText()).toContain(`${NULL_CALL}: ${row.count.toLocaleString('en-US')} ×`);
    expect(await page.locator(`#domain-1 tr.prof-row[data-name="${NULL_CALL}"]`).getAttribute('aria-selected')).toBe('true');
    await page.locator('#domain-1 [data-role="inspect"]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'screenshot-profiler');
  });

  it('downloads the recording as a trace file with a slice per call', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), role(page, 1, 'prof-download').click()]);
    expect(download.suggestedFilename()).toMatch(/^xenwasm-trace-\d{8}-\d{6}\.json$/);
    const text = readFileSync((await download.path())!, 'utf8');
    const trace = JSON.parse(text) as { traceEvents: { name: string; ph: string }[] };
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    const h = await wait('the download noted', (x) => (prof(x)?.downloads.length ?? 0) === 1);
    const p = prof(h)!;
    expect(p.downloads[0].bytes).toBe(Buffer.byteLength(text));
    const slices = trace.traceEvents.filter((e) => e.name === NULL_CALL && (e.ph === 'X' || e.ph === 'B')).length;
    expect(slices).toBeGreaterThan(0);
    // The trace holds every call unless the recording outgrew it.
    if (!p.traceTruncated) expect(slices).toBe(p.rows.find((r) => r.name === NULL_CALL)!.count);
    else expect(p.traceRecords).toBe(250_000); // the page keeps a quarter of the worker's default
    console.log(`profiler e2e: trace of ${(text.length / 1e6).toFixed(1)} MB, ${trace.traceEvents.length} events, ${slices} ${NULL_CALL} slices`);
    expect(open!.browser.problems).toEqual([]);
  });
});
