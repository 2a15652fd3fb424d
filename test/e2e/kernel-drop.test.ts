// Your own kernel in Chromium: a kernel image dropped on a domain's console (a synthetic drop with a
// DataTransfer holding File objects, as the browser builds for a real drag from the desktop) or
// chosen with the Kernel… / Ramdisk… file inputs boots in that domain with the command line field;
// a kernel dropped with a ramdisk gets it; a file the loader refuses gives one line in the page with
// the loader's reason, and whatever ran before keeps running.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { findChromium } from './harness.ts';
import { domainHook, role, ROOT, usePage, waitForDomain, type DomainHook } from './page-hook.ts';

const chrome = findChromium();
const IMAGES = `${ROOT}/guests/images`;
const BANNER = 'xenwasm hello: a Xen PV guest is running';

interface FileSpec {
  name: string;
  bytes: number[];
}

const file = (name: string, bytes: Uint8Array): FileSpec => ({ name, bytes: [...bytes] });

describe.runIf(chrome !== undefined)('booting your own kernel in Chromium', { timeout: 90_000 }, () => {
  let page: Page;
  const session = usePage(chrome!, async (p) => {
    page = p;
    await waitForDomain(page, 1, 'the default guest', (h) => h.state === 'shutdown');
  });

  const wait = (what: string, ok: (h: DomainHook) => boolean, timeoutMs = 60_000) =>
    session.wait(1, what, ok, { timeoutMs, allowDead: true });

  /** Drags `files` over `selector` and drops them there, as a drag from the desktop does. */
  async function drop(selector: string, files: FileSpec[], { release = true } = {}) {
    await page.evaluate(
      ({ selector, files, release }) => {
        const target = document.querySelector(selector)!;
        const dt = new DataTransfer();
        for (const f of files) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
        const fire = (type: string) => target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
        fire('dragenter');
        fire('dragover');
        if (release) fire('drop');
      },
      { selector, files, release },
    );
  }

  it('shows where to drop while files are dragged over a console', async () => {
    await drop('#domain-1 [data-role="drop-zone"]', [file('x.elf', new Uint8Array(4))], { release: false });
    expect(await page.locator('#domain-1 .drop-overlay').isVisible()).toBe(true);
    expect(await page.locator('#domain-1 .drop-overlay').innerText()).toContain('Drop a kernel');
    await page.evaluate(() => document.querySelector('#domain-1 [data-role="drop-zone"]')!.dispatchEvent(new DragEvent('dragleave', { bubbles: true })));
    expect(await page.locator('#domain-1 .drop-overlay').isHidden()).toBe(true);
  });

  it('boots a kernel dropped on the console, with the command line field', async () => {
    await role(page, 1, 'cmdline').fill('dropped by a test');
    await drop('#domain-1 [data-role="drop-zone"]', [file('my-kernel.elf', readFileSync(`${IMAGES}/hello-pv64.elf`))]);
    const h = await wait('the dropped kernel', (x) => x.guest === 'custom' && x.console.includes(BANNER) && x.state === 'shutdown');
    expect(h.kernelName).toBe('my-kernel.elf');
    expect(h.console).toContain('(pv64)');
    expect(h.console).toContain('"dropped by a test"');
    expect(await role(page, 1, 'guest').inputValue()).toBe('custom');
    expect(await role(page, 1, 'guest').locator('option[value="custom"]').innerText()).toBe('my-kernel.elf');
    expect(await role(page, 1, 'info').innerText()).toContain('my-kernel.elf · pv64');
    expect(await role(page, 1, 'load-error').isHidden()).toBe(true);
  });

  it('boots it again on Reset, from the same file', async () => {
    const boots = (await domainHook(page, 1)).boots;
    await role(page, 1, 'reset').click();
    const h = await wait('the same kernel again', (x) => x.boots > boots && x.state === 'shutdown' && x.console.includes(BANNER));
    expect(h.guest).toBe('custom');
    expect(h.console.split(BANNER).length - 1).toBe(1);
  });

  it('takes a kernel and its ramdisk dropped together, whatever their order', async () => {
    const ramdisk = file('initrd.img', new TextEncoder().encode('a ramdisk the hello guest never reads\n'.repeat(200)));
    await drop('#domain-1 [data-role="drop-zone"]', [ramdisk, file('hello32.elf', readFileSync(`${IMAGES}/hello-pv32.elf`))]);
    const h = await wait('the kernel with its ramdisk', (x) => x.kernelName === 'hello32.elf' && x.state === 'shutdown');
    expect(h.console).toContain(BANNER);
    expect(await role(page, 1, 'guest').locator('option[value="custom"]').innerText()).toBe('hello32.elf + initrd.img');
    expect(await role(page, 1, 'info').innerText()).toContain('ramdisk initrd.img');
  });

  it("says in one line why a file is not a kernel (the loader's reason) and keeps the running domain", async () => {
    await role(page, 1, 'guest').selectOption('test-console-pv32');
    const before = await wait('test-console to wait for input', (x) => x.guest === 'test-console-pv32' && x.console.includes('type a line') && x.state === 'running');
    await drop('#domain-1 [data-role="drop-zone"]', [file('README.md', readFileSync(`${ROOT}/README.md`))]);
    const h = await wait('the load error', (x) => x.loadError !== undefined && x.state !== 'booting');
    expect(h.loadError).toMatch(/^README\.md: not a kernel image: /);
    expect(h.loadError).not.toContain('\n');
    const line = role(page, 1, 'load-error');
    expect(await line.isVisible()).toBe(true);
    expect(await line.getAttribute('role')).toBe('alert');
    expect(await line.innerText()).toBe(h.loadError);
    // The guest that ran before still runs, with its console as it was.
    expect(h.state).toBe('running');
    expect(h.guest).toBe('test-console-pv32');
    expect(h.console).toBe(before.console);
    expect(await role(page, 1, 'guest').inputValue()).toBe('test-console-pv32'); // the picker shows what runs
    expect(await role(page, 1, 'guest').locator('option[value="custom"]').count()).toBe(0);
    await page.locator('#domain-1 .xterm').click();
    await page.keyboard.type('still here');
    await page.keyboard.press('Enter');
    await wait('the guest to answer', (x) => x.console.includes('console input: still here'));
  });

  it('names the cause for a truncated ELF and for a broken bzImage, and gives a bzImage more memory', async () => {
    await drop('#domain-1 [data-role="drop-zone"]', [file('cut.elf', readFileSync(`${IMAGES}/hello-pv64.elf`).subarray(0, 300))]);
    let h = await wait('the truncated ELF error', (x) => x.loadError?.startsWith('cut.elf:') === true && x.state !== 'booting');
    expect(h.loadError).toMatch(/^cut\.elf: truncated ELF: /);
    const fake = new Uint8Array(0x1000);
    fake.set(new TextEncoder().encode('HdrS'), 0x202);
    await drop('#domain-1 [data-role="drop-zone"]', [file('vmlinuz-fake', fake)]);
    h = await wait('the bzImage error', (x) => x.loadError?.startsWith('vmlinuz-fake:') === true && x.state !== 'booting');
    expect(h.loadError).not.toContain('not a kernel image'); // recognised as a bzImage, refused for its contents
    expect(await role(page, 1, 'memory').inputValue()).toBe('256');
  });

  it('refuses more than a kernel and a ramdisk in one drop', async () => {
    const bytes = readFileSync(`${IMAGES}/hello-pv32.elf`);
    await drop('#domain-1 [data-role="drop-zone"]', [file('a.elf', bytes), file('b.elf', bytes), file('c.elf', bytes)]);
    const h = await wait('the error', (x) => x.loadError?.includes('3 files') === true);
    expect(h.loadError).toBe('drop one kernel, or a kernel and its ramdisk: got 3 files (a.elf, b.elf, c.elf)');
  });

  it('boots a kernel chosen with the Kernel… file input, and clears the error', async () => {
    await role(page, 1, 'memory').fill('32');
    await role(page, 1, 'cmdline').fill('');
    await role(page, 1, 'kernel-file').setInputFiles(`${IMAGES}/hello-raw-pv32.elf`);
    const h = await wait('the chosen kernel', (x) => x.kernelName === 'hello-raw-pv32.elf' && x.state === 'shutdown');
    expect(h.console).toContain(BANNER);
    expect(h.info?.nrPages).toBe(32 * 256);
    expect(await role(page, 1, 'load-error').isHidden()).toBe(true);
  });

  it('adds a ramdisk chosen with the Ramdisk… file input to that kernel', async () => {
    const boots = (await domainHook(page, 1)).boots;
    await role(page, 1, 'ramdisk-file').setInputFiles(`${IMAGES}/hello-pv32.syms`);
    const h = await wait('the kernel with the ramdisk', (x) => x.boots > boots && x.state === 'shutdown');
    expect(h.kernelName).toBe('hello-raw-pv32.elf');
    expect(await role(page, 1, 'info').innerText()).toContain('ramdisk hello-pv32.syms');
  });

  it('boots a kernel dropped outside every console in the domain shown', async () => {
    await drop('header.top', [file('from-the-header.elf', readFileSync(`${IMAGES}/hello-pv64.elf`))]);
    const h = await wait('the kernel dropped on the header', (x) => x.kernelName === 'from-the-header.elf' && x.state === 'shutdown');
    expect(h.console).toContain(BANNER);
    expect((await domainHook(page, 1)).guest).toBe('custom');
  });

  it('logs no page error, console error or failed request', () => {
    expect(session.problems).toEqual([]);
  });
});
