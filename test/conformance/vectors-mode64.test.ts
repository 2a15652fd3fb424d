// MMX/SSE/SSE2, x87, the general-purpose instructions and random instruction bytes in 64-bit mode
// against the real x86 CPU (shared/test-vectors.md): the committed mode-64 corpus
// (test/vectors/mode64-*.jsonl.gz, generators test/oracle/gen-sse.ts, gen-x87.ts, gen-int64.ts and gen-raw64.ts), plus vectors recorded live from this CPU on every run (seed fixed under CI=true, new
// otherwise; printed so a failure can be reproduced with `npm run vectors:record -- --seed N`).
import { describe, it, expect } from 'vitest';
import { canRecord, committedCorpus, firstFailures, liveSeed, recordLive, replay } from '../helpers/conformance.ts';

const committed = committedCorpus(64);
const LIVE = { sse: 30_000, x87: 15_000, raw: 40_000, int: 110_000 };
const LIVE_TOTAL = Object.values(LIVE).reduce((a, b) => a + b, 0);

describe('CPU conformance, mode 64 (MMX, SSE, SSE2, x87, integer forms, raw bytes)', () => {
  it('replays the committed corpus with no mismatch', async () => {
    expect(committed.length).toBeGreaterThanOrEqual(3);
    const r = await replay(committed);
    console.log(`committed mode-64 corpus: ${r.passed} passed, ${r.failed} failed`);
    expect(r.passed).toBeGreaterThanOrEqual(140_000);
    expect(firstFailures(r.failures)).toBe('');
  }, 120_000);

  it.skipIf(!canRecord && process.env.CI !== 'true')(`replays ${LIVE_TOTAL} vectors recorded live from this CPU (seed ${liveSeed})`, async () => {
    expect(canRecord, 'CI must run on x86-64 Linux with gcc to record vectors from the real CPU').toBe(true);
    const r = await replay(recordLive(64, LIVE));
    const again = Object.entries(LIVE).map(([kind, n]) => `npm run vectors:record -- --seed ${liveSeed} --mode 64 --kind ${kind} --count ${n} --out ${kind}.jsonl.gz`);
    console.log(`live mode-64 corpus (seed ${liveSeed}): ${r.passed} passed, ${r.failed} failed; reproduce with: ${again.join(' && ')} && npx xenwasm vectors ${Object.keys(LIVE).map((k) => `${k}.jsonl.gz`).join(' ')}`);
    expect(r.passed + r.failed).toBeGreaterThanOrEqual(0.99 * LIVE_TOTAL);
    expect(firstFailures(r.failures)).toBe('');
  }, 300_000);
});
