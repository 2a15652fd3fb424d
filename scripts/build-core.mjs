#!/usr/bin/env node
// Builds the core (assembly/ -> build/xenwasm.wasm) with AssemblyScript, only when a source is newer
// than the output. `--force` rebuilds, `--debug` also builds the debug target (with a .wat file).
// Also regenerates workers/layout.gen.ts, so the TypeScript mirror can never lag the map.
import { readdirSync, statSync, existsSync, mkdirSync } from 'node:fs';
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
const asc = await import('assemblyscript/asc');
const targets = process.argv.includes('--debug') ? ['release', 'debug'] : ['release'];
for (const target of targets) {
  const t0 = Date.now();
  const { error, stderr } = await asc.main(['assembly/index.ts', '--config', 'asconfig.json', '--target', target], {
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (error) {
    console.error(`core build (${target}) failed: ${error.message}`);
    process.exit(1);
  }
  console.error(`core built (${target}) in ${Date.now() - t0} ms`);
}
