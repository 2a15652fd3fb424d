// The hardware oracle (test/oracle/*.c) as a specification of the machine every vector runs on:
// code page, data window, GS segment, sentinel, faults with the CPU's error codes, partial REP
// state, single-step, syscall events. These run the real CPU, so they need x86-64 Linux and gcc;
// elsewhere they are skipped. Expected values were worked out from the Intel SDM, not copied.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { arch, platform } from 'node:os';
import { buildOracle } from './build.mjs';
import { compare, parseVector, type ActualResult, type Vector, GPR_NAMES, initialValue } from '../../workers/vectors/format.ts';

const canRun = platform() === 'linux' && arch() === 'x64' && spawnSync('gcc', ['--version']).status === 0;

function run(lines: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(buildOracle({ quiet: true }), [], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs one test: code in hex, init registers; returns the recorded vector as parsed JSON. */
function oracle(code: string, init: Record<string, unknown> = {}, step = 0): Record<string, any> {
  const r = run([JSON.stringify({ id: 't', mode: 32, code, init, fmask: '0xffffffff', step })]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe.skipIf(!canRun)('hardware oracle', () => {
  it('adds with signed overflow: 01 d8 add eax,ebx, 0x7fffffff + 1 sets OF SF AF PF', () => {
    const v = oracle('01d8', { rax: '0x7fffffff', rbx: '0x1' });
    expect(v.exc).toBeNull();
    expect(v.out).toEqual({ rip: '0x10000002', rflags: '0xa96', rax: '0x80000000' });
    expect(v.memw).toEqual({});
  });

  it('stops at the first 0xCC sentinel past the code, before executing it', () => {
    const v = oracle('9090');
    expect(v.exc).toBeNull();
    expect(v.out.rip).toBe('0x10000002');
  });

  it('reports a read of an unmapped page as #PF, error code 4 (user, read, not present), CR2 = address', () => {
    const v = oracle('8b03', { rbx: '0x30000000' });                       // mov eax,[ebx]
    expect(v.exc).toEqual({ vec: 14, err: '0x4', cr2: '0x30000000', name: 'PF' });
    expect(v.out.rip).toBe('0x10000000');
  });

  it('reports a write as error code 6 and a page-crossing access with CR2 at the first unmapped byte', () => {
    const v = oracle('8903', { rbx: '0x20001ffe' });                       // mov [ebx],eax
    expect(v.exc).toEqual({ vec: 14, err: '0x6', cr2: '0x20002000', name: 'PF' });
    expect(v.memw).toEqual({});                                            // nothing written
  });

  it('reports instruction fetches: 0x15 in the non-executable window, 0x14 on an unmapped page', () => {
    expect(oracle('ffe0', { rax: '0x20000000' }).exc).toMatchObject({ vec: 14, err: '0x15', cr2: '0x20000000' });
    const v = oracle('ffe0', { rax: '0x30000000' });                       // jmp eax
    expect(v.exc).toMatchObject({ vec: 14, err: '0x14', cr2: '0x30000000' });
    expect(v.out.rip).toBe('0x30000000');
  });

  it('leaves ECX/ESI/EDI at the faulting iteration when rep movsb runs off the window', () => {
    const v = oracle('f3a4', { rcx: '0x100', rsi: '0x20000010', rdi: '0x20001ffe',
      mem: { '0x20000010': '1122334455' } });
    expect(v.exc).toEqual({ vec: 14, err: '0x6', cr2: '0x20002000', name: 'PF' });
    expect(v.out).toMatchObject({ rip: '0x10000000', rcx: '0xfe', rsi: '0x20000012', rdi: '0x20002000' });
    expect(v.memw).toEqual({ '0x20001ffe': '1122' });
  });

  it('single-steps one iteration of rep stosb (step 1), leaving RIP on the instruction', () => {
    const v = oracle('f3aa', { rax: '0x41', rcx: '0x5', rdi: '0x20000100' }, 1);
    expect(v.exc).toBeNull();
    expect(v.out).toEqual({ rip: '0x10000000', rflags: '0x202', rcx: '0x4', rdi: '0x20000101' });
    expect(v.memw).toEqual({ '0x20000100': '41' });
  });

  it('addresses through GS (base 0x20000000) with 16-bit addressing: 65 67 8b 00 mov eax,gs:[bx+si]', () => {
    const v = oracle('65678b00', { rbx: '0xabcd0100', rsi: '0x12340020', mem: { '0x20000120': '11223344' } });
    expect(v.exc).toBeNull();
    expect(v.out.rax).toBe('0x44332211');
  });

  it('raises #GP(0) beyond the GS limit of 0xffff', () => {
    expect(oracle('658b03', { rbx: '0x10000' }).exc).toEqual({ vec: 13, err: '0x0', cr2: '0x0', name: 'GP' });
  });

  it('runs with CS 0x23, DS/ES/FS/SS 0x2b and GS 0x07', () => {
    const v = oracle('8cc88cd98cea8cd38ce68cef');                          // mov eax,cs ... mov edi,gs
    expect(v.out).toMatchObject({ rax: '0x23', rcx: '0x2b', rdx: '0x7', rbx: '0x2b', rsi: '0x2b', rdi: '0x7' });
  });

  it('raises #DE for div by zero, at the instruction', () => {
    const v = oracle('f7f3', { rax: '0x10', rbx: '0x0' });                 // div ebx
    expect(v.exc).toEqual({ vec: 0, err: '0x0', cr2: '0x0', name: 'DE' });
    expect(v.out.rip).toBe('0x10000000');
  });

  it('single-steps a prefix followed by the sentinel as a prefixed int3 (66 cc): #BP, not a stop', () => {
    expect(oracle('66', {}, 1)).toMatchObject({ exc: { vec: 3 }, out: { rip: '0x10000002' } });
    expect(oracle('', {}, 1)).toMatchObject({ exc: null, out: { rip: '0x10000000' } });
  });

  it('reports int3 in the code as #BP with RIP after it', () => {
    expect(oracle('cc90')).toMatchObject({ exc: { vec: 3 }, out: { rip: '0x10000001' } });
  });

  it('reports int n with a DPL 0 gate as #GP(n*8+2)', () => {
    expect(oracle('cd21').exc).toEqual({ vec: 13, err: '0x10a', cr2: '0x0', name: 'GP' });
  });

  it('ends at int 0x80 with a syscall event, RIP after it and registers as before', () => {
    const v = oracle('ab40cd80', { rax: '0x14', rdi: '0x20000010' });
    expect(v.exc).toEqual({ event: 'syscall' });
    expect(v.out).toEqual({ rip: '0x10000004', rflags: '0x202', rax: '0x15', rdi: '0x20000014' });
    expect(v.x_undef).toEqual(['rcx']);
  });

  it('ends at a compatibility-mode syscall with the state before it (Linux rewrites EIP and EBP)', () => {
    const v = oracle('40900f05', { rax: '0x1', rbp: '0x77', rsp: '0x50000000' });
    expect(v.exc).toEqual({ event: 'syscall' });
    expect(v.out).toEqual({ rip: '0x10000004', rflags: '0x202', rax: '0x2' });
  });

  it('records XMM changes: 66 0f ef c0 pxor xmm0,xmm0', () => {
    const v = oracle('660fefc0', { xmm0: '0x1234567890abcdef1122334455667788' });
    expect(v.out.xmm0).toBe('0x0');
  });

  it('marks a test that never ends as skipped and goes on with the next', () => {
    const r = run(['{"id":"loop","mode":32,"code":"ebfe","init":{},"fmask":"0xffffffff","step":0}',
      '{"id":"next","mode":32,"code":"40","init":{},"fmask":"0xffffffff","step":0}']);
    const [a, b] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(a.x_skipped).toMatch(/timeout/);
    expect(a.out).toBeUndefined();
    expect(b.out.rax).toBe('0x1');
  });

  it('echoes fields it does not know and replaces an old result', () => {
    const r = run(['{"id":"k","mode":32,"code":"40","init":{},"fmask":"0xffffffff","step":0,"x_op":"inc eax","exc":{"vec":6},"out":{"rip":"0x0","rflags":"0x0"},"memw":{"0x1":"00"}}']);
    const v = JSON.parse(r.stdout);
    expect(v.x_op).toBe('inc eax');
    expect(v.exc).toBeNull();
    expect(v.out).toEqual({ rip: '0x10000001', rflags: '0x202', rax: '0x1' });   // 1 has odd parity: PF 0
    expect(v.memw).toEqual({});
  });

  it('stops at a bad input line with one message naming the line and the cause', () => {
    const r = run(['{"id":"a","mode":32,"code":"90","init":{},"fmask":"0xffffffff","step":0}',
      '{"id":"b","mode":32,"code":"90","init":{"rax":"12"}}']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('oracle: input line 2: rax must be a hex string "0x..." of at most 64 bits');
  });

  it('rejects init.mem outside the data window', () => {
    const r = run(['{"id":"a","mode":32,"code":"90","init":{"mem":{"0x20002000":"00"}}}']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/init\.mem run at 0x20002000 \(1 bytes\) lies outside the data window/);
  });

  it('writes vectors that format.ts reads and that compare equal to themselves', () => {
    const r = run(['{"id":"p","mode":32,"code":"f3a4","init":{"rcx":"0x3","rsi":"0x20000000","rdi":"0x20000100","mem":{"0x20000000":"010203"}},"fmask":"0xffffffff","step":0}']);
    const v: Vector = parseVector(r.stdout.trim());
    const regs = new Map<string, bigint>([['rip', v.out!.get('rip')!], ['rflags', v.out!.get('rflags')!]]);
    for (const g of GPR_NAMES) regs.set(g, v.out!.get(g) ?? initialValue(v, g));
    const self: ActualResult = { exc: v.exc ?? null, regs, memw: v.memw! };
    expect(compare(v, self)).toEqual([]);
    expect(v.memw).toEqual([{ addr: 0x20000100n, bytes: new Uint8Array([1, 2, 3]) }]);
  });
});
