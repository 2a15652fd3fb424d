// What the end-to-end tests read from the page (window.__xenwasm, web/main.ts and web/domain-view.ts)
// and the helpers every page test shares: open the production build in Chromium (usePage: for the
// length of a describe()), poll one domain's hook until a condition holds (failing with what the page
// showed instead), and locate a domain's elements by data-role. Screenshots go to test-results/screenshots/, and also to docs/ when
// UPDATE_SCREENSHOTS=1 (the README shows docs/screenshot*.png).
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildAndPreview, launchChromium, type Browser, type Served } from './harness.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface DomainHook {
  id: number;
  console: string;
  state: string;
  stateLabel: string;
  guest?: string;
  kernelName?: string;
  info?: { guestType: string; nrPages: number };
  stats?: { state: string; instructions: number; hypercalls_total: number; shutdown_control?: { watched: boolean; features: string[] } };
  counters?: { instructions: number; hypercalls_total: number; exceptions_total: number; tlb_misses: number; wall_ms: number };
  source?: string;
  readings: number;
  chartPoints: number;
  exit?: { state: string; reason?: string; message?: string };
  error?: string;
  loadError?: string;
  controlNote?: string;
  reboots: number;
  boots: number;
}

export interface GuestInfo {
  id: string;
  label: string;
  group: string;
  file: string;
  cmdline?: string;
  memory?: number;
  expect?: string;
  unavailable?: string;
}

export interface PageHook {
  domains: DomainHook[];
  active?: number;
  layout: string;
  guests: GuestInfo[];
  linux?: { available: boolean; how?: string };
  crossOriginIsolated: boolean;
}

export interface OpenPage {
  served: Served;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Appended to the page's URL (e.g. "?bench-runs=1"). */
  query?: string;
  /** Runs once Chromium is up, before the page loads (e.g. to route its requests). */
  beforeLoad?: (browser: Browser) => Promise<unknown>;
  /** Wait until the page lists its first domain (default true). */
  waitForDomains?: boolean;
}

/** Builds the page, serves it, opens it in Chromium and (unless told not to) waits until the page
 *  lists its first domain. On failure, closes what it opened. */
export async function openPage(chrome: string, opts: OpenOptions = {}): Promise<OpenPage> {
  const served = await buildAndPreview(ROOT);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium(chrome);
    const page = browser.page;
    await opts.beforeLoad?.(browser);
    await page.goto(served.url + (opts.query ?? ''));
    if (opts.waitForDomains ?? true) {
      await page.waitForFunction(() => ((window as unknown as { __xenwasm?: PageHook }).__xenwasm?.domains.length ?? 0) > 0);
    }
    const opened = browser;
    return {
      served,
      browser,
      page,
      async close() {
        await opened.close();
        await served.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await served.close();
    throw e;
  }
}

/** A page that usePage opens before a describe()'s tests and closes after them. */
export interface PageSession {
  /** Page errors, console errors and failed requests so far (harness.ts). */
  readonly problems: string[];
  /** waitForDomain on this page, reporting its problems when it fails. */
  wait(id: number, what: string, ok: (h: DomainHook) => boolean, opts?: { timeoutMs?: number; allowDead?: boolean }): Promise<DomainHook>;
}

/**
 * Registers, in the describe() that calls it, a beforeAll that opens the page (openPage with `opts`)
 * and hands it to `opened` (which may also wait for the page to settle), and an afterAll that closes it.
 */
export function usePage(chrome: string, opened: (page: Page) => void | Promise<void>, opts: OpenOptions = {}): PageSession {
  let open: OpenPage | undefined;
  const current = (): OpenPage => {
    if (!open) throw new Error('the page is not open: usePage opens it in beforeAll');
    return open;
  };
  beforeAll(async () => {
    open = await openPage(chrome, opts);
    await opened(open.page);
  }, 180_000);
  afterAll(async () => {
    await open?.close();
  });
  return {
    get problems() {
      return current().browser.problems;
    },
    wait: (id, what, ok, o = {}) => waitForDomain(current().page, id, what, ok, { ...o, problems: current().browser.problems }),
  };
}

export function pageHook(page: Page): Promise<PageHook> {
  return page.evaluate(() => {
    const h = (window as unknown as { __xenwasm: PageHook }).__xenwasm;
    // The getters (console, domains) are read here; the copy crosses to Node.
    const copy = { ...h, domains: h.domains.map((d) => ({ ...d, console: d.console, chartPoints: d.chartPoints })) };
    return JSON.parse(JSON.stringify(copy, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
  }) as Promise<PageHook>;
}

export async function domainHook(page: Page, id: number): Promise<DomainHook> {
  const d = (await pageHook(page)).domains.find((x) => x.id === id);
  if (!d) throw new Error(`no domain ${id} in the page`);
  return d;
}

/** Polls domain `id` until `ok` holds; on timeout or a dead domain, says what the page showed. */
export async function waitForDomain(
  page: Page,
  id: number,
  what: string,
  ok: (h: DomainHook) => boolean,
  opts: { timeoutMs?: number; problems?: string[]; allowDead?: boolean } = {},
): Promise<DomainHook> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let h = await domainHook(page, id);
  while (!ok(h)) {
    const dead = !opts.allowDead && (h.state === 'crashed' || h.state === 'error');
    if (dead || Date.now() > deadline) {
      throw new Error(
        `domain ${id}: ${dead ? 'the domain stopped' : 'timed out'} waiting for ${what}: state=${h.stateLabel}` +
          `${h.error ? ` error=${h.error}` : ''}${h.loadError ? ` loadError=${h.loadError}` : ''}` +
          `${h.exit?.message ? ` exit=${h.exit.message}` : ''}\nconsole so far:\n${h.console.slice(-2000)}` +
          `\nproblems: ${opts.problems?.join('; ') || 'none'}`,
      );
    }
    await page.waitForTimeout(100);
    h = await domainHook(page, id);
  }
  return h;
}

/** An element of domain `id` by its data-role (web/index.html, the domain template). */
export function role(page: Page, id: number, name: string): Locator {
  return page.locator(`#domain-${id} [data-role="${name}"]`);
}

/** A number as the page formats it ("12,345" or "–"). */
export function num(text: string): number {
  return text.trim() === '–' ? 0 : Number(text.replace(/[,\s]/g, ''));
}

/** Saves a screenshot of the page under test-results/screenshots/, and one the README shows
 *  (`forDocs`) also to docs/ with UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string, forDocs = true): Promise<string> {
  const dir = `${ROOT}/test-results/screenshots`;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/${name}.png`;
  await page.screenshot({ path });
  if (forDocs && process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(path, `${ROOT}/docs/${name}.png`);
  return path;
}

/** Boots `guestId` in domain `id` by picking it, after setting the command line when given. */
export async function pickGuest(page: Page, id: number, guestId: string, cmdline?: string): Promise<void> {
  if (cmdline === undefined) {
    await role(page, id, 'guest').selectOption(guestId);
    return;
  }
  // Picking fills in the entry's defaults and boots; to boot with another command line, pick, then
  // set the line and Reset (build again).
  await role(page, id, 'guest').selectOption(guestId);
  await waitForDomain(page, id, `${guestId} to boot`, (h) => h.guest === guestId && h.state !== 'booting', { allowDead: true });
  await role(page, id, 'cmdline').fill(cmdline);
  await role(page, id, 'reset').click();
}
