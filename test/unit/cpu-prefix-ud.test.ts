// Instructions that a mandatory-prefix position makes invalid: an "NP" form (SDM vol. 2, 3.1.1.1:
// 66, F2 and F3 may not be used) raises #UD when one of them is present, before its memory operand
// is checked. Each case is a vector recorded on the reference CPU (AMD Zen 5, build/oracle/oracle,
// shared/test-vectors.md format) and replayed on the bare machine; MOVNTI (0F C3 /r) so far.
import { beforeEach, describe, expect, it } from 'vitest';
import { BareMachine, runVector, type Vector } from '../helpers/bare-machine.ts';

const UD = { vec: 6, err: '0x0' };
/** The oracle's result for the 4-byte store of 0x11223344 to 0x20000100 and for #UD. */
const STORED = { exc: null, out: { rip: '0x10000003', rflags: '0x202' }, memw: { '0x20000100': '44332211' } };
const UNDEFINED = { exc: UD, out: { rip: '0x10000000', rflags: '0x202' }, memw: {} };
const ARGS = { rax: '0x11223344', rbx: '0x20000100' };

// [title, mode, code, init, result] as the oracle recorded them.
const MOVNTI: [string, 32 | 64, string, Record<string, string>, Pick<Vector, 'exc' | 'out' | 'memw'>][] = [
  ['without a prefix stores Gd to memory', 64, '0fc303', ARGS, STORED],
  ['with REX.W stores Gq to memory', 64, '480fc303', { rax: '0x1122334455667788', rbx: '0x20000100' },
    { exc: null, out: { rip: '0x10000004', rflags: '0x202' }, memw: { '0x20000100': '8877665544332211' } }],
  ['with 66 is #UD', 64, '660fc303', ARGS, UNDEFINED],
  ['with F2 is #UD', 64, 'f20fc303', ARGS, UNDEFINED],
  ['with F3 is #UD', 64, 'f30fc303', ARGS, UNDEFINED],
  ['with 66 and REX.W is #UD', 64, '66480fc303', { rax: '0x1122334455667788', rbx: '0x20000100' }, UNDEFINED],
  ['with F3 F2 is #UD', 64, 'f3f20fc303', ARGS, UNDEFINED],
  ['with F2 and [rax] is #UD (the bytes the raw vectors found)', 64, 'f20fc300', { rax: '0x20000100' }, UNDEFINED],
  ['with F2 is #UD even when the address is unmapped (#UD before #PF)', 64, 'f20fc303', { rax: '0x11223344', rbx: '0x30000000' }, UNDEFINED],
  ['without a prefix to an unmapped address is #PF(W|U)', 64, '0fc303', { rax: '0x11223344', rbx: '0x30000000' },
    { exc: { vec: 14, err: '0x6', cr2: '0x30000000' }, out: { rip: '0x10000000', rflags: '0x202' }, memw: {} }],
  ['with a register operand (mod = 11) is #UD', 64, '0fc3c3', {}, UNDEFINED],
  ['without a prefix stores Gd to memory', 32, '0fc303', ARGS, STORED],
  ['with 66 is #UD', 32, '660fc303', ARGS, UNDEFINED],
  ['with F2 is #UD', 32, 'f20fc303', ARGS, UNDEFINED],
  ['with F3 is #UD', 32, 'f30fc303', ARGS, UNDEFINED],
  ['with 66 is #UD even when the address is unmapped (#UD before #PF)', 32, '660fc303', { rax: '0x11223344', rbx: '0x30000000' }, UNDEFINED],
];

describe('MOVNTI My, Gy (0F C3 /r) is NP: 66, F2 or F3 make it #UD', () => {
  let machines: Record<32 | 64, BareMachine>;
  beforeEach(() => { machines = { 32: new BareMachine(32), 64: new BareMachine(64) }; });

  for (const [title, mode, code, init, result] of MOVNTI) {
    it(`mode ${mode}: ${code.match(/../g)!.join(' ')} ${title}`, () => {
      const v: Vector = { id: `movnti-${mode}-${code}`, mode, code, init, exc: result.exc, out: result.out, memw: result.memw };
      expect(runVector(machines[mode], v)).toEqual([]);
    });
  }
});
