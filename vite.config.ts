// Vite config for the page (web/) and its domain workers (workers/).
// The page is served cross-origin isolated (COOP + COEP) in dev and in preview, so a domain's
// WebAssembly.Memory can be shared with the page; wasm and guest images are always separate files
// (never inlined as data: URLs, never transformed), and files outside web/ (workers/, build/) are
// reachable. Guest kernels in guests/images/ are served byte for byte at /guests/<file>.
import { defineConfig, type Plugin } from 'vite';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

/** Cross-origin isolation: required for SharedArrayBuffer (toolchain.md, Browser). */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Files that sit beside the kernels in guests/images/ but are not kernels. */
const NOT_A_KERNEL = /\.(syms?|map|cfg|md|txt|json|sha256|o|d)$/i;

/**
 * The demo guests: `virtual:xenwasm-guests` lists the kernel files of guests/images/; the dev server
 * serves them raw at /guests/<file> (Vite would otherwise treat an unknown file as a JS module and
 * append a source map), and the build copies them to dist/guests/.
 */
/** The kernel files of guests/images/ (what the page lists; the e2e tests read the same list). */
export function guestKernelFiles(dir = join(repoRoot, 'guests/images')): string[] {
  return existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && !e.name.startsWith('.') && !NOT_A_KERNEL.test(e.name))
        .map((e) => e.name)
        .sort()
    : [];
}

function guestImages(): Plugin {
  const dir = join(repoRoot, 'guests/images');
  const VIRTUAL = 'virtual:xenwasm-guests';
  const RESOLVED = '\0' + VIRTUAL;
  const kernels = () => guestKernelFiles(dir);
  return {
    name: 'xenwasm-guest-images',
    resolveId: (id) => (id === VIRTUAL ? RESOLVED : undefined),
    load: (id) => (id === RESOLVED ? `export default ${JSON.stringify(kernels())};` : undefined),
    configureServer(server) {
      server.watcher.add(dir);
      const relist = (path: string) => {
        if (!path.startsWith(dir)) return;
        const mod = server.moduleGraph.getModuleById(RESOLVED);
        if (mod) server.moduleGraph.invalidateModule(mod);
      };
      server.watcher.on('add', relist);
      server.watcher.on('unlink', relist);
      server.middlewares.use((req, res, next) => {
        const m = /^\/guests\/([^/?#]+)(?:[?#].*)?$/.exec(req.url ?? '');
        const file = m && decodeURIComponent(m[1]);
        if (!file || !kernels().includes(file)) return next();
        const bytes = readFileSync(join(dir, file));
        res.writeHead(200, {
          ...isolationHeaders,
          'Content-Type': 'application/octet-stream',
          'Content-Length': bytes.length,
          'Cache-Control': 'no-cache',
        });
        res.end(bytes);
      });
    },
    generateBundle() {
      for (const file of kernels()) {
        this.emitFile({ type: 'asset', fileName: `guests/${file}`, source: readFileSync(join(dir, file)) });
      }
    },
  };
}

/**
 * Debian's Linux 6.1 and the busybox initramfs that scripts/debian-guest.ts caches in .cache/debian:
 * the dev and preview servers answer /debian/linux.json (whether they are there, else how to fetch
 * them) and serve /debian/vmlinuz and /debian/initramfs.cpio.gz from the cache, looked up on every
 * request. A build never copies them (they are Debian's binaries, not ours): its linux.json says so.
 */
function debianLinux(): Plugin {
  const cache = join(repoRoot, '.cache/debian');
  const HOW = 'run `npx tsx scripts/debian-guest.ts` (apt-get download into .cache/debian), then `npm start`';
  const find = () => {
    if (!existsSync(cache)) return undefined;
    const abi = (n: string) => Number(/^linux-image-6\.1\.0-(\d+)-/.exec(n)?.[1] ?? -1);
    const dirs = readdirSync(cache, { withFileTypes: true })
      .filter((e) => e.isDirectory() && abi(e.name) >= 0)
      .map((e) => e.name)
      .sort((a, b) => abi(b) - abi(a));
    const initramfs = join(cache, 'initramfs-busybox.cpio.gz');
    for (const dir of dirs) {
      const boot = join(cache, dir, 'boot');
      const vmlinuz = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) : undefined;
      if (vmlinuz && existsSync(initramfs)) return { kernel: join(boot, vmlinuz), initramfs };
    }
    return undefined;
  };
  const serve = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? '').replace(/[?#].*$/, '');
    if (!path.startsWith('/debian/')) return next();
    const found = find();
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { ...isolationHeaders, 'Content-Type': type, 'Cache-Control': 'no-cache' });
      res.end(body);
    };
    if (path === '/debian/linux.json') {
      const manifest = found
        ? { available: true, kernel: found.kernel.split('/').pop(), initramfs: found.initramfs.split('/').pop() }
        : { available: false, how: HOW };
      return send(200, 'application/json', JSON.stringify(manifest));
    }
    const file = path === '/debian/vmlinuz' ? found?.kernel : path === '/debian/initramfs.cpio.gz' ? found?.initramfs : undefined;
    if (!file) return send(404, 'text/plain', `not in .cache/debian: ${HOW}`);
    res.writeHead(200, {
      ...isolationHeaders,
      'Content-Type': 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  };
  return {
    name: 'xenwasm-debian-linux',
    configureServer: (server) => void server.middlewares.use(serve),
    configurePreviewServer: (server) => void server.middlewares.use(serve),
    generateBundle() {
      const how = `this build does not carry Debian's kernel; ${HOW}`;
      this.emitFile({ type: 'asset', fileName: 'debian/linux.json', source: JSON.stringify({ available: false, how }) });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  publicDir: false,
  // No SPA fallback: a missing file (say build/xenwasm.wasm before `npm run build:core`) is a 404 with
  // a clear message, not index.html handed to WebAssembly.compile.
  appType: 'mpa',
  plugins: [guestImages(), debianLinux()],
  server: {
    port: 5173,
    headers: isolationHeaders,
    // The worker and the core live beside web/, not inside it.
    fs: { allow: [repoRoot] },
  },
  preview: {
    port: 4173,
    headers: isolationHeaders,
  },
  worker: {
    format: 'es',
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Never turn the core into a data: URL, whatever its size.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
  },
});
