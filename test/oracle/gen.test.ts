// The vector generator (gen.ts, gen-forms.ts, gen-raw.ts) and the undefined-flags rules (flags.ts):
// determinism, coverage of the forms table, well-formed input vectors, and the raw kind never
// producing an encoding the oracle cannot judge.
import { describe, expect, it } from 'vitest';
import { generate, parseArgs } from './gen.ts';
import { FORMS, kindOf, rowName } from './forms.ts';
import { FORMS64 } from './forms64.ts';
import { SSE_FORMS } from './forms-sse.ts';
import { X87_FORMS } from './gen-x87.ts';
import { decode, excluded, formOf } from './gen-raw.ts';
import { decode64, excluded64, explicitAddress, unsafeAddress, LOW_LIMIT } from './gen-raw64.ts';
import { AF, ARITH, CF, OF, PF, SF, ZF, undefinedFlags } from './flags.ts';
import { parseVector, hasResult } from '../../workers/vectors/format.ts';

const take = (kind: 'forms' | 'raw', seed: number, n: number) => [...generate(kind, seed, n)];

describe('generator', () => {
  it('gives the same vectors for the same seed', () => {
    expect(take('forms', 5, 300)).toEqual(take('forms', 5, 300));
    expect(take('raw', 5, 300)).toEqual(take('raw', 5, 300));
  });

  it('gives different vectors for another seed', () => {
    expect(take('forms', 5, 50)).not.toEqual(take('forms', 6, 50));
  });

  it('visits every row of the forms table in the first FORMS.length vectors', () => {
    const ops = take('forms', 1, FORMS.length).map((l) => JSON.parse(l).x_op as string);
    const rows = new Set(ops.map(rowName));
    expect(rows).toEqual(new Set(FORMS.map((f) => f.name)));
  });

  it('writes input vectors: mode 32, no result, code within the page, memory inside the window', () => {
    for (const line of [...take('forms', 2, 3000), ...take('raw', 2, 1000)]) {
      const v = parseVector(line);
      expect(v.mode).toBe(32);
      expect(hasResult(v)).toBe(false);
      expect(v.code.length).toBeGreaterThan(0);
      expect(v.code.length).toBeLessThan(4096);
      for (const r of v.initMem) {
        expect(r.addr).toBeGreaterThanOrEqual(0x20000000n);
        expect(r.addr + BigInt(r.bytes.length)).toBeLessThanOrEqual(0x20002000n);
      }
      const fl = v.init.get('rflags') ?? 0x202n;
      expect(fl & 0x202n).toBe(0x202n);                  // IF and bit 1
      expect(fl & 0x100n).toBe(0n);                      // never TF: the oracle owns it
      expect(v.fmask & 0x10000n).toBe(0n);               // RF is never comparable
    }
  });

  it('makes raw vectors of 1..15 bytes, single-stepped, never of an excluded encoding', () => {
    for (const line of take('raw', 3, 3000)) {
      const v = parseVector(line);
      expect(v.step).toBe(1);
      expect(v.code.length).toBeGreaterThanOrEqual(1);
      expect(v.code.length).toBeLessThanOrEqual(15);
      expect(v.fmask & 0x100n).toBe(0n);                 // TF drives the single step
      expect(excluded(decode([...v.code, ...new Array(15).fill(0xcc)]))).toBeNull();
    }
  });

  it('excludes what the oracle cannot judge: int1, SLDT, CPUID, RDTSC, x87, VEX, PUSHF under single-step', () => {
    const why = (b: number[]) => excluded(decode([...b, ...new Array(15).fill(0xcc)]));
    expect(why([0xf1])).toMatch(/INT1/);
    expect(why([0x0f, 0x00, 0xc0])).toMatch(/SLDT/);
    expect(why([0x0f, 0xa2])).toMatch(/CPUID/);
    expect(why([0x0f, 0x31])).toMatch(/RDTSC/);
    expect(why([0xd9, 0xc0])).toMatch(/x87/);
    expect(why([0xc5, 0xf8, 0x77])).toMatch(/VEX/);
    expect(why([0x66, 0x9c])).toMatch(/PUSHF/);
    expect(why([0x0f, 0x05])).toMatch(/SYSCALL/);
    expect(why([0xf3, 0xe0, 0x10])).toMatch(/LOOPE\/LOOPNE/);
    expect(why([0xe0, 0x10])).toBeNull();
    expect(why([0xf0, 0x0f, 0x22, 0x00])).toMatch(/CR8/);
    expect(why([0x01, 0xd8])).toBeNull();
    expect(why([0xc5, 0x00])).toBeNull();               // lds eax,[eax] is not VEX
  });

  it('gives the undocumented aliases the flags rule of the form they alias (D1 /6 = SHL, F7 /1 = TEST)', () => {
    const fm = (b: number[]) => formOf(decode([...b, ...new Array(15).fill(0xcc)]))?.name;
    expect(fm([0xd1, 0xf0])).toBe('shl Ev,1');
    expect(fm([0xf7, 0xc8, 1, 2, 3, 4])).toBe('test Ev,Iz');
  });

  it('marks BSWAP r16 as an undefined result', () => {
    const bswap16 = take('forms', 9, 20000).map((l) => JSON.parse(l)).find((v) => v.x_op === 'bswap Zv o16');
    expect(bswap16.x_undef).toHaveLength(1);
  });

  it('refuses a mode its kind does not generate, and bad arguments, with a clear message', () => {
    expect(() => parseArgs(['--mode', '64'])).toThrow(/--kind forms generates mode 32/);
    expect(() => parseArgs(['--kind', 'sse', '--mode', '32'])).toThrow(/--kind sse generates mode 64/);
    expect(parseArgs(['--kind', 'x87']).mode).toBe(64);
    expect(() => parseArgs(['--kind', 'x'])).toThrow(/--kind must be forms, raw, sse, x87 or int/);
    expect(() => parseArgs(['--count', '-1'])).toThrow(/--count needs a non-negative integer/);
  });
});

describe('mode-64 generators (sse, x87)', () => {
  const gen = (kind: 'sse' | 'x87', seed: number, n: number) => [...generate(kind, seed, n)];

  it('are deterministic per seed', () => {
    expect(gen('sse', 3, 200)).toEqual(gen('sse', 3, 200));
    expect(gen('x87', 3, 200)).toEqual(gen('x87', 3, 200));
    expect(gen('sse', 3, 50)).not.toEqual(gen('sse', 4, 50));
  });

  it('visit every row of their tables in the first rows-many vectors', () => {
    for (const [kind, rows] of [['sse', SSE_FORMS], ['x87', X87_FORMS]] as const) {
      const ops = gen(kind, 1, rows.length).map((l) => JSON.parse(l).x_op as string);
      const seen = new Set(ops.map((o) => o.split(' ').filter((w) => !['a32', 'seg', 'ac', 'cw', 'wait'].includes(w)).join(' ')));
      expect(rows.map((r) => r.name).filter((n) => !seen.has(n))).toEqual([]);
    }
  });

  it('write mode-64 input vectors whose memory lies in the window and whose XMM values are 128-bit', () => {
    for (const line of [...gen('sse', 5, 3000), ...gen('x87', 5, 1000)]) {
      const v = parseVector(line);
      expect(v.mode).toBe(64);
      expect(hasResult(v)).toBe(false);
      for (const r of v.initMem) {
        expect(r.addr).toBeGreaterThanOrEqual(0x20000000n);
        expect(r.addr + BigInt(r.bytes.length)).toBeLessThanOrEqual(0x20002000n);
      }
      for (const [name, val] of v.init) if (name.startsWith('xmm')) expect(val >> 128n).toBe(0n);
      expect(v.fmask & 0x10000n).toBe(0n);
    }
  });

  it('aim RIP-relative operands at the address they meant (the displacement counts from the end of the instruction)', () => {
    // movaps xmmN,[rip+d] is 0f 28 (05 | N<<3) d32: 7 bytes at 0x10000000, so d = target - 0x10000007,
    // and the generator put the operand's bytes at the target.
    const vs = gen('sse', 7, 20000).map((l) => JSON.parse(l)).filter((x) => /^0f28[0-3][5d]/.test(x.code) && x.code.length === 14 && x.init.mem);
    expect(vs.length).toBeGreaterThan(0);
    for (const v of vs) {
      const d = Number(BigInt.asIntN(32, BigInt('0x' + v.code.slice(6, 14).match(/../g)!.reverse().join(''))));
      expect(Object.keys(v.init.mem)).toContain('0x' + (0x10000007 + d).toString(16));
    }
  });

  it('end every x87 sequence with fnsave [rbp] so the whole FPU state is compared', () => {
    for (const l of gen('x87', 9, 300)) expect(JSON.parse(l).code.endsWith('dd7500')).toBe(true);
  });
});

describe('undefined flags (Intel SDM / AMD APM)', () => {
  it('leaves AF undefined after logic operations', () => {
    expect(undefinedFlags('logic', { size: 32 })).toBe(AF);
  });

  it('changes no flags for a shift or rotate by a masked count of 0', () => {
    for (const r of ['shl', 'shr', 'sar', 'rot', 'rc', 'shd'] as const) expect(undefinedFlags(r, { size: 32, count: 32 })).toBe(0);
  });

  it('defines OF only for shifts by 1', () => {
    expect(undefinedFlags('shl', { size: 32, count: 1 })).toBe(AF);
    expect(undefinedFlags('shl', { size: 32, count: 2 })).toBe(AF | OF);
  });

  it('leaves CF undefined for SHL/SHR of 8/16-bit operands by the operand size or more, not for SAR', () => {
    expect(undefinedFlags('shr', { size: 8, count: 8 })).toBe(AF | OF | CF);
    expect(undefinedFlags('shl', { size: 16, count: 17 })).toBe(AF | OF | CF);
    expect(undefinedFlags('sar', { size: 8, count: 9 })).toBe(AF | OF);
  });

  it('leaves every arithmetic flag undefined for SHLD/SHRD beyond the operand size', () => {
    expect(undefinedFlags('shd', { size: 16, count: 17 })).toBe(ARITH);
    expect(undefinedFlags('shd', { size: 16, count: 16 })).toBe(AF | OF);
  });

  it('follows the table for MUL, DIV, BSF/BSR, BT, LZCNT/TZCNT and BCD', () => {
    expect(undefinedFlags('mul', { size: 32 })).toBe(SF | ZF | AF | PF);
    expect(undefinedFlags('div', { size: 32 })).toBe(ARITH);
    expect(undefinedFlags('bsx', { size: 32 })).toBe(CF | OF | SF | AF | PF);
    expect(undefinedFlags('bt', { size: 32 })).toBe(OF | SF | AF | PF);
    expect(undefinedFlags('cnt', { size: 32 })).toBe(OF | SF | AF | PF);
    expect(undefinedFlags('aaa', { size: 8 })).toBe(OF | SF | ZF | PF);
    expect(undefinedFlags('aam', { size: 8 })).toBe(OF | AF | CF);
    expect(undefinedFlags('daa', { size: 8 })).toBe(OF);
  });
});

describe('raw kind in mode 64 (gen-raw64.ts)', () => {
  const raw64 = (seed: number, n: number) => [...generate('raw', seed, n, 64)];
  const run = (b: number[]) => [...b, ...new Array(15).fill(0xcc)];

  it('is deterministic per seed and accepted by parseArgs with --mode 64', () => {
    expect(raw64(4, 300)).toEqual(raw64(4, 300));
    expect(raw64(4, 50)).not.toEqual(raw64(5, 50));
    expect(parseArgs(['--kind', 'raw', '--mode', '64']).mode).toBe(64);
  });

  it('makes single-stepped mode-64 vectors of 1..15 bytes, never of an excluded encoding', () => {
    for (const line of raw64(6, 3000)) {
      const v = parseVector(line);
      expect(v.mode).toBe(64);
      expect(v.step).toBe(1);
      expect(v.code.length).toBeGreaterThanOrEqual(1);
      expect(v.code.length).toBeLessThanOrEqual(15);
      expect(excluded64(decode64(run([...v.code])))).toBeNull();
      for (const r of v.initMem) {
        expect(r.addr).toBeGreaterThanOrEqual(0x20000000n);
        expect(r.addr + BigInt(r.bytes.length)).toBeLessThanOrEqual(0x20002000n);
      }
    }
  });

  it('never forms an address where the oracle process has memory (1 TiB .. 2^47)', () => {
    const names = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
    for (const line of raw64(7, 5000)) {
      const v = parseVector(line);
      const regs = names.map((n) => v.init.get(n) ?? (n === 'rsp' ? 0x20001000n : 0n));
      for (const r of regs) expect(r >= LOW_LIMIT / 2n && r < 1n << 48n, `0x${r.toString(16)}`).toBe(false);
      const ea = explicitAddress(decode64(run([...v.code])), regs);
      if (ea !== null) expect(unsafeAddress(ea)).toBe(false);
    }
  });

  it('decodes REX as the SDM says: only right before the opcode, the last one wins', () => {
    expect(decode64(run([0x48, 0x66, 0x01, 0xc0])).opsize).toBe(16);   // REX voided by 66
    expect(decode64(run([0x66, 0x48, 0x01, 0xc0])).opsize).toBe(64);
    expect(decode64(run([0x48, 0x40, 0x01, 0xc0])).opsize).toBe(32);   // two REX: the last
    expect(decode64(run([0x67, 0x8b, 0x00])).asize).toBe(32);
  });

  it('computes the address of base + index*scale + disp, RIP-relative, moffs and BT bit offsets', () => {
    const regs = new Array<bigint>(16).fill(0n);
    regs[3] = 0x20000000n; regs[9] = 0x10n;
    expect(explicitAddress(decode64(run([0x42, 0x8b, 0x44, 0x8b, 0x08])), regs)).toBe(0x20000048n);  // mov eax, [rbx+r9*4+8]
    expect(explicitAddress(decode64(run([0x48, 0xa1, 0, 0, 0, 0, 0, 0, 0x10, 0])), regs)).toBe(0x10000000000000n);
    regs[1] = 1n << 40n;
    expect(explicitAddress(decode64(run([0x48, 0x0f, 0xa3, 0x0b])), regs)).toBe(0x20000000n + (1n << 37n)); // bt [rbx], rcx
    expect(unsafeAddress(0x20000000n + (1n << 37n))).toBe(false);
    expect(unsafeAddress(0x5555_5555_0000n)).toBe(true);
    expect(unsafeAddress(0xffff_ffff_8000_0000n)).toBe(false);           // kernel half: a #PF with P=1
  });

  it('excludes what the oracle cannot judge in 64-bit mode and keeps what every CPU #UDs', () => {
    const why = (b: number[]) => excluded64(decode64(run(b)));
    expect(why([0xc5, 0xf8, 0x77])).toMatch(/VEX/);                      // vzeroupper (AVX)
    expect(why([0xc4, 0xe2, 0x78, 0xf2, 0xc0])).toBeNull();              // andn eax, eax, eax (BMI1)
    expect(why([0xc4, 0xe2, 0x79, 0xf7, 0xc0])).toMatch(/VEX/);          // shlx (BMI2: not advertised)
    expect(why([0x62, 0xf1, 0x7c, 0x48, 0x28, 0xc0])).toMatch(/EVEX/);
    expect(why([0x0f, 0x38, 0x00, 0xc0])).toMatch(/0F 38/);
    expect(why([0xcd, 0x80])).toMatch(/INT 0x80/);
    expect(why([0x0f, 0x05])).toBeNull();                                // SYSCALL: an event the oracle records
    expect(why([0x0f, 0x34])).toMatch(/SYSENTER/);
    expect(why([0xd6])).toBeNull();                                      // SALC: #UD in 64-bit mode
    expect(why([0x17])).toBeNull();                                      // POP SS: #UD in 64-bit mode
    expect(why([0x9c])).toMatch(/PUSHF/);
  });
});

describe('int kind: the general-purpose forms of 64-bit mode (forms64.ts, gen-int64.ts)', () => {
  const int = (seed: number, n: number) => [...generate('int', seed, n)].map((l) => JSON.parse(l));

  it('is deterministic per seed, mode 64 by default', () => {
    expect(int(3, 500)).toEqual(int(3, 500));
    expect(int(3, 50)).not.toEqual(int(4, 50));
    expect(parseArgs(['--kind', 'int']).mode).toBe(64);
    expect(() => parseArgs(['--kind', 'int', '--mode', '32'])).toThrow(/--kind int generates mode 64/);
  });

  it('visits every row of FORMS64 in the first rows-many vectors, and no row is a mode-32 leftover', () => {
    const seen = new Set(int(1, FORMS64.length).map((v) => rowName(v.x_op)));
    expect(FORMS64.map((f) => f.name).filter((n) => !seen.has(n))).toEqual([]);
    expect(FORMS64.filter((f) => f.bytes[0] === 0x82 && kindOf(f) !== 'i64')).toEqual([]);
  });

  it('writes input vectors: mode 64, no result, memory inside the window, RF out of fmask, TF never set', () => {
    for (const line of generate('int', 5, 5000)) {
      const v = parseVector(line);
      expect([v.mode, hasResult(v)]).toEqual([64, false]);
      expect(v.initMem.filter((r) => r.addr < 0x20000000n || r.addr + BigInt(r.bytes.length) > 0x20002000n)).toEqual([]);
      expect((v.init.get('rflags') ?? 0x202n) & 0x100n).toBe(0n);
      expect(v.fmask & 0x10000n).toBe(0n);
    }
  });

  it('marks the opcodes the SDM calls i64 and gives them bytes every CPU refuses (62 with EVEX.P1[2] = 0, C4 with map 0)', () => {
    const vs = int(6, 30000).filter((v) => FORMS64.find((f) => f.name === rowName(v.x_op))?.attrs.includes('k=i64'));
    expect(new Set(vs.map((v) => rowName(v.x_op))).size).toBe(23);
    const strip = (c: string) => c.replace(/^(66|48|41|40|f3)/, '');
    for (const v of vs.filter((x) => strip(x.code).startsWith('62'))) expect(parseInt(strip(v.code).slice(4, 6), 16) & 4).toBe(0);
    for (const v of vs.filter((x) => strip(x.code).startsWith('c4'))) expect(parseInt(strip(v.code).slice(2, 4), 16) & 0x1f).toBe(0);
  });

  it('uses REX.W B8+r with a 64-bit immediate (MOVABS) and 8-byte moffs unless 67h', () => {
    const vs = int(7, 60000);
    expect(vs.some((v) => /^4[89a-f]b[89a-f][0-9a-f]{16}/.test(v.code) && v.x_op.startsWith('mov Zv,Iv'))).toBe(true);
    for (const v of vs.filter((x) => x.x_op.startsWith('mov AL,Ob') && !x.x_op.includes('a32') && !x.x_op.includes('seg'))) {
      expect(v.code.replace(/^(66|3e|f0|4[0-9a-f])*/, '')).toMatch(/^a0[0-9a-f]{16}/);
    }
  });

  it('generates neither 66h on near branches (vendor-specific target size) nor REX.W far pointers (Intel only)', () => {
    for (const v of int(8, 40000)) {
      const f = FORMS64.find((x) => x.name === rowName(v.x_op))!;
      if (f.attrs.includes('f64')) expect(v.x_op).not.toMatch(/ o16/);
      if (['far', 'lseg'].includes(kindOf(f))) expect(v.x_op).not.toMatch(/ w( |$)/);
    }
  });

  it('aims RIP-relative operands at the address they meant (relative to the end of the instruction)', () => {
    // mov r32,[rip+d]: 8b (05 | r<<3) d32, no prefix: 6 bytes at 0x10000000, the operand at 0x10000006 + d.
    const vs = int(9, 60000).filter((v) => /^8b[0-3][5d]/.test(v.code) && v.x_op === 'mov Gv,Ev' && v.init.mem);
    expect(vs.length).toBeGreaterThan(0);
    for (const v of vs) {
      const d = Number(BigInt.asIntN(32, BigInt('0x' + v.code.slice(4, 12).match(/../g)!.reverse().join(''))));
      expect(Object.keys(v.init.mem)).toContain('0x' + (0x10000006 + d).toString(16));
    }
  });

  it('leaves undefined results out of the comparison: BSWAP r16, SHLD/SHRD r16 beyond 16, SYSCALL and Linux INT 0x80 registers', () => {
    const vs = int(10, 80000);
    expect(vs.find((v) => v.x_op === 'bswap Zv o16')?.x_undef).toHaveLength(1);
    expect(vs.find((v) => v.x_op.startsWith('syscall'))?.x_undef).toEqual(['rcx', 'r11']);
    expect(vs.find((v) => v.x_op.startsWith('int Ib') && /cd80/.test(v.code))?.x_undef).toEqual(['rax']);
  });
});
