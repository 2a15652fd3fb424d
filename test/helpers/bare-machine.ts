// The bare test machine of shared/test-vectors.md driven from TypeScript: one core instance
// (build/xenwasm.wasm) set up by the core's bareInit(32|64), registers written straight into the
// CPU region (workers/layout.gen.ts offsets), instruction bytes run with bareRun. Used by the CPU
// unit tests (test/unit/cpu-*.test.ts) and reusable by the vector runner (runVector below).
// Invariant: every run starts from bareResetRegisters (segments, RIP, RFLAGS 0x202, MXCSR) with the
// general registers the caller set; nothing leaks from one run to the next except what the caller keeps.
import * as L from '../../workers/layout.gen.ts';
import { newCore, type TestCore } from './core-instance.ts';

export const CODE_VA = 0x10000000n;
export const DATA_VA = 0x20000000n;
export const DATA_SIZE = 0x2000;

export const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
export type Gpr = (typeof GPR_NAMES)[number];

// RFLAGS bits.
export const CF = 1n << 0n, PF = 1n << 2n, AF = 1n << 4n, ZF = 1n << 6n, SF = 1n << 7n, TF = 1n << 8n;
export const IF = 1n << 9n, DF = 1n << 10n, OF = 1n << 11n, AC = 1n << 18n;
export const ARITH = CF | PF | AF | ZF | SF | OF;

export type ExitKind = 'budget' | 'sentinel' | 'exception' | 'syscall' | 'crash' | 'other';
export interface RunResult {
  exit: ExitKind;
  /** Raw EXIT_* code. */
  code: number;
  /** For 'exception': the vector, error code (when the vector has one) and CR2. */
  vector?: number;
  error?: number;
  cr2?: bigint;
  /** For 'crash': the exit message (e.g. "unimplemented opcode ..."). */
  message?: string;
}

const EXIT_KINDS: Record<number, ExitKind> = {
  [L.EXIT_BUDGET]: 'budget',
  [L.EXIT_SENTINEL]: 'sentinel',
  [L.EXIT_EXCEPTION]: 'exception',
  [L.EXIT_SYSCALL]: 'syscall',
  [L.EXIT_CRASH]: 'crash',
};

/** Parses "0f a2" / "0fa2" / "0F A2" into bytes. */
export function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`not a hex byte string: "${hex}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export class BareMachine {
  readonly core: TestCore;
  mode: 32 | 64;
  private readonly cpu = L.CPU_BASE;

  constructor(mode: 32 | 64 = 64) {
    this.core = newCore(64);
    this.mode = mode;
    this.core.exports.bareInit(mode);
    this.clearRegisters();
  }

  get view(): DataView { return this.core.view; }
  get bytes(): Uint8Array { return this.core.bytes; }
  private get x() { return this.core.exports; }

  /** Back to the start state of a vector: fresh page tables and memory for `mode`, registers zero, RSP 0x20001000. */
  reset(mode: 32 | 64 = this.mode): this {
    this.mode = mode;
    this.x.bareInit(mode);
    this.clearRegisters();
    return this;
  }

  private clearRegisters(): void {
    for (let i = 0; i < 16; i++) this.view.setBigUint64(this.cpu + L.CPU_GPR + 8 * i, 0n, true);
    this.set('rsp', DATA_VA + 0x1000n);
    for (let i = 0; i < 16; i++) this.setXmm(i, 0n);
    this.setFlags(0x202n);
  }

  // ---- Registers ----
  get(r: Gpr): bigint { return this.view.getBigUint64(this.cpu + L.CPU_GPR + 8 * GPR_NAMES.indexOf(r), true); }
  set(r: Gpr, v: bigint | number): this {
    this.view.setBigUint64(this.cpu + L.CPU_GPR + 8 * GPR_NAMES.indexOf(r), BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  get rip(): bigint { return this.view.getBigUint64(this.cpu + L.CPU_RIP, true); }
  set rip(v: bigint) { this.view.setBigUint64(this.cpu + L.CPU_RIP, v, true); }
  /** RFLAGS with the lazy flags folded in. */
  flags(): bigint { return BigInt.asUintN(64, BigInt(this.x.readRflags())); }
  /** Sets RFLAGS (the arithmetic flags become eager: CC_OP = 0). */
  setFlags(v: bigint | number): this {
    this.view.setBigUint64(this.cpu + L.CPU_RFLAGS, BigInt(v) | 2n, true);
    this.view.setUint32(this.cpu + L.CPU_CC_OP, 0, true);
    return this;
  }
  xmm(i: number): bigint {
    const p = this.cpu + L.CPU_XMM + 16 * i;
    return this.view.getBigUint64(p, true) | (this.view.getBigUint64(p + 8, true) << 64n);
  }
  setXmm(i: number, v: bigint): this {
    const p = this.cpu + L.CPU_XMM + 16 * i;
    this.view.setBigUint64(p, BigInt.asUintN(64, v), true);
    this.view.setBigUint64(p + 8, BigInt.asUintN(64, v >> 64n), true);
    return this;
  }
  get mxcsr(): number { return this.view.getUint32(this.cpu + L.CPU_MXCSR, true); }
  set mxcsr(v: number) { this.view.setUint32(this.cpu + L.CPU_MXCSR, v, true); }
  u32(off: number): number { return this.view.getUint32(this.cpu + off, true); }
  u64(off: number): bigint { return this.view.getBigUint64(this.cpu + off, true); }
  setU64(off: number, v: bigint): this { this.view.setBigUint64(this.cpu + off, v, true); return this; }
  /** Segment selector / base / limit / attributes of segment s (ES CS SS DS FS GS LDTR TR = 0..7). */
  seg(s: number): { sel: number; attr: number; limit: number; base: bigint } {
    const p = this.cpu + L.CPU_SEG + s * L.SEG_STRIDE;
    return {
      sel: this.view.getUint16(p + L.SEG_SEL, true),
      attr: this.view.getUint16(p + L.SEG_ATTR, true),
      limit: this.view.getUint32(p + L.SEG_LIMIT, true),
      base: this.view.getBigUint64(p + L.SEG_BASE, true),
    };
  }
  get cpl(): number { return this.u32(L.CPU_CPL); }

  // ---- Memory: the 8 KiB data window at 0x20000000 and the code page at 0x10000000 ----
  private dataHost(addr: bigint, len: number): number {
    const off = Number(addr - DATA_VA);
    if (off < 0 || off + len > DATA_SIZE) throw new Error(`0x${addr.toString(16)}+${len} is outside the data window`);
    return this.x.bareDataHost() + off;
  }
  writeData(addr: bigint, bytes: Uint8Array | string): this {
    const b = typeof bytes === 'string' ? hexBytes(bytes) : bytes;
    this.bytes.set(b, this.dataHost(addr, b.length));
    return this;
  }
  readData(addr: bigint, len: number): Uint8Array {
    const h = this.dataHost(addr, len);
    return this.bytes.slice(h, h + len);
  }
  read64(addr: bigint): bigint { return this.view.getBigUint64(this.dataHost(addr, 8), true); }
  read32(addr: bigint): number { return this.view.getUint32(this.dataHost(addr, 4), true); }
  write64(addr: bigint, v: bigint): this { this.view.setBigUint64(this.dataHost(addr, 8), BigInt.asUintN(64, v), true); return this; }
  write32(addr: bigint, v: number): this { this.view.setUint32(this.dataHost(addr, 4), v >>> 0, true); return this; }
  codeBytes(len: number): Uint8Array {
    const h = this.x.bareCodeHost();
    return this.bytes.slice(h, h + len);
  }

  // ---- Running ----
  private lastCodeLen = 0;
  /** Writes `code` at 0x10000000 (the rest of the page stays 0xCC) and resets RIP and the segments. */
  load(code: Uint8Array | string): this {
    const b = typeof code === 'string' ? hexBytes(code) : code;
    const h = this.x.bareCodeHost();
    this.bytes.fill(0xcc, h, h + 4096);
    this.bytes.set(b, h);
    this.lastCodeLen = b.length;
    this.x.bareResetRegisters(this.mode);
    return this;
  }
  /** Continues from the current RIP until the sentinel, an exception, a syscall, or `maxSteps`. */
  resume(maxSteps = 100_000): RunResult {
    return this.result(this.x.bareRun(this.lastCodeLen, maxSteps));
  }
  /** One instruction (one iteration of a REP string instruction), as the vectors' `step` mode. */
  step(): RunResult {
    return this.result(this.x.bareRun(this.lastCodeLen, 1));
  }
  /** Loads `code`, keeps the registers as set, and runs it to the sentinel (or a stop). */
  run(code: Uint8Array | string, maxSteps = 100_000): RunResult {
    const flags = this.view.getBigUint64(this.cpu + L.CPU_RFLAGS, true);
    const ccop = this.view.getUint32(this.cpu + L.CPU_CC_OP, true);
    const mxcsr = this.mxcsr;
    this.load(code);
    // bareResetRegisters sets RFLAGS to 0x202 and MXCSR to 0x1f80: keep what the test set.
    this.view.setBigUint64(this.cpu + L.CPU_RFLAGS, flags, true);
    this.view.setUint32(this.cpu + L.CPU_CC_OP, ccop, true);
    this.mxcsr = mxcsr;
    return this.resume(maxSteps);
  }

  private result(code: number): RunResult {
    const r: RunResult = { exit: EXIT_KINDS[code] ?? 'other', code };
    if (r.exit === 'exception') {
      r.vector = this.u32(L.CPU_FAULT_VEC);
      if (this.u32(L.CPU_FAULT_HAS_ERR)) r.error = this.u32(L.CPU_FAULT_ERR);
      r.cr2 = this.u64(L.CPU_FAULT_CR2);
    }
    if (r.exit === 'crash') r.message = this.exitMessage();
    return r;
  }
  exitMessage(): string {
    const len = this.view.getUint32(L.EXIT_BASE + L.EXIT_MSG_LEN, true);
    return new TextDecoder().decode(this.bytes.slice(L.EXIT_BASE + L.EXIT_MSG, L.EXIT_BASE + L.EXIT_MSG + len));
  }
  /** Instructions retired so far (CNT_INSTRUCTIONS). */
  retired(): bigint { return this.view.getBigUint64(L.CNT_BASE + L.CNT_INSTRUCTIONS, true); }
}

// ---- Test vectors (shared/test-vectors.md) ----
export interface Vector {
  id: string;
  mode: 32 | 64;
  code: string;
  init: Record<string, unknown> & { mem?: Record<string, string> };
  fmask?: string;
  step?: number;
  exc: null | { vec?: number; err?: string; cr2?: string; event?: string };
  out: Record<string, string>;
  memw?: Record<string, string>;
  x_undef?: string[];
}
export interface Mismatch { field: string; expected: string; actual: string }

const hx = (v: bigint | number) => '0x' + BigInt(v).toString(16);

/** Replays one vector on `m`; returns the mismatches (empty when it passes). */
export function runVector(m: BareMachine, v: Vector): Mismatch[] {
  m.reset(v.mode);
  const init = v.init ?? {};
  const regMask = v.mode === 32 ? 0xffffffffn : 0xffffffffffffffffn;
  for (const r of GPR_NAMES) if (typeof init[r] === 'string') m.set(r, BigInt(init[r] as string));
  for (let i = 0; i < 16; i++) if (typeof init[`xmm${i}`] === 'string') m.setXmm(i, BigInt(init[`xmm${i}`] as string));
  if (typeof init.mxcsr === 'string') m.mxcsr = Number(BigInt(init.mxcsr));
  for (const [addr, data] of Object.entries(init.mem ?? {})) m.writeData(BigInt(addr), data);
  const before = m.readData(DATA_VA, DATA_SIZE);
  const code = hexBytes(v.code);
  m.load(code);
  m.setFlags(typeof init.rflags === 'string' ? BigInt(init.rflags) : 0x202n);
  const res = v.step ? m.step() : m.resume(100_000);
  const bad: Mismatch[] = [];
  const push = (field: string, e: bigint | number | string, a: bigint | number | string) =>
    bad.push({ field, expected: typeof e === 'string' ? e : hx(e), actual: typeof a === 'string' ? a : hx(a) });
  // Exception / event.
  if (v.exc?.event === 'syscall') {
    if (res.exit !== 'syscall') push('exc', 'syscall', res.exit + (res.vector !== undefined ? ` #${res.vector}` : ''));
  } else if (v.exc) {
    if (res.exit !== 'exception') push('exc', `vec ${v.exc.vec}`, res.exit === 'crash' ? `crash: ${res.message}` : res.exit);
    else {
      if (res.vector !== v.exc.vec) push('exc.vec', v.exc.vec ?? -1, res.vector ?? -1);
      if (v.exc.err !== undefined && BigInt(v.exc.err) !== BigInt(res.error ?? 0)) push('exc.err', BigInt(v.exc.err), res.error ?? 0);
      if (v.exc.cr2 !== undefined && BigInt(v.exc.cr2) !== (res.cr2 ?? 0n)) push('exc.cr2', BigInt(v.exc.cr2), res.cr2 ?? 0n);
    }
  } else if (v.step ? res.exit === 'exception' || res.exit === 'crash' : res.exit !== 'sentinel') {
    push('exc', 'none', res.exit === 'exception' ? `vec ${res.vector} err ${hx(res.error ?? 0)}` : res.exit === 'crash' ? `crash: ${res.message}` : res.exit);
  }
  // Registers.
  const undef = new Set(v.x_undef ?? []);
  if (v.out?.rip !== undefined && BigInt(v.out.rip) !== m.rip) push('rip', BigInt(v.out.rip), m.rip);
  const fmask = BigInt(v.fmask ?? '0xffffffffffffffff');
  if (v.out?.rflags !== undefined && ((BigInt(v.out.rflags) ^ m.flags()) & fmask) !== 0n) push('rflags', BigInt(v.out.rflags), m.flags());
  for (const r of GPR_NAMES) {
    if (undef.has(r)) continue;
    const exp = v.out?.[r] !== undefined ? BigInt(v.out[r]) : BigInt((init[r] as string | undefined) ?? (r === 'rsp' ? '0x20001000' : '0'));
    if (((exp ^ m.get(r)) & regMask) !== 0n) push(r, exp & regMask, m.get(r) & regMask);
  }
  for (let i = 0; i < (v.mode === 32 ? 8 : 16); i++) {
    const k = `xmm${i}`;
    if (undef.has(k)) continue;
    const exp = v.out?.[k] !== undefined ? BigInt(v.out[k]) : BigInt((init[k] as string | undefined) ?? '0');
    if (exp !== m.xmm(i)) push(k, exp, m.xmm(i));
  }
  if (v.out?.mxcsr !== undefined && BigInt(v.out.mxcsr) !== BigInt(m.mxcsr)) push('mxcsr', BigInt(v.out.mxcsr), m.mxcsr);
  // Memory: the expected window is the initial one with the runs of memw applied.
  const expect = before.slice();
  for (const [addr, data] of Object.entries(v.memw ?? {})) {
    const a = BigInt(addr);
    if (a >= DATA_VA && a < DATA_VA + BigInt(DATA_SIZE)) expect.set(hexBytes(data), Number(a - DATA_VA));
  }
  const after = m.readData(DATA_VA, DATA_SIZE);
  for (let i = 0; i < DATA_SIZE; i++) {
    if (expect[i] !== after[i]) {
      push(`mem[${hx(DATA_VA + BigInt(i))}]`, expect[i], after[i]);
      break;
    }
  }
  return bad;
}
