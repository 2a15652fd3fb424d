// 64-bit-mode decode and fault-order rules that the mode-64 raw vectors (test/oracle/gen-raw64.ts)
// found against the reference CPU: REX cancelled by 67h, CS/DS/ES/SS as null prefixes, the 15-byte
// limit before a LOCK or VEX #UD, the order of faults in CALL, ENTER and REP MOVS, the AMD forms of
// LGS/far JMP/MOVSXD (cpu/options.ts VENDOR_AMD), and the 0F 38 / 0F 3A maps (not offered: #UD).
import { beforeEach, describe, expect, it } from 'vitest';
import { AC, BareMachine, DATA_VA } from '../helpers/bare-machine.ts';

const UD = 6, SS = 12, GP = 13, PF = 14, ACV = 17;
const NONCANON = 0x8000_0000_0000_0000n;
let m: BareMachine;
beforeEach(() => { m = new BareMachine(64); });

describe('prefixes in 64-bit mode', () => {
  it('a 67h after REX.W voids the REX: the operation is 32-bit', () => {
    m.set('rdi', 0x7fff_ffffn);
    m.run('4a67ffc7'); // rex.wx; addr32 inc edi
    expect(m.get('rdi')).toBe(0x8000_0000n);
  });
  it('a REX after 67h still counts', () => {
    m.set('rdi', 0x7fff_ffffn);
    m.run('6748ffc7'); // addr32 inc rdi
    expect(m.get('rdi')).toBe(0x8000_0000n);
    m.set('rdi', 0xffff_ffffn);
    m.run('6748ffc7');
    expect(m.get('rdi')).toBe(0x1_0000_0000n);
  });
  it('CS/DS/ES/SS do not displace an earlier FS/GS override (null prefixes): a bad rBP address is #GP, not #SS', () => {
    m.set('rbp', 0x7fff_ffff_ffff_ffffn);
    expect(m.run('642e395dc2')).toMatchObject({ exit: 'exception', vector: GP, error: 0 }); // fs cs cmp [rbp-0x3e], ebx
  });
  it('with only null overrides, a non-canonical rBP-based address stays a stack fault (#SS)', () => {
    m.set('rbp', 0x7fff_ffff_ffff_ffffn);
    expect(m.run('3e395dc2')).toMatchObject({ exit: 'exception', vector: SS, error: 0 }); // ds cmp [rbp-0x3e], ebx
  });
  it('an FS or GS override makes a non-canonical rBP-based address #GP', () => {
    m.set('rbp', NONCANON);
    expect(m.run('650fb54d42')).toMatchObject({ exit: 'exception', vector: GP }); // lgs ecx, gs:[rbp+0x42]
  });
});

describe('the 15-byte limit comes before a decoded #UD', () => {
  it('LOCK on MOV r64, imm64 that is 16 bytes long is #GP(0)', () => {
    // rex; gs; addr32; lock; rex; addr32; rex.wxb mov r12, imm64 (7 + 1 + 8 = 16 bytes)
    expect(m.run('436567f04b674bbc' + '0102030405060708')).toMatchObject({ exit: 'exception', vector: GP, error: 0 });
  });
  it('LOCK on the same instruction within 15 bytes is #UD', () => {
    expect(m.run('f048bc0102030405060708')).toMatchObject({ exit: 'exception', vector: UD }); // lock mov rsp, imm64
  });
  it('66h before VEX is #UD only once the instruction is decoded (#GP if longer than 15 bytes)', () => {
    // fs rex cs rex 66 es + VEX ANDN with SIB and disp32: 16 bytes
    expect(m.run('644f2e4e6626c40208f294000a0000cc')).toMatchObject({ exit: 'exception', vector: GP });
    expect(m.run('66c4e278f2c0')).toMatchObject({ exit: 'exception', vector: UD });
  });
  it('a REX right before VEX is #UD at once, however long the rest', () => {
    expect(m.run('64f046f23e49c46290f2840b0d000000')).toMatchObject({ exit: 'exception', vector: UD });
  });
});

describe('fault order', () => {
  it('CALL r/m64 checks the return-address slot (#SS, #PF, #AC) before the target (#GP)', () => {
    m.set('r8', NONCANON).set('rsp', 0x268807fa7c884fa7n);
    expect(m.run('41ffd0')).toMatchObject({ exit: 'exception', vector: SS }); // call r8
    m.reset().set('r8', NONCANON).set('rsp', 0x1000n);
    expect(m.run('41ffd0')).toMatchObject({ exit: 'exception', vector: PF, error: 6, cr2: 0xff8n });
    m.reset().set('r8', NONCANON).set('rsp', DATA_VA + 0x1001n).setFlags(0x202n | AC);
    expect(m.run('41ffd0')).toMatchObject({ exit: 'exception', vector: ACV });
    m.reset().set('r8', NONCANON);
    expect(m.run('41ffd0')).toMatchObject({ exit: 'exception', vector: GP }); // good stack: the target's #GP
    expect(m.readData(DATA_VA + 0xff8n, 8)).toEqual(new Uint8Array(8)); // nothing pushed
  });
  it('ENTER write-checks the final stack top with the operand size, after pushing rBP', () => {
    m.set('rbp', 0x1234n).set('rsp', DATA_VA + 0x10n).setFlags(0x202n | AC);
    expect(m.run('c8040000')).toMatchObject({ exit: 'exception', vector: ACV }); // enter 4, 0: top 0x20000004
    expect(m.get('rsp')).toBe(DATA_VA + 0x10n);
    expect(m.readData(DATA_VA + 8n, 2)).toEqual(new Uint8Array([0x34, 0x12]));
    m.reset().set('rbp', 0x1234n).set('rsp', DATA_VA + 0x10n);
    expect(m.run('c8200000')).toMatchObject({ exit: 'exception', vector: PF, cr2: 0x1fffffe8n }); // enter 0x20, 0
  });
  it('REP MOVS reads the source before it checks the destination', () => {
    m.set('rcx', 0x100n).set('rsi', 0n).set('rdi', 0x4000_7fff_ffff_ffffn);
    expect(m.run('f3a4')).toMatchObject({ exit: 'exception', vector: PF, error: 4, cr2: 0n }); // rep movsb
  });
});

describe('AMD forms (VENDOR_AMD)', () => {
  it('LGS with REX.W reads an m16:32 pointer and zero-extends the offset', () => {
    m.set('rax', DATA_VA + 0x100n).writeData(DATA_VA + 0x100n, '44332211' + '0000' + '3c3c');
    m.run('480fb500'); // lgs rax, [rax]
    expect(m.get('rax')).toBe(0x1122_3344n);
  });
  it('far JMP through memory with REX.W reads m16:32', () => {
    m.set('rax', DATA_VA + 0x100n).writeData(DATA_VA + 0x100n, '00100010' + '3300');
    expect(m.run('48ff28', 1).exit).not.toBe('exception'); // jmp far [rax]
    expect(m.rip).toBe(0x1000_1000n);
  });
  it('MOVSXD with 66h reads 32 bits and writes 16', () => {
    m.set('rax', DATA_VA + 0x1ffen).set('rcx', 0x1111_1111_1111_1111n).writeData(DATA_VA + 0x1ffen, '8899');
    expect(m.run('666308')).toMatchObject({ exit: 'exception', vector: PF, cr2: 0x2000_2000n });
    m.reset().set('rax', DATA_VA + 0xffen).set('rcx', 0x1111_1111_1111_1111n).writeData(DATA_VA + 0xffen, '8899aabb');
    m.run('666308');
    expect(m.get('rcx')).toBe(0x1111_1111_1111_9988n);
  });
});

describe('three-byte maps (not offered by our CPUID)', () => {
  it('0F 38 and 0F 3A raise #UD for every opcode, with or without a mandatory prefix', () => {
    for (const pfx of ['', '66', 'f2', 'f3']) {
      for (const code of ['0f3800c0', '0f38f0c0', '0f38f100', '0f3a0fc001', '0f3a4400', '0f38dcc0']) {
        m.reset();
        expect(m.run(pfx + code), `${pfx}${code}`).toMatchObject({ exit: 'exception', vector: UD });
      }
    }
  });
});
