// The CPU test-vector format (docs/test-vectors.md; spec in shared/test-vectors.md): parsing and
// validating one JSON line, and comparing an emulator's result with the recorded one.
// Pure TypeScript, no core and no Node APIs, so the browser can use it too.
// Invariants: numbers are bigint (hex strings "0x..." in the file); unknown fields are accepted and
// ignored; compare() applies exactly the spec's rules: same exception, registers equal (absent from
// `out` = unchanged from init), RFLAGS under fmask, memw equal byte for byte, x_undef skipped, and in
// mode 32 only the low 32 bits of rax..rdi (and only xmm0-7) count.

export const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
export const XMM_NAMES = Array.from({ length: 16 }, (_, i) => `xmm${i}`);

/** The machine every vector starts from (the oracle's layout). */
export const CODE_BASE = 0x10000000n;
export const WINDOW_BASE = 0x20000000n;
export const WINDOW_SIZE = 0x2000n;
export const RSP_DEFAULT = 0x20001000n;
export const RFLAGS_DEFAULT = 0x202n;
export const MXCSR_DEFAULT = 0x1f80n;
const MASK32 = 0xffffffffn;

export interface MemRun { addr: bigint; bytes: Uint8Array }

export type VectorExc =
  | { vec: number; err: bigint; cr2: bigint; name?: string }
  | { event: string };

export interface Vector {
  id: string;
  mode: 32 | 64;
  code: Uint8Array;
  /** Initial registers by name (rax..r15, rflags, xmm0..xmm15, mxcsr); absent = default. */
  init: Map<string, bigint>;
  initMem: MemRun[];
  fmask: bigint;
  step: 0 | 1;
  /** Expected exception: undefined when the vector has no result yet (an input vector). */
  exc?: VectorExc | null;
  /** Expected registers that changed, plus rip and rflags (and out.len etc., kept as read). */
  out?: Map<string, bigint>;
  memw?: MemRun[];
  undef: string[];
  /** Informational fields a runner may print. */
  op?: string;
  skipped?: string;
}

export interface Mismatch { field: string; expected: string; actual: string }

/** What an emulator reports after running a vector. `regs` holds the final value of every
 *  register it models (rip, rflags, rax..r15, optionally xmm0..15 and mxcsr); `memw` the bytes
 *  that differ from the initial memory (window and code page), as runs or single bytes. */
export interface ActualResult {
  exc: VectorExc | null;
  regs: Map<string, bigint> | Record<string, bigint>;
  memw: MemRun[];
}

export class VectorFormatError extends Error {}

function fail(id: string | undefined, why: string): never {
  throw new VectorFormatError(id ? `vector ${id}: ${why}` : why);
}

const HEX_NUM = /^0x[0-9a-fA-F]+$/;
const HEX_BYTES = /^(?:[0-9a-fA-F]{2})*$/;

/** "0x..." to bigint; `what` names the field in the error. */
export function hexToBigInt(v: unknown, what: string, id?: string): bigint {
  if (typeof v !== 'string' || !HEX_NUM.test(v)) fail(id, `${what} must be a hex string "0x...", not ${JSON.stringify(v)}`);
  return BigInt(v);
}

export function hexToBytes(v: unknown, what: string, id?: string): Uint8Array {
  if (typeof v !== 'string' || !HEX_BYTES.test(v)) fail(id, `${what} must be a string of hex byte pairs`);
  const out = new Uint8Array(v.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(v.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export const hex = (x: bigint): string => `0x${x.toString(16)}`;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseMemRuns(v: unknown, what: string, id: string): MemRun[] {
  if (v === undefined) return [];
  if (!isObject(v)) fail(id, `${what} must be an object of "0xADDR": "hexbytes"`);
  return Object.entries(v).map(([k, b]) => ({
    addr: hexToBigInt(k, `${what} address`, id),
    bytes: hexToBytes(b, `${what}[${k}]`, id),
  }));
}

const REG_NAMES = new Set<string>([...GPR_NAMES, ...XMM_NAMES, 'rip', 'rflags', 'mxcsr']);

function parseRegs(o: Record<string, unknown>, what: string, id: string, skip: string[]): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const [k, v] of Object.entries(o)) {
    if (skip.includes(k)) continue;
    // Known registers must be well-formed; other hex fields (out.len, out.rflags_m) are kept too.
    if (REG_NAMES.has(k) || (typeof v === 'string' && HEX_NUM.test(v))) m.set(k, hexToBigInt(v, `${what}.${k}`, id));
  }
  return m;
}

function parseExc(v: unknown, id: string): VectorExc | null {
  if (v === null) return null;
  if (!isObject(v)) fail(id, 'exc must be null or an object');
  if (typeof v.event === 'string') return { event: v.event };
  if (typeof v.vec !== 'number' || !Number.isInteger(v.vec) || v.vec < 0 || v.vec > 255)
    fail(id, 'exc.vec must be an integer 0..255');
  return {
    vec: v.vec,
    err: v.err === undefined ? 0n : hexToBigInt(v.err, 'exc.err', id),
    cr2: v.cr2 === undefined ? 0n : hexToBigInt(v.cr2, 'exc.cr2', id),
    ...(typeof v.name === 'string' ? { name: v.name } : {}),
  };
}

/** Parses one vector (a JSON line, or an already-parsed object). Throws VectorFormatError. */
export function parseVector(line: string | unknown): Vector {
  let o: unknown = line;
  if (typeof line === 'string') {
    try { o = JSON.parse(line); } catch (e) { fail(undefined, `not valid JSON: ${(e as Error).message}`); }
  }
  if (!isObject(o)) fail(undefined, 'a vector must be a JSON object');
  if (typeof o.id !== 'string') fail(undefined, 'missing "id" string');
  const id = o.id;
  if (o.mode !== 32 && o.mode !== 64) fail(id, `"mode" must be 32 or 64, not ${JSON.stringify(o.mode)}`);
  const step = o.step ?? 0;
  if (step !== 0 && step !== 1) fail(id, '"step" must be 0 or 1');
  const initObj = o.init ?? {};
  if (!isObject(initObj)) fail(id, '"init" must be an object');
  const v: Vector = {
    id,
    mode: o.mode,
    code: hexToBytes(o.code, 'code', id),
    init: parseRegs(initObj, 'init', id, ['mem']),
    initMem: parseMemRuns(initObj.mem, 'init.mem', id),
    fmask: o.fmask === undefined ? 0xffffffffn : hexToBigInt(o.fmask, 'fmask', id),
    step,
    undef: [],
  };
  if (o.x_undef !== undefined) {
    if (!Array.isArray(o.x_undef) || !o.x_undef.every((x) => typeof x === 'string'))
      fail(id, 'x_undef must be an array of register names');
    v.undef = o.x_undef as string[];
  }
  if (typeof o.x_op === 'string') v.op = o.x_op;
  if (typeof o.x_skipped === 'string') v.skipped = o.x_skipped;
  if ('exc' in o) v.exc = parseExc(o.exc, id);
  if (o.out !== undefined) {
    if (!isObject(o.out)) fail(id, '"out" must be an object');
    v.out = parseRegs(o.out, 'out', id, []);
    if (!v.out.has('rip') || !v.out.has('rflags')) fail(id, 'out must hold rip and rflags');
  }
  if (o.memw !== undefined) v.memw = parseMemRuns(o.memw, 'memw', id);
  return v;
}

/** True when the vector carries an expected result (recorded by the oracle, not skipped). */
export function hasResult(v: Vector): boolean {
  return v.out !== undefined && v.exc !== undefined && v.skipped === undefined;
}

/** The value a register starts with in this vector. */
export function initialValue(v: Vector, name: string): bigint {
  const x = v.init.get(name);
  if (x !== undefined) return x;
  if (name === 'rsp') return RSP_DEFAULT;
  if (name === 'rflags') return RFLAGS_DEFAULT;
  if (name === 'mxcsr') return MXCSR_DEFAULT;
  return 0n;
}

function excText(e: VectorExc | null | undefined): string {
  if (e === null || e === undefined) return 'none';
  if ('event' in e) return `event ${e.event}`;
  return `vec ${e.vec}${e.name ? ` (#${e.name})` : ''} err ${hex(e.err)} cr2 ${hex(e.cr2)}`;
}

function memMap(runs: MemRun[]): Map<bigint, number> {
  const m = new Map<bigint, number>();
  for (const r of runs) r.bytes.forEach((b, i) => m.set(r.addr + BigInt(i), b));
  return m;
}

/** The registers that count in this vector's mode: rip, rflags, the GPRs, XMM and MXCSR. */
function comparedRegisters(v: Vector): string[] {
  const n = v.mode === 32 ? 8 : 16;
  return ['rip', 'rflags', ...GPR_NAMES.slice(0, n), ...XMM_NAMES.slice(0, n), 'mxcsr'];
}

/**
 * Compares an emulator's result with a recorded vector. Returns [] when they agree.
 * XMM registers and MXCSR are compared when either side names them (the expected `out`, or the
 * actual result's registers); general registers, rip and rflags always.
 */
export function compare(expected: Vector, actual: ActualResult): Mismatch[] {
  if (!hasResult(expected)) throw new VectorFormatError(`vector ${expected.id}: has no recorded result to compare with`);
  const out = expected.out!;
  const regs = actual.regs instanceof Map ? actual.regs : new Map(Object.entries(actual.regs));
  const bad: Mismatch[] = [];
  const m32 = expected.mode === 32;

  // Exception: vector, error code, CR2 (CR2 only for #PF), or the same event.
  const ee = expected.exc ?? null, ae = actual.exc;
  if (ee === null || ae === null || 'event' in ee || 'event' in ae) {
    const same = (ee === null && ae === null) ||
      (ee !== null && ae !== null && 'event' in ee && 'event' in ae && ee.event === ae.event);
    if (!same) bad.push({ field: 'exc', expected: excText(ee), actual: excText(ae) });
  } else {
    if (ee.vec !== ae.vec) bad.push({ field: 'exc', expected: excText(ee), actual: excText(ae) });
    else {
      if (ee.err !== ae.err) bad.push({ field: 'exc.err', expected: hex(ee.err), actual: hex(ae.err) });
      if (ee.vec === 14 && (m32 ? (ee.cr2 ^ ae.cr2) & MASK32 : ee.cr2 ^ ae.cr2) !== 0n)
        bad.push({ field: 'exc.cr2', expected: hex(ee.cr2), actual: hex(ae.cr2) });
    }
  }

  // Registers: absent from out = unchanged from init.
  for (const name of comparedRegisters(expected)) {
    if (expected.undef.includes(name)) continue;
    const isVec = name.startsWith('xmm') || name === 'mxcsr';
    if (isVec && !out.has(name) && !regs.has(name)) continue;
    const exp = out.get(name) ?? initialValue(expected, name);
    const act = regs.get(name);
    if (act === undefined) { bad.push({ field: name, expected: hex(exp), actual: 'missing' }); continue; }
    let diff = exp ^ act;
    if (name === 'rflags') diff &= expected.fmask;
    else if (m32 && !isVec) diff &= MASK32;
    if (diff !== 0n) {
      const show = (x: bigint) => hex(m32 && !isVec ? x & MASK32 : x);
      bad.push({ field: name, expected: show(exp), actual: show(act) });
    }
  }

  // Memory written: byte for byte, reported as runs of differing addresses.
  const em = memMap(expected.memw ?? []), am = memMap(actual.memw);
  const addrs = [...new Set([...em.keys(), ...am.keys()])].filter((a) => em.get(a) !== am.get(a));
  addrs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const cell = (m: Map<bigint, number>, a: bigint) => (m.has(a) ? m.get(a)!.toString(16).padStart(2, '0') : '--');
  for (let i = 0; i < addrs.length;) {
    let j = i + 1;
    while (j < addrs.length && addrs[j] === addrs[j - 1] + 1n) j++;
    const run = addrs.slice(i, j);
    bad.push({
      field: `memw[${hex(run[0])}]`,
      expected: run.map((a) => cell(em, a)).join(''),
      actual: run.map((a) => cell(am, a)).join(''),
    });
    i = j;
  }
  return bad;
}
