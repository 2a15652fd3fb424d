// Exceptions the CPU itself is responsible for, as the Intel SDM vol. 3 chapter 6 specifies them
// (6.5 "Exception classifications", 6.15 the exceptions one by one): a fault reports the address of
// the faulting instruction and leaves the state as it was before it (docs/fault-protocol.md); a trap
// reports the address of the next instruction. 32-bit protected mode with PAE paging, at CPL 0 and 3.
// What happens next (IDT delivery, Xen's bounce frames) is the platform's: the bare machine stops
// with the vector, error code and CR2 recorded.
import { describe, expect, it } from 'vitest';
import {
  SystemMachine, code32, data32, CODE_VA, P, RW, US, DS, DE, BP, OF_, UD, GP, SS_, PF, AC, PF_P, PF_W, PF_U,
} from '../helpers/system-machine.ts';

const K_CS = 0x08, K_DS = 0x10, U_CS = 0x18 | 3, U_DS = 0x20 | 3;
const DATA_VA = 0x20000000n; // user RW, two pages
const RO_VA = 0x20002000n; // user read-only
const STACK_TOP = 0x20001ff0n;
const OF = 1n << 11n, AC_FLAG = 1n << 18n;

function machine(cpl: 0 | 3, cr0Extra = 0n) {
  const s = new SystemMachine({ paging: 'pae', gdt: [code32(0), data32(0), code32(3), data32(3)] });
  if (cr0Extra) s.setCr0(0x80010033n | cr0Extra);
  const data = s.alloc(), data2 = s.alloc(), ro = s.alloc();
  s.map(DATA_VA, data, P | RW | US).map(DATA_VA + 0x1000n, data2, P | RW | US).map(RO_VA, ro, P | US);
  if (cpl === 0) s.enter(K_CS, K_DS, STACK_TOP);
  else s.enter(U_CS, U_DS, STACK_TOP);
  return { s, data, data2, ro };
}

describe('faults: EIP stays on the instruction and nothing it would change has changed', () => {
  it('#DE: DIV by zero', () => {
    const { s } = machine(3);
    s.m.set('rax', 1).set('rdx', 0).set('rcx', 0);
    expect(s.run('f7f1')).toMatchObject({ exit: 'exception', vector: DE }); // div ecx
    expect(s.rip).toBe(CODE_VA);
    expect(s.m.get('rax')).toBe(1n);
  });

  it('#DE: a quotient too large for the destination', () => {
    const { s } = machine(0);
    s.m.set('rax', 0).set('rdx', 2).set('rcx', 2); // 0x2_0000_0000 / 2 does not fit 32 bits
    expect(s.run('f7f1')).toMatchObject({ exit: 'exception', vector: DE });
    expect(s.m.get('rdx')).toBe(2n);
  });

  it('#UD: UD2, and LOCK on an instruction that cannot take it', () => {
    const { s } = machine(3);
    expect(s.run('0f0b')).toMatchObject({ exit: 'exception', vector: UD });
    expect(s.rip).toBe(CODE_VA);
    expect(s.run('f08bc1')).toMatchObject({ exit: 'exception', vector: UD }); // lock mov eax, ecx
  });

  it('#GP(0): privileged instructions outside CPL 0 (HLT, MOV CR3, LGDT, CLI with IOPL 0)', () => {
    const { s } = machine(3);
    for (const code of ['f4', '0f22d8', '0f0110', 'fa']) {
      expect(s.run(code), code).toMatchObject({ exit: 'exception', vector: GP, error: 0 });
      expect(s.rip).toBe(CODE_VA);
    }
  });

  it('the same instructions run at CPL 0 (CLI clears IF; HLT stops the vCPU)', () => {
    const { s } = machine(0);
    s.m.setFlags(0x202n);
    expect(s.run('fa').exit).toBe('sentinel');
    expect(s.m.flags() & 0x200n).toBe(0n);
    expect(s.run('f4').exit).not.toBe('exception');
  });

  it('#PF: a load from a missing page leaves the destination alone; CR2 is the address', () => {
    const { s } = machine(3);
    s.m.set('rax', 0x1111);
    expect(s.run('a100005000')).toMatchObject({ exit: 'exception', vector: PF, error: PF_U, cr2: 0x00500000n }); // mov eax, [0x500000]
    expect(s.rip).toBe(CODE_VA);
    expect(s.m.get('rax')).toBe(0x1111n);
  });

  it('#PF: a read-modify-write to a read-only page changes neither memory nor flags', () => {
    const { s, ro } = machine(3);
    s.write32(ro, 0, 5);
    s.m.set('rax', 1).setFlags(0x202n);
    expect(s.run('0105' + '00200020')).toMatchObject({ exit: 'exception', vector: PF, error: PF_P | PF_W | PF_U, cr2: RO_VA }); // add [0x20002000], eax
    expect(s.read32(ro, 0)).toBe(5);
    expect(s.m.flags() & 0x8d5n).toBe(0n);
  });

  it('#PF in the middle of REP MOVSB: ECX, ESI and EDI tell how far it got; EIP stays on it', () => {
    const { s } = machine(3);
    // 0x20 bytes to the last 8 bytes of the writable pages: the ninth lands on the read-only page.
    s.m.set('rsi', DATA_VA).set('rdi', DATA_VA + 0x1ff8n).set('rcx', 0x20);
    expect(s.run('f3a4')).toMatchObject({ exit: 'exception', vector: PF, error: PF_P | PF_W | PF_U, cr2: RO_VA }); // rep movsb
    expect(s.rip).toBe(CODE_VA);
    expect(s.m.get('rcx')).toBe(0x18n); // 8 bytes were copied
    expect(s.m.get('rdi')).toBe(RO_VA);
    expect(s.m.get('rsi')).toBe(DATA_VA + 8n);
  });

  it('#PF on an instruction fetch that crosses into a missing page: CR2 is that page, EIP the instruction', () => {
    const { s } = machine(0);
    const page = s.alloc();
    s.map(0x30000000n, page, P | RW).write(page, 0xffe, 'b801'); // mov eax, imm32 with 3 bytes on the next (missing) page
    s.m.set('rbx', 0x30000ffen);
    expect(s.run('ffe3')).toMatchObject({ exit: 'exception', vector: PF, error: 0x10, cr2: 0x30001000n }); // jmp ebx
    expect(s.rip).toBe(0x30000ffen);
  });

  it('#SS(0): a push that wraps the stack; ESP is unchanged', () => {
    const { s } = machine(3);
    s.m.set('rsp', 1);
    expect(s.run('50')).toMatchObject({ exit: 'exception', vector: SS_, error: 0 });
    expect(s.m.get('rsp')).toBe(1n);
  });

  it('#GP(0): an access through a null DS', () => {
    const { s } = machine(3);
    s.load(DS, 0);
    expect(s.run('a100000020')).toMatchObject({ exit: 'exception', vector: GP, error: 0 });
  });

  it('#AC(0): a misaligned access at CPL 3 with CR0.AM and EFLAGS.AC; none at CPL 0', () => {
    const user = machine(3, 1n << 18n);
    user.s.m.setFlags(0x202n | AC_FLAG);
    expect(user.s.run('a101000020')).toMatchObject({ exit: 'exception', vector: AC, error: 0 }); // mov eax, [0x20000001]
    expect(user.s.rip).toBe(CODE_VA);
    const kernel = machine(0, 1n << 18n);
    kernel.s.m.setFlags(0x202n | AC_FLAG);
    expect(kernel.s.run('a101000020').exit).toBe('sentinel');
  });
});

describe('traps: EIP is past the instruction', () => {
  it('INT3 is #BP with EIP after it', () => {
    const { s } = machine(0);
    s.m.set('rax', 0);
    // mov eax, 7 ; int3 ; (not reached) mov eax, 8
    expect(s.run('b807000000' + 'cc' + 'b808000000')).toMatchObject({ exit: 'exception', vector: BP });
    expect(s.rip).toBe(CODE_VA + 6n);
    expect(s.m.get('rax')).toBe(7n);
  });

  it('INTO is #OF after it when OF = 1, and nothing when OF = 0', () => {
    const { s } = machine(3);
    s.m.setFlags(0x202n | OF);
    expect(s.run('ce')).toMatchObject({ exit: 'exception', vector: OF_ });
    expect(s.rip).toBe(CODE_VA + 1n);
    s.m.setFlags(0x202n);
    expect(s.run('ce').exit).toBe('sentinel');
  });

  it('INT 3 (CD 03) is a trap like INT3', () => {
    const { s } = machine(3);
    expect(s.run('cd03')).toMatchObject({ exit: 'exception', vector: BP });
    expect(s.rip).toBe(CODE_VA + 2n);
  });
});
