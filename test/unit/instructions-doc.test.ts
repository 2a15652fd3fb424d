// docs/instructions.md is generated (scripts/gen-instructions-doc.ts) from the dispatchers' `case`
// rows and from running every opcode on the core. These tests fail when the file is stale, when a
// dispatcher stops listing all 256 values (the dense switch of design.md), or when a row says
// something known to be false.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderInstructionsDoc, parseDispatch } from '../../scripts/gen-instructions-doc.ts';

const src = (f: string) => readFileSync(new URL(`../../assembly/cpu/${f}`, import.meta.url), 'utf8');
const doc = renderInstructionsDoc();

describe('docs/instructions.md', () => {
  it('is exactly what `npm run docs:instructions` makes from the current core', () => {
    const committed = readFileSync(new URL('../../docs/instructions.md', import.meta.url), 'utf8');
    expect(committed === doc, 'docs/instructions.md is stale: run `npm run docs:instructions`').toBe(true);
  });

  it('covers all 256 values of both maps, each with a case in its dispatcher', () => {
    for (const f of ['interp.ts', 'ops0f.ts']) {
      const cases = parseDispatch(src(f));
      const missing = Array.from({ length: 256 }, (_, i) => i).filter((i) => !cases.has(i)).map((i) => i.toString(16));
      expect(missing, `${f} has no case for`).toEqual([]);
    }
    expect(doc.match(/^\| [0-9A-F]{2} \| (?!x0 )/gm)).toHaveLength(256); // (not the 0F grid header)
    expect(doc.match(/^\| 0F [0-9A-F]{2} \|/gm)).toHaveLength(256);
  });

  it('reports known rows as the SDM and our CPUID make them', () => {
    expect(doc).toContain('| 01 | ADD Ev,Gv | implemented | same |');
    expect(doc).toContain('| 06 | PUSH ES (i64) | implemented | #UD by design |');
    expect(doc).toContain('| 0F 0B | UD2 | #UD by design | same |');
    expect(doc).toContain('| 0F 0E | FEMMS (3DNow!: not offered) | #UD: not offered by CPUID | same |');
    expect(doc).toMatch(/\| 66 \| operand size \| prefix \| same \|/);
  });
});
