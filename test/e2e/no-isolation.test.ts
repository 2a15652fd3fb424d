// The page served without cross-origin isolation (every response's COOP/COEP headers stripped on the
// way to Chromium, as a plain static host would serve it): it says so in a notice, and the domains
// still run, with their counters and charts fed by stats() messages instead of shared memory.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { findChromium } from './harness.ts';
import { role, usePage, waitForDomain } from './page-hook.ts';

const chrome = findChromium();

describe.runIf(chrome !== undefined)('the page without cross-origin isolation, in Chromium', { timeout: 90_000 }, () => {
  let page: Page;
  const session = usePage(chrome!, (p) => {
    page = p;
  }, {
    waitForDomains: false,
    beforeLoad: (browser) => browser.context.route('**/*', async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response, headers });
    }),
  });

  it('is not isolated and shows the notice', async () => {
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
    await expect.poll(() => page.locator('#isolation-notice').isVisible()).toBe(true);
    expect(await page.locator('#isolation-notice').innerText()).toContain('travel as messages');
  });

  it('boots the default guest and reads its counters by messages', async () => {
    const h = await waitForDomain(page, 1, 'the poweroff with counters', (x) => x.state === 'shutdown' && (x.counters?.hypercalls_total ?? 0) > 0, { problems: session.problems });
    expect(h.console).toContain('xenwasm hello: a Xen PV guest is running');
    expect(h.source).toBe('messages');
    expect(await page.locator('#domain-1 [data-counter="source"]').innerText()).toBe('messages');
  });

  it('charts a running guest from those messages', async () => {
    await role(page, 1, 'guest').selectOption('bench-int-pv64');
    await waitForDomain(page, 1, 'bench-int to start', (x) => x.guest === 'bench-int-pv64' && x.state !== 'booting');
    await role(page, 1, 'cmdline').fill('iters=2000');
    await role(page, 1, 'cmdline').press('Enter');
    const h = await waitForDomain(page, 1, 'chart points', (x) => x.state === 'running' && x.chartPoints >= 4 && x.console.includes('bench int'));
    expect(h.source).toBe('messages');
    expect(Number(await page.locator('#domain-1 [data-value="mips"]').innerText())).toBeGreaterThan(1);
    await role(page, 1, 'destroy').click();
  });

  it('logs no page error, console error or failed request', () => {
    expect(session.problems).toEqual([]);
  });
});
