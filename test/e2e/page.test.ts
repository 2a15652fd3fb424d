// The page in a real browser: the production build served by `vite preview` with COOP/COEP, opened
// in Debian's Chromium. The default demo guest must boot by itself in domain 1, print its banner in
// the xterm.js terminal, count instructions and hypercalls (read from shared memory, since the page
// is cross-origin isolated), chart them live, list every hypercall with its status and live count,
// and power off; the picker and Reset must boot guests again; Shut down and Reboot must reach a guest
// that watches xenstore control/shutdown, and the page must say so when a guest does not; Destroy
// ends a domain at once; nothing may log an error. Leaves screenshots (page-hook.ts).
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { findChromium } from './harness.ts';
import { domainHook, num, pageHook, role, screenshot, usePage, type DomainHook } from './page-hook.ts';

const BANNER = 'xenwasm hello: a Xen PV guest is running';
const BOOT_TIMEOUT_MS = 60_000;

const chrome = findChromium();
const wanted = process.env.CHROME_PATH || '/usr/bin/chromium';
const HOW = 'run `apt-get install -y chromium` or set CHROME_PATH';
if (!chrome && process.env.CI !== 'true') console.warn(`e2e skipped: no Chromium at ${wanted}; ${HOW}`);

// On CI a missing browser is a failure, not a skip.
it.runIf(!chrome && process.env.CI === 'true')('finds Chromium for the end-to-end tests', () => {
  throw new Error(`no Chromium at ${wanted}: ${HOW}`);
});

describe.runIf(chrome !== undefined)('the page in Chromium', { timeout: BOOT_TIMEOUT_MS + 30_000 }, () => {
  let page: Page;
  const session = usePage(chrome!, (p) => {
    page = p;
  });

  const wait = (what: string, ok: (h: DomainHook) => boolean, timeoutMs = BOOT_TIMEOUT_MS) =>
    session.wait(1, what, ok, { timeoutMs });
  const stopped = (h: DomainHook) => h.state !== 'booting' && h.state !== 'running';

  it('is served cross-origin isolated, so no fallback notice shows', async () => {
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await page.locator('#isolation-notice').isHidden()).toBe(true);
  });

  it('opens one domain and lists the demo guests in its picker with hello-pv32 picked', async () => {
    const h = await pageHook(page);
    expect(h.domains.map((d) => d.id)).toEqual([1]);
    expect(h.active).toBe(1);
    const values = await role(page, 1, 'guest').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(values).toEqual(expect.arrayContaining(['hello-pv32', 'hello-pv64', 'test-traps-pv32', 'bench-int-pv64', 'debian-linux']));
    expect(await role(page, 1, 'guest').inputValue()).toBe('hello-pv32');
  });

  it('lists Debian Linux as available when the server has it cached, else says how to fetch it', async () => {
    const h = await pageHook(page);
    const linux = h.guests.find((g) => g.id === 'debian-linux')!;
    const option = role(page, 1, 'guest').locator('option[value="debian-linux"]');
    if (h.linux?.available) {
      expect(linux.unavailable).toBeUndefined();
      expect(await option.isDisabled()).toBe(false);
      expect(linux.cmdline).toContain('console=hvc0');
    } else {
      expect(await option.isDisabled()).toBe(true);
      expect(await option.innerText()).toContain('scripts/debian-guest.ts');
    }
  });

  it('boots the default guest by itself and shows its output in the terminal', async () => {
    await wait('the banner', (h) => h.console.includes(BANNER));
    // The terminal's own rows (xterm.js DOM renderer) show it, not just the hook: the last lines are
    // on screen (the banner may have scrolled into the scrollback of a short terminal).
    await expect.poll(() => page.locator('#domain-1 .xterm-rows').innerText(), { timeout: 5000 }).toContain('hello: powering off');
  });

  it('reads the counters from shared memory and counts instructions and hypercalls', async () => {
    const h = await wait('counters', (x) => (x.counters?.hypercalls_total ?? 0) > 0);
    expect(h.source).toBe('shared memory');
    expect(h.counters!.instructions).toBeGreaterThan(0);
    await expect.poll(async () => num(await page.locator('#domain-1 [data-counter="instructions"]').innerText())).toBeGreaterThan(0);
    expect(await page.locator('#domain-1 [data-counter="source"]').innerText()).toBe('shared memory');
    expect(await page.locator('#domain-1 table[data-table="hypercalls"] tbody tr').count()).toBeGreaterThan(0);
  });

  it('shows the domain state as shutdown (poweroff) when the guest powers off', async () => {
    const h = await wait('the poweroff', stopped);
    expect(h.stateLabel).toBe('shutdown (poweroff)');
    expect(await role(page, 1, 'state').innerText()).toBe('shutdown (poweroff)');
    expect(await role(page, 1, 'fault').isHidden()).toBe(true);
    expect(await page.locator('.domain-tab[data-domain="1"]').getAttribute('data-state')).toBe('shutdown');
    // Once stopped, MIPS is the average over the run time: never zero for a guest that ran.
    await expect.poll(async () => Number(await page.locator('#domain-1 [data-counter="mips"]').innerText())).toBeGreaterThan(0);
  });

  it('lists every hypercall with its status for the guest type and its live count', async () => {
    const tab = page.locator('#domain-1 [data-tab="hypercalls"]');
    await tab.click();
    expect(await page.locator('#domain-1 [data-panel="hypercalls"]').isVisible()).toBe(true);
    const table = page.locator('#domain-1 table[data-table="hypercall-table"]');
    const row = (nr: number) => table.locator(`tr[data-nr="${nr}"]`);
    const cell = (nr: number, col: string) => row(nr).locator(`td[data-col="${col}"]`).innerText();
    expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(44);
    expect(await cell(17, 'name')).toBe('xen_version');
    expect(await cell(17, 'status')).toBe('implemented');
    expect(num(await cell(17, 'count'))).toBeGreaterThan(0);
    expect(await cell(37, 'name')).toBe('kexec_op');
    expect(await cell(37, 'status')).toBe('-ENOSYS');
    expect(await cell(37, 'count')).toBe('–');
    expect(await row(20).getAttribute('title')).toContain('setup_table'); // the note is the tooltip
    expect(await page.locator('#domain-1 .hc-summary').innerText()).toMatch(/^pv32: \d+ implemented, \d+ partial, \d+ -ENOSYS; \d+ called$/);
    // Sorting by calls puts the most called first; by number restores the table order.
    await page.locator('#domain-1 .hc-sort', { hasText: 'calls' }).click();
    const n = (await table.locator('tbody td[data-col="count"]').allInnerTexts()).map(num);
    expect(n).toEqual([...n].sort((a, b) => b - a));
    await page.locator('#domain-1 .hc-sort', { hasText: '#' }).click();
    expect(await table.locator('tbody tr').first().getAttribute('data-nr')).toBe('0');
    await page.locator('#domain-1 [data-tab="counters"]').click();
    expect(await page.locator('#domain-1 [data-panel="hypercalls"]').isHidden()).toBe(true);
  });

  it('disables Pause and Resume once the domain has shut down, and keeps Start and Reset', async () => {
    expect(await role(page, 1, 'pause').isDisabled()).toBe(true);
    expect(await role(page, 1, 'resume').isDisabled()).toBe(true);
    expect(await role(page, 1, 'start').isEnabled()).toBe(true);
    expect(await role(page, 1, 'reset').isEnabled()).toBe(true);
  });

  it('boots the guest again from a clean terminal on Reset', async () => {
    await role(page, 1, 'reset').click();
    const h = await wait('the banner after Reset', (x) => x.console.includes(BANNER) && x.state === 'shutdown');
    expect(h.console.split(BANNER).length - 1).toBe(1);
    expect(h.stateLabel).toBe('shutdown (poweroff)');
  });

  it('boots hello-pv64 when it is picked', async () => {
    await role(page, 1, 'guest').selectOption('hello-pv64');
    const h = await wait('hello-pv64 to power off', (x) => x.guest === 'hello-pv64' && stopped(x));
    expect(h.console).toContain(BANNER);
    expect(h.stateLabel).toBe('shutdown (poweroff)');
    expect(await role(page, 1, 'info').innerText()).toContain('pv64');
    expect(await page.locator('.domain-tab[data-domain="1"] .domain-tab-select').innerText()).toContain('hello-pv64');
  });

  it('passes the command line field to the guest (xl.cfg extra)', async () => {
    await role(page, 1, 'cmdline').fill('xenwasm says hi');
    await role(page, 1, 'reset').click();
    const h = await wait('hello-pv64 with a command line', (x) => x.console.includes('cmd_line') && stopped(x));
    expect(h.console).toContain('"xenwasm says hi"');
  });

  it('charts MIPS, hypercalls, exceptions and TLB misses per second while a guest runs', async () => {
    // The integer workload runs for seconds: enough readings for the charts.
    await role(page, 1, 'guest').selectOption('bench-int-pv32');
    await wait('bench-int to run', (x) => x.guest === 'bench-int-pv32' && x.state === 'running');
    await role(page, 1, 'cmdline').fill('iters=1500');
    await role(page, 1, 'reset').click();
    const h = await wait('six chart points', (x) => x.guest === 'bench-int-pv32' && x.state === 'running' && x.chartPoints >= 6);
    expect(h.source).toBe('shared memory');
    for (const key of ['mips', 'hypercalls', 'exceptions', 'tlbMisses']) {
      const chart = page.locator(`#domain-1 [data-chart="${key}"]`);
      expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(6);
      expect(await chart.locator('canvas').count()).toBe(1);
    }
    const mips = Number(await page.locator('#domain-1 [data-value="mips"]').innerText());
    expect(mips).toBeGreaterThan(1);
    await screenshot(page, 'screenshot-workload', false);
    const done = await wait('the workload to finish', stopped, 120_000);
    expect(done.console).toContain('Bench result: SUCCESS');
  });

  it('reboots and then powers off a guest that watches control/shutdown, from the Reboot and Shut down buttons', async () => {
    const WAITING = 'waiting for a shutdown request';
    await role(page, 1, 'guest').selectOption('test-shutdown-pv32');
    await wait('test-shutdown to watch control/shutdown',
      (x) => x.guest === 'test-shutdown-pv32' && x.console.includes(WAITING) && x.stats?.shutdown_control?.watched === true);
    await expect.poll(() => role(page, 1, 'reboot').isEnabled(), { timeout: 5000 }).toBe(true);
    await role(page, 1, 'reboot').click();
    const rebooted = await wait('the reboot', (x) => x.reboots === 1 && x.console.split(WAITING).length === 3 && x.stats?.shutdown_control?.watched === true);
    expect(rebooted.console.split('xenwasm test shutdown (pv32)').length - 1).toBe(2); // booted again, console kept
    expect(rebooted.state).toBe('running');
    await expect.poll(() => role(page, 1, 'shutdown').isEnabled(), { timeout: 5000 }).toBe(true);
    await role(page, 1, 'shutdown').click();
    const h = await wait('the poweroff', stopped);
    expect(h.stateLabel).toBe('shutdown (poweroff)');
    expect(h.console).toContain('shutdown: poweroff requested through xenstore');
    expect(h.console).toContain('Test result: SUCCESS');
  });

  it('says so when the guest does not watch control/shutdown, and keeps it running', async () => {
    await role(page, 1, 'guest').selectOption('test-console-pv64');
    await wait('the console prompt', (x) => x.guest === 'test-console-pv64' && x.console.includes('type a line and press Enter') && x.state === 'running');
    expect(await role(page, 1, 'reboot').isDisabled()).toBe(true);
    await role(page, 1, 'shutdown').click();
    await expect.poll(() => role(page, 1, 'control-note').isVisible(), { timeout: 5000 }).toBe(true);
    expect(await role(page, 1, 'control-note').innerText()).toContain('does not watch xenstore control/shutdown');
    await page.waitForTimeout(500);
    expect((await domainHook(page, 1)).state).toBe('running');
  });

  it('sends what is typed in the terminal to the guest console', async () => {
    await page.locator('#domain-1 .xterm').click();
    await page.keyboard.type('typed in chromium');
    await page.keyboard.press('Enter');
    // The echo and the guest's verdict reach the console in separate flushes: wait for both.
    const h = await wait('the echo and the verdict', (x) => x.console.includes('console input: typed in chromium') &&
      x.console.includes('Test result: '));
    expect(h.console).toContain('Test result: SUCCESS');
  });

  it('ends a running domain at once on Destroy and keeps its console', async () => {
    await role(page, 1, 'guest').selectOption('test-shutdown-pv64');
    await wait('test-shutdown to wait', (x) => x.guest === 'test-shutdown-pv64' && x.console.includes('waiting for a shutdown request'));
    const workers = page.workers().length;
    await role(page, 1, 'destroy').click();
    const h = await wait('the destroy', (x) => x.state === 'destroyed');
    expect(h.console).toContain('waiting for a shutdown request');
    await expect.poll(() => page.locator('#domain-1 .xterm-rows').innerText(), { timeout: 5000 }).toContain('[domain destroyed]');
    expect(await role(page, 1, 'destroy').isDisabled()).toBe(true);
    expect(await role(page, 1, 'start').isEnabled()).toBe(true);
    await expect.poll(() => page.workers().length, { timeout: 5000 }).toBe(workers - 1);
  });

  it('logs no page error, console error or failed request', () => {
    expect(session.problems).toEqual([]);
  });
});
