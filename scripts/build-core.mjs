#!/usr/bin/env node
// Builds the core (assembly/ -> build/xenwasm.wasm) with AssemblyScript, only when a source is newer
// than the output. `--force` rebuilds, `--debug` also builds the debug target (with a .wat file).
// Also regenerates workers/layout.gen.ts, so the TypeScript mirror can never lag the map.
import { readdirSync, statSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build/xenwasm.wasm');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

spawnSync(process.execPath, [join(root, 'scripts/gen-layout.mjs')], { stdio: 'ignore' });
const force = process.argv.includes('--force');
const srcTime = Math.max(newest(join(root, 'assembly')), statSync(join(root, 'asconfig.json')).mtimeMs);
if (!force && existsSync(out) && statSync(out).mtimeMs >= srcTime && !process.argv.includes('--debug')) process.exit(0);

mkdirSync(join(root, 'build'), { recursive: true });
// Several builds may start at once (test runs, scripts): one at a time (a lock directory), each
// written to a private file and renamed into place, so nobody ever loads a half-written module.
const lock = join(root, 'build/.build-lock');
const t00 = Date.now();
for (;;) {
  try { mkdirSync(lock); break; } catch {
    // A lock older than 5 minutes belongs to a build that died.
    try { if (Date.now() - statSync(lock).mtimeMs > 300_000) { rmSync(lock, { recursive: true, force: true }); continue; } } catch { continue; }
    if (Date.now() - t00 > 600_000) { console.error('core build: waited 10 minutes for build/.build-lock'); process.exit(1); }
    await new Promise((r) => setTimeout(r, 200));
  }
}
let failed = false;
try {
  // Another build may have finished while this one waited.
  const srcNow = Math.max(newest(join(root, 'assembly')), statSync(join(root, 'asconfig.json')).mtimeMs);
  const fresh = !force && existsSync(out) && statSync(out).mtimeMs >= srcNow && !process.argv.includes('--debug');
  const asc = fresh ? null : await import('assemblyscript/asc');
  const targets = fresh ? [] : process.argv.includes('--debug') ? ['release', 'debug'] : ['release'];
  for (const target of targets) {
    const t0 = Date.now();
    const final = join(root, target === 'release' ? 'build/xenwasm.wasm' : 'build/xenwasm.debug.wasm');
    const tmp = `${final}.${process.pid}.tmp`;
    const { error } = await asc.main(['assembly/index.ts', '--config', 'asconfig.json', '--target', target, '--outFile', tmp], {
      stdout: process.stdout,
      stderr: process.stderr,
    });
    if (error) {
      console.error(`core build (${target}) failed: ${error.message}`);
      rmSync(tmp, { force: true });
      failed = true;
      break;
    }
    renameSync(tmp, final);
    console.error(`core built (${target}) in ${Date.now() - t0} ms`);
  }
} finally {
  rmSync(lock, { recursive: true, force: true });
}
if (failed) process.exit(1);
