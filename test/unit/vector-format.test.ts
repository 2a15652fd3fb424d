// The CPU test-vector format (workers/vectors/format.ts, read.ts): what a line must hold, what is
// ignored, and exactly which differences compare() reports (shared/test-vectors.md "Compare").
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  compare, hasResult, parseVector, VectorFormatError, type ActualResult, type Vector,
} from '../../workers/vectors/format.ts';
import { readVectorFiles } from '../../workers/vectors/read.ts';

// The example of the spec: xor [ebp+0x20001772], cl ... recorded on a real CPU.
const SPEC_EXAMPLE = '{"id":"g1","mode":32,"code":"300c2572170020",' +
  '"init":{"rax":"0x26e87555","rcx":"0xffffffeb","rdx":"0x13deef86","rbx":"0xca02135e",' +
  '"rsp":"0x20001038","rbp":"0xfe","rsi":"0x74c9df6a","rdi":"0xf1d69ed6","rflags":"0x243",' +
  '"mem":{"0x2000176a":"b762e3ab5805f0765a2b9c1d7e0f37c449"}},' +
  '"fmask":"0xffffffef","step":0,"exc":null,' +
  '"out":{"rip":"0x10000007","rflags":"0x286"},"memw":{"0x20001772":"b1"}}';

/** `add eax, ebx` (01 d8) with 0x7fffffff + 1: signed overflow. */
function addVector(extra: Record<string, unknown> = {}): Vector {
  return parseVector(JSON.stringify({
    id: 'add-ovf', mode: 32, code: '01d8',
    init: { rax: '0x7fffffff', rbx: '0x1', rflags: '0x202' },
    fmask: '0xffffffff', step: 0, exc: null,
    out: { rip: '0x10000002', rflags: '0xa96', rax: '0x80000000' }, memw: {},
    ...extra,
  }));
}

/** The emulator result that matches addVector(): every register it models. */
function addActual(over: Partial<Record<string, bigint>> = {}, rest: Partial<ActualResult> = {}): ActualResult {
  const regs: Record<string, bigint> = {
    rip: 0x10000002n, rflags: 0xa96n, rax: 0x80000000n, rcx: 0n, rdx: 0n, rbx: 1n, rsp: 0x20001000n,
    rbp: 0n, rsi: 0n, rdi: 0n, r8: 0n, r9: 0n, r10: 0n, r11: 0n, r12: 0n, r13: 0n, r14: 0n, r15: 0n,
  };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) regs[k] = v;
  return { exc: null, regs, memw: [], ...rest };
}

describe('parseVector', () => {
  it('reads the example of the spec: hex strings become bigint, byte strings Uint8Array', () => {
    const v = parseVector(SPEC_EXAMPLE);
    expect(v.id).toBe('g1');
    expect(v.mode).toBe(32);
    expect([...v.code]).toEqual([0x30, 0x0c, 0x25, 0x72, 0x17, 0x00, 0x20]);
    expect(v.init.get('rcx')).toBe(0xffffffebn);
    expect(v.init.get('rflags')).toBe(0x243n);
    expect(v.initMem[0].addr).toBe(0x2000176an);
    expect(v.initMem[0].bytes.length).toBe(17);
    expect(v.fmask).toBe(0xffffffefn);
    expect(v.step).toBe(0);
    expect(v.exc).toBeNull();
    expect(v.out?.get('rip')).toBe(0x10000007n);
    expect(v.memw).toEqual([{ addr: 0x20001772n, bytes: new Uint8Array([0xb1]) }]);
    expect(hasResult(v)).toBe(true);
  });

  it('accepts and ignores fields it does not know, at every level', () => {
    const v = parseVector(JSON.stringify({
      id: 'x', mode: 64, code: '90', init: { rax: '0x1', future: [1, 2] }, fmask: '0xffffffff', step: 0,
      exc: { vec: 14, err: '0x6', cr2: '0x1000', name: 'PF', extra: true },
      out: { rip: '0x10000001', rflags: '0x202', len: '0x1', note: 'x' }, memw: {}, x_op: 'nop', x_new: { a: 1 },
    }));
    expect(v.init.get('rax')).toBe(1n);
    expect(v.exc).toEqual({ vec: 14, err: 6n, cr2: 0x1000n, name: 'PF' });
    expect(v.out?.get('len')).toBe(1n);
    expect(v.op).toBe('nop');
  });

  it('takes an input vector (no result yet) and reports that it has none', () => {
    const v = parseVector('{"id":"i","mode":32,"code":"90","init":{},"fmask":"0xffffffff","step":1}');
    expect(v.step).toBe(1);
    expect(v.exc).toBeUndefined();
    expect(hasResult(v)).toBe(false);
    expect(() => compare(v, addActual())).toThrow(VectorFormatError);
  });

  it('treats a vector the oracle skipped as having no result', () => {
    const v = parseVector('{"id":"s","mode":32,"code":"ebfe","init":{},"fmask":"0xffffffff","step":0,"x_skipped":"timeout"}');
    expect(v.skipped).toBe('timeout');
    expect(hasResult(v)).toBe(false);
  });

  it('rejects a line that is not JSON', () => {
    expect(() => parseVector('{"id":')).toThrow(/not valid JSON/);
  });

  it('rejects a vector without an id', () => {
    expect(() => parseVector('{"mode":32,"code":"90"}')).toThrow(/missing "id"/);
  });

  it('rejects a mode other than 32 or 64, naming the vector', () => {
    expect(() => parseVector('{"id":"m","mode":16,"code":"90"}')).toThrow(/vector m: "mode" must be 32 or 64/);
  });

  it('rejects code that is not whole hex bytes', () => {
    expect(() => parseVector('{"id":"c","mode":32,"code":"901"}')).toThrow(/vector c: code must be a string of hex byte pairs/);
  });

  it('rejects a register value that is not a "0x..." string', () => {
    expect(() => parseVector('{"id":"r","mode":32,"code":"90","init":{"rax":17}}')).toThrow(/init\.rax must be a hex string/);
  });

  it('rejects an exception vector outside 0..255', () => {
    expect(() => parseVector('{"id":"e","mode":32,"code":"90","exc":{"vec":300},"out":{"rip":"0x0","rflags":"0x2"}}'))
      .toThrow(/exc\.vec must be an integer 0\.\.255/);
  });

  it('rejects an out without rip and rflags', () => {
    expect(() => parseVector('{"id":"o","mode":32,"code":"90","exc":null,"out":{"rax":"0x1"}}')).toThrow(/out must hold rip and rflags/);
  });
});

describe('compare', () => {
  it('finds nothing when the emulator did what the CPU did', () => {
    expect(compare(addVector(), addActual())).toEqual([]);
  });

  it('reports a register named in out that differs', () => {
    expect(compare(addVector(), addActual({ rax: 0x7fffffffn }))).toEqual([
      { field: 'rax', expected: '0x80000000', actual: '0x7fffffff' },
    ]);
  });

  it('reports a register absent from out that changed (absent = unchanged from init)', () => {
    expect(compare(addVector(), addActual({ rbx: 2n }))).toEqual([{ field: 'rbx', expected: '0x1', actual: '0x2' }]);
  });

  it('takes rsp as 0x20001000 and other registers as 0 when init does not name them', () => {
    expect(compare(addVector(), addActual({ rsp: 0x20000ffcn, rsi: 5n }))).toEqual([
      { field: 'rsp', expected: '0x20001000', actual: '0x20000ffc' },
      { field: 'rsi', expected: '0x0', actual: '0x5' },
    ]);
  });

  it('reports a register the emulator did not return as missing', () => {
    const a = addActual();
    delete (a.regs as Record<string, bigint>).rdi;
    expect(compare(addVector(), a)).toEqual([{ field: 'rdi', expected: '0x0', actual: 'missing' }]);
  });

  it('compares rflags only under fmask: (emulator ^ expected) & fmask', () => {
    const v = addVector({ fmask: '0xffffffef' });                       // AF undefined
    expect(compare(v, addActual({ rflags: 0xa96n ^ 0x10n }))).toEqual([]);
    expect(compare(v, addActual({ rflags: 0xa96n ^ 0x800n }))).toEqual([
      { field: 'rflags', expected: '0xa96', actual: '0x296' },
    ]);
  });

  it('counts only the low 32 bits of general registers in mode 32', () => {
    expect(compare(addVector(), addActual({ rax: 0xdead00000080000000n, rcx: 0x100000000n }))).toEqual([]);
  });

  it('ignores r8-r15 and xmm8-15 in mode 32', () => {
    expect(compare(addVector(), addActual({ r8: 5n, r15: 1n, xmm9: 3n }))).toEqual([]);
  });

  it('compares all 64 bits and r8-r15 in mode 64', () => {
    const v = addVector({ mode: 64 });
    expect(compare(v, addActual({ rax: 0x180000000n, r9: 1n }))).toEqual([
      { field: 'rax', expected: '0x80000000', actual: '0x180000000' },
      { field: 'r9', expected: '0x0', actual: '0x1' },
    ]);
  });

  it('skips the registers listed in x_undef', () => {
    const v = addVector({ x_undef: ['rax', 'rcx'] });
    expect(compare(v, addActual({ rax: 1n, rcx: 7n }))).toEqual([]);
  });

  it('compares XMM registers when the vector or the emulator names them', () => {
    const v = addVector({ out: { rip: '0x10000002', rflags: '0xa96', rax: '0x80000000', xmm1: '0xff' } });
    expect(compare(v, addActual())).toEqual([{ field: 'xmm1', expected: '0xff', actual: 'missing' }]);
    expect(compare(v, addActual({ xmm1: 0xffn, xmm0: 0n }))).toEqual([]);
    expect(compare(addVector(), addActual({ xmm2: 0x10n }))).toEqual([{ field: 'xmm2', expected: '0x0', actual: '0x10' }]);
  });

  it('reports an exception where the CPU finished normally', () => {
    const bad = compare(addVector(), addActual({}, { exc: { vec: 13, err: 0n, cr2: 0n } }));
    expect(bad).toEqual([{ field: 'exc', expected: 'none', actual: 'vec 13 err 0x0 cr2 0x0' }]);
  });

  it('reports a different error code for the same vector', () => {
    const v = addVector({ exc: { vec: 14, err: '0x6', cr2: '0x20002000', name: 'PF' } });
    expect(compare(v, addActual({}, { exc: { vec: 14, err: 4n, cr2: 0x20002000n } }))).toEqual([
      { field: 'exc.err', expected: '0x6', actual: '0x4' },
    ]);
  });

  it('compares CR2 for a page fault only', () => {
    const pf = addVector({ exc: { vec: 14, err: '0x6', cr2: '0x20002000' } });
    expect(compare(pf, addActual({}, { exc: { vec: 14, err: 6n, cr2: 0x20001ffen } }))).toEqual([
      { field: 'exc.cr2', expected: '0x20002000', actual: '0x20001ffe' },
    ]);
    const gp = addVector({ exc: { vec: 13, err: '0x0', cr2: '0x0' } });
    expect(compare(gp, addActual({}, { exc: { vec: 13, err: 0n, cr2: 0x1234n } }))).toEqual([]);
  });

  it('matches a syscall event only with the same event', () => {
    const v = addVector({ exc: { event: 'syscall' } });
    expect(compare(v, addActual({}, { exc: { event: 'syscall' } }))).toEqual([]);
    expect(compare(v, addActual({}, { exc: null }))).toEqual([{ field: 'exc', expected: 'event syscall', actual: 'none' }]);
  });

  it('compares memory writes byte for byte, however the runs are split', () => {
    const v = addVector({ memw: { '0x20000ffc': 'efbeadde' } });
    const split = [{ addr: 0x20000ffcn, bytes: new Uint8Array([0xef, 0xbe]) }, { addr: 0x20000ffen, bytes: new Uint8Array([0xad, 0xde]) }];
    expect(compare(v, addActual({}, { memw: split }))).toEqual([]);
  });

  it('reports missing, extra and wrong bytes as runs, unchanged shown as --', () => {
    const v = addVector({ memw: { '0x20000ffc': 'efbeadde' } });
    const actual = [{ addr: 0x20000ffcn, bytes: new Uint8Array([0xef, 0xbe, 0x00]) }, { addr: 0x20001010n, bytes: new Uint8Array([1]) }];
    expect(compare(v, addActual({}, { memw: actual }))).toEqual([
      { field: 'memw[0x20000ffe]', expected: 'adde', actual: '00--' },
      { field: 'memw[0x20001010]', expected: '--', actual: '01' },
    ]);
  });
});

describe('readVectorFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vectors-'));
  const lines = [SPEC_EXAMPLE, '', addVectorLine()];
  function addVectorLine() {
    return '{"id":"b","mode":32,"code":"90","init":{},"fmask":"0xffffffff","step":0}';
  }

  it('streams .jsonl files line by line, skipping blank lines', async () => {
    const f = join(dir, 'a.jsonl');
    writeFileSync(f, lines.join('\n') + '\n');
    const ids: string[] = [];
    for await (const e of readVectorFiles([f])) ids.push(`${e.line}:${e.vector.id}`);
    expect(ids).toEqual(['1:g1', '3:b']);
  });

  it('gunzips .jsonl.gz files', async () => {
    const f = join(dir, 'a.jsonl.gz');
    writeFileSync(f, gzipSync(lines.join('\n')));
    const ids: string[] = [];
    for await (const e of readVectorFiles([f])) ids.push(e.vector.id);
    expect(ids).toEqual(['g1', 'b']);
  });

  it('names the file and line of a bad vector', async () => {
    const f = join(dir, 'bad.jsonl');
    writeFileSync(f, `${SPEC_EXAMPLE}\n{"id":"z","mode":99,"code":"90"}\n`);
    const read = async () => { for await (const e of readVectorFiles([f])) void e; };
    await expect(read()).rejects.toThrow(`${f}:2: vector z: "mode" must be 32 or 64`);
  });

  it('fails with the file name when a file cannot be read', async () => {
    const f = join(dir, 'absent.jsonl');
    const read = async () => { for await (const e of readVectorFiles([f])) void e; };
    await expect(read()).rejects.toThrow(/absent\.jsonl/);
  });
});
