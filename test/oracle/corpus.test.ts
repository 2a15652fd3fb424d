// The committed corpus (test/vectors/*.jsonl.gz): every vector reads with format.ts, carries a
// result, and agrees with itself under compare(); the forms and int files cover every row of their tables.
// Guards the corpus against format drift; it does not need the oracle or this CPU.
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readVectorFiles } from '../../workers/vectors/read.ts';
import { compare, GPR_NAMES, hasResult, initialValue, type Vector } from '../../workers/vectors/format.ts';
import { FORMS, rowName } from './forms.ts';
import { FORMS64 } from './forms64.ts';

const DIR = join(import.meta.dirname, '..', 'vectors');
const files = readdirSync(DIR).filter((f) => f.endsWith('.jsonl.gz')).map((f) => join(DIR, f));

/** The state a perfect emulator would report: out's registers, init's for the rest. */
function perfect(v: Vector) {
  const regs = new Map<string, bigint>(v.out!);
  for (const g of GPR_NAMES) regs.set(g, v.out!.get(g) ?? initialValue(v, g));
  return { exc: v.exc ?? null, regs, memw: v.memw ?? [] };
}

describe('committed vector corpus', () => {
  it('stays within 5 MB for mode 32 and 8 MB for mode 64', () => {
    const size = (re: RegExp) => files.filter((f) => re.test(f)).reduce((s, f) => s + statSync(f).size, 0);
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(size(/mode32-[^/]*$/)).toBeLessThanOrEqual(5_000_000);
    expect(size(/mode64-[^/]*$/)).toBeLessThanOrEqual(8_000_000);
    expect(size(/mode64-int-[^/]*$/)).toBeLessThanOrEqual(3_500_000);   // 100,000 vectors of about 33 bytes
  });

  it('holds only complete vectors of the mode their file names, which compare equal to themselves', async () => {
    let n = 0;
    const bad: string[] = [];
    for await (const { file, vector: v } of readVectorFiles(files)) {
      n++;
      const mode = /mode64-[^/]*$/.test(file) ? 64 : 32;
      if (v.mode !== mode || !hasResult(v)) { bad.push(`${v.id}: no result or not mode ${mode}`); continue; }
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

  it('covers every row of the 64-bit forms table with at least 100,000 integer vectors', async () => {
    const seen = new Set<string>();
    let n = 0;
    for await (const { vector: v } of readVectorFiles(files.filter((f) => /mode64-int-/.test(f)))) { n++; if (v.op) seen.add(rowName(v.op)); }
    expect(FORMS64.map((f) => f.name).filter((r) => !seen.has(r))).toEqual([]);
    expect(n).toBeGreaterThanOrEqual(100_000);
  });
});
