// Seeded generator of INPUT test vectors (no results: the oracle adds them) for mode 32.
//   tsx test/oracle/gen.ts --seed 1 --count 10000 --kind forms|raw [--mode 32] > input.jsonl
// "forms": one instruction form per vector, drawn by weight from the table in forms.ts; the first
// FORMS.length vectors visit every row once, so any corpus of that size touches every row.
// "raw": random 1..15-byte strings, single-stepped (gen-raw.ts).
// Invariant: the output depends only on (kind, seed, count): same arguments, same bytes.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FORMS, buildForm } from './gen-forms.ts';
import { buildRaw } from './gen-raw.ts';
import { Rng } from './rng.ts';

export type Kind = 'forms' | 'raw';

export function* generate(kind: Kind, seed: number, count: number, mode = 32): Generator<string> {
  if (mode !== 32) throw new Error(`mode ${mode}: only mode 32 vectors can be generated so far`);
  const rng = new Rng(seed);
  if (kind === 'raw') {
    for (let i = 1; i <= count; i++) yield buildRaw(rng, `r${i}`);
    return;
  }
  const total = FORMS.reduce((s, f) => s + f.weight, 0);
  const pick = () => {
    let r = rng.int(total);
    for (const f of FORMS) if ((r -= f.weight) < 0) return f;
    return FORMS[FORMS.length - 1];
  };
  for (let i = 1; i <= count; i++) {
    const form = i <= FORMS.length ? FORMS[i - 1] : pick();
    yield buildForm(rng, form, `f${i}`);
  }
}

export function parseArgs(argv: string[]): { seed: number; count: number; kind: Kind; mode: number } {
  const o = { seed: 1, count: 1000, kind: 'forms' as Kind, mode: 32 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const num = (name: string) => {
      if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${name} needs a non-negative integer, not ${JSON.stringify(v)}`);
      i++;
      return Number(v);
    };
    if (a === '--seed') o.seed = num('--seed');
    else if (a === '--count') o.count = num('--count');
    else if (a === '--mode') o.mode = num('--mode');
    else if (a === '--kind') {
      if (v !== 'forms' && v !== 'raw') throw new Error(`--kind must be forms or raw, not ${JSON.stringify(v)}`);
      o.kind = v; i++;
    } else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  if (o.mode !== 32) throw new Error(`--mode ${o.mode}: only mode 32 vectors can be generated so far`);
  return o;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    const { seed, count, kind, mode } = parseArgs(process.argv.slice(2));
    let buf = '';
    for (const line of generate(kind, seed, count, mode)) {
      buf += line + '\n';
      if (buf.length > 1 << 16) { process.stdout.write(buf); buf = ''; }
    }
    process.stdout.write(buf);
  } catch (e) {
    console.error(`gen: ${(e as Error).message}`);
    process.exit(2);
  }
}
