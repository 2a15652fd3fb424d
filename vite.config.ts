// Vite config for the page (web/) and its domain workers (workers/).
// The page is served cross-origin isolated (COOP + COEP) in dev and in preview, so a domain's
// WebAssembly.Memory can be shared with the page; wasm and guest images are always separate files
// (never inlined as data: URLs, never transformed), and files outside web/ (workers/, build/) are
// reachable. Guest kernels in guests/images/ are served byte for byte at /guests/<file>.
import { defineConfig, type Plugin } from 'vite';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
function guestImages(): Plugin {
  const dir = join(repoRoot, 'guests/images');
  const VIRTUAL = 'virtual:xenwasm-guests';
  const RESOLVED = '\0' + VIRTUAL;
  const kernels = () =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isFile() && !e.name.startsWith('.') && !NOT_A_KERNEL.test(e.name))
          .map((e) => e.name)
          .sort()
      : [];
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

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  publicDir: false,
  // No SPA fallback: a missing file (say build/xenwasm.wasm before `npm run build:core`) is a 404 with
  // a clear message, not index.html handed to WebAssembly.compile.
  appType: 'mpa',
  plugins: [guestImages()],
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
