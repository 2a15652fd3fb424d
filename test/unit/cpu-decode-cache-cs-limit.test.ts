// The CS limit and decoded instructions (cpu/predecode.ts decodedEntry, interp.ts runDecoded): an
// entry is keyed by machine address and decode mode, not by CS, so code decoded under a flat CS may
// run again under a CS whose limit cuts it. Fetching a byte past the limit is #GP(0) with RIP on the
// instruction (SDM vol. 3, 5.3 limit checking), whichever path runs it: the first instruction after a
// far jump, a later one of a run of decoded instructions, or single steps; each configuration of the
// caches gives what the byte decoder gives with the decode cache off. 32-bit protected mode, PAE, CPL 0.
import { describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { SystemMachine, code32, data32, descriptor, CODE_VA, CODE_FRAME, CS, GP } from '../helpers/system-machine.ts';
import { GPR_NAMES, hexBytes } from '../helpers/bare-machine.ts';

// GDT: 0x08 flat code, 0x10 flat data, 0x18 code with base 0x0ffff800 and limit 0xfff (bytes), so
// 0x18:0xffd is linear 0x100007fd (offset 0x7fd of the code page) and 0x18:0x1000 is past the limit.
const FLAT_CS = 0x08, FLAT_DS = 0x10, SHORT_CS = 0x18;
const SHORT_BASE = 0x0ffff800n, SHORT_LIMIT = 0xfffn;
const EAX_MARK = 0xa5a5_a5a5n;
const MOV_EAX = 'b878563412'; // mov eax, 0x12345678 (5 bytes)

interface Config { name: string; decodeCache: number; decodedRuns: number; codePageCache: number }
const CONFIGS: Config[] = [ // the first is the reference: the byte decoder alone
  { name: 'decode cache off', decodeCache: 0, decodedRuns: 1, codePageCache: 1 },
  { name: 'decode cache on', decodeCache: 1, decodedRuns: 1, codePageCache: 1 },
  { name: 'decode cache on, runs off', decodeCache: 1, decodedRuns: 0, codePageCache: 1 },
  { name: 'code-page cache off', decodeCache: 1, decodedRuns: 1, codePageCache: 0 },
];

function machine(c: Config): SystemMachine {
  const s = new SystemMachine({
    paging: 'pae',
    gdt: [code32(0), data32(0), descriptor({ type: 0xa, base: Number(SHORT_BASE), limit: Number(SHORT_LIMIT), g: false })],
  });
  s.x.setDecodeCache(c.decodeCache);
  s.x.setDecodedRuns(c.decodedRuns);
  s.x.setCodePageCache(c.codePageCache);
  s.enter(FLAT_CS, FLAT_DS, 0n);
  return s;
}

/** Instructions (hex, one by one) placed at offset `off` of the code page. */
interface Layout { insns: string[]; off: number }
/** Writes the layout and, at offset 0, a far jump to it through SHORT_CS; returns the instructions' offsets. */
function writeCode(s: SystemMachine, l: Layout): number[] {
  const h = s.frameHost(CODE_FRAME);
  s.bytes.fill(0xcc, h, h + L.PAGE_SIZE);
  const target = shortIp(l.off);
  s.write(CODE_FRAME, 0, 'ea' + hex32(target) + hex16(SHORT_CS)); // jmp far SHORT_CS:target
  const offs: number[] = [];
  let o = l.off;
  for (const i of l.insns) { offs.push(o); s.write(CODE_FRAME, o, i); o += hexBytes(i).length; }
  s.x.testCodeWritten();
  return offs;
}
/** The SHORT_CS offset of code-page offset `off`. */
const shortIp = (off: number) => Number(CODE_VA + BigInt(off) - SHORT_BASE);
const hex32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24].map((b) => b.toString(16).padStart(2, '0')).join('');
const hex16 = (v: number) => hex32(v).slice(0, 4);

/** The core's run(budget) (execute(), as the worker runs it): exit, instructions retired, fault record. */
function slice(s: SystemMachine, budget: number) {
  s.view.setUint32(L.CPU_BASE + L.CPU_FAULT_VEC, 0xffffffff, true);
  const before = s.m.retired();
  const exit = s.x.run(budget) as number;
  const r: { exit: number; retired: bigint; vector?: number; error?: number } = { exit, retired: s.m.retired() - before };
  if (exit === L.EXIT_EXCEPTION) {
    r.vector = s.m.u32(L.CPU_FAULT_VEC);
    if (s.m.u32(L.CPU_FAULT_HAS_ERR)) r.error = s.m.u32(L.CPU_FAULT_ERR);
  }
  return r;
}
/** One instruction through the bare machine's single step (interp.ts step()). */
function step(s: SystemMachine) {
  const r = s.resumeTo(0, 1);
  return { exit: r.exit, vector: r.vector, error: r.error };
}

/**
 * The length in the 32-bit decoded entry for code-page offset `off`, if any (cpu/decode-cache.ts:
 * u64 key = host | mode << 32 | generation << 34, u8 length at +10).
 */
function entryLength(s: SystemMachine, off: number): number | undefined {
  const host = BigInt(s.frameHost(CODE_FRAME) + off);
  for (let e = L.DCACHE_BASE; e + 32 <= L.DCACHE_BASE + L.DCACHE_SIZE; e += 32) {
    const key = s.view.getBigUint64(e, true);
    if ((key & 0xffffffffn) === host && ((key >> 32n) & 3n) === 2n && key >> 34n !== 0n) return s.view.getUint8(e + 10);
  }
  return undefined;
}

/**
 * Writes the layout, runs its instructions once under the flat CS (so they are decoded: checked with
 * the decode cache on), sets EAX to a marker and RIP on the far jump. Returns the instructions' offsets.
 */
function prepare(s: SystemMachine, c: Config, l: Layout): number[] {
  const offs = writeCode(s, l);
  s.m.rip = CODE_VA + BigInt(l.off);
  expect(slice(s, l.insns.length), 'the decoding pass under the flat CS').toEqual({ exit: L.EXIT_BUDGET, retired: BigInt(l.insns.length) });
  if (c.decodeCache) offs.forEach((o, i) => expect(entryLength(s, o), `instruction ${i} is decoded`).toBe(hexBytes(l.insns[i]).length));
  for (const r of GPR_NAMES.slice(0, 8)) s.m.set(r, r === 'rax' ? EAX_MARK : 0n);
  s.m.setFlags(0x202n);
  s.m.rip = CODE_VA;
  return offs;
}

function state(s: SystemMachine) {
  const regs: Record<string, string> = {};
  for (const r of GPR_NAMES.slice(0, 8)) regs[r] = '0x' + s.m.get(r).toString(16);
  return { regs, rip: '0x' + s.rip.toString(16), rflags: '0x' + s.m.flags().toString(16), cs: s.seg(CS).sel, retired: s.m.retired() };
}

/** Runs `body` in every configuration and expects each end state to be the byte decoder's. */
function sameInEveryConfig(body: (s: SystemMachine, c: Config) => void): void {
  const results = CONFIGS.map((c) => {
    const s = machine(c);
    body(s, c);
    return state(s);
  });
  results.forEach((r, i) => expect(r, CONFIGS[i].name).toEqual(results[0]));
}

const GP0 = { vector: GP, error: 0 };

describe('an instruction decoded under a flat CS that crosses the limit of the CS it runs under', () => {
  // 0x18:0xffd: mov eax, imm32 (bytes 0xffd..0x1001; the limit is 0xfff).
  const CUT_FIRST: Layout = { insns: [MOV_EAX], off: 0x7fd };

  it('is #GP(0) with RIP on it when it is the first instruction after the far jump (run)', () => {
    sameInEveryConfig((s, c) => {
      prepare(s, c, CUT_FIRST);
      expect(slice(s, 100), c.name).toEqual({ exit: L.EXIT_EXCEPTION, retired: 1n, ...GP0 }); // the jump retired
      expect(s.seg(CS).sel).toBe(SHORT_CS);
      expect(s.rip, c.name).toBe(0xffdn);
      expect(s.m.get('rax'), c.name).toBe(EAX_MARK);
    });
  });

  it('is #GP(0) with RIP on it when single-stepped after the far jump (step)', () => {
    sameInEveryConfig((s, c) => {
      prepare(s, c, CUT_FIRST);
      expect(step(s)).toEqual({ exit: 'budget', vector: undefined, error: undefined }); // the far jump
      expect(s.rip).toBe(0xffdn);
      expect(step(s), c.name).toEqual({ exit: 'exception', ...GP0 });
      expect(s.rip, c.name).toBe(0xffdn);
      expect(s.m.get('rax'), c.name).toBe(EAX_MARK);
    });
  });

  // 0x18:0xff0 mov ecx, 1 ; 0xff5 mov edx, 2 ; 0xffa add ecx, edx ; 0xffc nop ; 0xffd mov eax, imm32 (cut)
  const CUT_IN_RUN: Layout = { insns: ['b901000000', 'ba02000000', '01d1', '90', MOV_EAX], off: 0x7f0 };

  it('is #GP(0) with RIP on it when a later instruction of a run, the earlier ones of the run retired (run)', () => {
    sameInEveryConfig((s, c) => {
      prepare(s, c, CUT_IN_RUN);
      expect(slice(s, 100), c.name).toEqual({ exit: L.EXIT_EXCEPTION, retired: 5n, ...GP0 }); // the jump and 4
      expect(s.rip, c.name).toBe(0xffdn);
      expect([s.m.get('rcx'), s.m.get('rdx')]).toEqual([3n, 2n]);
      expect(s.m.get('rax'), c.name).toBe(EAX_MARK);
    });
  });

  it('is #GP(0) with RIP on it when reached one step at a time, the earlier ones retired (step)', () => {
    sameInEveryConfig((s, c) => {
      const offs = prepare(s, c, CUT_IN_RUN);
      for (let i = 0; i < 5; i++) expect(step(s).exit, `step ${i}`).toBe('budget'); // the jump and 4
      expect(s.rip).toBe(BigInt(shortIp(offs[4])));
      expect(step(s), c.name).toEqual({ exit: 'exception', ...GP0 });
      expect(s.rip, c.name).toBe(0xffdn);
      expect([s.m.get('rcx'), s.m.get('rdx'), s.m.get('rax')]).toEqual([3n, 2n, EAX_MARK]);
    });
  });

  it('restarts, after the fault, as the byte decoder would: run again it faults again, changing nothing', () => {
    sameInEveryConfig((s, c) => {
      prepare(s, c, CUT_IN_RUN);
      expect(slice(s, 100)).toEqual({ exit: L.EXIT_EXCEPTION, retired: 5n, ...GP0 });
      expect(slice(s, 100), c.name).toEqual({ exit: L.EXIT_EXCEPTION, retired: 0n, ...GP0 });
      expect(s.rip).toBe(0xffdn);
      expect(s.m.get('rax')).toBe(EAX_MARK);
    });
  });
});

describe('an instruction decoded under a flat CS that ends on the last byte of the limit', () => {
  // 0x18:0xff6 mov ecx, 1 ; 0xffb mov eax, imm32 (bytes 0xffb..0xfff) ; 0x1000: past the limit
  const ENDS_AT_LIMIT: Layout = { insns: ['b901000000', MOV_EAX], off: 0x7f6 };

  it('runs in the run, and the next fetch, at limit + 1, is #GP(0) with RIP there', () => {
    sameInEveryConfig((s, c) => {
      prepare(s, c, ENDS_AT_LIMIT);
      expect(slice(s, 100), c.name).toEqual({ exit: L.EXIT_EXCEPTION, retired: 3n, ...GP0 });
      expect(s.rip, c.name).toBe(SHORT_LIMIT + 1n);
      expect([s.m.get('rcx'), s.m.get('rax')]).toEqual([1n, 0x12345678n]);
    });
  });
});
