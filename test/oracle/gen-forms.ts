// Turns one row of the forms table (forms.ts) into an input vector for mode 32: prefixes
// (66/67/segment/LOCK/REP), ModRM/SIB operands, immediates, and operand values shaped so each
// form's interesting cases happen (divide overflow, CMPXCHG success, BT offsets reaching other
// dwords, REP faulting midway, far transfers to valid and invalid selectors, ...).
// Invariants: branches only target the sentinel or instruction boundaries inside the code; every
// test ends (sentinel, fault, event); undefined flags go to fmask, undefined results to x_undef.

import {
  CODE_BASE, EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP, REG_NAMES, RF_AC, RF_DF, RF_OF, RSP_DEFAULT,
  TestBuilder, WIN_BASE, WIN_SIZE, type MemOperand, type Seg, SEG_PREFIX,
} from './builder.ts';
import { FORMS, hasAttr, kindOf, type Form } from './forms.ts';
import { Rng, value32, valueN } from './rng.ts';

interface Operand { kind: string; size: string }

function parseOperands(s: string): Operand[] {
  if (!s) return [];
  return s.split(',').map((o) => {
    if (/^[A-Z][a-z]{1,2}$/.test(o)) return { kind: o[0], size: o.slice(1) };
    if (/^[A-Z]$/.test(o)) return { kind: o, size: '' };
    return { kind: 'fixed:' + o, size: '' };
  });
}

/** Single-byte instructions used as filler between a branch and its target (any offset inside a
 *  run of them is an instruction boundary): inc/dec (not esp), xchg eax, nop, cmc, clc, stc, cwde, cdq, lahf. */
const FILLER = [0x40, 0x41, 0x42, 0x43, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4d, 0x4e, 0x4f,
  0x90, 0x91, 0x92, 0x93, 0x95, 0x96, 0x97, 0xf5, 0xf8, 0xf9, 0x98, 0x99, 0x9f];

/** Selectors worth loading: Linux's user data/code (0x2b, 0x23), our LDT data segment (0x07),
 *  null, the same with other RPLs, kernel segments (DPL 0), beyond the LDT and the GDT limits. */
export const SELECTORS: readonly (readonly [number, number])[] = [[10, 0x2b], [3, 0x23], [4, 0x07], [4, 0x00], [2, 0x28],
  [2, 0x2a], [2, 0x04], [2, 0x10], [2, 0x18], [2, 0x0f], [2, 0x1234], [1, 0xfffc]];

/** What a form's shape function reads and fills in, in either mode (gen-int64.ts's context extends it). */
export interface ShapeParts {
  rng: Rng;
  form: Form;
  ops: Operand[];
  /** The r/m register number when mod = 3. */
  rmReg: number;
  regField: number;
  /** The register encoded in the opcode's low bits (+r forms). */
  opReg: number;
  imm: number[];
  /** Bytes after the instruction (branch filler and targets). */
  tail: number[];
  /** Tags for x_op: o16 a16 (a32 in mode 64) lock rep. */
  tags: string[];
}

export interface FormContext extends ShapeParts {
  t: TestBuilder;
  opsize: 16 | 32;
  asize: 16 | 32;
  /** The r/m operand when it is memory. */
  mem: MemOperand | null;
}

const size = (ctx: FormContext, s: string): number => {
  switch (s) {
    case 'b': return 1;
    case 'w': return 2;
    case 'd': return 4;
    case 'q': return 8;
    case 'v': case 'z': return ctx.opsize / 8;
    case 'p': return ctx.opsize / 8 + 2;
    case 'a': return ctx.opsize / 4;
    default: return 1;
  }
};

function immBytes(v: number, n: number): number[] {
  const b: number[] = [];
  for (let i = 0; i < n; i++) b.push(Math.floor((v >>> 0) / 2 ** (8 * i)) & 0xff);
  return b;
}

/** Stack pointer for pushes and pops: mostly inside the window, sometimes at its edges to fault. */
function placeStack(ctx: FormContext, pops: number) {
  const { rng, t } = ctx;
  if (t.locked[ESP]) return;
  const v = rng.weighted<() => number>([
    [45, () => RSP_DEFAULT],
    [38, () => WIN_BASE + 0x80 + 4 * rng.int((WIN_SIZE - 0x100) / 4)],
    [5, () => WIN_BASE + 0x80 + rng.int(WIN_SIZE - 0x100)],
    [6, () => WIN_BASE + rng.int(4)],                               // pushes fault below the window
    [6, () => WIN_BASE + WIN_SIZE - rng.int(pops > 0 ? 4 * pops : 4)], // pops run off the end
  ])();
  t.set(ESP, v);
  t.lock(ESP);
}

/** A code address to jump to: the end of the code (the sentinel) or a boundary inside the filler. */
function codeTarget(ctx: FormContext, instrLen: number): number {
  const { rng } = ctx;
  const start = instrLen, end = instrLen + ctx.tail.length;
  return CODE_BASE + (rng.chance(0.5) || end === start ? end : rng.range(start, end));
}

function filler(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.pick(FILLER));
}

/** Length of the instruction being built (prefixes + opcode + modrm bytes + immediate). */
function instrLen(ctx: FormContext, modrmBytes: number[]): number {
  return ctx.t.prefixes.length + ctx.form.bytes.length + modrmBytes.length + ctx.imm.length;
}

/** Either a code target, an arbitrary address, or a window (non-executable) address. */
function branchTarget(ctx: FormContext, len: number): number {
  const { rng } = ctx;
  return rng.weighted<() => number>([
    [85, () => codeTarget(ctx, len)],
    [8, () => rng.u32()],
    [7, () => WIN_BASE + rng.int(WIN_SIZE)],
  ])();
}

export function pickSelector(rng: Rng): number { return rng.weighted(SELECTORS); }

/** Builds one vector from a form. */
export function buildForm(rng: Rng, form: Form, id: string): string {
  const t = new TestBuilder(rng);
  const ops = parseOperands(form.operands);
  const kind = kindOf(form);
  const ctx: FormContext = {
    rng, t, form, ops, opsize: 32, asize: 32, mem: null, rmReg: 0, regField: 0, opReg: 0, imm: [], tail: [], tags: [],
  };
  t.randomizeRegs(0.2);
  t.randomFlags(kind === 'string' ? 0.4 : 0.05);

  // Operand size: 66 for forms with v/z operands (and rarely as a no-op prefix elsewhere).
  const hasV = ops.some((o) => o.size === 'v' || o.size === 'z' || o.size === 'p' || o.size === 'a') ||
    ['push', 'pop', 'string', 'ret', 'retf', 'iret', 'enter', 'leave', 'jcc', 'call', 'far', 'jmpind', 'loop'].includes(kind) ||
    ['cwde', 'cdq', 'pusha', 'popa', 'pushf', 'popf'].includes(form.mnemonic);
  const o16p = hasAttr(form, 'o16') ? 0 : ['jcc', 'call', 'ret', 'retf', 'loop', 'jmpind', 'far'].includes(kind) ? 0.05 : hasV ? 0.25 : 0.02;
  if (rng.chance(o16p)) { ctx.opsize = 16; t.prefixes.push(0x66); ctx.tags.push('o16'); }

  // ModRM
  const memOp = ops.find((o) => o.kind === 'E' || o.kind === 'M');
  const hasModrm = form.digit >= 0;
  ctx.regField = form.digit >= 0 && form.digit < 8 ? form.digit : rng.int(8);
  if (kind === 'movsreg') ctx.regField = rng.weighted([[3, 0], [1, 1], [3, 2], [4, 3], [3, 4], [3, 5], [1, 6]] as const);
  if (kind === 'movfromsreg') ctx.regField = rng.weighted([[6, 0], [6, 1], [6, 2], [6, 3], [6, 4], [6, 5], [1, 6], [1, 7]] as const);
  if (form.mnemonic === 'mov' && form.operands.includes('C')) ctx.regField = rng.pick([0, 2, 3, 4]);
  if (form.mnemonic === 'mov' && form.operands.includes('D')) ctx.regField = rng.pick([0, 1, 2, 3, 6, 7]);
  let isMem = false;
  if (memOp) {
    // LEA with a register operand is #UD; BOUND/LES/LDS with one would be EVEX/VEX: never.
    isMem = memOp.kind === 'M' || hasAttr(form, 'mem') ? rng.chance(kind === 'lea' || (kind === 'lseg' && form.bytes[0] === 0x0f) ? 0.97 : 1)
      : hasAttr(form, 'reg') ? false : rng.chance(0.5);
  }
  let modrm: number[] = [];
  if (form.plusReg) ctx.opReg = rng.int(8);
  if (isMem && rng.chance(0.15) && kind !== 'string') { ctx.asize = 16; t.prefixes.push(0x67); ctx.tags.push('a16'); }
  const memSize = memOp ? (memOp.size ? size(ctx, memOp.size) : kind === 'priv' ? 6 : 1) : 0;
  if (hasModrm) {
    if (isMem) {
      const target = kind === 'priv' ? 'window' : kind === 'lea' || (kind === 'hint' && form.mnemonic === 'nop')
        ? (rng.chance(0.5) ? 'window' : 'fault') : undefined;
      ctx.mem = t.memOperand(ctx.regField, memSize, ctx.asize, { target });
      modrm = ctx.mem.bytes;
    } else {
      ctx.rmReg = rng.int(8);
      modrm = [0xc0 | (ctx.regField << 3) | ctx.rmReg];
    }
  }

  // Registers the instruction reads get random values (unless an address uses them).
  const showReg = (r: number) => { if (!t.shown[r] && !t.locked[r] && r !== ESP) t.set(r, value32(rng)); };
  for (const o of ops) {
    if (o.kind === 'G') showReg(o.size === 'b' ? ctx.regField & 3 : ctx.regField);
    if (o.kind === 'E' && !isMem) showReg(o.size === 'b' ? ctx.rmReg & 3 : ctx.rmReg);
    if (o.kind === 'Z') showReg(o.size === 'b' ? ctx.opReg & 3 : ctx.opReg);
    if (o.kind === 'fixed:AL' || o.kind === 'fixed:eAX') showReg(EAX);
    if (o.kind === 'fixed:CL') showReg(ECX);
    if (o.kind === 'fixed:DX') showReg(EDX);
  }
  if (ctx.mem?.inWindow) t.fillOperand(ctx.mem);
  // AC=1 at CPL 3 with CR0.AM=1 (Linux): misaligned data accesses raise #AC(0).
  if (ctx.mem && rng.chance(0.02)) { t.rflags |= RF_AC; ctx.tags.push('ac'); }

  // Immediates (generic; kinds below may replace them).
  for (const o of ops) {
    if (o.kind !== 'I') continue;
    const n = o.size === 'b' ? 1 : o.size === 'w' ? 2 : size(ctx, o.size === 'v' ? 'v' : 'z');
    ctx.imm.push(...immBytes(valueN(rng, 8 * n), n));
  }

  // LOCK: with a memory destination for lockable forms; rarely anywhere (#UD).
  const lockable = hasAttr(form, 'lock');
  if ((lockable && isMem && ops[0]?.kind === 'E' && rng.chance(0.25)) || rng.chance(lockable ? 0.02 : 0.01)) {
    t.prefixes.push(0xf0); ctx.tags.push('lock');
  }

  const KINDS: Record<string, (ctx: FormContext, modrm: number[]) => void> = {
    generic: genericFlags, shift: shapeShift, div: shapeDiv, cmpxchg: shapeCmpxchg, cmpxchg8b: shapeCmpxchg8b,
    bt: shapeBt, bsx: shapeBsx, bswap: shapeBswap, lea: () => {}, moffs: shapeMoffs, movsreg: shapeMovSreg,
    movfromsreg: () => {}, popsreg: shapePopSreg, lseg: shapeLseg, verx: shapeVerx, push: shapePush, pop: shapePop,
    enter: shapeEnter, leave: shapeLeave, jcc: shapeJcc, call: shapeCall, ret: shapeRet, retf: shapeRetf,
    iret: shapeIret, jmpind: shapeJmpInd, far: shapeFar, loop: shapeLoop, string: shapeString, xlat: shapeXlat,
    int: shapeInt, syscall: () => {}, priv: () => {}, ud: () => {}, hint: () => {}, mxcsr: shapeMxcsr,
    bound: shapeBound, aam: shapeAam,
  };
  const shape = KINDS[kind];
  if (!shape) throw new Error(`forms.ts: unknown kind "${kind}" in row ${form.name}`);
  shape(ctx, modrm);
  if (!['shift', 'bt', 'bsx', 'div'].includes(kind)) genericFlags(ctx);

  // Assemble: prefixes (any order; a mandatory prefix stays next to the opcode), opcode, operands.
  const pre = [...t.prefixes];
  for (let i = pre.length - 1; i > 0; i--) { const j = rng.int(i + 1); [pre[i], pre[j]] = [pre[j], pre[i]]; }
  const opcode = [...form.bytes];
  if (form.plusReg) opcode[opcode.length - 1] += ctx.opReg;
  t.code = [...pre, ...opcode, ...modrm, ...ctx.imm, ...ctx.tail];
  if (t.step === 0 && rng.chance(0.08)) t.step = 1;
  // Under single-step the CPU pushes TF with PUSHF, and MOV SS/POP SS hold the trap for one more
  // instruction: neither says anything about "one instruction", so those run to the sentinel.
  if (form.mnemonic === 'pushf' || (kind === 'popsreg' && form.operands === 'SS') || (kind === 'movsreg' && ctx.regField === 2)) t.step = 0;
  const op = [form.name, ...ctx.tags].join(' ');
  return t.toJSON(id, op);
}

function opSizeBits(ctx: FormContext): number {
  const o = ctx.ops[0];
  if (!o) return ctx.opsize;
  if (o.size === 'b' || o.kind === 'fixed:AL') return 8;
  if (o.size === 'w') return 16;
  if (o.size === 'd') return 32;
  return ctx.opsize;
}

function genericFlags(ctx: FormContext) {
  ctx.t.setFmask(ctx.form.flags, opSizeBits(ctx));
}

/** Value of the r/m operand (register or memory) as set up. */
function rmValue(ctx: FormContext, bytes: number): number {
  const { t } = ctx;
  if (ctx.mem) return ctx.mem.inWindow ? ctx.t.peekN(ctx.mem.linear, bytes) : 0;
  if (bytes === 1) return t.get8(ctx.rmReg);
  return bytes === 2 ? t.regs[ctx.rmReg] & 0xffff : t.regs[ctx.rmReg];
}

function setRm(ctx: FormContext, value: number, bytes: number) {
  const { t } = ctx;
  if (ctx.mem) { if (ctx.mem.inWindow) t.pokeN(ctx.mem.linear, value, bytes); return; }
  if (bytes === 1) t.set8(ctx.rmReg, value);
  else if (bytes === 2) t.set(ctx.rmReg, (t.regs[ctx.rmReg] & 0xffff0000) | (value & 0xffff));
  else t.set(ctx.rmReg, value);
}

function shapeShift(ctx: FormContext) {
  const { rng, t, form } = ctx;
  const bits = opSizeBits(ctx);
  const countOp = ctx.ops[ctx.ops.length - 1];
  const pickCount = () => rng.weighted<() => number>([
    [3, () => 0], [5, () => 1], [3, () => bits - 1], [3, () => bits], [2, () => bits + 1],
    [2, () => 31], [2, () => 32], [1, () => 33], [8, () => rng.int(32)], [2, () => rng.int(256)],
  ])();
  let count = 1;
  if (countOp.kind === 'I') { count = pickCount(); ctx.imm = [count & 0xff]; }
  else if (countOp.kind === 'fixed:CL') { if (!t.set8(ECX, pickCount())) { /* CL forms an address */ } count = t.get8(ECX); }
  if (form.flags === 'shd') {
    const masked = count & 0x1f;
    if (bits === 16 && masked > 16) {
      // The result is undefined: only keep it in a register, never in memory.
      if (ctx.mem) {
        count = rng.range(0, 16);
        if (countOp.kind === 'I') ctx.imm = [count];
        else if (!t.set8(ECX, count)) count = t.get8(ECX);
        if ((count & 0x1f) > 16) { ctx.imm = [16]; }
      } else ctx.t.undef.push(REG_NAMES[ctx.rmReg]);
    }
  }
  t.setFmask(form.flags, bits, count);
}

function shapeDiv(ctx: FormContext) {
  const { rng, t, form } = ctx;
  const bits = opSizeBits(ctx);
  const signed = form.mnemonic === 'idiv';
  const bytes = bits / 8;
  const B = BigInt(bits);
  const mod = 1n << B;
  const toS = (x: bigint, n: bigint) => (x >= 1n << (n - 1n) ? x - (1n << n) : x);
  // divisor
  const mode = rng.weighted([[10, 'zero'], [15, 'overflow'], [75, 'ok']] as const);
  let divisor = mode === 'zero' ? 0 : valueN(rng, bits) || 1;
  if (signed && mode === 'overflow' && rng.chance(0.4)) divisor = Number(mod - 1n);  // -1
  setRm(ctx, divisor, bytes);
  const dv = BigInt(rmValue(ctx, bytes));
  // dividend: AX (8-bit), DX:AX, EDX:EAX
  let dividend: bigint;
  const dsv = signed ? toS(dv, B) : dv;
  if (mode === 'ok' && dv !== 0n) {
    const qmax = signed ? (1n << (B - 1n)) - 1n : mod - 1n;
    let q = BigInt(valueN(rng, bits)) % (qmax + 1n);
    if (signed && rng.chance(0.5)) q = -q;
    const absd = dsv < 0n ? -dsv : dsv;
    let r = absd > 1n ? BigInt(rng.u32()) % absd : 0n;
    if (signed && q < 0n) r = -r;
    dividend = q * dsv + r;
  } else if (signed && dsv === -1n && rng.chance(0.5)) {
    dividend = -(1n << (2n * B - 1n));                     // most negative / -1: quotient overflows
  } else {
    dividend = (BigInt(value32(rng)) << 32n | BigInt(rng.u32())) % (1n << (2n * B));
    if (dv !== 0n && mode === 'overflow') dividend = (dsv < 0n ? -dsv : dsv) * (1n << B) + 5n;
  }
  const u = ((dividend % (1n << (2n * B))) + (1n << (2n * B))) % (1n << (2n * B));
  if (bits === 8) t.set(EAX, (t.regs[EAX] & 0xffff0000) | Number(u & 0xffffn));
  else if (bits === 16) {
    t.set(EAX, (t.regs[EAX] & 0xffff0000) | Number(u & 0xffffn));
    t.set(EDX, (t.regs[EDX] & 0xffff0000) | Number((u >> 16n) & 0xffffn));
  } else {
    t.set(EAX, Number(u & 0xffffffffn));
    t.set(EDX, Number(u >> 32n));
  }
  t.setFmask('div', bits);
}

function shapeCmpxchg(ctx: FormContext) {
  const { rng, t } = ctx;
  const bits = opSizeBits(ctx);
  if (!rng.chance(0.5)) return;
  const v = rmValue(ctx, bits / 8);
  if (bits === 8) t.set8(0, v);
  else if (bits === 16) t.set(EAX, (t.regs[EAX] & 0xffff0000) | v);
  else t.set(EAX, v);
}

function shapeCmpxchg8b(ctx: FormContext) {
  const { rng, t } = ctx;
  t.set(EAX, value32(rng)); t.set(EDX, value32(rng)); t.set(EBX, value32(rng)); t.set(ECX, value32(rng));
  if (ctx.mem?.inWindow && rng.chance(0.5)) {
    t.pokeN(ctx.mem.linear, t.regs[EAX], 4);
    t.pokeN(ctx.mem.linear + 4, t.regs[EDX], 4);
  }
}

function shapeBt(ctx: FormContext) {
  const { rng, t, form } = ctx;
  const bits = opSizeBits(ctx);
  if (ctx.mem && ctx.ops[1]?.kind === 'G') {
    // Register bit offsets reach other words: keep most of them inside the window.
    const r = ctx.regField;
    if (!t.locked[r]) {
      const base = ctx.mem.linear;
      let off: number;
      if (ctx.mem.inWindow && rng.chance(0.8)) {
        const lo = -(base - WIN_BASE) * 8, hi = (WIN_BASE + WIN_SIZE - base) * 8 - bits;
        off = rng.chance(0.5) ? rng.range(-64, 64 + bits) : rng.range(lo, hi);
        if (bits === 16) off = Math.max(-32768, Math.min(32767, off));
      } else off = valueN(rng, bits);
      if (bits === 16) t.set(r, (t.regs[r] & 0xffff0000) | (off & 0xffff));
      else t.set(r, off);
      const v = bits === 16 ? ((t.regs[r] & 0xffff) << 16) >> 16 : t.regs[r] | 0;
      const word = base + Math.floor(v / bits) * (bits / 8);
      t.poke(word, rng.bytes(bits / 8));
    }
  }
  t.setFmask(form.flags, bits);
}

function shapeBsx(ctx: FormContext) {
  const bits = opSizeBits(ctx);
  if (ctx.rng.chance(0.25)) setRm(ctx, 0, bits / 8);
  ctx.t.setFmask(ctx.form.flags, bits);
}

function shapeBswap(ctx: FormContext) {
  if (ctx.opsize === 16) ctx.t.undef.push(REG_NAMES[ctx.opReg]);   // BSWAP r16: result undefined
}

function shapeMoffs(ctx: FormContext) {
  const { rng, t } = ctx;
  const n = ctx.ops.some((o) => o.size === 'b' || o.kind === 'fixed:AL') ? 1 : ctx.opsize / 8;
  const a16 = rng.chance(0.15);
  if (a16) { t.prefixes.push(0x67); ctx.tags.push('a16'); }
  let seg: Seg | null = a16 ? 'gs' : rng.chance(0.15) ? rng.pick<Seg>(['gs', 'fs', 'es', 'ss', 'cs']) : null;
  if (a16 && rng.chance(0.1)) seg = null;
  const target = t.pickTarget();
  let addr = seg === 'gs' ? t.chooseLinear(n, 'window') - WIN_BASE : t.chooseLinear(n, target);
  if (seg === 'gs' && target === 'fault') addr = WIN_SIZE + rng.int(0x10000);
  if (seg) t.prefixes.push(SEG_PREFIX[seg]);
  ctx.imm = immBytes(a16 ? addr & 0xffff : addr, a16 ? 2 : 4);
  const lin = (seg === 'gs' ? WIN_BASE : 0) + (a16 ? addr & 0xffff : addr >>> 0);
  t.poke(lin, rng.bytes(n));
}

function shapeMovSreg(ctx: FormContext) {
  setRm(ctx, pickSelector(ctx.rng), 2);
}

function shapePopSreg(ctx: FormContext) {
  const { t } = ctx;
  placeStack(ctx, 1);
  t.pokeN(t.regs[ESP], pickSelector(ctx.rng), 2);
}

function shapeLseg(ctx: FormContext) {
  const { rng, t } = ctx;
  if (!ctx.mem?.inWindow) return;
  const off = ctx.opsize / 8;
  t.pokeN(ctx.mem.linear, value32(rng), off);
  t.pokeN(ctx.mem.linear + off, ctx.form.mnemonic === 'lss' && rng.chance(0.5) ? 0x2b : pickSelector(rng), 2);
}

function shapeVerx(ctx: FormContext) {
  setRm(ctx, pickSelector(ctx.rng), 2);
}

function shapePush(ctx: FormContext) {
  placeStack(ctx, 0);
}

function shapePop(ctx: FormContext) {
  const { rng, t, form } = ctx;
  const n = form.mnemonic === 'popa' ? 8 : 1;
  placeStack(ctx, n);
  const sp = t.regs[ESP];
  for (let i = 0; i < n; i++) {
    let v = value32(rng);
    if (form.mnemonic === 'popf') v = (v & ~0x100) | (rng.chance(0.5) ? 0 : v & (RF_AC | RF_DF | 0x200000 | 0x4000));
    t.pokeN(sp + 4 * i, v, 4);
  }
}

function shapeEnter(ctx: FormContext) {
  const { rng, t } = ctx;
  placeStack(ctx, 0);
  const sz = rng.weighted<() => number>([[4, () => 0], [4, () => 4 * rng.int(17)], [2, () => rng.int(0x10000)]])();
  const level = rng.weighted<() => number>([[10, () => 0], [4, () => 1], [4, () => rng.range(2, 4)],
    [1, () => rng.range(5, 31)], [1, () => rng.range(32, 255)]])();
  ctx.imm = [...immBytes(sz, 2), level];
  if (!t.locked[EBP]) t.set(EBP, rng.chance(0.85) ? WIN_BASE + 0x100 + 4 * rng.int((WIN_SIZE - 0x200) / 4) : value32(rng));
  const ebp = t.regs[EBP];
  for (let i = 1; i < (level & 31); i++) t.pokeN(ebp - (ctx.opsize / 8) * i, value32(rng), ctx.opsize / 8);
}

function shapeLeave(ctx: FormContext) {
  const { rng, t } = ctx;
  if (!t.locked[EBP]) t.set(EBP, rng.chance(0.88) ? WIN_BASE + 4 * rng.int(WIN_SIZE / 4 - 1) : value32(rng));
  t.pokeN(t.regs[EBP], value32(rng), 4);
}

function shapeJcc(ctx: FormContext) {
  const { rng, form } = ctx;
  const n = rng.weighted<() => number>([[6, () => rng.range(1, 8)], [3, () => rng.range(0, 24)], [1, () => rng.range(25, 100)]])();
  ctx.tail = filler(rng, n);
  const rel = form.operands === 'Jb' ? 1 : ctx.opsize === 16 ? 2 : 4;
  let disp = n;
  if (ctx.opsize === 16 && rel === 2 && rng.chance(0.5)) disp = rng.int(0x10000);   // IP wraps to 16 bits
  ctx.imm = immBytes(disp, rel);                       // n <= 100 fits rel8
}

function shapeCall(ctx: FormContext) {
  const { rng } = ctx;
  placeStack(ctx, 0);
  const rel = ctx.opsize === 16 ? 2 : 4;
  if (rel === 4 && rng.chance(0.45)) {
    // call sub; jmp end; filler; sub: body; ret; end:
    const gap = filler(rng, rng.range(0, 6)), body = filler(rng, rng.range(0, 4));
    const callToSub = 2 + gap.length;
    const jmpToEnd = gap.length + body.length + 1;
    ctx.imm = immBytes(callToSub, 4);
    ctx.tail = [0xeb, jmpToEnd, ...gap, ...body, 0xc3];
    ctx.tags.push('sub');
    return;
  }
  const n = rng.range(0, 12);
  ctx.tail = filler(rng, n);
  ctx.imm = immBytes(rel === 2 && rng.chance(0.5) ? rng.int(0x10000) : n, rel);
}

function shapeRet(ctx: FormContext) {
  const { rng, t, form } = ctx;
  placeStack(ctx, 1);
  if (form.operands === 'Iw') ctx.imm = immBytes(rng.weighted<() => number>([[3, () => 4 * rng.int(8)], [1, () => rng.int(0x10000)]])(), 2);
  ctx.tail = filler(rng, rng.range(0, 10));
  const len = instrLen(ctx, []);
  t.pokeN(t.regs[ESP], branchTarget(ctx, len), ctx.opsize / 8);
}

function shapeRetf(ctx: FormContext) {
  const { rng, t, form } = ctx;
  placeStack(ctx, 2);
  if (form.operands === 'Iw') ctx.imm = immBytes(4 * rng.int(8), 2);
  ctx.tail = filler(rng, rng.range(0, 10));
  const w = ctx.opsize / 8;
  t.pokeN(t.regs[ESP], branchTarget(ctx, instrLen(ctx, [])), w);
  t.pokeN(t.regs[ESP] + w, rng.chance(0.75) ? 0x23 : pickSelector(rng), 2);
}

function shapeIret(ctx: FormContext) {
  const { rng, t } = ctx;
  placeStack(ctx, 3);
  ctx.tail = filler(rng, rng.range(0, 10));
  const w = ctx.opsize / 8;
  const sp = t.regs[ESP];
  t.pokeN(sp, branchTarget(ctx, instrLen(ctx, [])), w);
  t.pokeN(sp + w, rng.chance(0.8) ? 0x23 : pickSelector(rng), 2);
  t.pokeN(sp + 2 * w, iretFlags(rng), w);
}

/** An RFLAGS image for IRET to pop: any arithmetic flags, sometimes DF, AC, ID, IOPL 3 or IF 0. */
export function iretFlags(rng: Rng): number {
  let fl = 0x202 | (rng.u32() & 0x8d5);                  // arithmetic flags
  if (rng.chance(0.2)) fl |= RF_DF;
  if (rng.chance(0.1)) fl |= RF_AC;
  if (rng.chance(0.1)) fl |= 0x200000;                   // ID
  if (rng.chance(0.1)) fl |= 0x3000;                     // IOPL 3: ignored at CPL 3
  if (rng.chance(0.1)) fl &= ~0x200;                     // IF 0: ignored when IOPL < CPL
  return fl;
}

function shapeJmpInd(ctx: FormContext, modrm: number[]) {
  const { rng, t, form } = ctx;
  if (form.mnemonic === 'call') placeStack(ctx, 0);
  ctx.tail = filler(rng, rng.range(0, 10));
  const target = branchTarget(ctx, instrLen(ctx, modrm));
  setRm(ctx, ctx.opsize === 16 ? target & 0xffff : target, ctx.opsize / 8);
}

function shapeFar(ctx: FormContext, modrm: number[]) {
  const { rng, t, form } = ctx;
  if (form.mnemonic === 'callf') placeStack(ctx, 0);
  const w = ctx.opsize / 8;
  const sel = rng.chance(0.75) ? 0x23 : pickSelector(rng);
  if (form.operands === 'Ap') ctx.imm = new Array(w + 2).fill(0);
  ctx.tail = filler(rng, rng.range(0, 10));
  const target = branchTarget(ctx, instrLen(ctx, modrm));
  if (form.operands === 'Ap') ctx.imm = [...immBytes(target, w), ...immBytes(sel, 2)];
  else if (ctx.mem?.inWindow) { t.pokeN(ctx.mem.linear, target, w); t.pokeN(ctx.mem.linear + w, sel, 2); }
}

function shapeLoop(ctx: FormContext) {
  const { rng, t } = ctx;
  if (rng.chance(0.15)) { t.prefixes.push(0x67); ctx.tags.push('a16'); }
  const c = rng.weighted<() => number>([[3, () => 0], [3, () => 1], [2, () => 2], [1, () => 0x10000], [1, () => 0x10001], [4, () => value32(rng)]])();
  t.set(ECX, c);
  const n = rng.range(0, 12);
  ctx.tail = filler(rng, n);
  ctx.imm = [n];
}

/** MOVS CMPS STOS LODS SCAS with or without REP/REPE/REPNE, either direction, sometimes running off
 *  the window midway (the fault leaves ECX/ESI/EDI at the faulting iteration). */
function shapeString(ctx: FormContext) {
  const { rng, t, form } = ctx;
  const { m, n, rep, asize: a16, usesSrc, usesDst } = stringStart(rng, form, ctx.opsize, t.prefixes, ctx.tags, 0.12, 'a16');
  let seg: Seg | null = null;
  if (usesSrc && rng.chance(a16 ? 0.8 : 0.12)) seg = a16 ? 'gs' : rng.pick<Seg>(['gs', 'fs', 'es', 'ss', 'cs']);
  if (seg) t.prefixes.push(SEG_PREFIX[seg]);
  const df = (t.rflags & RF_DF) !== 0;
  const count = rep ? rng.weighted<() => number>([[2, () => 0], [3, () => 1], [10, () => rng.range(2, 16)],
    [3, () => rng.range(17, 64)], [2, () => value32(rng)]])() : value32(rng);
  t.set(ECX, count);
  t.step = rep && rng.chance(0.25) ? 1 : 0;
  const iters = rep ? (a16 ? count & 0xffff : count) : 1;
  const span = Math.min(iters, 64) * n;
  // Pointers: a buffer inside the window with room for the whole run, or ending at an edge.
  const place = (): number => {
    const midway = rng.chance(0.15);
    if (midway) {
      const k = rng.range(0, 6) * n;
      return df ? WIN_BASE + k : WIN_BASE + WIN_SIZE - k - n;   // leaves the window after k/n + 1 steps
    }
    const room = WIN_SIZE - span - 2 * n;
    const off = n + rng.int(Math.max(1, room));
    return df ? WIN_BASE + off + span - n : WIN_BASE + off;
  };
  const segBase = seg === 'gs' ? WIN_BASE : 0;
  const src = place(), dst = place();
  const asReg = (lin: number, base: number) => (a16 ? (value32(rng) & 0xffff0000) | ((lin - base) & 0xffff) : lin - base);
  if (usesSrc) t.set(ESI, asReg(src, segBase));
  if (usesDst) t.set(EDI, asReg(dst, 0));
  // Data: a short random source; for REPE/REPNE compares, make equality runs of random length.
  const srcLin = a16 ? segBase + (t.regs[ESI] & 0xffff) : (segBase + t.regs[ESI]) >>> 0;
  const dstLin = a16 ? (t.regs[EDI] & 0xffff) : t.regs[EDI];
  const dataLen = Math.min(span, 32);
  const at = (base: number, i: number) => (df ? base - i * n : base + i * n);
  const key = stringData(rng, m, rep, n, Math.ceil(dataLen / n), usesSrc ? (i, d) => t.poke(at(srcLin, i), d) : null,
    (i, d) => t.poke(at(dstLin, i), d));
  if (m === 'scas') {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + key[i];
    if (n === 1) t.set8(0, v); else if (n === 2) t.set(EAX, (t.regs[EAX] & 0xffff0000) | v); else t.set(EAX, v);
  } else if (m === 'stos') {
    t.set(EAX, value32(rng));
  }
}

/** A string instruction's repeat prefix (none, REP/REPE, or REPNE for CMPS and SCAS), added to
 *  `prefixes` and `tags`. */
export function stringRep(rng: Rng, m: string, prefixes: number[], tags: string[]): number {
  const cond = m === 'cmps' || m === 'scas';
  const rep = rng.weighted([[4, 0], [4, 0xf3], [cond ? 3 : 0, 0xf2]] as const);
  if (rep) { prefixes.push(rep); tags.push(rep === 0xf3 ? (cond ? 'repe' : 'rep') : 'repne'); }
  return rep;
}

/** What every string shape starts with: the mnemonic stem m, the element size n in bytes, the repeat
 *  prefix (stringRep), whether the address-size prefix 67h was added (with chance `p`, tagged `tag`),
 *  and which of the source and destination pointers the instruction reads. */
export function stringStart(rng: Rng, form: Form, opsize: number, prefixes: number[], tags: string[], p: number, tag: string) {
  const m = form.mnemonic.slice(0, 4);
  const n = form.mnemonic.endsWith('b') ? 1 : opsize / 8;
  const rep = stringRep(rng, m, prefixes, tags);
  const asize = rng.chance(p);
  if (asize) { prefixes.push(0x67); tags.push(tag); }
  return { m, n, rep, asize, usesSrc: m === 'movs' || m === 'cmps' || m === 'lods', usesDst: m !== 'lods' };
}

/**
 * The data of a string instruction: `elems` random source elements of n bytes (given to `src`), and
 * for CMPS a destination equal to them, or for SCAS one holding the key, for a run of random length
 * (REPE stops at the first difference, REPNE at the first match). `dst` null: no destination data.
 * Returns the SCAS key (little-endian bytes; empty for the others).
 */
export function stringData(rng: Rng, m: string, rep: number, n: number, elems: number,
  src: ((i: number, bytes: number[]) => void) | null, dst: ((i: number, bytes: number[]) => void) | null): number[] {
  const data: number[][] = Array.from({ length: elems }, () => rng.bytes(n));
  if (src) data.forEach((d, i) => src(i, d));
  if (m === 'cmps' && dst) {
    const same = rng.int(elems + 1);
    data.forEach((d, i) => {
      const eq = rep === 0xf2 ? i >= same : rep === 0xf3 ? i < same : rng.chance(0.5);
      dst(i, eq ? d : d.map((x, j) => (j === 0 ? x ^ (1 << rng.int(8)) : x)));
    });
  } else if (m === 'scas') {
    const key = rng.bytes(n);
    const hit = rng.int(elems + 2);
    if (dst) for (let i = 0; i < elems; i++) dst(i, (rep === 0xf3 ? i < hit : i === hit) ? key : rng.bytes(n));
    return key;
  }
  return [];
}

function shapeXlat(ctx: FormContext) {
  const { rng, t } = ctx;
  const a16 = rng.chance(0.15);
  if (a16) { t.prefixes.push(0x67); ctx.tags.push('a16'); }
  const seg: Seg | null = a16 ? (rng.chance(0.85) ? 'gs' : null) : rng.chance(0.12) ? rng.pick<Seg>(['gs', 'fs', 'es', 'ss', 'cs']) : null;
  if (seg) t.prefixes.push(SEG_PREFIX[seg]);
  const al = rng.int(256);
  t.set8(0, al);
  const base = seg === 'gs' ? WIN_BASE : 0;
  const lin = rng.chance(0.9) ? t.chooseLinear(1, 'window') : t.chooseLinear(1, 'fault');
  const bx = (lin - base - al) >>> 0;
  t.set(EBX, a16 ? (value32(rng) & 0xffff0000) | (bx & 0xffff) : bx);
  t.poke(lin, [rng.int(256)]);
}

function shapeInt(ctx: FormContext) {
  const { rng, t, form } = ctx;
  if (form.mnemonic === 'int') {
    ctx.imm = [rng.weighted<() => number>([[3, () => 0x80], [1, () => 3], [1, () => 4], [5, () => rng.int(256)]])()];
  }
  if (form.mnemonic === 'into' && rng.chance(0.5)) t.rflags |= RF_OF;
}

function shapeMxcsr(ctx: FormContext) {
  const { rng, t, form } = ctx;
  if (form.mnemonic !== 'ldmxcsr' || !ctx.mem?.inWindow) return;
  let v = (rng.u32() & 0xffbf) | (rng.chance(0.5) ? 0x1f80 : 0);
  if (rng.chance(0.25)) v |= 1 << rng.pick([16, 18, 19, 20, 24, 31]);    // reserved: #GP(0)
  t.pokeN(ctx.mem.linear, v >>> 0, 4);
}

function shapeBound(ctx: FormContext) {
  const { rng, t } = ctx;
  if (!ctx.mem?.inWindow) return;
  const w = ctx.opsize / 8, bits = ctx.opsize;
  const sx = (v: number) => (bits === 16 ? (v << 16) >> 16 : v | 0);
  const lo = sx(valueN(rng, bits)), hi = sx(valueN(rng, bits));
  const [a, b] = rng.chance(0.8) ? [Math.min(lo, hi), Math.max(lo, hi)] : [lo, hi];
  t.pokeN(ctx.mem.linear, a >>> 0, w);
  t.pokeN(ctx.mem.linear + w, b >>> 0, w);
  const r = ctx.regField;
  const idx = rng.weighted<() => number>([[5, () => a + Math.floor((b - a) * (rng.int(1000) / 1000))], [2, () => a - 1 - rng.int(4)],
    [2, () => b + 1 + rng.int(4)], [1, () => a], [1, () => b]])();
  if (bits === 16) t.set(r, (t.regs[r] & 0xffff0000) | (idx & 0xffff)); else t.set(r, idx);
}

function shapeAam(ctx: FormContext) {
  const { rng, form } = ctx;
  ctx.imm = [rng.weighted<() => number>([[5, () => 10], [form.mnemonic === 'aam' ? 1 : 0, () => 0], [4, () => rng.int(256)]])()];
}

export { FORMS, parseOperands };
