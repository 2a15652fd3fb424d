// The interpreter against the real x86 CPU of this machine (shared/test-vectors.md): the committed
// corpus, plus a corpus recorded live from the CPU on every run (seed fixed under CI=true, new
// otherwise; printed so a failure can be reproduced with `npm run vectors:record -- --seed N`).
import { describe, it, expect } from 'vitest';
import { canRecord, committedCorpus, firstFailures, liveSeed, recordLive, replay } from '../helpers/conformance.ts';

const committed = committedCorpus(32);
const LIVE = { forms: 80_000, raw: 20_000 };

describe('CPU conformance, mode 32', () => {
  it('replays the committed corpus with no mismatch', async () => {
    expect(committed.length).toBeGreaterThanOrEqual(2);
    const r = await replay(committed);
    console.log(`committed corpus: ${r.passed} passed, ${r.failed} failed`);
    expect(r.passed).toBeGreaterThanOrEqual(100_000);
    expect(firstFailures(r.failures)).toBe('');
  }, 120_000);

  it.skipIf(!canRecord && process.env.CI !== 'true')(`replays ${LIVE.forms + LIVE.raw} vectors recorded live from this CPU (seed ${liveSeed})`, async () => {
    expect(canRecord, 'CI must run on x86-64 Linux with gcc to record vectors from the real CPU').toBe(true);
    const r = await replay(recordLive(32, LIVE));
    console.log(`live corpus (seed ${liveSeed}): ${r.passed} passed, ${r.failed} failed; reproduce with: npm run vectors:record -- --seed ${liveSeed} --kind forms --count ${LIVE.forms} --out x.jsonl.gz && npx xenwasm vectors x.jsonl.gz`);
    expect(r.passed + r.failed).toBeGreaterThanOrEqual(0.99 * (LIVE.forms + LIVE.raw));
    expect(firstFailures(r.failures)).toBe('');
  }, 300_000);
});
