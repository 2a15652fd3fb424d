// System-level behaviour of the interpreter, as specifications: privileged instructions fault with
// #GP(0) at CPL 3 (so a hypervisor can emulate them) and work at CPL 0, the IOPL rules of CLI/STI
// and IN/OUT, software interrupts and SYSCALL reaching the platform, segment register loads and
// their error codes, LAR/LSL/VERR/VERW, and the x87/SSE state instructions (FNINIT, FNSTSW,
// FNSTCW/FLDCW, LDMXCSR/STMXCSR, FXSAVE/FXRSTOR, #NM with CR0.TS).
// Error codes were checked against the reference CPU (test-vectors.md) where it can run them (CPL 3).
import { beforeEach, describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { BareMachine, CODE_VA, DATA_VA, ZF, IF } from '../helpers/bare-machine.ts';

let m: BareMachine;
beforeEach(() => { m = new BareMachine(64); });

/** Runs `code` at CPL 0 (kernel CS 0x10 and SS 0x18 of the bare machine's Linux-like GDT). */
function runRing0(code: string, steps = 1000) {
  m.load(code);
  const seg = (s: number, sel: number, attr: number) => {
    const p = L.CPU_BASE + L.CPU_SEG + s * L.SEG_STRIDE;
    m.view.setUint16(p + L.SEG_SEL, sel, true);
    m.view.setUint16(p + L.SEG_ATTR, attr, true);
    m.view.setUint32(p + L.SEG_LIMIT, 0xffffffff, true);
    m.view.setBigUint64(p + L.SEG_BASE, 0n, true);
  };
  seg(1, 0x10, 0xa09b); // 64-bit ring-0 code
  seg(2, 0x18, 0xc093); // ring-0 data
  return m.resume(steps);
}

describe('privileged instructions', () => {
  it.each([
    ['fa', 'cli'], ['fb', 'sti'], ['f4', 'hlt'], ['0f20c0', 'mov rax, cr0'], ['0f22d8', 'mov cr3, rax'],
    ['0f21c0', 'mov rax, dr0'], ['0f06', 'clts'], ['0f09', 'wbinvd'], ['0f32', 'rdmsr'], ['0f30', 'wrmsr'],
    ['0f01f8', 'swapgs'], ['0f0138', 'invlpg [rax]'], ['0f0110', 'lgdt [rax]'], ['e470', 'in al, 0x70'],
    ['ee', 'out dx, al'], ['6c', 'insb'], ['0f01f0', 'lmsw ax'],
  ])('%s (%s) at CPL 3 is #GP(0) with RIP on it', (code) => {
    m.set('rax', DATA_VA);
    expect(m.run(code)).toMatchObject({ exit: 'exception', vector: 13, error: 0 });
    expect(m.rip).toBe(CODE_VA);
  });
  it('SGDT and SMSW are allowed at CPL 3 without CR4.UMIP', () => {
    m.set('rax', DATA_VA);
    expect(m.run('0f0100' + '0f01e1').exit).toBe('sentinel'); // sgdt [rax] ; smsw ecx
    expect(m.get('rcx') & 1n).toBe(1n); // CR0.PE
  });
  it('MOV to CR3 at CPL 0 loads CR3 and flushes the TLB', () => {
    const cr3 = m.u64(L.CPU_CR3);
    const flushes = m.view.getBigUint64(L.CNT_BASE + L.CNT_TLB_FLUSHES, true);
    m.set('rax', cr3);
    expect(runRing0('0f22d8').exit).toBe('sentinel'); // mov cr3, rax
    expect(m.view.getBigUint64(L.CNT_BASE + L.CNT_TLB_FLUSHES, true)).toBeGreaterThan(flushes);
    expect(m.cpl).toBe(0);
  });
  it('RDMSR/WRMSR at CPL 0 reach KERNEL_GS_BASE, and SWAPGS swaps it with the GS base', () => {
    m.set('rcx', 0xc000_0102).set('rax', 0x5678).set('rdx', 0x1234);
    expect(runRing0('0f30' + '0f01f8').exit).toBe('sentinel'); // wrmsr ; swapgs
    expect(m.seg(5).base).toBe(0x1234_0000_5678n);
    expect(m.u64(L.CPU_KERNEL_GS_BASE)).toBe(0n);
  });
  it('an unknown MSR is #GP(0) even at CPL 0', () => {
    m.set('rcx', 0x1234);
    expect(runRing0('0f32')).toMatchObject({ vector: 13, error: 0 });
  });
  it('RDTSC works at CPL 3 unless CR4.TSD is set', () => {
    expect(m.run('0f31').exit).toBe('sentinel');
    m.setU64(L.CPU_CR4, m.u64(L.CPU_CR4) | 4n);
    expect(m.run('0f31')).toMatchObject({ vector: 13, error: 0 });
  });
  it('CPUID returns the platform policy (leaf 0x40000000: "XenVMMXenVMM")', () => {
    m.set('rax', 0x4000_0000);
    m.run('0fa2'); // cpuid
    expect(m.get('rbx')).toBe(0x566e6558n);
  });
});

describe('returns from ring 0', () => {
  const le = (v: bigint, n: number) => [...Array(n)].map((_, i) => Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0')).join('');
  it('IRETQ from CPL 0 to CPL 3 loads SS:RSP and nulls a data segment the new CPL may not use', () => {
    const frame = le(CODE_VA + 0x20n, 8) + le(0x33n, 8) + le(0x202n, 8) + le(DATA_VA + 0x600n, 8) + le(0x2bn, 8);
    m.writeData(DATA_VA + 0x800n, frame).set('rsp', DATA_VA + 0x800n).set('rax', 0x18);
    const r = runRing0('8ed8' + '48cf' + '90'.repeat(44), 3); // mov ds, ax (ring-0 data) ; iretq
    expect(r.exit).toBe('budget');
    expect([m.cpl, m.seg(1).sel, m.seg(2).sel, m.get('rsp')]).toEqual([3, 0x33, 0x2b, DATA_VA + 0x600n]);
    expect(m.seg(3).sel).toBe(0); // DS (DPL 0) was nulled
    expect(m.rip).toBe(CODE_VA + 0x21n); // the NOP at the IRET target ran at CPL 3
  });
  it('IRETQ at CPL 0 may change IF and IOPL', () => {
    const frame = le(CODE_VA + 0x30n, 8) + le(0x10n, 8) + le(0x3002n, 8) + le(DATA_VA + 0x600n, 8) + le(0x18n, 8);
    m.writeData(DATA_VA + 0x800n, frame).set('rsp', DATA_VA + 0x800n);
    runRing0('48cf' + '90'.repeat(46), 1);
    expect(m.flags() & 0x3200n).toBe(0x3000n); // IOPL 3, IF 0
    expect(m.cpl).toBe(0);
  });
  it('SYSRET (REX.W) returns to 64-bit user code with CS/SS from STAR and RFLAGS from R11', () => {
    m.set('rcx', 0xc000_0081).set('rdx', 0x0023_0010).set('rax', 0);
    m.set('r11', 0x246);
    // wrmsr (STAR) ; mov rcx, 0x10000020 ; sysretq
    const r = runRing0('0f30' + '48c7c120000010' + '480f07' + '90'.repeat(19), 3);
    expect(r.exit).toBe('sentinel');
    expect([m.cpl, m.seg(1).sel, m.seg(2).sel]).toEqual([3, 0x33, 0x2b]);
    expect(m.flags() & 0xfffn).toBe(0x246n);
  });
});

describe('software interrupts and system calls', () => {
  it('INT3 is a trap: #BP with RIP after it', () => {
    expect(m.run('90cc90')).toMatchObject({ exit: 'exception', vector: 3 });
    expect(m.rip).toBe(CODE_VA + 2n);
  });
  it('INT n through a gate the caller may not use is #GP(n*8+2)', () => {
    expect(m.run('cd21')).toMatchObject({ exit: 'exception', vector: 13, error: 0x21 * 8 + 2 });
  });
  it('INT 0x80 and SYSCALL end the run as system calls', () => {
    expect(m.run('cd80').exit).toBe('syscall');
    expect(m.run('0f05').exit).toBe('syscall');
  });
  it('INTO is #UD in 64-bit mode and a no-op with OF clear in 32-bit mode', () => {
    expect(m.run('ce').vector).toBe(6);
    m.reset(32);
    expect(m.run('ce').exit).toBe('sentinel');
  });
});

describe('segment registers', () => {
  it('loading DS with a ring-0 code selector at CPL 3 is #GP(selector)', () => {
    m.set('rax', 0x10);
    expect(m.run('8ed8')).toMatchObject({ vector: 13, error: 0x10 }); // mov ds, ax
  });
  it('a selector beyond the GDT is #GP(selector with RPL cleared)', () => {
    m.set('rax', 0x1003);
    expect(m.run('8ed8')).toMatchObject({ vector: 13, error: 0x1000 });
  });
  it('a null selector loads DS (unusable) without a fault; a null SS at CPL 3 is #GP(0)', () => {
    m.set('rax', 3);
    expect(m.run('8ed8').exit).toBe('sentinel');
    expect(m.seg(3).sel).toBe(3);
    m.set('rax', 0);
    expect(m.run('8ed0')).toMatchObject({ vector: 13, error: 0 }); // mov ss, ax
  });
  it('SS must be a writable data segment with DPL = RPL = CPL', () => {
    m.set('rax', 0x18);
    expect(m.run('8ed0')).toMatchObject({ vector: 13, error: 0x18 });
    m.set('rax', 0x2b);
    expect(m.run('8ed0').exit).toBe('sentinel');
  });
  it('MOV to CS is #UD', () => {
    expect(m.run('8ec8').vector).toBe(6);
  });
  it('a null DS in 32-bit mode makes DS accesses #GP(0)', () => {
    m.reset(32);
    m.set('rax', 0).set('rbx', DATA_VA);
    expect(m.run('8ed8' + '8b03')).toMatchObject({ vector: 13, error: 0 }); // mov ds, ax ; mov eax, [ebx]
  });
  it('LAR returns the access rights (with limit 19:16) and LSL the expanded limit', () => {
    m.set('rax', 0x33).set('rcx', 0x2b);
    m.run('0f02c0' + '0f03c9'); // lar eax, ax ; lsl ecx, cx
    expect(m.get('rax')).toBe(0x00af_fb00n);
    expect(m.get('rcx')).toBe(0xffff_ffffn);
    expect(m.flags() & ZF).toBe(ZF);
  });
  it('LAR of a descriptor the CPL may not see clears ZF and leaves the destination', () => {
    m.set('rax', 0x10);
    m.run('0f02c0');
    expect(m.get('rax')).toBe(0x10n);
    expect(m.flags() & ZF).toBe(0n);
  });
  it('VERR accepts a user data segment; VERW refuses a code segment', () => {
    m.set('rax', 0x2b);
    m.run('0f00e0'); // verr ax
    expect(m.flags() & ZF).toBe(ZF);
    m.set('rax', 0x33);
    m.run('0f00e8'); // verw ax
    expect(m.flags() & ZF).toBe(0n);
  });
  it('MOV from a segment register to a 32-bit register zero-extends the selector', () => {
    m.set('rax', 0xffff_ffff_ffff_ffffn);
    m.run('8cd0'); // mov eax, ss
    expect(m.get('rax')).toBe(0x2bn);
  });
});

describe('x87 and SSE state', () => {
  it('FNINIT sets the control word to 037F and FNSTSW AX reads a clear status word', () => {
    m.set('rax', 0xffff).set('rbx', DATA_VA);
    m.run('dbe3' + 'dfe0' + 'd93b'); // fninit ; fnstsw ax ; fnstcw [rbx]
    expect(m.get('rax') & 0xffffn).toBe(0n);
    expect(m.read32(DATA_VA) & 0xffff).toBe(0x37f);
  });
  it('FLDCW loads the control word', () => {
    m.set('rbx', DATA_VA).write32(DATA_VA, 0x27f);
    m.run('d92b' + 'd97b04'); // fldcw [rbx] ; fnstcw [rbx+4]
    expect(m.read32(DATA_VA + 4n) & 0xffff).toBe(0x27f);
  });
  it('x87 instructions are #NM while CR0.TS is set; FWAIT too when CR0.MP is set', () => {
    m.setU64(L.CPU_CR0, m.u64(L.CPU_CR0) | 8n); // TS
    expect(m.run('dbe3').vector).toBe(7);
    expect(m.run('9b').vector).toBe(7);
  });
  it('LDMXCSR with a reserved bit is #GP(0); STMXCSR reads MXCSR back', () => {
    m.set('rbx', DATA_VA).write32(DATA_VA, 0x1_0000);
    expect(m.run('0fae13')).toMatchObject({ vector: 13, error: 0 }); // ldmxcsr [rbx]
    m.write32(DATA_VA, 0x9fc0);
    m.run('0fae13' + '0fae5b04'); // ldmxcsr [rbx] ; stmxcsr [rbx+4]
    expect(m.read32(DATA_VA + 4n)).toBe(0x9fc0);
  });
  it('FXSAVE writes the 512-byte layout: FCW, MXCSR, MXCSR_MASK, XMM registers', () => {
    m.setXmm(0, 0x0011_2233_4455_6677_8899_aabb_ccdd_eeffn).setXmm(15, 5n);
    m.mxcsr = 0x1fa0;
    m.set('rbx', DATA_VA + 0x200n);
    m.run('480fae03'); // fxsave64 [rbx]
    const v = new DataView(m.readData(DATA_VA + 0x200n, 512).buffer);
    expect(v.getUint16(0, true)).toBe(0x37f);
    expect(v.getUint32(24, true)).toBe(0x1fa0);
    expect(v.getUint32(28, true)).toBe(0xffff);
    expect(v.getBigUint64(160, true)).toBe(0x8899_aabb_ccdd_eeffn);
    expect(v.getBigUint64(168, true)).toBe(0x0011_2233_4455_6677n);
    expect(v.getBigUint64(160 + 15 * 16, true)).toBe(5n);
  });
  it('FXRSTOR restores what FXSAVE saved; a misaligned area is #GP(0)', () => {
    m.setXmm(3, 0x1234n);
    m.set('rbx', DATA_VA + 0x200n);
    m.run('0fae03'); // fxsave [rbx]
    m.setXmm(3, 0n);
    m.run('0fae0b'); // fxrstor [rbx]
    expect(m.xmm(3)).toBe(0x1234n);
    m.set('rbx', DATA_VA + 0x208n);
    expect(m.run('0fae03')).toMatchObject({ vector: 13, error: 0 });
  });
  it('IF stays set through all of this (user code cannot clear it)', () => {
    m.run('9c9d'); // pushf ; popf
    expect(m.flags() & IF).toBe(IF);
  });
});
