// Vitest global setup: builds build/xenwasm.wasm (and regenerates workers/layout.gen.ts) through
// scripts/build-core.mjs, which does nothing when the core's sources are unchanged. A failed build
// stops the run with the compiler's output, since no test of the core could mean anything.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/build-core.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`the core does not build (node scripts/build-core.mjs):\n${result.stdout}${result.stderr}`);
  }
}
