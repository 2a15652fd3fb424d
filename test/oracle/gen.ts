// Seeded generator of INPUT test vectors (no results: the oracle adds them).
//   tsx test/oracle/gen.ts --seed 1 --count 10000 --kind forms|raw|sse|x87|int [--mode 32|64] > input.jsonl
// "forms": one instruction form per vector, drawn by weight from the table in forms.ts; the first
// FORMS.length vectors visit every row once, so any corpus of that size touches every row.
// "raw": random 1..15-byte strings, single-stepped (gen-raw.ts; with --mode 64, gen-raw64.ts).
// forms are mode 32, raw mode 32 unless --mode 64.
// "sse": MMX/SSE/SSE2 forms (forms-sse.ts, gen-sse.ts) and "x87": x87 code sequences (gen-x87.ts),
// both mode 64; "int": the general-purpose forms of 64-bit mode (forms64.ts, gen-int64.ts), mode 64.
// Like forms, the first rows-many vectors of sse, x87 and int visit every row once.
// Invariant: the output depends only on (kind, seed, count): same arguments, same bytes.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FORMS, buildForm } from './gen-forms.ts';
import { buildRaw } from './gen-raw.ts';
import { buildRaw64 } from './gen-raw64.ts';
import { SSE_FORMS, buildSse } from './gen-sse.ts';
import { X87_FORMS, buildX87 } from './gen-x87.ts';
import { FORMS64, buildInt64 } from './gen-int64.ts';
import { Rng } from './rng.ts';

export type Kind = 'forms' | 'raw' | 'sse' | 'x87' | 'int';

/** The mode each kind generates. */
export const KIND_MODE: Record<Kind, number> = { forms: 32, raw: 32, sse: 64, x87: 64, int: 64 };
/** Modes a kind also generates when asked with --mode. */
const OTHER_MODES: Partial<Record<Kind, number[]>> = { raw: [64] };
const makes = (kind: Kind, mode: number) => mode === KIND_MODE[kind] || (OTHER_MODES[kind] ?? []).includes(mode);

export function* generate(kind: Kind, seed: number, count: number, mode = KIND_MODE[kind]): Generator<string> {
  if (!makes(kind, mode)) throw new Error(`--kind ${kind} generates mode ${KIND_MODE[kind]} vectors, not mode ${mode}`);
  const rng = new Rng(seed);
  if (kind === 'raw') {
    for (let i = 1; i <= count; i++) yield mode === 64 ? buildRaw64(rng, `q${i}`) : buildRaw(rng, `r${i}`);
    return;
  }
  if (kind === 'sse' || kind === 'x87' || kind === 'int') {
    const rows: { weight: number }[] = kind === 'sse' ? SSE_FORMS : kind === 'x87' ? X87_FORMS : FORMS64;
    const build = kind === 'sse' ? buildSse : kind === 'x87' ? buildX87 : buildInt64;
    const tot = rows.reduce((s, f) => s + f.weight, 0);
    // int draws a row for a run of 16 vectors: alike neighbours gzip to ~30 bytes a vector, not ~42.
    const run = kind === 'int' ? 64 : 1;
    let row = rows[0];
    for (let i = 1; i <= count; i++) {
      if (i <= rows.length) row = rows[i - 1];
      else if ((i - rows.length - 1) % run === 0) {
        let r = rng.int(tot);
        row = rows[rows.length - 1];
        for (const f of rows) if ((r -= f.weight) < 0) { row = f; break; }
      }
      yield (build as (rng: Rng, f: any, id: string) => string)(rng, row, `${kind[0]}${i}`);
    }
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
  const o = { seed: 1, count: 1000, kind: 'forms' as Kind, mode: 0 };
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
      if (v !== 'forms' && v !== 'raw' && v !== 'sse' && v !== 'x87' && v !== 'int') throw new Error(`--kind must be forms, raw, sse, x87 or int, not ${JSON.stringify(v)}`);
      o.kind = v; i++;
    } else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  if (o.mode === 0) o.mode = KIND_MODE[o.kind];
  if (!makes(o.kind, o.mode)) throw new Error(`--mode ${o.mode}: --kind ${o.kind} generates mode ${KIND_MODE[o.kind]} vectors`);
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
