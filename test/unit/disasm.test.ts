// Our x86 disassembler (workers/disasm/) against binutils: the instruction forms the step mode must
// show (the categories below, bytes with objdump's Intel-syntax text), then every line of the
// committed vectors (test/unit/disasm-vectors/*.txt, made by scripts/gen-disasm-vectors.ts from
// `objdump -d -M intel`: hand-written forms in 32- and 64-bit code, every form of our guests' code,
// one sample of each form in Debian's busybox and Linux 6.1). Unknown bytes read as "(bad)".
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { disassemble, listing } from '../../workers/disasm/index.ts';

function bytes(hex: string): Uint8Array {
  return new Uint8Array(hex.replace(/\s/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
}

/** The text of the instruction `hex` at `address` in `bits`-bit code, checking it takes every byte. */
function dis(hex: string, bits: 32 | 64 = 64, address = 0x1000n): string {
  const code = bytes(hex);
  const insn = disassemble(code, 0, address, bits);
  expect(insn.length, `length of ${hex}`).toBe(code.length);
  return insn.text;
}

interface Vector {
  bits: 32 | 64;
  address: bigint;
  hex: string;
  text: string;
}

function vectors(file: string): Vector[] {
  const text = readFileSync(new URL(`./disasm-vectors/${file}`, import.meta.url), 'utf8');
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const [bits, address, hex, t] = l.split('\t');
    return { bits: Number(bits) as 32 | 64, address: BigInt(`0x${address}`), hex, text: t };
  });
}

/** Every vector whose text or length we get wrong, as "bits bytes: want / got" lines. */
function mismatches(vs: Vector[]): string[] {
  const out: string[] = [];
  for (const v of vs) {
    const code = bytes(v.hex);
    const insn = disassemble(code, 0, v.address, v.bits);
    const want = v.text.includes('(bad)') ? '(bad)' : v.text;
    if (insn.text !== want || (!insn.bad && insn.length !== code.length)) {
      out.push(`${v.bits} ${v.hex}: want "${want}", got "${insn.text}" (${insn.length} of ${code.length} bytes)`);
    }
  }
  return out;
}

describe('x86 disassembler: the forms step mode shows', () => {
  it('ALU operations with registers, memory and sign-extended immediates', () => {
    expect(dis('48 83 c4 f8')).toBe('add rsp,0xfffffffffffffff8');
    expect(dis('83 c0 ff', 32)).toBe('add eax,0xffffffff');
    expect(dis('66 83 c0 ff')).toBe('add ax,0xffff');
    expect(dis('31 c0')).toBe('xor eax,eax');
    expect(dis('4c 03 4a 10')).toBe('add r9,QWORD PTR [rdx+0x10]');
    expect(dis('80 3c 0f 00')).toBe('cmp BYTE PTR [rdi+rcx*1],0x0');
    expect(dis('48 85 c0')).toBe('test rax,rax');
  });

  it('mov, movzx, movsx, movsxd and lea with every addressing form', () => {
    expect(dis('8b 44 58 80')).toBe('mov eax,DWORD PTR [rax+rbx*2-0x80]');
    expect(dis('48 8b 05 00 00 00 00')).toBe('mov rax,QWORD PTR [rip+0x0]');
    expect(dis('8b 04 25 34 12 00 00')).toBe('mov eax,DWORD PTR ds:0x1234');
    expect(dis('64 48 8b 04 25 28 00 00 00')).toBe('mov rax,QWORD PTR fs:0x28');
    expect(dis('a1 34 12 00 00', 32)).toBe('mov eax,ds:0x1234');
    expect(dis('48 b8 88 77 66 55 44 33 22 11')).toBe('movabs rax,0x1122334455667788');
    expect(dis('0f b6 07')).toBe('movzx eax,BYTE PTR [rdi]');
    expect(dis('48 0f be 07')).toBe('movsx rax,BYTE PTR [rdi]');
    expect(dis('48 63 c0')).toBe('movsxd rax,eax');
    expect(dis('8d 44 8b 08', 32)).toBe('lea eax,[ebx+ecx*4+0x8]');
    expect(dis('67 8b 40 10', 32)).toBe('mov eax,DWORD PTR [bx+si+0x10]');
    expect(dis('41 88 f0')).toBe('mov r8b,sil');
    expect(dis('88 fc')).toBe('mov ah,bh');
  });

  it('push, pop, call, ret, jmp and jcc with their targets', () => {
    expect(dis('55')).toBe('push rbp');
    expect(dis('6a ff')).toBe('push 0xffffffffffffffff');
    expect(dis('6a ff', 32)).toBe('push 0xffffffff');
    expect(dis('41 5c')).toBe('pop r12');
    expect(dis('e8 fb ff ff ff', 64, 0x401000n)).toBe('call 0x401000');
    expect(dis('74 fe', 32, 0x100n)).toBe('je 0x100');
    expect(dis('0f 85 10 00 00 00', 64, 0x2000n)).toBe('jne 0x2016');
    expect(dis('ff 50 08')).toBe('call QWORD PTR [rax+0x8]');
    expect(dis('ff 10', 32)).toBe('call DWORD PTR [eax]');
    expect(dis('ff e0')).toBe('jmp rax');
    expect(dis('c3')).toBe('ret');
    expect(dis('c2 08 00')).toBe('ret 0x8');
    expect(dis('ea 34 12 00 00 10 00', 32)).toBe('jmp 0x10:0x1234');
    expect(disassemble(bytes('e8 fb ff ff ff'), 0, 0x401000n, 64).target).toBe(0x401000n);
  });

  it('shifts, multiplication and division', () => {
    expect(dis('d1 e0')).toBe('shl eax,1');
    expect(dis('c1 e0 02')).toBe('shl eax,0x2');
    expect(dis('48 d3 f8')).toBe('sar rax,cl');
    expect(dis('0f a4 d8 03')).toBe('shld eax,ebx,0x3');
    expect(dis('6b c3 0a')).toBe('imul eax,ebx,0xa');
    expect(dis('48 0f af c3')).toBe('imul rax,rbx');
    expect(dis('48 f7 f1')).toBe('div rcx');
    expect(dis('f7 38', 32)).toBe('idiv DWORD PTR [eax]');
  });

  it('string instructions with rep, repz and repnz', () => {
    expect(dis('f3 48 ab')).toBe('rep stos QWORD PTR es:[rdi],rax');
    expect(dis('f3 a4', 32)).toBe('rep movs BYTE PTR es:[edi],BYTE PTR ds:[esi]');
    expect(dis('f3 a6')).toBe('repz cmps BYTE PTR ds:[rsi],BYTE PTR es:[rdi]');
    expect(dis('f2 ae')).toBe('repnz scas al,BYTE PTR es:[rdi]');
    expect(dis('ac')).toBe('lods al,BYTE PTR ds:[rsi]');
  });

  it('setcc, cmovcc, bit scans and byte swaps', () => {
    expect(dis('0f 94 c0')).toBe('sete al');
    expect(dis('0f 9f c1')).toBe('setg cl');
    expect(dis('48 0f 42 07')).toBe('cmovb rax,QWORD PTR [rdi]');
    expect(dis('f3 0f bc c3')).toBe('tzcnt eax,ebx');
    expect(dis('0f bc c3')).toBe('bsf eax,ebx');
    expect(dis('48 0f c8')).toBe('bswap rax');
  });

  it('system instructions: syscall, sysret, iret, int, hlt, cli, sti, mov to CR and DR, cpuid, rdtsc', () => {
    expect(dis('0f 05')).toBe('syscall');
    expect(dis('48 0f 07')).toBe('sysretq');
    expect(dis('48 cf')).toBe('iretq');
    expect(dis('cf', 32)).toBe('iret');
    expect(dis('cd 82', 32)).toBe('int 0x82');
    expect(dis('cc')).toBe('int3');
    expect(dis('f4')).toBe('hlt');
    expect(dis('fa')).toBe('cli');
    expect(dis('fb')).toBe('sti');
    expect(dis('0f 22 d8')).toBe('mov cr3,rax');
    expect(dis('0f 20 d8', 32)).toBe('mov eax,cr3');
    expect(dis('0f 23 f8')).toBe('mov dr7,rax');
    expect(dis('0f a2')).toBe('cpuid');
    expect(dis('0f 31')).toBe('rdtsc');
    expect(dis('0f 01 f8')).toBe('swapgs');
    expect(dis('0f 01 10', 32)).toBe('lgdtd [eax]');
    expect(dis('0f 01 38')).toBe('invlpg BYTE PTR [rax]');
  });

  it('xchg, cmpxchg and xadd, with lock', () => {
    expect(dis('48 87 07')).toBe('xchg QWORD PTR [rdi],rax');
    expect(dis('48 93')).toBe('xchg rbx,rax');
    expect(dis('f0 48 0f b1 37')).toBe('lock cmpxchg QWORD PTR [rdi],rsi');
    expect(dis('f0 0f c1 07')).toBe('lock xadd DWORD PTR [rdi],eax');
    expect(dis('48 0f c7 0f')).toBe('cmpxchg16b OWORD PTR [rdi]');
    expect(dis('f0 83 0c 24 00')).toBe('lock or DWORD PTR [rsp],0x0');
  });

  it('SSE moves and the common integer SSE instructions', () => {
    expect(dis('0f 28 06')).toBe('movaps xmm0,XMMWORD PTR [rsi]');
    expect(dis('0f 10 0e')).toBe('movups xmm1,XMMWORD PTR [rsi]');
    expect(dis('66 0f 6f 16')).toBe('movdqa xmm2,XMMWORD PTR [rsi]');
    expect(dis('f3 0f 7f 1e')).toBe('movdqu XMMWORD PTR [rsi],xmm3');
    expect(dis('66 48 0f 6e c0')).toBe('movq xmm0,rax');
    expect(dis('66 0f 7e c0')).toBe('movd eax,xmm0');
    expect(dis('f3 0f 7e 06')).toBe('movq xmm0,QWORD PTR [rsi]');
    expect(dis('66 0f d6 06')).toBe('movq QWORD PTR [rsi],xmm0');
    expect(dis('66 0f ef c0')).toBe('pxor xmm0,xmm0');
    expect(dis('0f 57 c0')).toBe('xorps xmm0,xmm0');
    expect(dis('66 0f 70 c1 1b')).toBe('pshufd xmm0,xmm1,0x1b');
    expect(dis('0f c2 c1 01')).toBe('cmpltps xmm0,xmm1');
    expect(dis('0f ef c1', 32)).toBe('pxor mm0,mm1');
  });

  it('nop forms and the prefixes that only pad them', () => {
    expect(dis('90')).toBe('nop');
    expect(dis('66 90')).toBe('xchg ax,ax');
    expect(dis('f3 90')).toBe('pause');
    expect(dis('0f 1f 44 00 00')).toBe('nop DWORD PTR [rax+rax*1+0x0]');
    expect(dis('66 2e 0f 1f 84 00 00 00 00 00')).toBe('cs nop WORD PTR [rax+rax*1+0x0]');
    expect(dis('66 66 2e 0f 1f 84 00 00 00 00 00')).toBe('data16 cs nop WORD PTR [rax+rax*1+0x0]');
    expect(dis('f3 c3')).toBe('repz ret');
    expect(dis('f3 0f 1e fa')).toBe('endbr64');
  });

  it('x87 instructions, and FWAIT folded into FINIT', () => {
    expect(dis('dd 00')).toBe('fld QWORD PTR [rax]');
    expect(dis('de c1')).toBe('faddp st(1),st');
    expect(dis('db e3')).toBe('fninit');
    expect(dis('9b db e3')).toBe('finit');
  });

  it('unknown encodings are (bad) with their first byte, and so are truncated ones', () => {
    for (const [hex, bits] of [['ce', 64], ['0f 0f', 64], ['c4 c0', 32], ['d6', 64], ['06', 64]] as const) {
      const insn = disassemble(bytes(hex), 0, 0n, bits);
      expect(insn.text, hex).toBe('(bad)');
      expect(insn.bad).toBe(true);
      expect(insn.length).toBe(1);
      expect([...insn.bytes]).toEqual([bytes(hex)[0]]);
    }
    expect(disassemble(bytes('48 8b 05 00 00'), 0, 0n, 64).text).toBe('(bad)');
    expect(disassemble(bytes('66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90'), 0, 0n, 64).text).toBe('(bad)');
  });

  it('lists consecutive instructions at their addresses', () => {
    const list = listing(bytes('55 48 89 e5 5d c3'), 0x401000n, 64, 10);
    expect(list.map((i) => [i.address, i.text])).toEqual([
      [0x401000n, 'push rbp'], [0x401001n, 'mov rbp,rsp'], [0x401004n, 'pop rbp'], [0x401005n, 'ret'],
    ]);
  });
});

describe('x86 disassembler: agreement with objdump -d -M intel', () => {
  for (const [file, what] of [
    ['forms.txt', 'every hand-written form (forms32.s, forms64.s)'],
    ['guests.txt', 'every instruction form of our guest images'],
    ['debian.txt', "one sample of each form in Debian's busybox and Linux 6.1"],
  ] as const) {
    it(`agrees on ${what}`, () => {
      const vs = vectors(file);
      expect(vs.length).toBeGreaterThan(500);
      expect(mismatches(vs).slice(0, 20)).toEqual([]);
    });
  }
});
