// Every guest of the page's picker boots in Chromium and prints the line its entry in web/guests.ts
// declares (`expect`): the table is read in Node from the same SPECS and the same image list the
// page uses (vite.config.ts guestKernelFiles), and checked against what the page lists, so a new
// demo guest with an `expect` line gets its test here without editing this file. Debian's Linux 6.1
// boots to its busybox shell when the server has it cached (scripts/debian-guest.ts), answers a
// command typed into the terminal and powers off from the Shut down button (about a minute); without
// the cache, or with XENWASM_E2E_LINUX=0, that test is skipped with the reason.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { guestKernelFiles } from '../../vite.config.ts';
import { LINUX_ID, listGuests } from '../../web/guests.ts';
import { findChromium } from './harness.ts';
import { domainHook, pageHook, role, screenshot, usePage, waitForDomain, type DomainHook } from './page-hook.ts';

const chrome = findChromium();
const TABLE = listGuests(guestKernelFiles());
const BOOTABLE = TABLE.filter((g) => g.expect && g.id !== LINUX_ID);
const LINUX_BOOT_MS = 300_000;

describe.runIf(chrome !== undefined)('every guest in the picker, in Chromium', { timeout: 90_000 }, () => {
  let page: Page;
  const session = usePage(chrome!, async (p) => {
    page = p;
    await waitForDomain(page, 1, 'the default guest', (h) => h.state !== 'booting' && h.state !== 'idle');
  });

  const wait = (what: string, ok: (h: DomainHook) => boolean, timeoutMs = 60_000) =>
    session.wait(1, what, ok, { timeoutMs });

  /** Picks `id` in domain 1 and waits until the new domain printed `line`. */
  async function bootAndExpect(id: string, line: string, timeoutMs = 60_000): Promise<DomainHook> {
    const boots = (await domainHook(page, 1)).boots;
    await role(page, 1, 'guest').selectOption(id);
    return wait(`${id} to print "${line}"`, (h) => h.boots > boots && h.guest === id && h.console.includes(line), timeoutMs);
  }

  it('lists the guests of web/guests.ts, every image of guests/images with an expected line among them', async () => {
    const h = await pageHook(page);
    expect(h.guests.map((g) => g.id)).toEqual(TABLE.map((g) => g.id));
    expect(h.guests.map((g) => g.expect)).toEqual(TABLE.map((g) => g.expect));
    expect(BOOTABLE.length).toBeGreaterThanOrEqual(30);
  });

  for (const guest of BOOTABLE) {
    it(`boots ${guest.id} (${guest.label}) and prints "${guest.expect}"`, async () => {
      const h = await bootAndExpect(guest.id, guest.expect!);
      expect(h.state === 'running' || h.stateLabel === 'shutdown (poweroff)').toBe(true);
      if (guest.cmdline) expect(await role(page, 1, 'cmdline').inputValue()).toBe(guest.cmdline);
    });
  }

  it("boots Debian's Linux 6.1 to a busybox shell, runs a command and powers off from Shut down", { timeout: LINUX_BOOT_MS + 120_000 }, async (ctx) => {
    if (process.env.XENWASM_E2E_LINUX === '0') {
      ctx.skip('XENWASM_E2E_LINUX=0');
      return;
    }
    const linux = (await pageHook(page)).linux;
    if (!linux?.available) {
      ctx.skip(`Debian's kernel is not cached: ${linux?.how ?? 'no /debian/linux.json'}`);
      return;
    }
    const entry = TABLE.find((g) => g.id === LINUX_ID)!;
    const h = await bootAndExpect(LINUX_ID, entry.expect!, LINUX_BOOT_MS);
    expect(h.console).toContain('Linux version 6.1.');
    expect(h.info?.guestType).toBe('pv64');
    expect(h.counters!.hypercalls_total).toBeGreaterThan(1000);
    // ash asks the terminal where the cursor is (ESC [ 6 n) after its prompt; xterm.js answers.
    const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    await wait('the shell prompt', (x) => /# $/.test(plain(x.console)), 60_000);
    await page.locator('#domain-1 .xterm').click();
    await page.keyboard.type('uname -sr; cat /sys/hypervisor/type; grep -m1 "model name" /proc/cpuinfo; free -m\n');
    const out = await wait('the command output', (x) => /Mem:/.test(x.console.split('uname -sr')[1] ?? ''), 60_000);
    const answer = out.console.split('uname -sr')[1];
    expect(answer).toMatch(/Linux 6\.1\.0-\d+-cloud-amd64/);
    expect(answer).toMatch(/^xen\r?$/m);
    await page.waitForTimeout(500);
    await screenshot(page, 'screenshot'); // the README's picture
    await role(page, 1, 'shutdown').click();
    const off = await wait('Linux to power off', (x) => x.state === 'shutdown', 120_000);
    expect(off.stateLabel).toBe('shutdown (poweroff)');
    expect(off.console).toContain('xenwasm: power-off requested');
  });

  it('logs no page error, console error or failed request', () => {
    expect(session.problems).toEqual([]);
  });
});
