// Several domains at once in Chromium: "+ New domain" opens another domain with its own worker,
// terminal, counters and controls; two guests run at the same time, each printing only to its own
// terminal; pausing one leaves the other running; the Tiles layout shows them side by side (a
// screenshot for the README); closing a domain's tab destroys it and ends its worker.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { findChromium } from './harness.ts';
import { domainHook, pageHook, role, screenshot, usePage, type DomainHook } from './page-hook.ts';

const chrome = findChromium();

describe.runIf(chrome !== undefined)('several domains at once in Chromium', { timeout: 120_000 }, () => {
  let page: Page;
  const session = usePage(chrome!, (p) => {
    page = p;
  });

  const wait = (id: number, what: string, ok: (h: DomainHook) => boolean, timeoutMs = 60_000) =>
    session.wait(id, what, ok, { timeoutMs });

  /** Boots a long integer workload in domain `id`: pick it, then a longer command line and Enter. */
  async function runWorkload(id: number, guest: string, iters: number) {
    await role(page, id, 'guest').selectOption(guest);
    await wait(id, `${guest} to start`, (h) => h.guest === guest && h.state !== 'booting');
    await role(page, id, 'cmdline').fill(`iters=${iters}`);
    await role(page, id, 'cmdline').press('Enter');
    await wait(id, `${guest} to run with iters=${iters}`, (h) => h.state === 'running' && h.console.includes('xenwasm bench int') && (h.counters?.instructions ?? 0) > 0);
  }

  it('opens a second domain in its own tab, shown and idle until a guest is picked', async () => {
    await wait(1, 'the default guest', (h) => h.state === 'shutdown');
    const workers = page.workers().length;
    await page.locator('#btn-new-domain').click();
    const h = await pageHook(page);
    expect(h.domains.map((d) => d.id)).toEqual([1, 2]);
    expect(h.active).toBe(2);
    expect(await page.locator('#domain-2').isVisible()).toBe(true);
    expect(await page.locator('#domain-1').isHidden()).toBe(true);
    expect(h.domains[1].state).toBe('idle');
    expect(await page.locator('.domain-tab-select[aria-selected="true"]').innerText()).toContain('2');
    expect(page.workers().length).toBe(workers); // no worker before a guest is picked
  });

  it('runs two guests at the same time, each in its own worker and terminal', async () => {
    await page.locator('.domain-tab[data-domain="1"] .domain-tab-select').click();
    await runWorkload(1, 'bench-int-pv32', 100_000);
    await page.locator('.domain-tab[data-domain="2"] .domain-tab-select').click();
    await runWorkload(2, 'bench-int-pv64', 100_000);
    const [a, b] = [await domainHook(page, 1), await domainHook(page, 2)];
    expect(a.state).toBe('running');
    expect(b.state).toBe('running');
    expect(page.workers().length).toBeGreaterThanOrEqual(2);
    // Both make progress at once.
    const [a2, b2] = [
      await wait(1, 'domain 1 to keep running', (h) => (h.counters?.instructions ?? 0) > a.counters!.instructions),
      await wait(2, 'domain 2 to keep running', (h) => (h.counters?.instructions ?? 0) > b.counters!.instructions),
    ];
    expect(a2.state).toBe('running');
    expect(b2.state).toBe('running');
    // Each terminal shows only its own guest.
    expect(a2.console).toContain('xenwasm bench int (pv32)');
    expect(a2.console).not.toContain('(pv64)');
    expect(b2.console).toContain('xenwasm bench int (pv64)');
    expect(b2.console).not.toContain('(pv32)');
  });

  it('pauses one domain while the other keeps running', async () => {
    await role(page, 1, 'pause').evaluate((b) => (b as HTMLButtonElement).click()); // domain 1 is in a hidden tab
    const paused = await wait(1, 'the pause', (h) => h.state === 'paused');
    const before2 = (await domainHook(page, 2)).counters!.instructions;
    await page.waitForTimeout(800);
    const [after1, after2] = [await domainHook(page, 1), await domainHook(page, 2)];
    expect(after1.counters!.instructions).toBe(paused.counters!.instructions);
    expect(after2.counters!.instructions).toBeGreaterThan(before2);
    await role(page, 1, 'resume').evaluate((b) => (b as HTMLButtonElement).click());
    await wait(1, 'the resume', (h) => h.state === 'running');
  });

  it('shows both domains side by side in the Tiles layout, with live charts', async () => {
    await page.locator('#btn-layout-tiles').click();
    expect((await pageHook(page)).layout).toBe('tiles');
    expect(await page.locator('#domain-1').isVisible()).toBe(true);
    expect(await page.locator('#domain-2').isVisible()).toBe(true);
    const [b1, b2] = [await page.locator('#domain-1').boundingBox(), await page.locator('#domain-2').boundingBox()];
    expect(b2!.x).toBeGreaterThan(b1!.x + b1!.width - 1); // side by side, not stacked
    await wait(1, 'chart points', (h) => h.chartPoints >= 4);
    await wait(2, 'chart points', (h) => h.chartPoints >= 4);
    await screenshot(page, 'screenshot-tiles');
    await page.locator('#btn-layout-tabs').click();
    expect(await page.locator('#domain-1').isHidden()).toBe(true);
  });

  it('destroys the domain and ends its worker when its tab is closed', async () => {
    const workers = page.workers().length;
    await page.locator('.domain-tab[data-domain="2"] .domain-tab-close').click();
    await expect.poll(() => page.workers().length, { timeout: 5000 }).toBe(workers - 1);
    const h = await pageHook(page);
    expect(h.domains.map((d) => d.id)).toEqual([1]);
    expect(h.active).toBe(1);
    expect(await page.locator('#domain-2').count()).toBe(0);
    expect(await page.locator('#domain-1').isVisible()).toBe(true);
    expect((await domainHook(page, 1)).state).toBe('running'); // the other one is untouched
    await role(page, 1, 'destroy').click();
    await wait(1, 'the destroy', (h) => h.state === 'destroyed');
  });

  it('logs no page error, console error or failed request', () => {
    expect(session.problems).toEqual([]);
  });
});
