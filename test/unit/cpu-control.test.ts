// Control flow, the stack and string instructions of the interpreter, as specifications: near
// branches, CALL/RET, LOOP/JrCXZ, PUSH/POP forms, PUSHF/POPF privilege rules, ENTER/LEAVE,
// REP string instructions (including the partial state of a faulting REP and single-stepping one
// iteration), far transfers with mode switches, and IRETQ at CPL 3.
import { beforeEach, describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { BareMachine, CODE_VA, DATA_VA, IF, ZF } from '../helpers/bare-machine.ts';

let m: BareMachine;
beforeEach(() => { m = new BareMachine(64); });
const le = (v: bigint, bytes: number) => [...Array(bytes)].map((_, i) => Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0')).join('');

describe('near branches', () => {
  it('Jcc rel8 taken and not taken', () => {
    m.set('rax', 0);
    m.run('85c0' + '7402' + 'ffc0' + 'ffc0'); // test eax,eax ; jz +2 ; inc eax ; inc eax
    expect(m.get('rax')).toBe(1n);
  });
  it('CALL pushes the return address; RET imm16 pops it and releases the arguments', () => {
    // call +1 ; (int3) ; target: ret 8  -> returns to the int3? Instead: call target ; jmp end ; target: ret 8
    m.set('rsp', DATA_VA + 0x800n);
    m.run('e802000000' + 'eb03' + 'c20800'); // call +2 ; jmp +3 ; ret 8
    expect(m.get('rsp')).toBe(DATA_VA + 0x808n);
    expect(m.read64(DATA_VA + 0x7f8n)).toBe(CODE_VA + 5n);
  });
  it('a non-canonical RET target is #GP(0) at the RET', () => {
    m.set('rsp', DATA_VA + 0xff8n).write64(DATA_VA + 0xff8n, 0x0080_0000_0000_0000n);
    expect(m.run('c3')).toMatchObject({ exit: 'exception', vector: 13, error: 0 });
    expect(m.rip).toBe(CODE_VA);
    expect(m.get('rsp')).toBe(DATA_VA + 0xff8n);
  });
  it('LOOP decrements RCX and branches while it is not zero', () => {
    m.set('rcx', 3).set('rax', 0);
    m.run('ffc0' + 'e2fc'); // L: inc eax ; loop L
    expect(m.get('rax')).toBe(3n);
    expect(m.get('rcx')).toBe(0n);
  });
  it('JECXZ (67h) tests ECX only', () => {
    m.set('rcx', 0x1_0000_0000n).set('rax', 0);
    m.run('67e302' + 'ffc0' + '90'); // jecxz +2 ; inc eax ; nop
    expect(m.get('rax')).toBe(0n);
  });
  it('JMP through a register', () => {
    m.set('rax', CODE_VA + 4n).set('rbx', 0);
    m.run('ffe0' + 'ffc3' + '90'); // jmp rax ; inc ebx ; nop
    expect(m.get('rbx')).toBe(0n);
  });
});

describe('the stack', () => {
  it('PUSH and POP are 64-bit in 64-bit mode; 66h makes them 16-bit', () => {
    m.set('rax', 0x1122_3344_5566_7788n);
    m.run('50' + '5b' + '6650' + '665a'); // push rax ; pop rbx ; push ax ; pop dx
    expect(m.get('rbx')).toBe(0x1122_3344_5566_7788n);
    expect(m.get('rdx') & 0xffffn).toBe(0x7788n);
    expect(m.get('rsp')).toBe(DATA_VA + 0x1000n);
  });
  it('PUSH imm8 sign-extends to 64 bits', () => {
    m.run('6aff' + '58'); // push -1 ; pop rax
    expect(m.get('rax')).toBe(0xffff_ffff_ffff_ffffn);
  });
  it('PUSH RSP pushes the value before the decrement; POP RSP loads the popped value', () => {
    m.run('54' + '5b'); // push rsp ; pop rbx
    expect(m.get('rbx')).toBe(DATA_VA + 0x1000n);
    m.write64(DATA_VA + 0xff8n, 0x2000_0123n).set('rsp', DATA_VA + 0xff8n);
    m.run('5c'); // pop rsp
    expect(m.get('rsp')).toBe(0x2000_0123n);
  });
  it('POP [rsp+disp] computes the address after the increment', () => {
    m.set('rax', 0xabcd);
    m.run('50' + '8f442408'); // push rax ; pop qword [rsp+8]
    expect(m.read64(DATA_VA + 0x1008n)).toBe(0xabcdn); // RSP was 0x20001000 when the address was formed
  });
  it('PUSHF at CPL 3; POPF cannot change IF or IOPL there', () => {
    m.setFlags(0xad7n);
    m.run('9c' + '58'); // pushf ; pop rax
    expect(m.get('rax')).toBe(0xad7n);
    m.run('6a00' + '9d' + '9c' + '58'); // push 0 ; popf ; pushf ; pop rax
    expect(m.get('rax')).toBe(0x202n); // IF stays set
    expect(m.flags() & IF).toBe(IF);
  });
  it('ENTER with a nesting level copies the frame pointers', () => {
    // Checked on the reference CPU: enter 16, 2 with rbp 0x20000f00.
    m.set('rbp', 0x2000_0f00n).write64(DATA_VA + 0xef8n, 0x1111_1111_1111_1111n);
    m.run('c8100002'); // enter 16, 2
    expect(m.get('rbp')).toBe(0x2000_0ff8n);
    expect(m.get('rsp')).toBe(0x2000_0fd8n);
    expect(m.read64(DATA_VA + 0xff0n)).toBe(0x1111_1111_1111_1111n);
    expect(m.read64(DATA_VA + 0xfe8n)).toBe(0x2000_0ff8n);
  });
  it('LEAVE restores RSP and RBP', () => {
    m.set('rbp', DATA_VA + 0x800n).write64(DATA_VA + 0x800n, 0x1234n);
    m.run('c9'); // leave
    expect(m.get('rsp')).toBe(DATA_VA + 0x808n);
    expect(m.get('rbp')).toBe(0x1234n);
  });
  it('PUSHA/POPA (32-bit mode) save and restore the eight registers, skipping ESP on the way back', () => {
    m.reset(32);
    m.set('rax', 1).set('rcx', 2).set('rdx', 3).set('rbx', 4).set('rbp', 6).set('rsi', 7).set('rdi', 8);
    m.run('60' + '31c0' + '31ff' + '61'); // pusha ; xor eax,eax ; xor edi,edi ; popa
    expect([m.get('rax'), m.get('rdi'), m.get('rsp')]).toEqual([1n, 8n, DATA_VA + 0x1000n]);
  });
});

describe('string instructions', () => {
  it('REP MOVSB copies RCX bytes forward', () => {
    m.writeData(DATA_VA + 0xffcn, '0102030405060708090a0b0c0d0e0f10');
    m.set('rsi', DATA_VA + 0xffcn).set('rdi', DATA_VA + 0x800n).set('rcx', 0x10);
    m.run('f3a4'); // rep movsb
    expect([...m.readData(DATA_VA + 0x800n, 16)]).toEqual([...Array(16)].map((_, i) => i + 1));
    expect([m.get('rcx'), m.get('rsi'), m.get('rdi')]).toEqual([0n, 0x2000_100cn, 0x2000_0810n]);
  });
  it('REP MOVSB with overlapping forward copy replicates the pattern byte by byte', () => {
    m.writeData(DATA_VA, 'ab');
    m.set('rsi', DATA_VA).set('rdi', DATA_VA + 1n).set('rcx', 8);
    m.run('f3a4');
    expect([...m.readData(DATA_VA, 9)]).toEqual(Array(9).fill(0xab));
  });
  it('a faulting REP STOSB leaves RCX and RDI at the faulting iteration', () => {
    // Checked on the reference CPU.
    m.set('rdi', 0x2000_1ff0n).set('rcx', 0x20).set('rax', 0x5a);
    expect(m.run('f3aa')).toMatchObject({ exit: 'exception', vector: 14, error: 6, cr2: 0x2000_2000n });
    expect([m.get('rcx'), m.get('rdi'), m.rip]).toEqual([0x10n, 0x2000_2000n, CODE_VA]);
    expect(m.readData(DATA_VA + 0x1ff0n, 16).every((b) => b === 0x5a)).toBe(true);
  });
  it('single-stepping a REP instruction does one iteration and stays on it', () => {
    m.set('rdi', DATA_VA).set('rcx', 3).set('rax', 7);
    m.load('f3aa');
    m.step();
    expect([m.get('rcx'), m.rip]).toEqual([2n, CODE_VA]);
  });
  it('REPE CMPSB stops at the first difference', () => {
    m.writeData(DATA_VA, '6162637a').writeData(DATA_VA + 0x100n, '61626378');
    m.set('rsi', DATA_VA).set('rdi', DATA_VA + 0x100n).set('rcx', 4);
    m.run('f3a6'); // repe cmpsb
    expect(m.get('rcx')).toBe(0n);
    expect(m.flags() & ZF).toBe(0n);
    m.set('rsi', DATA_VA).set('rdi', DATA_VA + 0x100n).set('rcx', 10);
    m.run('f3a6');
    expect(m.get('rcx')).toBe(6n);
  });
  it('REPNE SCASB finds a byte', () => {
    m.writeData(DATA_VA, '0102030405');
    m.set('rdi', DATA_VA).set('rcx', 100).set('rax', 4);
    m.run('f2ae'); // repne scasb
    expect([m.get('rdi'), m.get('rcx')]).toEqual([DATA_VA + 4n, 96n]);
  });
  it('LODSD with 67h uses and zero-extends ESI', () => {
    m.writeData(DATA_VA + 0x800n, '11223344');
    m.set('rsi', 0xffff_ffff_2000_0800n);
    m.run('67ad'); // lodsd (32-bit address)
    expect([m.get('rax'), m.get('rsi')]).toEqual([0x4433_2211n, 0x2000_0804n]);
  });
  it('STD makes string instructions go down', () => {
    m.set('rdi', DATA_VA + 0x10n).set('rax', 0x99);
    m.run('fd' + 'aa' + 'aa' + 'fc'); // std ; stosb ; stosb ; cld
    expect(m.get('rdi')).toBe(DATA_VA + 0xen);
    expect([...m.readData(DATA_VA + 0xfn, 2)]).toEqual([0x99, 0x99]);
  });
});

describe('far transfers and IRET', () => {
  it('JMP far to the 32-bit user code segment switches to compatibility mode, and back', () => {
    // jmp far [0x20000100] -> 0x23:0x10000007 ; mov eax, 1 ; jmp far 0x33:0x10000013
    m.writeData(DATA_VA + 0x100n, le(CODE_VA + 7n, 4) + '2300');
    const r = m.run('ff2c25' + le(DATA_VA + 0x100n, 4) + 'b801000000' + 'ea' + le(CODE_VA + 0x13n, 4) + '3300');
    expect(r.exit).toBe('sentinel');
    expect(m.rip).toBe(CODE_VA + 0x13n);
    expect(m.get('rax')).toBe(1n);
    expect(m.seg(1).sel).toBe(0x33);
    expect(m.u32(L.CPU_MODE)).toBe(L.MODE_LONG64);
  });
  it('JMP far to a more privileged code segment is #GP(selector)', () => {
    m.writeData(DATA_VA + 0x100n, le(CODE_VA, 4) + '1000');
    expect(m.run('ff2c25' + le(DATA_VA + 0x100n, 4))).toMatchObject({ vector: 13, error: 0x10 });
  });
  it('IRETQ at CPL 3 returns to CPL 3 and loads RSP, RFLAGS (not IF, IOPL)', () => {
    // Frame: RIP, CS, RFLAGS, RSP, SS
    const frame = le(CODE_VA + 0x20n, 8) + le(0x33n, 8) + le(0x3046n, 8) + le(DATA_VA + 0x500n, 8) + le(0x2bn, 8);
    m.writeData(DATA_VA + 0x800n, frame).set('rsp', DATA_VA + 0x800n);
    m.load('48cf' + '90'.repeat(30)); // iretq
    const r = m.resume(2);
    expect(r.exit === 'budget' || r.exit === 'sentinel').toBe(true);
    expect(m.get('rsp')).toBe(DATA_VA + 0x500n);
    expect(m.flags() & 0xfffn).toBe(0x246n); // ZF PF from the image, IF kept, IOPL (0x3000) not loaded
    expect(m.flags() & 0x3000n).toBe(0n);
  });
  it('RETF to the same ring pops CS:RIP', () => {
    m.writeData(DATA_VA + 0x800n, le(CODE_VA + 2n, 4) + le(0x23n, 4)); // 32-bit offset and selector
    m.set('rsp', DATA_VA + 0x800n);
    const r = m.run('cb'); // retf (32-bit operand size): lands on the sentinel in compatibility mode
    expect(r.exit).toBe('sentinel');
    expect(m.seg(1).sel).toBe(0x23);
    expect(m.u32(L.CPU_MODE)).toBe(L.MODE_COMPAT);
    expect(m.get('rsp')).toBe(DATA_VA + 0x808n);
  });
});
