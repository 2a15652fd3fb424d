// Integer instructions of the interpreter, as specifications: arithmetic and its flags, multiply and
// divide (with #DE), shifts and rotates, bit instructions, CMOV/SETcc, atomics, conversions and BCD.
// Each case gives the bytes with their disassembly and the expected registers and flags; expected
// values follow the Intel SDM and were checked against the reference CPU (the oracle of
// test-vectors.md) where the SDM leaves a choice.
import { beforeEach, describe, expect, it } from 'vitest';
import { BareMachine, DATA_VA, CF, PF, AF, ZF, SF, OF, ARITH } from '../helpers/bare-machine.ts';

let m: BareMachine;
beforeEach(() => { m = new BareMachine(64); });
const arith = () => m.flags() & ARITH;

describe('add, sub and friends', () => {
  it('ADD sets CF on unsigned carry and OF on signed overflow', () => {
    m.set('rax', 0x7fff_ffffn).set('rbx', 1);
    m.run('01d8'); // add eax, ebx
    expect(m.get('rax')).toBe(0x8000_0000n);
    expect(arith()).toBe(OF | SF | AF | PF);
  });
  it('ADC adds the carry; SBB subtracts it', () => {
    m.set('rax', 0xffff_ffff_ffff_ffffn).set('rbx', 0).setFlags(0x202n | CF);
    m.run('4811d8'); // adc rax, rbx
    expect(m.get('rax')).toBe(0n);
    expect(arith() & (CF | ZF)).toBe(CF | ZF);
    m.set('rax', 0).set('rbx', 0).setFlags(0x202n | CF);
    m.run('4819d8'); // sbb rax, rbx
    expect(m.get('rax')).toBe(0xffff_ffff_ffff_ffffn);
    expect(arith() & (CF | SF)).toBe(CF | SF);
  });
  it('CMP sets flags without writing; JB/JL then see unsigned and signed order', () => {
    m.set('rax', 1).set('rbx', 0xffff_ffffn);
    m.run('39d8' + '0f92c1' + '0f9cc2'); // cmp eax, ebx ; setb cl ; setl dl
    expect(m.get('rax')).toBe(1n);
    expect(m.get('rcx') & 0xffn).toBe(1n); // 1 < 0xffffffff unsigned
    expect(m.get('rdx') & 0xffn).toBe(0n); // 1 > -1 signed
  });
  it('INC and DEC keep CF', () => {
    m.set('rax', 0xffn).setFlags(0x202n | CF);
    m.run('fec0'); // inc al
    expect(m.get('rax')).toBe(0n);
    expect(arith() & (CF | ZF | AF)).toBe(CF | ZF | AF);
  });
  it('NEG sets CF unless the operand was zero', () => {
    m.set('rax', 5);
    m.run('f7d8'); // neg eax
    expect(m.get('rax')).toBe(0xffff_fffbn);
    expect(arith() & CF).toBe(CF);
    m.set('rax', 0);
    m.run('f7d8');
    expect(arith() & (CF | ZF)).toBe(ZF);
  });
  it('XOR clears CF and OF and zero-extends', () => {
    m.set('rax', 0xffff_ffff_ffff_ffffn).setFlags(0x202n | CF | OF);
    m.run('31c0'); // xor eax, eax
    expect(m.get('rax')).toBe(0n);
    expect(arith() & (CF | OF | ZF | PF)).toBe(ZF | PF);
  });
  it('a read-modify-write on memory writes back and then sets the flags', () => {
    m.set('rbx', DATA_VA).write32(DATA_VA, 0xffff_ffff);
    m.run('830301'); // add dword [rbx], 1
    expect(m.read32(DATA_VA)).toBe(0);
    expect(arith() & (CF | ZF)).toBe(CF | ZF);
  });
});

describe('multiply and divide', () => {
  it('MUL r64 gives a 128-bit product in RDX:RAX with CF = OF = high half non-zero', () => {
    m.set('rax', 0xffff_ffff_ffff_ffffn).set('rbx', 0xffff_ffff_ffff_ffffn);
    m.run('48f7e3'); // mul rbx
    expect(m.get('rax')).toBe(1n);
    expect(m.get('rdx')).toBe(0xffff_ffff_ffff_fffen);
    expect(arith() & (CF | OF)).toBe(CF | OF);
  });
  it('IMUL r64 one-operand sign-extends the 128-bit product', () => {
    m.set('rax', 0x8000_0000_0000_0000n).set('rbx', 2);
    m.run('48f7eb'); // imul rbx
    expect(m.get('rax')).toBe(0n);
    expect(m.get('rdx')).toBe(0xffff_ffff_ffff_ffffn);
    expect(arith() & (CF | OF)).toBe(CF | OF);
  });
  it('IMUL r32, r/m32, imm8 truncates and flags the overflow', () => {
    m.set('rbx', 0x4000_0000n);
    m.run('6bc304'); // imul eax, ebx, 4
    expect(m.get('rax')).toBe(0n);
    expect(arith() & (CF | OF)).toBe(CF | OF);
    m.set('rbx', 0xffff_fffen); // -2
    m.run('6bc303'); // imul eax, ebx, 3
    expect(m.get('rax')).toBe(0xffff_fffan);
    expect(arith() & (CF | OF)).toBe(0n);
  });
  it('DIV r64 divides RDX:RAX (128 bits)', () => {
    m.set('rax', 5).set('rdx', 1).set('rbx', 0x10);
    m.run('48f7f3'); // div rbx
    expect(m.get('rax')).toBe(0x1000_0000_0000_0000n);
    expect(m.get('rdx')).toBe(5n);
  });
  it('IDIV rounds toward zero and the remainder takes the sign of the dividend', () => {
    m.set('rax', 0xffff_ffff_ffff_fff9n).set('rdx', 0xffff_ffff_ffff_ffffn).set('rbx', 2); // -7 / 2
    m.run('48f7fb'); // idiv rbx
    expect(m.get('rax')).toBe(0xffff_ffff_ffff_fffdn); // -3
    expect(m.get('rdx')).toBe(0xffff_ffff_ffff_ffffn); // -1
  });
  it('DIV by zero and a quotient that does not fit are #DE, with nothing written', () => {
    m.set('rax', 5).set('rdx', 0x10).set('rbx', 0x10);
    expect(m.run('48f7f3')).toMatchObject({ exit: 'exception', vector: 0 }); // div rbx: quotient >= 2^64
    expect(m.get('rax')).toBe(5n);
    m.set('rbx', 0);
    expect(m.run('f7f3')).toMatchObject({ vector: 0 }); // div ebx by 0
  });
  it('IDIV of the most negative value by -1 is #DE', () => {
    m.set('rax', 0x8000_0000n).set('rdx', 0xffff_ffffn).set('rbx', 0xffff_ffffn);
    expect(m.run('f7fb')).toMatchObject({ vector: 0 }); // idiv ebx
  });
});

describe('shifts and rotates', () => {
  it('SHL by CL masks the count to 5 bits for 32-bit operands', () => {
    m.set('rax', 1).set('rcx', 33);
    m.run('d3e0'); // shl eax, cl
    expect(m.get('rax')).toBe(2n);
  });
  it('a zero count changes no flags but still zero-extends a 32-bit register', () => {
    m.set('rax', 0xffff_ffff_0000_0001n).set('rcx', 0).setFlags(0x202n | CF | OF);
    m.run('d3e0'); // shl eax, cl
    expect(m.get('rax')).toBe(1n);
    expect(arith()).toBe(CF | OF);
  });
  it('SAR keeps the sign and CF is the last bit shifted out', () => {
    m.set('rax', 0x8000_0003n);
    m.run('c1f802'); // sar eax, 2
    expect(m.get('rax')).toBe(0xe000_0000n);
    expect(arith() & CF).toBe(CF);
  });
  it('RCL rotates through CF; OF = MSB xor CF for a count of 1', () => {
    m.set('rax', 0x8000_0000_0000_0000n).setFlags(0x202n);
    m.run('48d1d0'); // rcl rax, 1
    expect(m.get('rax')).toBe(0n);
    expect(arith() & (CF | OF)).toBe(CF | OF);
  });
  it('RCR on a byte rotates 9 bits (count taken modulo 9)', () => {
    m.set('rax', 0x01).setFlags(0x202n | CF);
    m.run('c0d809'); // rcr al, 9  (9 mod 9 = 0: nothing moves)
    expect(m.get('rax')).toBe(1n);
    expect(arith() & CF).toBe(CF);
    m.run('c0d802'); // rcr al, 2: (CF=1, AL=01) -> (CF=1, AL=80) -> (CF=0, AL=C0)
    expect(m.get('rax')).toBe(0xc0n);
    expect(arith() & CF).toBe(0n);
  });
  it('ROL sets CF to the bit that came round', () => {
    m.set('rax', 0x80);
    m.run('d0c0'); // rol al, 1
    expect(m.get('rax')).toBe(1n);
    expect(arith() & CF).toBe(CF);
  });
  it('SHLD shifts bits of the source into the destination', () => {
    m.set('rax', 0x1234_5678n).set('rbx', 0x9abc_def0n);
    m.run('0fa4d808'); // shld eax, ebx, 8
    expect(m.get('rax')).toBe(0x3456_789an);
  });
  it('SHRD with a count above 16 on 16-bit operands shifts G:G:E, as the reference CPU does', () => {
    m.set('rax', 0x0001).set('rbx', 0x0ae7).set('rcx', 17);
    m.run('660fadd8'); // shrd ax, bx, cl
    expect(m.get('rax')).toBe(0x8573n);
  });
});

describe('bit instructions', () => {
  it('BT with a register takes the offset modulo the operand width', () => {
    m.set('rax', 0x44).set('rbx', 0x42);
    m.run('480fa3d8'); // bt rax, rbx  (bit 2 of 0x44)
    expect(arith() & CF).toBe(CF);
  });
  it('BT with memory addresses the bit string with the signed offset', () => {
    m.set('rbx', DATA_VA + 0x800n).set('rcx', 0xffff_ffe1n); // -31: bit 1 of the dword at -4
    m.write32(DATA_VA + 0x7fcn, 2);
    m.run('0fa30b'); // bt [rbx], ecx
    expect(arith() & CF).toBe(CF);
  });
  it('BTS sets the bit in memory and returns the old one in CF', () => {
    m.set('rbx', DATA_VA);
    m.run('0fba2b05'); // bts dword [rbx], 5
    expect(m.read32(DATA_VA)).toBe(0x20);
    expect(arith() & CF).toBe(0n);
  });
  it('BSF / BSR with a zero source leave the destination unchanged (all 64 bits) and set ZF', () => {
    m.set('rax', 0xffff_ffff_ffff_ffffn).set('rcx', 0);
    m.run('0fbcc1'); // bsf eax, ecx
    expect(m.get('rax')).toBe(0xffff_ffff_ffff_ffffn);
    expect(arith() & ZF).toBe(ZF);
    m.set('rcx', 0x80);
    m.run('0fbdc1'); // bsr eax, ecx
    expect(m.get('rax')).toBe(7n);
    expect(arith() & ZF).toBe(0n);
  });
  it('POPCNT counts bits and sets ZF for a zero source', () => {
    m.set('rcx', 0xf0f0n);
    m.run('f3480fb8c1'); // popcnt rax, rcx
    expect(m.get('rax')).toBe(8n);
    expect(arith()).toBe(0n);
  });
  it('BSWAP reverses the bytes', () => {
    m.set('rax', 0x1122_3344_5566_7788n);
    m.run('480fc8'); // bswap rax
    expect(m.get('rax')).toBe(0x8877_6655_4433_2211n);
  });
});

describe('BMI1 / ABM (advertised: TZCNT and LZCNT are not BSF and BSR here)', () => {
  it('TZCNT of zero gives the operand width and sets CF', () => {
    m.set('rcx', 0);
    m.run('f30fbcc1'); // tzcnt eax, ecx
    expect(m.get('rax')).toBe(32n);
    expect(arith() & CF).toBe(CF);
  });
  it('LZCNT counts leading zeros', () => {
    m.set('rcx', 0x0000_ffffn);
    m.run('f30fbdc1'); // lzcnt eax, ecx
    expect(m.get('rax')).toBe(16n);
  });
  it('ANDN computes ~src1 & src2 (VEX.LZ.0F38 F2)', () => {
    m.set('rbx', 0xf0f0).set('rcx', 0xffff);
    m.run('c4e260f2c1'); // andn eax, ebx, ecx
    expect(m.get('rax')).toBe(0x0f0fn);
  });
  it('BLSR clears the lowest set bit; BLSI isolates it; BLSMSK masks up to it', () => {
    m.set('rcx', 6);
    m.run('c4e278f3c9'); // blsr eax, ecx
    expect(m.get('rax')).toBe(4n);
    m.run('c4e278f3d9'); // blsi eax, ecx
    expect(m.get('rax')).toBe(2n);
    m.run('c4e278f3d1'); // blsmsk eax, ecx
    expect(m.get('rax')).toBe(3n);
  });
  it('BEXTR extracts a bit field (start in bits 7:0, length in 15:8 of the control)', () => {
    m.set('rbx', 0x0804).set('rcx', 0x1234_5678n);
    m.run('c4e260f7c1'); // bextr eax, ecx, ebx
    expect(m.get('rax')).toBe(0x67n);
  });
  it('other VEX instructions (AVX is not offered) are #UD', () => {
    expect(m.run('c5f877').vector).toBe(6); // vzeroupper
  });
});

describe('conditional moves and sets', () => {
  it('CMOV with a false condition still zero-extends a 32-bit destination', () => {
    m.set('rax', 0xffff_ffff_1234_5678n).set('rbx', DATA_VA).setFlags(0x202n); // ZF = 0
    m.run('0f4403'); // cmove eax, [rbx]
    expect(m.get('rax')).toBe(0x1234_5678n);
  });
  it('CMOV reads its memory operand (and may fault) even when false', () => {
    m.set('rbx', 0x3000_0800n).setFlags(0x202n);
    expect(m.run('0f4403')).toMatchObject({ exit: 'exception', vector: 14, cr2: 0x3000_0800n });
  });
  it('SETcc writes 0 or 1 to a byte', () => {
    m.set('rax', 0xff00n).setFlags(0x202n | ZF);
    m.run('0f94c0'); // sete al
    expect(m.get('rax')).toBe(0xff01n);
  });
});

describe('atomics', () => {
  it('CMPXCHG that matches stores the source and sets ZF', () => {
    m.set('rax', 2).set('rbx', 2).set('rcx', 5);
    m.run('0fb1cb'); // cmpxchg ebx, ecx
    expect(m.get('rbx')).toBe(5n);
    expect(arith() & ZF).toBe(ZF);
  });
  it('CMPXCHG that fails loads the accumulator and leaves a register destination alone', () => {
    m.set('rax', 0xffff_ffff_0000_0001n).set('rbx', 0xffff_ffff_0000_0002n).set('rcx', 5);
    m.run('0fb1cb'); // cmpxchg ebx, ecx
    expect(m.get('rax')).toBe(2n);
    expect(m.get('rbx')).toBe(0xffff_ffff_0000_0002n);
    expect(arith() & ZF).toBe(0n);
  });
  it('XADD exchanges and adds', () => {
    m.set('rbx', DATA_VA).set('rax', 3).write32(DATA_VA, 10);
    m.run('f00fc103'); // lock xadd [rbx], eax
    expect(m.read32(DATA_VA)).toBe(13);
    expect(m.get('rax')).toBe(10n);
  });
  it('CMPXCHG8B that fails loads EDX:EAX from memory', () => {
    m.set('rbx', DATA_VA).set('rax', 1).set('rdx', 2).write64(DATA_VA, 0x0000_0004_0000_0003n);
    m.run('0fc70b'); // cmpxchg8b [rbx]
    expect([m.get('rax'), m.get('rdx')]).toEqual([3n, 4n]);
    expect(arith() & ZF).toBe(0n);
  });
  it('CMPXCHG16B needs a 16-byte aligned operand (#GP(0))', () => {
    m.set('rbx', DATA_VA + 8n);
    expect(m.run('480fc70b')).toMatchObject({ vector: 13, error: 0 }); // cmpxchg16b [rbx]
  });
  it('CMPXCHG16B that matches stores RCX:RBX', () => {
    m.set('rdi', DATA_VA).set('rax', 1).set('rdx', 2).set('rbx', 7).set('rcx', 8);
    m.write64(DATA_VA, 1n).write64(DATA_VA + 8n, 2n);
    m.run('480fc70f'); // cmpxchg16b [rdi]
    expect([m.read64(DATA_VA), m.read64(DATA_VA + 8n)]).toEqual([7n, 8n]);
    expect(arith() & ZF).toBe(ZF);
  });
});

describe('conversions, BCD and MOVSXD', () => {
  it('CDQE and CQO sign-extend', () => {
    m.set('rax', 0x8000_0000n);
    m.run('4898' + '4899'); // cdqe ; cqo
    expect(m.get('rax')).toBe(0xffff_ffff_8000_0000n);
    expect(m.get('rdx')).toBe(0xffff_ffff_ffff_ffffn);
  });
  it('MOVSXD sign-extends a dword into a 64-bit register', () => {
    m.set('rcx', 0xffff_fffen);
    m.run('4863c1'); // movsxd rax, ecx
    expect(m.get('rax')).toBe(0xffff_ffff_ffff_fffen);
  });
  it('MOVZX / MOVSX from a byte', () => {
    m.set('rcx', 0x80);
    m.run('0fb6c1' + '0fbed1'); // movzx eax, cl ; movsx edx, cl
    expect(m.get('rax')).toBe(0x80n);
    expect(m.get('rdx')).toBe(0xffff_ff80n);
  });
  it('DAA adjusts AL after a packed BCD addition (32-bit mode)', () => {
    m.reset(32);
    m.set('rax', 0x79).set('rbx', 0x35);
    m.run('00d8' + '27'); // add al, bl ; daa  (79 + 35 = 114)
    expect(m.get('rax') & 0xffn).toBe(0x14n);
    expect(arith() & CF).toBe(CF);
  });
  it('AAM divides AL by its immediate and AAM 0 is #DE', () => {
    m.reset(32);
    m.set('rax', 47);
    m.run('d40a'); // aam
    expect(m.get('rax') & 0xffffn).toBe(0x0407n);
    expect(m.run('d400')).toMatchObject({ vector: 0 });
  });
  it('LAHF / SAHF move SF ZF AF PF CF through AH', () => {
    m.set('rax', (SF | ZF | CF) << 8n);
    m.run('9e' + '9f'); // sahf ; lahf
    expect(arith()).toBe(SF | ZF | CF);
    expect((m.get('rax') >> 8n) & 0xffn).toBe(SF | ZF | CF | 2n);
  });
});
