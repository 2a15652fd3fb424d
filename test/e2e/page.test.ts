// The page in a real browser: the production build served by `vite preview` with COOP/COEP, opened
// in Debian's Chromium. The default demo guest must boot by itself, print its banner in the xterm.js
// terminal, count instructions and hypercalls in the counters panel, list every hypercall with its
// status and live count, and power off; the picker and Reset must boot guests again; Shut down and
// Reboot must reach a guest that watches xenstore control/shutdown, and the page must say so when a
// guest does not; nothing may log an error. Leaves docs/screenshot.png (1280x800).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { buildAndPreview, findChromium, launchChromium, type Browser, type Served } from './harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BANNER = 'xenwasm hello: a Xen PV guest is running';
const BOOT_TIMEOUT_MS = 60_000;

/** The part of window.__xenwasm (web/main.ts) the test reads. */
interface Hook {
  console: string;
  state: string;
  stateLabel: string;
  guest?: string;
  stats?: { instructions: number; hypercalls_total: number; shutdown_control?: { watched: boolean; features: string[] } };
  error?: string;
  controlNote?: string;
  reboots: number;
  exit?: { state: string; reason?: string; message?: string };
  crossOriginIsolated: boolean;
}

const chrome = findChromium();
const wanted = process.env.CHROME_PATH || '/usr/bin/chromium';
const HOW = 'run `apt-get install -y chromium` or set CHROME_PATH';
if (!chrome && process.env.CI !== 'true') console.warn(`e2e skipped: no Chromium at ${wanted}; ${HOW}`);

// On CI a missing browser is a failure, not a skip.
it.runIf(!chrome && process.env.CI === 'true')('finds Chromium for the end-to-end tests', () => {
  throw new Error(`no Chromium at ${wanted}: ${HOW}`);
});

describe.runIf(chrome !== undefined)('the page in Chromium', { timeout: BOOT_TIMEOUT_MS + 30_000 }, () => {
  let served: Served | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    served = await buildAndPreview(ROOT);
    browser = await launchChromium(chrome!);
    page = browser.page;
    await page.goto(served.url);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  const hook = () => page.evaluate(() => (window as unknown as { __xenwasm: Hook }).__xenwasm) as Promise<Hook>;

  /** Polls the page hook until `ok` holds; on timeout, says what the page showed instead. */
  async function waitForHook(what: string, ok: (h: Hook) => boolean, timeoutMs = BOOT_TIMEOUT_MS): Promise<Hook> {
    const deadline = Date.now() + timeoutMs;
    let h = await hook();
    while (!ok(h)) {
      const dead = h.state === 'crashed' || h.state === 'error';
      if (dead || Date.now() > deadline) {
        throw new Error(
          `${dead ? 'the domain stopped' : 'timed out'} waiting for ${what}: state=${h.stateLabel}${h.error ? ` error=${h.error}` : ''}` +
            `${h.exit?.message ? ` exit=${h.exit.message}` : ''}\nconsole so far:\n${h.console.slice(-2000)}` +
            `\nproblems: ${browser!.problems.join('; ') || 'none'}`,
        );
      }
      await page.waitForTimeout(100);
      h = await hook();
    }
    return h;
  }

  it('is served cross-origin isolated, so no fallback notice shows', async () => {
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await page.locator('#isolation-notice').isHidden()).toBe(true);
  });

  it('lists the demo guests with hello-pv32 selected', async () => {
    const values = await page.locator('#guest option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(values).toEqual(expect.arrayContaining(['hello-pv32', 'hello-pv64']));
    expect(await page.locator('#guest').inputValue()).toBe('hello-pv32');
  });

  it('boots the default guest by itself and shows its banner in the terminal', async () => {
    await waitForHook('the banner', (h) => h.console.includes(BANNER));
    // The terminal's own rows (xterm.js DOM renderer) show it, not just the hook.
    await expect.poll(() => page.locator('#terminal .xterm-rows').innerText(), { timeout: 5000 }).toContain(BANNER);
  });

  it('counts retired instructions and hypercalls', async () => {
    const first = await waitForHook('stats', (h) => (h.stats?.instructions ?? 0) > 0);
    if (first.state === 'running') {
      const later = await waitForHook('the instruction count to grow', (h) => h.state !== 'running' || h.stats!.instructions > first.stats!.instructions);
      expect(later.stats!.instructions).toBeGreaterThan(first.stats!.instructions);
    }
    const h = await waitForHook('hypercalls', (x) => (x.stats?.hypercalls_total ?? 0) > 0);
    expect(h.stats!.hypercalls_total).toBeGreaterThan(0);
    const shown = await page.locator('[data-counter="instructions"]').innerText();
    expect(Number(shown.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await page.locator('table[data-table="hypercalls"] tbody tr').count()).toBeGreaterThan(0);
  });

  it('shows the domain state as shutdown (poweroff) when the guest powers off', async () => {
    const h = await waitForHook('the poweroff', (x) => x.state !== 'booting' && x.state !== 'running');
    expect(h.stateLabel).toBe('shutdown (poweroff)');
    expect(await page.locator('#state').innerText()).toBe('shutdown (poweroff)');
    expect(await page.locator('#fault').isHidden()).toBe(true);
    // Let the last stats() land in the panel, then keep a picture of the page.
    await waitForHook('final stats', (x) => (x.stats?.instructions ?? 0) > 0);
    await page.waitForTimeout(300);
    mkdirSync(`${ROOT}/docs`, { recursive: true });
    await page.screenshot({ path: `${ROOT}/docs/screenshot.png` });
  });

  it('lists every hypercall with its status for the guest type and its live count', async () => {
    await page.locator('#tab-hypercalls').click();
    expect(await page.locator('#panel-hypercalls').isVisible()).toBe(true);
    const row = (nr: number) => page.locator(`table[data-table="hypercall-table"] tr[data-nr="${nr}"]`);
    const cell = (nr: number, col: string) => row(nr).locator(`td[data-col="${col}"]`).innerText();
    expect(await page.locator('table[data-table="hypercall-table"] tbody tr').count()).toBeGreaterThanOrEqual(44);
    expect(await cell(17, 'name')).toBe('xen_version');
    expect(await cell(17, 'status')).toBe('implemented');
    expect(Number((await cell(17, 'count')).replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await cell(37, 'name')).toBe('kexec_op');
    expect(await cell(37, 'status')).toBe('-ENOSYS');
    expect(await cell(37, 'count')).toBe('–');
    expect(await row(20).getAttribute('title')).toContain('setup_table'); // the note is the tooltip
    expect(await page.locator('.hc-summary').innerText()).toMatch(/^pv32: \d+ implemented, \d+ partial, \d+ -ENOSYS; \d+ called$/);
    // Sorting by calls puts the most called first; by number restores the table order.
    await page.locator('.hc-sort', { hasText: 'calls' }).click();
    const counts = await page.locator('table[data-table="hypercall-table"] tbody td[data-col="count"]').allInnerTexts();
    const n = counts.map((c) => (c === '–' ? 0 : Number(c.replace(/,/g, ''))));
    expect(n).toEqual([...n].sort((a, b) => b - a));
    await page.locator('.hc-sort', { hasText: '#' }).click();
    expect(await page.locator('table[data-table="hypercall-table"] tbody tr').first().getAttribute('data-nr')).toBe('0');
    await page.locator('#tab-counters').click();
    expect(await page.locator('#panel-hypercalls').isHidden()).toBe(true);
  });

  it('disables Pause and Resume once the domain has shut down', async () => {
    expect(await page.locator('#btn-pause').isDisabled()).toBe(true);
    expect(await page.locator('#btn-resume').isDisabled()).toBe(true);
    expect(await page.locator('#btn-start').isEnabled()).toBe(true);
    expect(await page.locator('#btn-reset').isEnabled()).toBe(true);
  });

  it('boots the guest again from a clean terminal on Reset', async () => {
    await page.locator('#btn-reset').click();
    const h = await waitForHook('the banner after Reset', (x) => x.console.includes(BANNER) && x.state === 'shutdown');
    expect(h.console.split(BANNER).length - 1).toBe(1);
    expect(h.stateLabel).toBe('shutdown (poweroff)');
  });

  it('boots hello-pv64 when it is picked', async () => {
    await page.locator('#guest').selectOption('hello-pv64');
    const h = await waitForHook('hello-pv64 to power off', (x) => x.guest === 'hello-pv64' && x.state !== 'booting' && x.state !== 'running');
    expect(h.console).toContain(BANNER);
    expect(h.stateLabel).toBe('shutdown (poweroff)');
    expect(await page.locator('#guest-info').innerText()).toContain('pv64');
  });

  it('runs a Xen ABI test guest (traps and bounce frames, PV32) to "Test result: SUCCESS"', async () => {
    await page.locator('#guest').selectOption('test-traps-pv32');
    const h = await waitForHook('test-traps-pv32 to finish', (x) => x.guest === 'test-traps-pv32' && x.state !== 'booting' && x.state !== 'running');
    expect(h.console).toContain('Test result: SUCCESS');
    expect(h.stateLabel).toBe('shutdown (poweroff)');
  });

  it('reboots and then powers off a guest that watches control/shutdown, from the Reboot and Shut down buttons', async () => {
    const WAITING = 'waiting for a shutdown request';
    await page.locator('#guest').selectOption('test-shutdown-pv32');
    await waitForHook('test-shutdown to watch control/shutdown',
      (x) => x.guest === 'test-shutdown-pv32' && x.console.includes(WAITING) && x.stats?.shutdown_control?.watched === true);
    await expect.poll(() => page.locator('#btn-reboot').isEnabled(), { timeout: 5000 }).toBe(true);
    await page.locator('#btn-reboot').click();
    const rebooted = await waitForHook('the reboot', (x) => x.reboots === 1 && x.console.split(WAITING).length === 3 && x.stats?.shutdown_control?.watched === true);
    expect(rebooted.console.split('xenwasm test shutdown (pv32)').length - 1).toBe(2); // booted again, console kept
    expect(rebooted.state).toBe('running');
    await expect.poll(() => page.locator('#btn-shutdown').isEnabled(), { timeout: 5000 }).toBe(true);
    await page.locator('#btn-shutdown').click();
    const h = await waitForHook('the poweroff', (x) => x.state !== 'booting' && x.state !== 'running');
    expect(h.stateLabel).toBe('shutdown (poweroff)');
    expect(h.console).toContain('shutdown: poweroff requested through xenstore');
    expect(h.console).toContain('Test result: SUCCESS');
  });

  it('says so when the guest does not watch control/shutdown, and keeps it running', async () => {
    await page.locator('#guest').selectOption('test-console-pv64');
    await waitForHook('the console prompt', (x) => x.guest === 'test-console-pv64' && x.console.includes('type a line and press Enter') && x.state === 'running');
    expect(await page.locator('#btn-reboot').isDisabled()).toBe(true);
    await page.locator('#btn-shutdown').click();
    await expect.poll(() => page.locator('#control-note').isVisible(), { timeout: 5000 }).toBe(true);
    expect(await page.locator('#control-note').innerText()).toContain('does not watch xenstore control/shutdown');
    await page.waitForTimeout(500);
    expect((await hook()).state).toBe('running');
  });

  it('logs no page error, console error or failed request', () => {
    expect(browser!.problems).toEqual([]);
  });
});
