// Runs of decoded instructions (cpu/interp.ts runDecoded): with the decode cache on, the decoded
// instructions that follow one another in a fetch page run back to back and RIP is stored when the
// run ends. What the guest sees (registers, flags, memory, RIP, exception, error code, CR2, retired
// count, trace ring) must be what the byte decoder gives with the cache off, and so must runs of one
// instruction (setDecodedRuns(0), or setCodePageCache(0)) and compiled blocks (setJit, cpu/jit.ts). Runs form only over decoded code, so each
// program runs once to decode it (entries checked) before the run under test, through the core's
// run() export (execute(), as the worker runs it; bareRun single-steps instead).
import { describe, expect, it } from 'vitest';
import { BareMachine, CODE_VA, DATA_VA, DATA_SIZE, GPR_NAMES, hexBytes, type Gpr } from '../helpers/bare-machine.ts';
import * as L from '../../workers/layout.gen.ts';

type Mode = 32 | 64;
/** A setting of the interpreter's switches (cpu/options.ts), 1 on, 0 off. */
interface Config { name: string; decodeCache: number; decodedRuns: number; codePageCache: number; jitThreshold?: number }
/** The configurations compared; the first (the byte decoder alone) is the reference the others must match. */
const CONFIGS: readonly Config[] = [
  { name: 'decode cache off', decodeCache: 0, decodedRuns: 1, codePageCache: 1 },
  { name: 'decode cache on', decodeCache: 1, decodedRuns: 1, codePageCache: 1 },
  { name: 'decode cache on, runs off', decodeCache: 1, decodedRuns: 0, codePageCache: 1 },
  { name: 'code-page cache off', decodeCache: 1, decodedRuns: 1, codePageCache: 0 },
  // Compiled blocks (cpu/jit.ts): a block start seen once before (the warm-up run) is compiled.
  { name: 'compiled blocks', decodeCache: 1, decodedRuns: 1, codePageCache: 1, jitThreshold: 1 },
];
/** Each configuration's result (in CONFIGS order) equals the reference's. */
function expectSameAsReference(results: unknown[], where = ''): void {
  results.forEach((r, i) => expect(r, `${where}${CONFIGS[i].name} vs ${CONFIGS[0].name}`).toEqual(results[0]));
}
const GP = 13, PF = 14;
// #PF error code bits (SDM vol. 3, 4.7).
const PF_W = 2, PF_U = 4, PF_I = 0x10;
const NONCANON = 0x8000_0000_0000_0000n;
const MASK64 = (1n << 64n) - 1n;

// ---- Programs: instructions listed one by one, so tests know every instruction's address ----
interface Program { bytes: Uint8Array; offsets: number[]; lengths: number[] }
function program(...insns: string[]): Program {
  const parts = insns.map(hexBytes);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const offsets: number[] = [];
  let o = 0;
  for (const p of parts) { offsets.push(o); bytes.set(p, o); o += p.length; }
  return { bytes, offsets, lengths: parts.map((p) => p.length) };
}

/** The little-endian rel32 of a branch whose next instruction is at `next`, to `to`. */
function rel32(next: bigint, to: bigint): string {
  const r = Number((to - next) & 0xffff_ffffn);
  return [r & 0xff, (r >> 8) & 0xff, (r >> 16) & 0xff, r >>> 24].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- The machine: the bare machine of bare-machine.ts, run through run(budget) ----
/** A bare machine with the switches of `cfg` and `code` at CODE_VA (page 0xCC after it). */
function machine(mode: Mode, cfg: Config, code: Uint8Array = new Uint8Array()): BareMachine {
  const m = new BareMachine(mode);
  m.core.exports.setDecodeCache(cfg.decodeCache);
  m.core.exports.setDecodedRuns(cfg.decodedRuns);
  m.core.exports.setCodePageCache(cfg.codePageCache);
  m.core.exports.setJit(cfg.jitThreshold === undefined ? 0 : 1);
  if (cfg.jitThreshold !== undefined) m.core.exports.setJitThreshold(cfg.jitThreshold);
  configs.set(m, cfg);
  m.load(code);
  return m;
}
const configs = new WeakMap<BareMachine, Config>();
const configOf = (m: BareMachine): Config => configs.get(m)!;

interface Slice { exit: number; retired: bigint; vector?: number; error?: number; cr2?: bigint }
/**
 * run(budget): at most `budget` instructions. An exception stops it (EXIT_EXCEPTION, the record in
 * CPU_FAULT_*); so does an INT3 in the first code page (EXIT_SENTINEL, RIP on the 0xCC: bare.ts).
 */
function slice(m: BareMachine, budget: number): Slice {
  m.view.setUint32(L.CPU_BASE + L.CPU_FAULT_VEC, 0xffffffff, true);
  const before = m.retired();
  const exit = m.core.exports.run(budget) as number;
  const r: Slice = { exit, retired: m.retired() - before };
  if (exit === L.EXIT_EXCEPTION) {
    r.vector = m.u32(L.CPU_FAULT_VEC);
    if (m.u32(L.CPU_FAULT_HAS_ERR)) r.error = m.u32(L.CPU_FAULT_ERR);
    if (r.vector === PF) r.cr2 = m.u64(L.CPU_FAULT_CR2);
  }
  return r;
}

interface Start { regs?: Partial<Record<Gpr, bigint | number>>; mem?: Record<string, string>; rip?: bigint }
/** Sets every register (unlisted ones 0, RSP 0x20001000), RFLAGS 0x202, the data window and RIP, without touching the caches. */
function start(m: BareMachine, s: Start): void {
  for (const r of GPR_NAMES) m.set(r, s.regs?.[r] ?? (r === 'rsp' ? DATA_VA + 0x1000n : 0n));
  m.setFlags(0x202n);
  m.writeData(DATA_VA, new Uint8Array(DATA_SIZE));
  for (const [a, bytes] of Object.entries(s.mem ?? {})) m.writeData(BigInt(a), bytes);
  m.rip = s.rip ?? CODE_VA;
}

/** What the guest can see: registers, RIP, RFLAGS, the data window and the first two code pages. */
function state(m: BareMachine) {
  const regs: Record<string, string> = {};
  for (const r of GPR_NAMES) regs[r] = '0x' + m.get(r).toString(16);
  return {
    regs, rip: '0x' + m.rip.toString(16), rflags: '0x' + m.flags().toString(16),
    data: Buffer.from(m.readData(DATA_VA, DATA_SIZE)).toString('hex'),
    code: Buffer.from(m.bytes.slice(m.core.exports.bareCodeHost(), m.core.exports.bareCodeHost() + 0x1000)).toString('hex'),
    code2: Buffer.from(m.bytes.slice(frameHost(CODE2_FRAME), frameHost(CODE2_FRAME) + 0x1000)).toString('hex'),
  };
}

// ---- A second code page: 0x10001000 -> frame 16, user RWX (the bare machine maps only 0x10000000) ----
const CODE2_VA = CODE_VA + 0x1000n;
const CODE2_FRAME = 16; // frames 1..15 are the bare machine's (bare.ts); newCore gives 64
const PT_CODE_FRAME = 4; // bare.ts F_PT_CODE: the page table of the code page
const frameHost = (f: number) => L.GUEST_RAM_BASE + f * L.PAGE_SIZE;
function mapSecondCodePage(m: BareMachine): void {
  m.bytes.fill(0xcc, frameHost(CODE2_FRAME), frameHost(CODE2_FRAME) + L.PAGE_SIZE);
  m.view.setBigUint64(frameHost(PT_CODE_FRAME) + 8, (BigInt(CODE2_FRAME) << 12n) | 7n, true); // P RW US
}
/** Host offset of code address `va` (0x10000000..0x101fffff), through the code page table. */
function codeHost(m: BareMachine, va: bigint): number {
  const index = Number((va - CODE_VA) >> 12n);
  if (index < 0 || index >= 512) throw new Error(`0x${va.toString(16)} is outside the code page table`);
  const pte = m.view.getBigUint64(frameHost(PT_CODE_FRAME) + 8 * index, true);
  if (!(pte & 1n)) throw new Error(`0x${va.toString(16)} is not mapped`);
  return frameHost(Number((pte >> 12n) & 0xffffn)) + Number(va & 0xfffn);
}
/** Writes code from the host at `va` and drops what the core decoded or translated from it. */
function writeCode(m: BareMachine, va: bigint, bytes: Uint8Array): void {
  bytes.forEach((b, i) => { m.bytes[codeHost(m, va + BigInt(i))] = b; }); // the two pages are not adjacent frames
  m.core.exports.testCodeWritten();
}

// ---- The decode cache as the tests see it (cpu/decode-cache.ts entry: u64 key = host | mode << 32 |
// generation << 34, u16 op at +8, u8 length at +10; the table starts at DCACHE_BASE) ----
interface Entry { op: number; len: number; gen: bigint }
function decodedEntry(m: BareMachine, va: bigint): Entry | undefined {
  const host = BigInt(codeHost(m, va));
  const modeKey = m.mode === 64 ? 3n : 2n;
  for (let e = L.DCACHE_BASE; e + 32 <= L.DCACHE_BASE + L.DCACHE_SIZE; e += 32) {
    const key = m.view.getBigUint64(e, true);
    if ((key & 0xffffffffn) === host && ((key >> 32n) & 3n) === modeKey && key >> 34n !== 0n) {
      return { op: m.view.getUint16(e + 8, true), len: m.view.getUint8(e + 10), gen: key >> 34n };
    }
  }
  return undefined;
}
/**
 * The precondition of a run: every instruction of `p` at `base` has a fast entry (op != 0) of its
 * length, all of one generation (the current one: nothing invalidated them since they were decoded).
 */
function expectDecoded(m: BareMachine, p: Program, base = CODE_VA, only = p.offsets.map((_, i) => i), where = ''): void {
  const gens = new Set<bigint>();
  for (const i of only) {
    const e = decodedEntry(m, base + BigInt(p.offsets[i]));
    expect(e, `${where}instruction ${i} at +0x${p.offsets[i].toString(16)} is decoded`).toBeDefined();
    expect(e!.op, `${where}instruction ${i} has a fast entry`).not.toBe(0);
    expect(e!.len).toBe(p.lengths[i]);
    gens.add(e!.gen);
  }
  expect(gens.size).toBe(1);
}

// ---- The instruction-trace ring (debug/trace.ts, layout TRACE_*) ----
const traceHead = (m: BareMachine) => m.view.getUint32(L.TRACE_BASE + L.TRACE_HEAD, true);
/** The RIPs of the TRACE_KIND_INSN entries written since head `from`. */
function tracedRips(m: BareMachine, from: number): bigint[] {
  const to = traceHead(m);
  expect(to - from).toBeLessThanOrEqual(L.TRACE_COUNT);
  const rips: bigint[] = [];
  for (let i = from; i < to; i++) {
    const e = L.TRACE_BASE + L.TRACE_ENTRIES + (i & (L.TRACE_COUNT - 1)) * L.TRACE_ENTRY_SIZE;
    if (m.view.getUint32(e + 8, true) === L.TRACE_KIND_INSN) rips.push(m.view.getBigUint64(e, true));
  }
  return rips;
}

interface RunOpts {
  base?: bigint;
  /** The start of the decoding pass (default: the same as the run under test). */
  warm?: Start;
  /** Instructions that must have fast entries before the run under test (default: all of them). */
  decoded?: number[];
  /** Names the case in failure messages. */
  where?: string;
}
/**
 * Runs `p` at `base` twice from `s`: once to decode it, then the run under test, `budget`
 * instructions at most (with the decode cache on, the entries are checked first). Returns the slice and
 * the RIPs it traced.
 */
function decodedRunOn(m: BareMachine, p: Program, s: Start, budget: number, opts: RunOpts = {}) {
  const base = opts.base ?? CODE_VA;
  m.core.exports.setInstructionTrace(1);
  writeCode(m, base, p.bytes);
  start(m, { ...(opts.warm ?? s), rip: base });
  slice(m, 100_000);
  start(m, { ...s, rip: base });
  if (configOf(m).decodeCache) expectDecoded(m, p, base, opts.decoded, opts.where ? opts.where + ': ' : '');
  const head = traceHead(m);
  const r = slice(m, budget);
  return { m, r, trace: tracedRips(m, head) };
}
/** decodedRunOn on a fresh machine (with the second code page mapped when the code is not at CODE_VA). */
function decodedRun(mode: Mode, cfg: Config, p: Program, s: Start, budget: number, opts: RunOpts = {}) {
  const m = machine(mode, cfg);
  if ((opts.base ?? CODE_VA) !== CODE_VA) mapSecondCodePage(m);
  return decodedRunOn(m, p, s, budget, opts);
}

// A straight line of fast ops (all of them decoded forms of cpu/predecode.ts), 59 bytes.
const LINE_INSNS = [
  'b801000000', //                 mov eax, 1
  '48bb8877665544332211', //       mov rbx, 0x1122334455667788
  '4801d8', //                     add rax, rbx
  '488d4c5810', //                 lea rcx, [rax+rbx*2+0x10]
  '51', //                         push rcx
  '6a7f', //                       push 0x7f
  '5a', //                         pop rdx
  '5e', //                         pop rsi
  '31ff', //                       xor edi, edi
  '4829cf', //                     sub rdi, rcx
  '4c6bc703', //                   imul r8, rdi, 3
  '440fb6c9', //                   movzx r9d, cl
  '49c1e104', //                   shl r9, 4
  '4883fa7f', //                   cmp rdx, 0x7f
  '410f94c2', //                   sete r10b
  '4c8b5c24f0', //                 mov r11, [rsp-0x10]
  '90', //                         nop
];
const LINE = program(...LINE_INSNS);
/** LINE's results, worked out by hand. */
function lineExpected(): Record<string, bigint> {
  const rbx = 0x1122334455667788n;
  const rax = 1n + rbx;
  const rcx = (rax + rbx * 2n + 0x10n) & MASK64;
  const rdi = -rcx & MASK64;
  return {
    rax, rbx, rcx, rdx: 0x7fn, rsi: rcx, rdi, r8: (rdi * 3n) & MASK64, r9: (rcx & 0xffn) << 4n,
    r10: 1n, r11: 0x7fn, rsp: DATA_VA + 0x1000n,
  };
}
/** The same in 32-bit code. */
const LINE32 = program(
  'b801000000', //                 mov eax, 1
  'bb88776655', //                 mov ebx, 0x55667788
  '01d8', //                       add eax, ebx
  '8d4c5810', //                   lea ecx, [eax+ebx*2+0x10]
  '51', //                         push ecx
  '6a7f', //                       push 0x7f
  '5a', //                         pop edx
  '5e', //                         pop esi
  '31ff', //                       xor edi, edi
  '29cf', //                       sub edi, ecx
  '6bef03', //                     imul ebp, edi, 3
  '0fb6c1', //                     movzx eax, cl
  'c1e004', //                     shl eax, 4
  '83fa7f', //                     cmp edx, 0x7f
  '0f94c3', //                     sete bl
  '8b5c24f8', //                   mov ebx, [esp-8]
  '90', //                         nop
);
function line32Expected(): Record<string, bigint> {
  const M = 0xffff_ffffn;
  const rbx0 = 0x55667788n, rax0 = 1n + rbx0;
  const rcx = (rax0 + rbx0 * 2n + 0x10n) & M;
  const rdi = -rcx & M;
  return { rax: (rcx & 0xffn) << 4n, rbx: 0x7fn, rcx, rdx: 0x7fn, rsi: rcx, rdi, rbp: (rdi * 3n) & M, rsp: DATA_VA + 0x1000n };
}

describe('a straight-line run of decoded instructions', () => {
  for (const [mode, p, expected] of [[64, LINE, lineExpected], [32, LINE32, line32Expected]] as const) {
    it(`mode ${mode}: ends with the registers, flags and RIP the byte decoder gives, each instruction retired once`, () => {
      const results = CONFIGS.map((cfg) => {
        const m = machine(mode, cfg, p.bytes);
        start(m, {});
        slice(m, 100_000); // decodes the program (decode cache on)
        start(m, {});
        if (cfg.decodeCache) expectDecoded(m, p);
        const r = slice(m, p.offsets.length); // the program and nothing more: stops before the sentinel
        expect(r).toEqual({ exit: L.EXIT_BUDGET, retired: BigInt(p.offsets.length) });
        expect(m.rip).toBe(CODE_VA + BigInt(p.bytes.length));
        for (const [reg, v] of Object.entries(expected())) expect(m.get(reg as Gpr), reg).toBe(v);
        expect(slice(m, 100).exit).toBe(L.EXIT_SENTINEL);
        expect(m.rip).toBe(CODE_VA + BigInt(p.bytes.length));
        return state(m);
      });
      expectSameAsReference(results);
    });
  }
});

// mov eax, 1 ; mov ebx, 2 ; add eax, ebx ; lea ecx/rcx, [eax/rax+ebx/rbx*4] ; <the instruction under test> ; mov edi, 9
const FAULT_PREFIX = { 64: ['b801000000', 'bb02000000', '01d8', '488d0c98'], 32: ['b801000000', 'bb02000000', '01d8', '8d0c98'] };
const FAULT_AT = 4;

describe('a fault in the middle of a run', () => {
  interface Case { title: string; mode: Mode; insn: string; ok: Start['regs']; bad: Start['regs']; mem?: Start['mem'];
    vector: number; error: number; cr2?: bigint }
  const cases: Case[] = [
    { title: 'mode 64: a read of an unmapped page is #PF(U) with CR2 the address', mode: 64,
      insn: '488b16', // mov rdx, [rsi]
      ok: { rsi: DATA_VA }, bad: { rsi: 0x3000_0000n }, vector: PF, error: PF_U, cr2: 0x3000_0000n },
    { title: 'mode 64: a read-modify-write crossing into an unmapped page is #PF(W|U) at the page boundary', mode: 64,
      insn: '0116', // add [rsi], edx
      ok: { rsi: DATA_VA + 0x100n }, bad: { rsi: DATA_VA + 0x1ffen }, mem: { '0x20001ffe': 'a5a5' },
      vector: PF, error: PF_W | PF_U, cr2: DATA_VA + 0x2000n },
    { title: 'mode 64: a store to a non-canonical address is #GP(0)', mode: 64,
      insn: '488916', // mov [rsi], rdx
      ok: { rsi: DATA_VA }, bad: { rsi: NONCANON }, vector: GP, error: 0 },
    { title: 'mode 32: a read crossing the GS limit (0xffff) is #GP(0)', mode: 32,
      insn: '658b16', // mov edx, gs:[esi]
      ok: { rsi: 0 }, bad: { rsi: 0xfffe }, vector: GP, error: 0 },
  ];
  for (const c of cases) {
    it(`${c.title}; RIP is on it, the earlier instructions of the run took effect and it changed nothing`, () => {
      const p = program(...FAULT_PREFIX[c.mode], c.insn, 'bf09000000');
      const marker = { rdx: 0xd0d0n, rdi: 0xd1d1n };
      const warm: Start = { regs: { ...marker, ...c.ok }, mem: c.mem };
      const s: Start = { regs: { ...marker, ...c.bad }, mem: c.mem };
      const results = CONFIGS.map((cfg) => {
        const { m, r } = decodedRun(c.mode, cfg, p, s, 100_000, { warm });
        expect(r, cfg.name).toEqual({ exit: L.EXIT_EXCEPTION, retired: BigInt(FAULT_AT), vector: c.vector, error: c.error, cr2: c.cr2 });
        expect(m.rip).toBe(CODE_VA + BigInt(p.offsets[FAULT_AT]));
        expect([m.get('rax'), m.get('rbx'), m.get('rcx')]).toEqual([3n, 2n, 11n]); // the run before it
        expect([m.get('rdx'), m.get('rdi')]).toEqual([0xd0d0n, 0xd1d1n]); // neither it nor what follows
        if (c.mem) expect(Buffer.from(m.readData(DATA_VA + 0x1ffen, 2)).toString('hex')).toBe('a5a5');
        const atFault = state(m);
        // Exactly the state of stopping before the faulting instruction by the budget.
        const stopped = decodedRun(c.mode, cfg, p, s, FAULT_AT, { warm });
        expect(stopped.r).toEqual({ exit: L.EXIT_BUDGET, retired: BigInt(FAULT_AT) });
        expect(state(stopped.m)).toEqual(atFault);
        return atFault;
      });
      expectSameAsReference(results);
    });
  }

  it('mode 64: restarting after the fault runs the faulting instruction first, then the rest of the program', () => {
    const p = program(...FAULT_PREFIX[64], '488b16', 'bf09000000'); // ...; mov rdx, [rsi]; mov edi, 9
    for (const cfg of CONFIGS) {
      const { m } = decodedRun(64, cfg, p, { regs: { rsi: 0x3000_0000n } }, 100_000, { warm: { regs: { rsi: DATA_VA } } });
      expect(m.rip).toBe(CODE_VA + BigInt(p.offsets[FAULT_AT]));
      m.set('rsi', DATA_VA + 8n).write64(DATA_VA + 8n, 0x0123_4567_89ab_cdefn);
      expect(slice(m, 100_000), cfg.name).toEqual({ exit: L.EXIT_SENTINEL, retired: 3n }); // mov, mov, the INT3 that stops
      expect(m.get('rdx')).toBe(0x0123_4567_89ab_cdefn);
      expect(m.get('rdi')).toBe(9n);
      expect(m.get('rax')).toBe(3n);
    }
  });

  it('mode 64: a fault reached through in-page backward jumps reports the instruction at the loop head', () => {
    // L: mov rdx, [rsi] ; add rcx, rdx ; add rsi, 8 ; jmp L   -- walks off the end of the data window
    const p = program('488b16', '4801d1', '4883c608', 'ebf4');
    const mem: Record<string, string> = {};
    for (let i = 0; i < 8; i++) mem['0x' + (DATA_VA + 0x1fc0n + BigInt(8 * i)).toString(16)] = (i + 1).toString(16).padStart(2, '0') + '00000000000000';
    const results = CONFIGS.map((cfg) => {
      const m = machine(64, cfg, p.bytes);
      start(m, { regs: { rsi: DATA_VA + 0x1fc0n }, mem });
      const r = slice(m, 100_000);
      expect(r).toEqual({ exit: L.EXIT_EXCEPTION, retired: 32n, vector: PF, error: PF_U, cr2: DATA_VA + 0x2000n });
      expect(m.rip).toBe(CODE_VA);
      expect(m.get('rcx')).toBe(36n); // 1 + 2 + ... + 8
      expect(m.get('rdx')).toBe(8n);
      expect(m.get('rsi')).toBe(DATA_VA + 0x2000n);
      return state(m);
    });
    expectSameAsReference(results);
  });
});

// mov ecx, 1000 ; L: add eax, ecx ; lea edx, [rdx+rax*2] ; dec ecx ; jnz L   (4001 instructions)
const LOOP = program('b9e8030000', '01c8', '8d1442', 'ffc9', '75f7');
const LOOP_HEAD = LOOP.offsets[1];
const LOOP_INSNS = 1 + 4 * 1000;
/** The loop worked out instruction by instruction: registers and the next RIP after `n` retired. */
function loopModel(n: number): { rax: bigint; rcx: bigint; rdx: bigint; rip: bigint } {
  let rax = 0n, rcx = 0n, rdx = 0n, zf = false, i = 0;
  const body = [
    () => { rax = (rax + rcx) & 0xffff_ffffn; },
    () => { rdx = (rdx + rax * 2n) & 0xffff_ffffn; },
    () => { rcx = (rcx - 1n) & 0xffff_ffffn; zf = rcx === 0n; },
    () => {},
  ];
  let ip = 0;
  for (; i < n; i++) {
    if (ip === 0) { rcx = 1000n; ip = LOOP_HEAD; continue; }
    const k = LOOP.offsets.indexOf(ip) - 1;
    body[k]();
    ip = k === 3 ? (zf ? LOOP.bytes.length : LOOP_HEAD) : LOOP.offsets[k + 2];
  }
  return { rax, rcx, rdx, rip: CODE_VA + BigInt(ip) };
}

describe('the instruction budget', () => {
  for (const mode of [64, 32] as const) {
    for (const n of [1, 2, 3, 5, 7, 1000, LOOP_INSNS]) {
      it(`mode ${mode}: a budget of ${n} retires exactly ${n} instructions and leaves RIP on the next one (in every configuration)`, () => {
        const model = loopModel(n);
        const results = CONFIGS.map((cfg) => {
          const { m, r } = decodedRun(mode, cfg, LOOP, {}, n);
          expect(r, cfg.name).toEqual({ exit: L.EXIT_BUDGET, retired: BigInt(n) });
          expect(m.rip).toBe(model.rip);
          expect({ rax: m.get('rax'), rcx: m.get('rcx'), rdx: m.get('rdx') }).toEqual({ rax: model.rax, rcx: model.rcx, rdx: model.rdx });
          return state(m);
        });
        expectSameAsReference(results);
      });
    }
  }

  it('mode 64: slices of 7 instructions end where one slice would, each retiring exactly 7', () => {
    for (const cfg of CONFIGS) {
      const { m } = decodedRun(64, cfg, LOOP, {}, 0);
      let total = 0n;
      for (;;) {
        const r = slice(m, 7);
        if (r.exit !== L.EXIT_BUDGET) break;
        expect(r.retired).toBe(7n);
        total += 7n;
        if (total < BigInt(LOOP_INSNS)) expect(m.rip).toBe(loopModel(Number(total)).rip);
      }
      expect(m.rip).toBe(CODE_VA + BigInt(LOOP.bytes.length));
      expect(m.get('rax')).toBe(loopModel(LOOP_INSNS).rax);
      expect(m.get('rdx')).toBe(loopModel(LOOP_INSNS).rdx);
    }
  });
});

describe('the instruction-trace ring', () => {
  it('records one entry per retired instruction, with its RIP, for instructions chained in a run', () => {
    // mov ecx, 3 ; L: add eax, ecx ; dec ecx ; jnz L ; (sentinel)
    const p = program('b903000000', '01c8', 'ffc9', '75fa');
    const a = (i: number) => CODE_VA + BigInt(p.offsets[i]);
    const expected = [a(0), a(1), a(2), a(3), a(1), a(2), a(3), a(1), a(2), a(3), CODE_VA + BigInt(p.bytes.length)];
    for (const cfg of CONFIGS) {
      const { m, r, trace } = decodedRun(64, cfg, p, {}, 100_000);
      if (cfg.decodeCache) expectDecoded(m, p);
      expect(r.exit).toBe(L.EXIT_SENTINEL);
      expect(trace, cfg.name).toEqual(expected); // the last one is the INT3 that stops the run
      expect(BigInt(trace.length)).toBe(r.retired);
    }
  });

  it('records the instructions of a run up to and including the faulting one, as with the cache off', () => {
    const p = program(...FAULT_PREFIX[64], '488b16', 'bf09000000');
    const traces = CONFIGS.map((cfg) => {
      const { trace } = decodedRun(64, cfg, p, { regs: { rsi: 0x3000_0000n } }, 100_000, { warm: { regs: { rsi: DATA_VA } } });
      return trace;
    });
    expect(traces[0]).toEqual(p.offsets.slice(0, FAULT_AT + 1).map((o) => CODE_VA + BigInt(o)));
    expectSameAsReference(traces);
  });

  it('records exactly the budget when a slice stops inside a run', () => {
    for (const cfg of CONFIGS) {
      const { trace } = decodedRun(64, cfg, LOOP, {}, 6);
      expect(trace).toEqual([0, 1, 2, 3, 4, 1].map((i) => CODE_VA + BigInt(LOOP.offsets[i])));
    }
  });
});

describe('a run that reaches the end of the fetch page', () => {
  it('mode 64: LINE placed across two pages at every split point (between and inside instructions) gives the byte decoder\'s results', () => {
    // LINE, then jmp rel32 back to CODE_VA + 0x800 (0xCC: the stop).
    const machines = CONFIGS.map((cfg) => { const m = machine(64, cfg); mapSecondCodePage(m); return m; });
    let straddling = 0;
    for (let k = 1; k < LINE.bytes.length; k++) {
      const base = CODE2_VA - BigInt(k);
      const p = program(...LINE_INSNS, 'e9' + rel32(base + BigInt(LINE.bytes.length) + 5n, CODE_VA + 0x800n));
      // The instruction the boundary cuts (if any) is the byte decoder's; the others are decoded.
      const cut = p.offsets.findIndex((o, i) => o < k && k < o + p.lengths[i]);
      if (cut >= 0) straddling++;
      const results = machines.map((m) => {
        m.bytes.fill(0xcc, codeHost(m, CODE_VA), codeHost(m, CODE_VA) + 0x1000);
        m.bytes.fill(0xcc, codeHost(m, CODE2_VA), codeHost(m, CODE2_VA) + 0x1000);
        const { r } = decodedRunOn(m, p, {}, 100_000, { base, decoded: p.offsets.map((_, i) => i).filter((i) => i !== cut), where: `split ${k}` });
        const where = `split ${k}, ${configOf(m).name}`;
        expect(r, where).toEqual({ exit: L.EXIT_SENTINEL, retired: BigInt(LINE.offsets.length + 2) }); // LINE, the jmp, the INT3
        expect(m.rip, where).toBe(CODE_VA + 0x800n);
        for (const [reg, v] of Object.entries(lineExpected())) expect(m.get(reg as Gpr), `${reg} at ${where}`).toBe(v);
        return state(m);
      });
      expectSameAsReference(results, `split ${k}: `);
    }
    expect(straddling).toBeGreaterThan(30); // most split points fall inside an instruction
  });

  it('mode 64: a budget that ends the slice at the page boundary leaves RIP on the first byte of the next page', () => {
    // LINE ends exactly at the boundary (the next page holds 0xCC: an INT3 there would be #BP).
    const base = CODE2_VA - BigInt(LINE.bytes.length);
    for (const cfg of CONFIGS) {
      const { m, r } = decodedRun(64, cfg, LINE, {}, LINE.offsets.length, { base });
      expect(r).toEqual({ exit: L.EXIT_BUDGET, retired: BigInt(LINE.offsets.length) });
      expect(m.rip, cfg.name).toBe(CODE2_VA);
      for (const [reg, v] of Object.entries(lineExpected())) expect(m.get(reg as Gpr), reg).toBe(v);
    }
  });

  it('mode 64: falling off the end of the page continues at the next linear page, not in the next host frame', () => {
    // 0x10001000 -> frame 16, 0x10002000 -> frame 30, 0x10003000 -> frame 17 (the host frame after 16).
    // Frame 17 holds decoded code (run through 0x10003000); the code at the end of frame 16 falls
    // through into 0x10002000, whose code must run instead.
    for (const cfg of CONFIGS) {
      const m = machine(64, cfg);
      mapSecondCodePage(m);
      const pt = frameHost(PT_CODE_FRAME);
      m.view.setBigUint64(pt + 2 * 8, (30n << 12n) | 7n, true);
      m.view.setBigUint64(pt + 3 * 8, (17n << 12n) | 7n, true);
      m.bytes.fill(0xcc, frameHost(30), frameHost(30) + L.PAGE_SIZE);
      m.bytes.fill(0xcc, frameHost(17), frameHost(17) + L.PAGE_SIZE);
      const tail = program('b801000000', '01c0'); // mov eax, 1 ; add eax, eax   (ends at 0x10002000)
      const base = CODE_VA + 0x2000n - BigInt(tail.bytes.length);
      const jmpStop = (from: bigint) => 'e9' + rel32(from + 10n, CODE_VA + 0x800n);
      const there = program('0500100000', jmpStop(CODE_VA + 0x2000n)); // 0x10002000: add eax, 0x1000 ; jmp stop
      const wrong = program('0500200000', jmpStop(CODE_VA + 0x3000n)); // 0x10003000: add eax, 0x2000 ; jmp stop
      [...tail.bytes].forEach((b, i) => { m.bytes[frameHost(16) + 0x1000 - tail.bytes.length + i] = b; });
      m.bytes.set(there.bytes, frameHost(30));
      m.bytes.set(wrong.bytes, frameHost(17));
      m.core.exports.testCodeWritten();
      start(m, { rip: CODE_VA + 0x3000n });
      expect(slice(m, 100).exit).toBe(L.EXIT_SENTINEL);
      expect(m.get('rax')).toBe(0x2000n);
      for (let pass = 0; pass < 2; pass++) {
        start(m, { rip: base });
        if (pass && cfg.decodeCache) { expectDecoded(m, tail, base); expectDecoded(m, wrong, CODE_VA + 0x3000n); }
        expect(slice(m, 100).exit).toBe(L.EXIT_SENTINEL);
        expect(m.get('rax'), `pass ${pass}, ${cfg.name}`).toBe(0x1002n);
      }
    }
  });
});

describe('self-modifying code', () => {
  for (const cfg of CONFIGS) {
    it(`a store into the next instruction's opcode changes the form it runs in (${cfg.name})`, () => {
      // 00 mov eax, 100 ; 05 test r8d, r8d ; 08 jz +7 ; 0a mov byte [rip+0], 0x29 ; 11 add eax, ebx (01 d8) ; 13 nop
      // The store turns 01 d8 (add eax, ebx) into 29 d8 (sub eax, ebx); with r8 = 0 it is jumped over.
      const p = program('b864000000', '4585c0', '7407', 'c6050000000029', '01d8', '90');
      const m = machine(64, cfg, p.bytes);
      start(m, { regs: { rbx: 1 } });
      expect(slice(m, 100).exit).toBe(L.EXIT_SENTINEL);
      expect(m.get('rax')).toBe(101n);
      start(m, { regs: { rbx: 1, r8: 1 } });
      if (cfg.decodeCache) expectDecoded(m, p, CODE_VA, [0, 1, 2, 4, 5]); // add eax, ebx among them; the store is not
      expect(slice(m, 100).exit).toBe(L.EXIT_SENTINEL);
      expect(m.codeBytes(0x12)[0x11]).toBe(0x29);
      expect(m.get('rax')).toBe(99n); // sub ran
      if (cfg.decodeCache) expectDecoded(m, p, CODE_VA, [4, 5]); // re-decoded as sub (the store dropped the page's entries)
    });

    it(`a store into an instruction further on, on every pass of a loop, takes effect each time (${cfg.name})`, () => {
      // 00 mov ecx, 3 ; 05 L: mov [rip+7], cl ; 0b mov edx, 3 ; 10 add eax, imm8 (83 c0 40, imm at 0x12) ; 13 dec ecx ; 15 jnz L
      const p = program('b903000000', '880d07000000', 'ba03000000', '83c040', 'ffc9', '75ee');
      const m = machine(64, cfg, p.bytes);
      start(m, {});
      expect(slice(m, 100).exit).toBe(L.EXIT_SENTINEL);
      expect(m.get('rax')).toBe(3n + 2n + 1n); // each pass adds the immediate it has just written
      expect(m.codeBytes(0x13)[0x12]).toBe(1);
      start(m, {}); // again, with the instructions after the store decoded by the last pass
      if (cfg.decodeCache) expectDecoded(m, p, CODE_VA, [2, 3, 4, 5]);
      expect(slice(m, 100).exit).toBe(L.EXIT_SENTINEL);
      expect(m.get('rax')).toBe(3n + 2n + 1n);
    });

    it(`a store from inside a run into decoded code on another page takes effect when that code runs (${cfg.name})`, () => {
      // Page 0: 00 mov ecx, 3 ; 05 L: mov [rdi], cl ; 07 call 0x10001000 ; 0c dec ecx ; 0e jnz L
      // Page 1: 00 add eax, imm8 (83 c0 40; rdi points at the immediate) ; 03 ret
      const p0 = program('b903000000', '880f', 'e8' + rel32(CODE_VA + 0xcn, CODE2_VA), 'ffc9', '75f5');
      const p1 = program('83c040', 'c3');
      const m = machine(64, cfg);
      mapSecondCodePage(m);
      writeCode(m, CODE_VA, p0.bytes);
      writeCode(m, CODE2_VA, p1.bytes);
      for (let pass = 0; pass < 2; pass++) {
        start(m, { regs: { rdi: CODE2_VA + 2n } });
        if (pass && cfg.decodeCache) { expectDecoded(m, p0); expectDecoded(m, p1, CODE2_VA); } // the store now runs inside a run
        expect(slice(m, 100).exit).toBe(L.EXIT_SENTINEL);
        expect(m.get('rax'), `pass ${pass}`).toBe(3n + 2n + 1n);
      }
    });
  }
});

describe('RIP after branches', () => {
  it('an in-page backward jcc: RIP on the loop head after it is taken, past the loop when it falls through', () => {
    for (const mode of [64, 32] as const) {
      for (const cfg of CONFIGS) {
        const taken = decodedRun(mode, cfg, LOOP, {}, 1 + 4 * 3); // three iterations: the jnz was taken
        expect(taken.m.rip, `mode ${mode}, ${cfg.name}`).toBe(CODE_VA + BigInt(LOOP_HEAD));
        expect(taken.m.get('rcx')).toBe(997n);
        const done = decodedRun(mode, cfg, LOOP, {}, 100_000);
        expect(done.r.exit).toBe(L.EXIT_SENTINEL);
        expect(done.m.rip).toBe(CODE_VA + BigInt(LOOP.bytes.length));
      }
    }
  });

  // Page 0: 00 mov eax, 1 ; 05 <branch to 0x10001000> ; B: add eax, 0x100 ; (stop)
  // Page 1: 00 add eax, 0x10 ; 03 <back to B>
  // The code after the branch is decoded too (the way back runs it), so a run that went on past the
  // branch instead of stopping there would run it early.
  const branches: [string, (next: bigint) => string, (b: bigint) => string][] = [
    ['jmp rel32', (next) => 'e9' + rel32(next, CODE2_VA), (b) => 'e9' + rel32(CODE2_VA + 8n, b)],
    ['jnz rel32 (taken)', (next) => '0f85' + rel32(next, CODE2_VA), (b) => 'e9' + rel32(CODE2_VA + 8n, b)],
    ['call rel32, then ret', (next) => 'e8' + rel32(next, CODE2_VA), () => 'c3'],
  ];
  for (const [name, branch, back] of branches) {
    for (const mode of [64, 32] as const) {
      it(`mode ${mode}: ${name} to another page leaves RIP on the target, and the code after the branch runs only when it should`, () => {
        const afterBranch = CODE_VA + 5n + BigInt(name.startsWith('jnz') ? 6 : 5);
        const p0 = program('b801000000', branch(afterBranch), '0500010000');
        const p1 = program('83c010', back(afterBranch));
        const stop = afterBranch + 5n;
        const results = CONFIGS.map((cfg) => {
          const m = machine(mode, cfg);
          mapSecondCodePage(m);
          writeCode(m, CODE_VA, p0.bytes);
          writeCode(m, CODE2_VA, p1.bytes);
          for (let pass = 0; pass < 2; pass++) { // the second pass runs decoded
            start(m, {});
            if (pass && cfg.decodeCache) { expectDecoded(m, p0); expectDecoded(m, p1, CODE2_VA); }
            const head = traceHead(m);
            expect(slice(m, 100), cfg.name).toEqual({ exit: L.EXIT_SENTINEL, retired: 6n }); // 5 and the INT3
            expect(m.rip).toBe(stop);
            expect(m.get('rax')).toBe(0x111n);
            expect(m.get('rsp')).toBe(DATA_VA + 0x1000n);
            expect(tracedRips(m, head)).toEqual([CODE_VA, CODE_VA + 5n, CODE2_VA, CODE2_VA + 3n, afterBranch, stop]);
            start(m, {});
            expect(slice(m, 2)).toEqual({ exit: L.EXIT_BUDGET, retired: 2n }); // stop right after the branch
            expect(m.rip).toBe(CODE2_VA);
            expect(m.get('rax')).toBe(1n);
            if (name.startsWith('call')) expect(m.get('rsp')).toBe(DATA_VA + 0x1000n - (mode === 64 ? 8n : 4n));
          }
          return state(m);
        });
        expectSameAsReference(results);
      });
    }
  }

  it('mode 64: a jump to an unmapped page is a #PF on the fetch there (I/D set) with RIP and CR2 the target', () => {
    // mov eax, 1 ; add eax, eax ; jmp 0x10002000 (no page there)
    const p = program('b801000000', '01c0', 'e9' + rel32(CODE_VA + 12n, CODE_VA + 0x2000n));
    const results = CONFIGS.map((cfg) => {
      const { m, r } = decodedRun(64, cfg, p, {}, 100_000);
      if (cfg.decodeCache) expectDecoded(m, p);
      expect(r).toEqual({ exit: L.EXIT_EXCEPTION, retired: 3n, vector: PF, error: PF_U | PF_I, cr2: CODE_VA + 0x2000n });
      expect(m.rip).toBe(CODE_VA + 0x2000n);
      expect(m.get('rax')).toBe(2n);
      return state(m);
    });
    expectSameAsReference(results);
  });
});

