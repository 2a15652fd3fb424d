// Writable page tables (xen-pv-abi.md 3.4, 4.1; xen/ptwr.ts): guest-kernel stores to a read-only
// mapping of an L1 in use are emulated as validated L1 updates. These tests run real instructions on
// the CPU interpreter: each program does the store under test, saves RAX, RDX and ZF to a data page,
// and shuts the domain down with sched_op. L1 under test: mfn 40, pinned, mapped read-only at 0x28000.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as L from '../../workers/layout.gen.ts';
import {
  pv64Domain, pv32Domain, PvDomain, HC, MMUEXT, PAGE, P, RW, US, A, D, GUEST_KERNEL,
} from './helpers/xen-mm-domain.ts';

// The CPU interpreter lands in assembly/cpu/interp.ts; without its execute loop these tests cannot run.
const cpuReady = /export function execute\b/.test(readFileSync(new URL('../../assembly/cpu/interp.ts', import.meta.url), 'utf8'));

const CODE = 0x8000; // mfn 8
const OUT = 0x9000; // mfn 9: +0 shutdown reason (0), +0x10 RAX, +0x18 RDX, +0x20 ZF
const L1 = 40;
const L1_VA = L1 * PAGE;
const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RDI = 7;
const EXIT_SHUTDOWN = 1, EXIT_CRASH = 2;

const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const le64 = (v: number) => [...le32(v), 0, 0, 0, 0];

/** PV64 epilogue: save RAX, RDX, ZF; then sched_op(SCHEDOP_shutdown, &reason). */
const EPILOGUE64 = [
  0x48, 0x89, 0x04, 0x25, ...le32(OUT + 0x10), // mov [OUT+0x10], rax
  0x48, 0x89, 0x14, 0x25, ...le32(OUT + 0x18), // mov [OUT+0x18], rdx
  0x0f, 0x94, 0x04, 0x25, ...le32(OUT + 0x20), // sete [OUT+0x20]
  0xb8, 0x1d, 0x00, 0x00, 0x00, // mov eax, 29 (sched_op)
  0xbf, 0x02, 0x00, 0x00, 0x00, // mov edi, 2 (SCHEDOP_shutdown)
  0x48, 0xbe, ...le64(OUT), // mov rsi, OUT
  0x0f, 0x05, // syscall
];

/** PV32 epilogue: the same through int $0x82 (arguments in EBX, ECX). */
const EPILOGUE32 = [
  0xa3, ...le32(OUT + 0x10), // mov [OUT+0x10], eax
  0x89, 0x15, ...le32(OUT + 0x18), // mov [OUT+0x18], edx
  0x0f, 0x94, 0x05, ...le32(OUT + 0x20), // sete [OUT+0x20]
  0xb8, 0x1d, 0x00, 0x00, 0x00, // mov eax, 29
  0xbb, 0x02, 0x00, 0x00, 0x00, // mov ebx, 2
  0xb9, ...le32(OUT), // mov ecx, OUT
  0xcd, 0x82, // int $0x82
];

interface Run { exit: number; rax: bigint; rdx: bigint; zf: number; rip: bigint }

function setup(type: 'pv64' | 'pv32' = 'pv64', writablePagetables = true): PvDomain {
  const d = type === 'pv64' ? pv64Domain() : pv32Domain();
  d.makeReadOnly(L1);
  const [rc] = d.mmuext([[MMUEXT.PIN_L1, L1]]);
  if (rc !== 0n) throw new Error(`pin failed: ${rc}`);
  if (writablePagetables) expect(d.hc(HC.vm_assist, 0, 2)).toBe(0n);
  return d;
}

function run(d: PvDomain, insn: number[], regs: Partial<Record<number, bigint>>): Run {
  const code = [...insn, ...(d.pv64 ? EPILOGUE64 : EPILOGUE32)];
  d.core.bytes.set(code, d.va(CODE));
  d.core.bytes.fill(0, d.va(OUT), d.va(OUT) + 0x40);
  for (const [r, v] of Object.entries(regs)) d.setU64(L.CPU_BASE + L.CPU_GPR + Number(r) * 8, v!);
  d.setU64(L.CPU_BASE + L.CPU_RIP, BigInt(CODE));
  d.setU64(L.CPU_BASE + L.CPU_GPR + 4 * 8, 0x2f800n); // RSP
  d.setU32(L.DOM_BASE + L.DOM_STATE, L.DOMSTATE_RUNNING); // a previous program shut the domain down
  const exit = d.core.exports.run(10_000);
  return {
    exit,
    rax: d.u64(d.va(OUT + 0x10)),
    rdx: d.u64(d.va(OUT + 0x18)),
    zf: d.core.bytes[d.va(OUT + 0x20)],
    rip: d.u64(L.CPU_BASE + L.CPU_RIP),
  };
}

const kernel = (d: PvDomain, mfn: number, flags = P | RW | A | D) => d.pte(mfn, flags) | (d.pv64 ? US | GUEST_KERNEL : 0n);

describe.runIf(cpuReady)('writable page tables (ptwr)', () => {
  it('emulates MOV r/m64, r64 of a new PTE into a read-only mapped L1', () => {
    const d = setup();
    const before = d.frame(41).count;
    // 48 89 07    mov [rdi], rax
    const r = run(d, [0x48, 0x89, 0x07], { [RDI]: BigInt(L1_VA + 3 * 8), [RAX]: d.pte(41) });
    expect(r.exit).toBe(EXIT_SHUTDOWN);
    expect(d.entry(L1, 3)).toBe(kernel(d, 41));
    expect(d.frame(41).count).toBe(before + 1);
    expect(d.counter(L.CNT_PTWR_EMULATIONS)).toBe(1n);
  });

  it('emulates XCHG (ptep_get_and_clear): the register receives the old PTE', () => {
    const d = setup();
    expect(d.mmuUpdate([[d.ptr(L1, 3), d.pte(41)]])[0]).toBe(0n);
    const before = d.frame(41).count;
    // 48 87 13    xchg [rbx], rdx
    const r = run(d, [0x48, 0x87, 0x13], { [RBX]: BigInt(L1_VA + 3 * 8), [RDX]: 0n });
    expect(r.exit).toBe(EXIT_SHUTDOWN);
    expect(r.rdx).toBe(kernel(d, 41));
    expect(d.entry(L1, 3)).toBe(0n);
    expect(d.frame(41).count).toBe(before - 1);
  });

  it('delivers the #PF when the new PTE would map a page table writable', () => {
    const d = setup();
    const r = run(d, [0x48, 0x89, 0x07], { [RDI]: BigInt(L1_VA + 3 * 8), [RAX]: d.pte(3) });
    expect(r.exit).toBe(EXIT_CRASH); // no #PF handler registered: the domain crashes
    expect(d.exitMessage()).toMatch(/#PF/);
    expect(d.entry(L1, 3)).toBe(0n);
    expect(r.rip).toBe(BigInt(CODE)); // still at the store
    expect(d.counter(L.CNT_PTWR_EMULATIONS)).toBe(0n);
  });

  it('needs VMASST_TYPE_writable_pagetables', () => {
    const d = setup('pv64', false);
    const r = run(d, [0x48, 0x89, 0x07], { [RDI]: BigInt(L1_VA + 3 * 8), [RAX]: d.pte(41) });
    expect(r.exit).toBe(EXIT_CRASH);
    expect(d.entry(L1, 3)).toBe(0n);
  });

  it('leaves stores to read-only pages that are not L1 tables to the guest', () => {
    const d = setup();
    d.makeReadOnly(42);
    const r = run(d, [0x48, 0x89, 0x07], { [RDI]: BigInt(42 * PAGE), [RAX]: 0x1234n });
    expect(r.exit).toBe(EXIT_CRASH);
    expect(d.u64(d.ma(42))).toBe(0n);
  });

  it('refuses a misaligned store', () => {
    const d = setup();
    // 48 89 47 04    mov [rdi+4], rax
    const r = run(d, [0x48, 0x89, 0x47, 0x04], { [RDI]: BigInt(L1_VA + 3 * 8), [RAX]: 0n });
    expect(r.exit).toBe(EXIT_CRASH);
  });

  it('merges a 4-byte store into the 8-byte entry', () => {
    const d = setup();
    expect(d.mmuUpdate([[d.ptr(L1, 3), d.pte(41)]])[0]).toBe(0n);
    // 89 07    mov [rdi], eax    (low half: mfn 42, read-only)
    const r = run(d, [0x89, 0x07], { [RDI]: BigInt(L1_VA + 3 * 8), [RAX]: d.pte(42, P | A) });
    expect(r.exit).toBe(EXIT_SHUTDOWN);
    expect(d.entry(L1, 3)).toBe(kernel(d, 42, P | A));
  });

  it('emulates LOCK CMPXCHG: success stores and sets ZF, failure loads RAX and clears ZF', () => {
    const d = setup();
    expect(d.mmuUpdate([[d.ptr(L1, 3), d.pte(41)]])[0]).toBe(0n);
    const cmpxchg = [0xf0, 0x48, 0x0f, 0xb1, 0x13]; // lock cmpxchg [rbx], rdx
    const at = BigInt(L1_VA + 3 * 8);
    const fail = run(d, cmpxchg, { [RBX]: at, [RAX]: 0x999n, [RDX]: d.pte(42) });
    expect([fail.exit, fail.zf, fail.rax]).toEqual([EXIT_SHUTDOWN, 0, kernel(d, 41)]);
    expect(d.entry(L1, 3)).toBe(kernel(d, 41));
    const ok = run(d, cmpxchg, { [RBX]: at, [RAX]: kernel(d, 41), [RDX]: d.pte(42, P | A) });
    expect([ok.exit, ok.zf]).toEqual([EXIT_SHUTDOWN, 1]);
    expect(d.entry(L1, 3)).toBe(kernel(d, 42, P | A));
  });

  it('emulates LOCK BTR on the RW bit (clear_bit on a PTE)', () => {
    const d = setup();
    expect(d.mmuUpdate([[d.ptr(L1, 3), d.pte(41)]])[0]).toBe(0n);
    // f0 48 0f ba 37 01    lock btr qword [rdi], 1
    const r = run(d, [0xf0, 0x48, 0x0f, 0xba, 0x37, 0x01], { [RDI]: BigInt(L1_VA + 3 * 8) });
    expect(r.exit).toBe(EXIT_SHUTDOWN);
    expect(d.entry(L1, 3)).toBe(kernel(d, 41, P | A | D));
    expect(d.frame(41).count).toBe(1); // only the bootstrap writable mapping is left
  });

  it('emulates a PV32 LOCK CMPXCHG8B of a PAE entry', () => {
    const d = setup('pv32');
    // f0 0f c7 0f    lock cmpxchg8b [edi]
    const r = run(d, [0xf0, 0x0f, 0xc7, 0x0f], {
      [RDI]: BigInt(L1_VA + 3 * 8), [RAX]: 0n, [RDX]: 0n, [RBX]: d.pte(41, P | A), [RCX]: 1n << 31n, // NX in the high half
    });
    expect([r.exit, r.zf]).toEqual([EXIT_SHUTDOWN, 1]);
    expect(d.entry(L1, 3)).toBe(d.pte(41, P | A) | (1n << 63n));
    const again = run(d, [0xf0, 0x0f, 0xc7, 0x0f], { [RDI]: BigInt(L1_VA + 3 * 8), [RAX]: 0n, [RDX]: 0n, [RBX]: 0n, [RCX]: 0n });
    expect([again.exit, again.zf]).toEqual([EXIT_SHUTDOWN, 0]); // EDX:EAX no longer matches
    expect([again.rax & 0xffffffffn, again.rdx & 0xffffffffn]).toEqual([d.pte(41, P | A), 1n << 31n]);
    expect(d.entry(L1, 3)).toBe(d.pte(41, P | A) | (1n << 63n));
  });
});
