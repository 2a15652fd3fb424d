// End-to-end harness: builds the page with Vite's API into a fresh directory, serves it with
// `vite preview` on 127.0.0.1 and a free port (with the same COOP/COEP headers as a user gets), and
// drives Debian's Chromium through playwright-core in a throw-away profile (never a downloaded
// browser). Every page error and console error is collected so a test can fail on any of them.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The flags toolchain.md prescribes for Chromium in containers and CI. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** CHROME_PATH if set, else Debian's /usr/bin/chromium; undefined when neither exists. */
export function findChromium(): string | undefined {
  const candidate = process.env.CHROME_PATH || '/usr/bin/chromium';
  return existsSync(candidate) ? candidate : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Production-builds the project at `root` (its vite.config.ts) and serves it with `vite preview`. */
export async function buildAndPreview(root: string): Promise<Served> {
  const outDir = mkdtempSync(join(tmpdir(), 'xenwasm-e2e-dist-'));
  const configFile = join(root, 'vite.config.ts');
  const common = { configFile, logLevel: 'warn' as const, build: { outDir, emptyOutDir: true } };
  await build(common);
  const port = await freePort();
  const server = await preview({ ...common, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  return {
    url,
    async close() {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Page errors, console errors and failed requests, in the order they happened. */
  problems: string[];
  close(): Promise<void>;
}

/** Launches Chromium headless in a fresh profile with a 1280x800 viewport and opens one page. */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'xenwasm-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  const watch = (p: Page) => {
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    p.on('worker', (w) =>
      w.on('console', (m) => {
        if (m.type() === 'error') problems.push(`worker console error: ${m.text()}`);
      }),
    );
    p.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  };
  watch(page);
  context.on('page', watch);
  // Errors thrown inside the domain worker surface here.
  context.on('weberror', (e) => problems.push(`web error: ${e.error().message}`));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
