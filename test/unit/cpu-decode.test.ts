// Decoder behaviour of the interpreter (assembly/cpu/decode.ts, modrm.ts, interp.ts), run on the
// bare test machine (test-vectors.md): prefixes, REX, ModRM/SIB in 16/32/64-bit addressing,
// RIP-relative operands, the 15-byte limit, LOCK rules, instructions that straddle pages, and the
// #UD of opcodes our CPUID does not offer. Bytes are given with their disassembly.
import { beforeEach, describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { BareMachine, CODE_VA, DATA_VA } from '../helpers/bare-machine.ts';

let m: BareMachine;
beforeEach(() => { m = new BareMachine(64); });

describe('prefixes and REX', () => {
  it('66h makes a 16-bit operation that merges into the register', () => {
    m.set('rax', 0x1111_2222_3333_ffffn).set('rbx', 1);
    expect(m.run('6601d8').exit).toBe('sentinel'); // add ax, bx
    expect(m.get('rax')).toBe(0x1111_2222_3333_0000n);
  });
  it('a 32-bit destination is zero-extended to 64 bits', () => {
    m.set('rax', 0xffff_ffff_0000_0001n).set('rbx', 1);
    m.run('01d8'); // add eax, ebx
    expect(m.get('rax')).toBe(2n);
  });
  it('REX.W selects 64-bit operands and wins over 66h', () => {
    m.set('rax', 0xffff_ffffn).set('rbx', 1);
    m.run('664801d8'); // add rax, rbx (66 ignored)
    expect(m.get('rax')).toBe(0x1_0000_0000n);
  });
  it('a REX followed by another prefix is ignored', () => {
    m.set('rax', 0xffff_ffffn).set('rbx', 1);
    m.run('48' + '2e' + '01d8'); // rex.w; cs; add eax, ebx  (REX void: 32-bit add)
    expect(m.get('rax')).toBe(0n);
  });
  it('with REX, byte register 4..7 are SPL BPL SIL DIL; without, AH CH DH BH', () => {
    m.set('rsp', 0x2000_1080n).set('rax', 0x1200n);
    m.run('4088e0'); // mov al, spl  (REX: SPL)
    expect(m.get('rax') & 0xffn).toBe(0x80n);
    m.set('rax', 0x1200n);
    m.run('88e0'); // mov al, ah
    expect(m.get('rax')).toBe(0x1212n);
  });
  it('REX.B and REX.R reach R8..R15', () => {
    m.set('r9', 5).set('r14', 7);
    m.run('4d01ce'); // add r14, r9
    expect(m.get('r14')).toBe(12n);
  });
});

describe('addressing', () => {
  it('SIB with base, scaled index and disp8', () => {
    m.set('rbx', DATA_VA).set('rcx', 4).write32(DATA_VA + 0x18n, 0xdeadbeef);
    m.run('8b448b08'); // mov eax, [rbx+rcx*4+8]
    expect(m.get('rax')).toBe(0xdeadbeefn);
  });
  it('SIB with no base (mod 00, base 101) takes a disp32', () => {
    m.set('rcx', 2).write32(DATA_VA + 0x10n, 0x1234);
    m.run('8b044d' + '0c000020'); // mov eax, [rcx*2+0x2000000c]
    expect(m.get('rax')).toBe(0x1234n);
  });
  it('RIP-relative is relative to the end of the whole instruction, immediate included', () => {
    // At 0x10000000: shld [rip+0x0ff9fff6], eax, 4 is 8 bytes long: 0x10000008 + 0x0ff9fff6 = 0x1ff9fffe?
    // Use a target in the data window instead: mov dword [rip+d], imm32 (10 bytes).
    const disp = Number(DATA_VA + 0x100n - (CODE_VA + 10n));
    const d = new Uint8Array(new Int32Array([disp]).buffer);
    const hex = [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
    m.run('c705' + hex + '78563412'); // mov dword [rip+disp], 0x12345678
    expect(m.read32(DATA_VA + 0x100n)).toBe(0x12345678);
  });
  it('67h in 64-bit mode gives 32-bit addresses (the sum wraps at 4 GiB)', () => {
    m.set('rax', 0x1_2000_0010n).write32(DATA_VA + 0x10n, 99);
    m.run('678b18'); // mov ebx, [eax]
    expect(m.get('rbx')).toBe(99n);
  });
  it('16-bit addressing [bx+si+disp8] through GS in 32-bit mode (base 0x20000000, limit 0xffff)', () => {
    m.reset(32);
    m.set('rbx', 0x100).set('rsi', 0x20).write32(DATA_VA + 0x124n, 0xcafe);
    m.run('65678b4004'); // mov eax, gs:[bx+si+4]
    expect(m.get('rax')).toBe(0xcafen);
  });
  it('16-bit offsets wrap at 64 KiB', () => {
    m.reset(32);
    m.set('rbx', 0xfff0).set('rsi', 0x20).write32(DATA_VA + 0x10n, 0x77);
    m.run('65678b00'); // mov eax, gs:[bx+si]  (0xfff0 + 0x20 = 0x10010 -> 0x0010)
    expect(m.get('rax')).toBe(0x77n);
  });
  it('[bp+di] defaults to SS', () => {
    m.reset(32);
    // SS is flat: bp+di = 0x1000 + 0x0010 = 0x1010 is not in any mapped page -> #PF at 0x1010.
    m.set('rbp', 0x1000).set('rdi', 0x10);
    const r = m.run('678b03'); // mov eax, [bp+di]
    expect(r).toMatchObject({ exit: 'exception', vector: 14, cr2: 0x1010n });
  });
  it('an access past the GS limit is #GP(0)', () => {
    m.reset(32);
    m.set('rbx', 0xfffe);
    const r = m.run('65678b07'); // mov eax, gs:[bx]  (4 bytes from 0xfffe > limit 0xffff)
    expect(r).toMatchObject({ exit: 'exception', vector: 13, error: 0 });
  });
  it('a non-canonical address is #GP(0), or #SS(0) when it is stack-based', () => {
    m.set('rax', 0x8000_0000_0000n);
    expect(m.run('8b00')).toMatchObject({ vector: 13, error: 0 }); // mov eax, [rax]
    m.set('rbp', 0x8000_0000_0000n);
    expect(m.run('8b4500')).toMatchObject({ vector: 12, error: 0 }); // mov eax, [rbp+0]
  });
  it('LEA computes the offset only; a register operand is #UD', () => {
    m.set('rbx', 0xffff_ffff_ffff_fff0n).set('rcx', 0x20);
    m.run('488d0419'); // lea rax, [rcx+rbx]
    expect(m.get('rax')).toBe(0x10n);
    expect(m.run('8dc0')).toMatchObject({ vector: 6 }); // lea eax, eax
  });
});

describe('instruction length, LOCK, page crossing', () => {
  it('an instruction longer than 15 bytes is #GP(0)', () => {
    const r = m.run('66'.repeat(14) + '01d8'); // 14 prefixes + add ax, bx = 16 bytes
    expect(r).toMatchObject({ exit: 'exception', vector: 13, error: 0 });
    expect(m.rip).toBe(CODE_VA);
  });
  it('15 bytes are fine', () => {
    m.set('rax', 1);
    expect(m.run('66'.repeat(13) + '01d8').exit).toBe('sentinel');
  });
  it('LOCK on a register destination or a non-lockable instruction is #UD', () => {
    expect(m.run('f001d8')).toMatchObject({ vector: 6 }); // lock add eax, ebx
    expect(m.run('f08b00')).toMatchObject({ vector: 6 }); // lock mov eax, [rax]
  });
  it('LOCK on a memory read-modify-write is accepted', () => {
    m.set('rbx', DATA_VA).write32(DATA_VA, 41);
    expect(m.run('f0ff03').exit).toBe('sentinel'); // lock inc dword [rbx]
    expect(m.read32(DATA_VA)).toBe(42);
  });
  it('an instruction can straddle the end of a page (fetch continues on the next page)', () => {
    // Map the page after the code page (0x10001000) to a spare frame, user RWX, by walking the
    // bare machine's 4-level tables from CR3.
    const host = mapSparePage(0x1000_1000n, 15);
    m.load(wholeCodePage('48b9' + 'fe0f001000000000' + 'ffe1', 'b878')); // mov rcx, 0x10000ffe ; jmp rcx
    m.bytes.set([0x56, 0x34, 0x12, 0xf4], host); // mov eax, 0x12345678 ends at 0x10001002; then hlt
    const r = m.resume(3);
    expect(r.exit).toBe('budget');
    expect(m.get('rax')).toBe(0x12345678n);
    expect(m.rip).toBe(0x1000_1003n);
  });
  it('a fetch that reaches an unmapped page faults with the fetch error code and CR2 = the page', () => {
    // mov rcx, 0x10000ffe ; jmp rcx ; ... ; at 0x10000ffe: mov eax, imm32 running off the page
    m.load(wholeCodePage('48b9' + 'fe0f001000000000' + 'ffe1', 'b878'));
    const r = m.resume(10);
    expect(r).toMatchObject({ exit: 'exception', vector: 14, cr2: 0x1000_1000n });
    expect(r.error! & 0x14).toBe(0x14); // user, instruction fetch
    expect(m.rip).toBe(0x1000_0ffen);
  });
});

/** A full code page (so no sentinel stops execution on it): `head` at the start, NOPs, `tail` at the end. */
function wholeCodePage(head: string, tail: string): Uint8Array {
  const page = new Uint8Array(4096).fill(0x90);
  const h = head.match(/../g)!.map((x) => parseInt(x, 16));
  const t = tail.match(/../g)!.map((x) => parseInt(x, 16));
  page.set(h, 0);
  page.set(t, 4096 - t.length);
  return page;
}

/** Maps linear page `va` to guest frame `frame` (user, RW, executable); returns its wasm offset. */
function mapSparePage(va: bigint, frame: number): number {
  const ram = L.GUEST_RAM_BASE;
  let table = Number(m.u64(L.CPU_CR3) & 0xffffffffff000n);
  for (const shift of [39n, 30n, 21n]) {
    const e = m.view.getBigUint64(ram + table + 8 * Number((va >> shift) & 511n), true);
    table = Number(e & 0xffffffffff000n);
  }
  m.view.setBigUint64(ram + table + 8 * Number((va >> 12n) & 511n), (BigInt(frame) << 12n) | 7n, true);
  const host = ram + frame * 4096;
  m.bytes.fill(0xcc, host, host + 4096);
  return host;
}

describe('undefined and not-offered opcodes', () => {
  it('UD2 is #UD with RIP on it', () => {
    expect(m.run('0f0b')).toMatchObject({ exit: 'exception', vector: 6 });
    expect(m.rip).toBe(CODE_VA);
  });
  it('opcodes invalid in 64-bit mode are #UD there (PUSH ES, AAA, INTO)', () => {
    expect(m.run('06').vector).toBe(6);
    expect(m.run('37').vector).toBe(6);
    expect(m.run('ce').vector).toBe(6);
  });
  it('an opcode of an extension our CPUID does not offer is #UD with RIP on it, as on a CPU without it', () => {
    const r = m.run('90' + '66' + '0f3a0fc108'); // nop ; palignr xmm0, xmm1, 8 (SSSE3)
    expect(r).toMatchObject({ exit: 'exception', vector: 6 });
    expect(m.rip).toBe(CODE_VA + 1n);
  });
});
