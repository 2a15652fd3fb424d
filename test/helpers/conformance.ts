// Shared by the conformance tests: the committed corpora, live recording from this machine's CPU
// (seed fixed under CI=true, new otherwise), and replay with a readable summary of mismatches.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { replayFiles, VectorMachine, type VectorOutcome } from '../../workers/vectors/runner.ts';
import { bytesToHex } from '../../workers/vectors/format.ts';

export const root = new URL('../../', import.meta.url).pathname;
export const CI_SEED = 20261124;
/** The seed of this run's live corpus: fixed under CI, new otherwise (printed by the tests). */
export const liveSeed = process.env.CI === 'true' ? CI_SEED : Math.floor(Math.random() * 2 ** 31);

function hasGcc(): boolean {
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}
/** The oracle runs on x86-64 Linux with gcc; CI must have both. */
export const canRecord = platform() === 'linux' && arch() === 'x64' && hasGcc();

/** The committed corpus files of one mode (test/vectors/mode<N>-*.jsonl.gz). */
export function committedCorpus(mode: 32 | 64): string[] {
  const re = new RegExp(`^mode${mode}-.*\\.jsonl\\.gz$`);
  return readdirSync(`${root}test/vectors`).filter((f) => re.test(f)).map((f) => `${root}test/vectors/${f}`);
}

/** Records (once per seed) `count` vectors of each kind from the CPU into build/vectors-live. */
export function recordLive(mode: 32 | 64, kinds: Record<string, number>): string[] {
  const dir = `${root}build/vectors-live`;
  mkdirSync(dir, { recursive: true });
  return Object.entries(kinds).map(([kind, count]) => {
    const out = `${dir}/mode${mode}-${kind}-seed${liveSeed}.jsonl.gz`;
    if (!existsSync(out)) {
      execFileSync(process.execPath, ['--import', 'tsx', `${root}scripts/record-vectors.ts`, '--seed', String(liveSeed),
        '--count', String(count), '--mode', String(mode), '--kind', kind, '--out', out], { cwd: root, stdio: 'pipe' });
    }
    return out;
  });
}

export async function replay(paths: string[]): Promise<{ passed: number; failed: number; failures: string[] }> {
  const failures: string[] = [];
  const s = await replayFiles(paths, (o: VectorOutcome, where: string) => {
    const m = o.mismatches[0];
    failures.push(`${where} ${o.vector.id} [${bytesToHex(o.vector.code)}] ${o.vector.op ?? ''} ${m.field}: expected ${m.expected}, got ${m.actual}`);
  }, new VectorMachine());
  return { ...s, failures };
}

/** '' when there is no failure, else the count and the first 25 (so a failing expect shows them). */
export function firstFailures(failures: string[]): string {
  return failures.length === 0 ? '' : `${failures.length} mismatching vectors, first ones:\n${failures.slice(0, 25).join('\n')}`;
}
