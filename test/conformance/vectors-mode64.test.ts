// MMX/SSE/SSE2 and x87 in 64-bit mode against the real x86 CPU (shared/test-vectors.md): the
// committed mode-64 corpus (test/vectors/mode64-*.jsonl.gz, generators test/oracle/gen-sse.ts and
// gen-x87.ts), plus vectors recorded live from this CPU on every run (seed fixed under CI=true, new
// otherwise; printed so a failure can be reproduced with `npm run vectors:record -- --seed N`).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { replayFiles, VectorMachine, type VectorOutcome } from '../../workers/vectors/runner.ts';
import { bytesToHex } from '../../workers/vectors/format.ts';

const root = new URL('../../', import.meta.url).pathname;
const committed = readdirSync(`${root}test/vectors`).filter((f) => /^mode64-.*\.jsonl\.gz$/.test(f)).map((f) => `${root}test/vectors/${f}`);
const CI_SEED = 20261124;
const seed = process.env.CI === 'true' ? CI_SEED : Math.floor(Math.random() * 2 ** 31);
const LIVE = { sse: 30_000, x87: 15_000 };
const canRecord = platform() === 'linux' && arch() === 'x64' && hasGcc();

function hasGcc(): boolean {
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

async function replay(paths: string[]): Promise<{ passed: number; failed: number; failures: string[] }> {
  const failures: string[] = [];
  const s = await replayFiles(paths, (o: VectorOutcome, where: string) => {
    const m = o.mismatches[0];
    failures.push(`${where} ${o.vector.id} [${bytesToHex(o.vector.code)}] ${o.vector.op ?? ''} ${m.field}: expected ${m.expected}, got ${m.actual}`);
  }, new VectorMachine());
  return { ...s, failures };
}
const firstFailures = (f: string[]) => (f.length === 0 ? '' : `${f.length} mismatching vectors, first ones:\n${f.slice(0, 25).join('\n')}`);

describe('CPU conformance, mode 64 (MMX, SSE, SSE2, x87)', () => {
  it('replays the committed corpus with no mismatch', async () => {
    expect(committed.length).toBeGreaterThanOrEqual(2);
    const r = await replay(committed);
    console.log(`committed mode-64 corpus: ${r.passed} passed, ${r.failed} failed`);
    expect(r.passed).toBeGreaterThanOrEqual(20_000);
    expect(firstFailures(r.failures)).toBe('');
  }, 120_000);

  it.skipIf(!canRecord && process.env.CI !== 'true')(`replays ${LIVE.sse + LIVE.x87} vectors recorded live from this CPU (seed ${seed})`, async () => {
    expect(canRecord, 'CI must run on x86-64 Linux with gcc to record vectors from the real CPU').toBe(true);
    const dir = `${root}build/vectors-live`;
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (const [kind, count] of Object.entries(LIVE)) {
      const out = `${dir}/mode64-${kind}-seed${seed}.jsonl.gz`;
      if (!existsSync(out)) {
        execFileSync(process.execPath, ['--import', 'tsx', `${root}scripts/record-vectors.ts`, '--seed', String(seed),
          '--count', String(count), '--kind', kind, '--out', out], { cwd: root, stdio: 'pipe' });
      }
      files.push(out);
    }
    const r = await replay(files);
    console.log(`live mode-64 corpus (seed ${seed}): ${r.passed} passed, ${r.failed} failed; reproduce with: npm run vectors:record -- --seed ${seed} --kind sse --count ${LIVE.sse} --out x.jsonl.gz && npx xenwasm vectors x.jsonl.gz`);
    expect(r.passed + r.failed).toBeGreaterThanOrEqual(0.99 * (LIVE.sse + LIVE.x87));
    expect(firstFailures(r.failures)).toBe('');
  }, 300_000);
});
