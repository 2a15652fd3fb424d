// The interpreter against the real x86 CPU of this machine (shared/test-vectors.md): the committed
// corpus, plus a corpus recorded live from the CPU on every run (seed fixed under CI=true, new
// otherwise; printed so a failure can be reproduced with `npm run vectors:record -- --seed N`).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { replayFiles, VectorMachine, type VectorOutcome } from '../../workers/vectors/runner.ts';
import { bytesToHex } from '../../workers/vectors/format.ts';

const root = new URL('../../', import.meta.url).pathname;
const committed = readdirSync(`${root}test/vectors`).filter((f) => /^mode32-.*\.jsonl\.gz$/.test(f)).map((f) => `${root}test/vectors/${f}`);
const CI_SEED = 20261124;
const seed = process.env.CI === 'true' ? CI_SEED : Math.floor(Math.random() * 2 ** 31);
const LIVE = { forms: 80_000, raw: 20_000 };
const canRecord = platform() === 'linux' && arch() === 'x64' && hasGcc();

function hasGcc(): boolean {
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

function describeFailures(failures: string[]): string {
  return failures.length === 0 ? '' : `${failures.length} mismatching vectors, first ones:\n${failures.slice(0, 25).join('\n')}`;
}

async function replay(paths: string[]): Promise<{ passed: number; failed: number; failures: string[] }> {
  const failures: string[] = [];
  const s = await replayFiles(paths, (o: VectorOutcome, where: string) => {
    const m = o.mismatches[0];
    failures.push(`${where} ${o.vector.id} [${bytesToHex(o.vector.code)}] ${o.vector.op ?? ''} ${m.field}: expected ${m.expected}, got ${m.actual}`);
  }, new VectorMachine());
  return { ...s, failures };
}

describe('CPU conformance, mode 32', () => {
  it('replays the committed corpus with no mismatch', async () => {
    expect(committed.length).toBeGreaterThanOrEqual(2);
    const r = await replay(committed);
    console.log(`committed corpus: ${r.passed} passed, ${r.failed} failed`);
    expect(r.passed).toBeGreaterThanOrEqual(100_000);
    expect(describeFailures(r.failures)).toBe('');
  }, 120_000);

  it.skipIf(!canRecord && process.env.CI !== 'true')(`replays ${LIVE.forms + LIVE.raw} vectors recorded live from this CPU (seed ${seed})`, async () => {
    expect(canRecord, 'CI must run on x86-64 Linux with gcc to record vectors from the real CPU').toBe(true);
    const dir = `${root}build/vectors-live`;
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (const [kind, count] of Object.entries(LIVE)) {
      const out = `${dir}/mode32-${kind}-seed${seed}.jsonl.gz`;
      if (!existsSync(out)) {
        execFileSync(process.execPath, ['--import', 'tsx', `${root}scripts/record-vectors.ts`, '--seed', String(seed),
          '--count', String(count), '--mode', '32', '--kind', kind, '--out', out], { cwd: root, stdio: 'pipe' });
      }
      files.push(out);
    }
    const r = await replay(files);
    console.log(`live corpus (seed ${seed}): ${r.passed} passed, ${r.failed} failed; reproduce with: npm run vectors:record -- --seed ${seed} --kind forms --count ${LIVE.forms} --out x.jsonl.gz && npx xenwasm vectors x.jsonl.gz`);
    expect(r.passed + r.failed).toBeGreaterThanOrEqual(0.99 * (LIVE.forms + LIVE.raw));
    expect(describeFailures(r.failures)).toBe('');
  }, 300_000);
});
