// The decoded-instruction cache (assembly/cpu/decode-cache.ts, predecode.ts, fast-ops.ts), as
// specifications: it never changes a result (the committed corpus with the cache off, the same code
// reinterpreted as 64-bit code with the cache on and off), it decodes each instruction once, and
// code written after it was decoded runs as written: by itself in the same page, through a second
// mapping of the same frame, and by the host (which then invalidates, as the bare machine does).
import { beforeEach, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { BareMachine, CODE_VA, DATA_VA } from '../helpers/bare-machine.ts';
import { VectorMachine } from '../../workers/vectors/runner.ts';
import { readVectorFiles } from '../../workers/vectors/read.ts';
import { compare, hasResult, type Vector } from '../../workers/vectors/format.ts';
import * as L from '../../workers/layout.gen.ts';

const root = new URL('../../', import.meta.url).pathname;
const files = (re: RegExp) => readdirSync(`${root}test/vectors`).filter((f) => re.test(f)).map((f) => `${root}test/vectors/${f}`);
const corpus = files(/^mode(32|64)-.*\.jsonl\.gz$/);
const corpus32 = files(/^mode32-.*\.jsonl\.gz$/);

const MISSES = 0, FRAMES_MARKED = 1, FRAMES_DROPPED = 2;
type Switchable = { exports: Record<string, (...a: number[]) => number | bigint> };
const machineExports = (v: VectorMachine) => (v as unknown as Switchable).exports;
const stat = (m: BareMachine, i: number) => BigInt(m.core.exports.decodeCacheStat(i));

describe('results are the same with the decode cache on and off', () => {
  it('replays the committed corpus (mode 32 and 64) with the cache off, with no mismatch (the conformance test runs it on)', async () => {
    const off = new VectorMachine();
    machineExports(off).setDecodeCache(0);
    let passed = 0;
    const failures: string[] = [];
    for await (const { vector } of readVectorFiles(corpus)) {
      if (!hasResult(vector)) continue;
      const mism = compare(vector, off.run(vector).actual);
      if (mism.length === 0) passed++;
      else failures.push(`${vector.id}: ${mism[0].field} expected ${mism[0].expected} got ${mism[0].actual}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(passed).toBeGreaterThanOrEqual(100_000);
  }, 120_000);

  it('runs the mode-32 corpus code as 64-bit code with identical results on and off (REX forms, RIP-relative operands)', async () => {
    const on = new VectorMachine(), off = new VectorMachine();
    machineExports(off).setDecodeCache(0);
    let n = 0;
    const differ: string[] = [];
    for await (const { vector } of readVectorFiles(corpus32)) {
      if (n++ % 4 !== 0) continue; // a quarter of the corpus keeps this test at a few seconds
      const v64: Vector = { ...vector, mode: 64 };
      const a = on.run(v64), b = off.run(v64);
      const sa = JSON.stringify(a, bigints), sb = JSON.stringify(b, bigints);
      if (sa !== sb) differ.push(`${vector.id} [${Buffer.from(vector.code).toString('hex')}]\n on:  ${sa}\n off: ${sb}`);
    }
    expect(differ.slice(0, 3)).toEqual([]);
    expect(n).toBeGreaterThan(100_000);
  }, 120_000);
});

function bigints(_k: string, v: unknown) {
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (v instanceof Map) return Object.fromEntries(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

describe('decoding once, executing many times', () => {
  let m: BareMachine;
  beforeEach(() => { m = new BareMachine(64); });

  it('pre-decodes each instruction of a loop once, however often the loop runs', () => {
    // mov ecx, 1000 ; L: add rax, [rip+data] ; add rbx, rcx ; dec ecx ; jnz L
    const before = stat(m, MISSES);
    const code = 'b9e8030000' + '48030501000000' /* placeholder, patched below */ + '4801cb' + 'ffc9' + '75f2';
    m.load(code);
    // add rax, [rip+0x100] (the displacement is relative to the end of this 7-byte instruction)
    m.bytes.set([0x48, 0x03, 0x05, 0x00, 0x01, 0x00, 0x00], m.core.exports.bareCodeHost() + 5);
    m.bytes.set([7, 0, 0, 0, 0, 0, 0, 0], m.core.exports.bareCodeHost() + 12 + 0x100);
    expect(m.resume().exit).toBe('sentinel');
    expect(m.get('rax')).toBe(7000n);
    expect(m.get('rbx')).toBe(500500n);
    expect(stat(m, MISSES) - before).toBeLessThanOrEqual(6n); // five instructions and the sentinel check
  });

  it('does not pre-decode at all when switched off', () => {
    m.core.exports.setDecodeCache(0);
    const before = stat(m, MISSES);
    m.run('b90a000000' + 'ffc9' + '75fc'); // mov ecx, 10 ; L: dec ecx ; jnz L
    expect(m.get('rcx')).toBe(0n);
    expect(stat(m, MISSES)).toBe(before);
  });

  it('gives 32-bit code its own entries: the same bytes decode differently in 64-bit mode', () => {
    // 40 = INC eax in 32-bit code, a REX prefix in 64-bit code: 40 01 c3 = add ebx, eax.
    const code = '4001c3';
    const m32 = new BareMachine(32);
    m32.set('rax', 5).set('rbx', 1);
    m32.run(code); // inc eax ; add ebx, eax
    expect(m32.get('rax')).toBe(6n);
    expect(m32.get('rbx')).toBe(7n);
    m.set('rax', 5).set('rbx', 1);
    m.run(code); // rex add ebx, eax
    expect(m.get('rax')).toBe(5n);
    expect(m.get('rbx')).toBe(6n);
  });
});

describe('code written after it was decoded runs as written', () => {
  for (const cache of [1, 0]) {
    const label = cache ? 'cache on' : 'cache off';

    it(`self-modifying code: a loop that rewrites its own immediate each iteration (${label})`, () => {
      const m = new BareMachine(64);
      m.core.exports.setDecodeCache(cache);
      // 00: mov ecx, 5
      // 05: L: add eax, 1              05 01 00 00 00      (its immediate is at 0x10000006)
      // 0a:    inc dword [rip - 10]    ff 05 f6 ff ff ff   (RIP after it is 0x10000010)
      // 10:    dec ecx                 ff c9
      // 12:    jnz L                   75 f1
      const bytes = 'b905000000' + '0501000000' + 'ff05f6ffffff' + 'ffc9' + '75f1';
      expect(m.run(bytes).exit).toBe('sentinel');
      expect(m.get('rax')).toBe(1n + 2n + 3n + 4n + 5n); // each pass adds the immediate the previous pass left
      expect(m.codeBytes(10)[6]).toBe(6);
    });

    it(`a store through a second mapping of the code frame changes the next execution (${label})`, () => {
      const m = new BareMachine(64);
      m.core.exports.setDecodeCache(cache);
      // Map the code frame a second time, writable, at DATA_VA + 0x2000 (PTE 2 of the data window's
      // page table; frame numbers are the bare machine's: data PT frame 5, code frame 8).
      const ptData = L.GUEST_RAM_BASE + 5 * L.PAGE_SIZE;
      m.view.setBigUint64(ptData + 2 * 8, (8n << 12n) | 0x7n | (1n << 63n), true);
      // 0: mov ecx, 3 ; 5: L: mov eax, 1 ; a: mov byte [rdx], 2 ; d: add ebx, eax ; f: dec ecx ; jnz L
      // rdx = the alias of the byte at 0x10000006 (mov eax, imm32's low byte)
      m.set('rdx', DATA_VA + 0x2000n + 6n);
      const r = m.run('b903000000' + 'b801000000' + 'c60202' + '01c3' + 'ffc9' + '75f2');
      expect(r.exit).toBe('sentinel');
      expect(m.get('rbx')).toBe(1n + 2n + 2n); // the first pass ran the old immediate
      expect(m.codeBytes(7)[6]).toBe(2);
    });

    it(`the host rewrites the code and invalidates: the new code runs (${label})`, () => {
      const m = new BareMachine(64);
      m.core.exports.setDecodeCache(cache);
      m.run('b811000000'); // mov eax, 0x11
      expect(m.get('rax')).toBe(0x11n);
      m.run('b822000000'); // load() writes the page from the host and resets (which invalidates)
      expect(m.get('rax')).toBe(0x22n);
    });
  }

  it('drops a frame on the first store into it, and only then', () => {
    const m = new BareMachine(64);
    // L: mov eax, [rdx] ; mov [rsi], eax ; dec ecx ; jnz L   with rsi in the data window, then a store into the code page
    m.set('rcx', 100).set('rdx', DATA_VA).set('rsi', DATA_VA + 8n).set('rdi', CODE_VA + 0x800n);
    const dropped = stat(m, FRAMES_DROPPED);
    m.run('8b02' + '8906' + 'ffc9' + '75f8');
    expect(stat(m, FRAMES_DROPPED)).toBe(dropped); // stores into data pages do not touch decoded code
    expect(stat(m, FRAMES_MARKED)).toBeGreaterThan(0n);
    m.run('c60790'); // mov byte [rdi], 0x90: a store into the code frame
    expect(stat(m, FRAMES_DROPPED)).toBe(dropped + 1n);
  });
});
