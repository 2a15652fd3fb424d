// The committed corpus (test/vectors/*.jsonl.gz): every vector reads with format.ts, carries a
// result, and agrees with itself under compare(); the forms file covers every row of the table.
// Guards the corpus against format drift; it does not need the oracle or this CPU.
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readVectorFiles } from '../../workers/vectors/read.ts';
import { compare, GPR_NAMES, hasResult, initialValue, type Vector } from '../../workers/vectors/format.ts';
import { FORMS, rowName } from './forms.ts';

const DIR = join(import.meta.dirname, '..', 'vectors');
const files = readdirSync(DIR).filter((f) => f.endsWith('.jsonl.gz')).map((f) => join(DIR, f));

/** The state a perfect emulator would report: out's registers, init's for the rest. */
function perfect(v: Vector) {
  const regs = new Map<string, bigint>(v.out!);
  for (const g of GPR_NAMES) regs.set(g, v.out!.get(g) ?? initialValue(v, g));
  return { exc: v.exc ?? null, regs, memw: v.memw ?? [] };
}

describe('committed vector corpus', () => {
  it('stays within 5 MB', () => {
    const total = files.reduce((s, f) => s + statSync(f).size, 0);
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(total).toBeLessThanOrEqual(5_000_000);
  });

  it('holds only complete mode-32 vectors that compare equal to themselves', async () => {
    let n = 0;
    const bad: string[] = [];
    for await (const { vector: v } of readVectorFiles(files)) {
      n++;
      if (v.mode !== 32 || !hasResult(v)) { bad.push(`${v.id}: no result`); continue; }
      const m = compare(v, perfect(v));
      if (m.length) bad.push(`${v.id}: ${JSON.stringify(m)}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(n).toBeGreaterThan(100_000);
  });

  it('covers every row of the forms table', async () => {
    const seen = new Set<string>();
    for await (const { vector: v } of readVectorFiles(files.filter((f) => f.includes('forms')))) if (v.op) seen.add(rowName(v.op));
    expect(FORMS.map((f) => f.name).filter((n) => !seen.has(n))).toEqual([]);
  });
});
