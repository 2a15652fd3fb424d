// The page's Benchmarks panel in Chromium (production build, cross-origin isolated): the button
// runs every xenwasm benchmark guest in a domain worker, as `npm run bench` does in Node, and shows
// the same table: a figure for every xenwasm row, and the peers that need the host listed with that
// reason. Tiny runs (URL parameters bench-runs=1, bench-seconds=0.02) keep it short; nothing may
// log an error.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { findChromium } from './harness.ts';
import { usePage } from './page-hook.ts';

const RUN_TIMEOUT_MS = 120_000;

interface BenchHook {
  state: 'idle' | 'running' | 'done' | 'error';
  progress: string;
  error?: string;
  session?: { runs: number; measurements: { target: string; bench: string; status: string; samples: unknown[] }[] };
}

const chrome = findChromium();

describe.runIf(chrome !== undefined)('the Benchmarks panel in Chromium', { timeout: RUN_TIMEOUT_MS + 30_000 }, () => {
  let page: Page;
  const session = usePage(chrome!, (p) => {
    page = p;
  }, { query: '?bench-runs=1&bench-seconds=0.02', waitForDomains: false });

  const hook = () => page.evaluate(() => (window as unknown as { __xenwasmBench: BenchHook }).__xenwasmBench);

  it('starts idle, behind a closed panel with a Run button', async () => {
    expect((await hook()).state).toBe('idle');
    await page.locator('#bench-pane > summary').click();
    expect(await page.locator('#btn-bench').isEnabled()).toBe(true);
  });

  it('runs every xenwasm benchmark guest and fills the table', async () => {
    await page.locator('#btn-bench').click();
    expect(await page.locator('#btn-bench').isDisabled()).toBe(true);
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    let h = await hook();
    while (h.state === 'running' && Date.now() < deadline) {
      await page.waitForTimeout(250);
      h = await hook();
    }
    expect(h.error ?? '', `problems: ${session.problems.join('; ')}`).toBe('');
    expect(h.state).toBe('done');
    const xen = h.session!.measurements.filter((m) => m.target.startsWith('xenwasm-'));
    expect(xen).toHaveLength(10);
    expect(xen.every((m) => m.status === 'ok' && m.samples.length === 1)).toBe(true);
    expect(await page.locator('#btn-bench').isEnabled()).toBe(true);
  });

  it('shows guest MIPS for both guest types and the peers as needing the host', async () => {
    const rows = await page.locator('#bench-results table').first().locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const pv32 = rows.find((r) => r[0] === 'xenwasm PV32')!;
    expect(Number(pv32[1].replace(/\s/g, ''))).toBeGreaterThan(1);
    expect(rows.find((r) => r[0] === 'xenwasm PV64')).toBeDefined();
    expect(rows.find((r) => r[0] === 'v86')?.[6]).toMatch(/needs the host: run `npm run bench`/);
    const text = await page.locator('#bench-results').innerText();
    for (const what of ['null hypercall', 'event round trip', 'context switch', 'page-table update', 'xenwasm/v86']) {
      expect(text).toContain(what);
    }
  });

  it('logged no errors', () => {
    expect(session.problems).toEqual([]);
  });
});
