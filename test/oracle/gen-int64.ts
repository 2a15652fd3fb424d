// Turns one row of the 64-bit forms table (forms64.ts) into a mode-64 input vector: legacy prefixes
// (66/67/segment/LOCK/REP), REX (W/R/X/B and the empty REX that turns AH..BH into SPL..DIL), ModRM
// operands through Builder64 (RIP-relative, base, SIB, no base, 32-bit addressing; in the window,
// faulting, non-canonical), immediates (imm64 for REX.W B8+r, moffs64), and operand values shaped
// as gen-forms.ts does for mode 32: divide overflow, CMPXCHG hits, BT offsets reaching other words,
// REP strings faulting midway, branches onto filler boundaries, stacks at the window's edges.
// Invariants: every address a vector can touch is below 4 GiB or non-canonical (builder64.ts);
// branches only target the sentinel, filler boundaries, unmapped or non-canonical addresses; undefined
// flags go to fmask, undefined results to x_undef.

import { Builder64, GPR64, le, type MemOperand64, type Target64 } from './builder64.ts';
import { CODE_BASE, RF_AC, RF_DF, RF_OF, RSP_DEFAULT, SEG_PREFIX, WIN_BASE, WIN_SIZE, type Seg } from './builder.ts';
import { fmaskFor } from './flags.ts';
import { FORMS64 } from './forms64.ts';
import { hasAttr, kindOf, type Form } from './forms.ts';
import { iretFlags, parseOperands, pickSelector, stringData, stringStart, type ShapeParts } from './gen-forms.ts';
import { intN } from './gen-sse.ts';
import { Rng, value32, valueN } from './rng.ts';

const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7, R11 = 11;
const M64 = (1n << 64n) - 1n;
const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
const sx = (v: bigint, bits: number) => BigInt.asIntN(bits, v);

/** One-byte instructions that are filler in 64-bit mode (any offset in a run is an instruction
 *  boundary): xchg eax,r32 (not esp), nop, cmc, clc, stc, cld, cwde, cdq, lahf. No 40-4F: REX here. */
const FILLER64 = [0x90, 0x91, 0x92, 0x93, 0x95, 0x96, 0x97, 0xf5, 0xf8, 0xf9, 0xfc, 0x98, 0x99, 0x9f];

/** A non-canonical address with room below it, so a push or a backwards string step stays non-canonical. */
const NONCANON = [0x0000800000000100n, 0x7fff000000000100n, 0x8000000000000100n, 0xffff7fffffff0100n];

type Operand = ReturnType<typeof parseOperands>[number];

interface Ctx extends ShapeParts {
  t: Builder64;
  kind: string;
  opsize: 16 | 32 | 64;
  /** REX bits W R X B (0x8 0x4 0x2 0x1) and whether a REX byte is emitted at all. */
  rex: number;
  rexOn: boolean;
  /** Legacy prefixes (66 67 segment LOCK REP), shuffled when assembled. */
  pre: number[];
  mem: MemOperand64 | null;
}

/** A 64-bit register value: edge cases, 32-bit values zero- or sign-extended, or anything. */
export function value64(rng: Rng): bigint {
  return rng.weighted<() => bigint>([
    [4, () => intN(rng, 64)],
    [2, () => BigInt(value32(rng))],
    [2, () => BigInt.asUintN(64, BigInt(value32(rng) | 0))],
  ])();
}

/** A value of `bits` (8..64), zero-extended. */
function valBits(rng: Rng, bits: number): bigint {
  return bits === 64 ? value64(rng) : BigInt(valueN(rng, bits));
}

function immLE(v: bigint, n: number): number[] { return le(v, n); }

// ---- register access by operand size (8-bit registers depend on whether a REX byte is present) ----

function getReg(ctx: Ctx, r: number, bits: number): bigint {
  const v = ctx.t.regs[r];
  if (bits === 8 && !ctx.rexOn && r >= 4 && r < 8) return (ctx.t.regs[r - 4] >> 8n) & 0xffn;
  return v & mask(bits);
}

/** Writes the low `bits` of register r (AH..BH for 4-7 without REX), keeping the rest. */
function setReg(ctx: Ctx, r: number, v: bigint, bits: number): boolean {
  const { t } = ctx;
  if (bits === 8 && !ctx.rexOn && r >= 4 && r < 8) {
    const h = r - 4;
    return t.set(h, (t.regs[h] & ~0xff00n) | ((v & 0xffn) << 8n));
  }
  const m = mask(bits);
  return t.set(r, (t.regs[r] & ~m) | (v & m));
}

/** Bits above an operand, which the instruction keeps (or clears: 32-bit writes): mostly one of a
 *  few patterns (they compress well in the corpus), sometimes anything. */
const UPPER = [0n, M64, 0x8000000000000000n, 0xfedcba9876543210n, 0x5555555555555555n];

/** A register value for an operand of `bits`: a shaped value under some upper bits. */
function regValue(rng: Rng, bits: number): bigint {
  if (bits === 64) return value64(rng);
  const hi = rng.chance(0.2) ? value64(rng) : rng.pick(UPPER);
  return (hi & ~mask(bits)) | valBits(rng, bits);
}

/** Gives a register the instruction reads a value for an operand of `bits` (unless an address uses it). */
function showReg(ctx: Ctx, r: number, bits = 64) {
  const { t, rng } = ctx;
  const high8 = bits === 8 && !ctx.rexOn && r >= 4 && r < 8;
  const h = high8 ? r - 4 : r;
  if (!t.shown[h] && !t.locked[h] && h !== RSP) t.set(h, regValue(rng, high8 ? 16 : bits));
}

/** Bits of an operand by its size letter. */
function operandBits(ctx: Ctx, o: Operand): number {
  if (o.kind === 'fixed:AL' || o.kind === 'fixed:CL') return 8;
  return o.size === 'b' ? 8 : o.size === 'w' ? 16 : o.size === 'd' ? 32 : o.size === 'q' ? 64 : ctx.opsize;
}

function opBytes(ctx: Ctx, s: string): number {
  switch (s) {
    case 'b': return 1;
    case 'w': return 2;
    case 'd': return ctx.form.mnemonic === 'movsxd' && ctx.opsize === 16 ? 2 : 4;
    case 'q': return 8;
    case 'dq': return 16;
    case 'v': case 'y': return ctx.opsize / 8;
    case 'z': return ctx.opsize === 16 ? 2 : 4;
    case 'p': return ctx.opsize / 8 + 2;
    default: return 1;
  }
}

/** Bits of the operation (the first operand's size). */
function opBits(ctx: Ctx): number {
  const o = ctx.ops[0];
  if (!o) return ctx.opsize;
  if (o.size === 'b' || o.kind === 'fixed:AL') return 8;
  if (o.size === 'w') return 16;
  return ctx.opsize;
}

function rmValue(ctx: Ctx, bits: number): bigint {
  const { t, mem } = ctx;
  if (mem) {
    if (!mem.inWindow) return 0n;
    let v = 0n;
    for (let i = bits / 8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(t.mem.get(Number(mem.linear) + i) ?? 0);
    return v;
  }
  return getReg(ctx, ctx.rmReg, bits);
}

function setRm(ctx: Ctx, v: bigint, bits: number) {
  if (ctx.mem) { if (ctx.mem.inWindow) ctx.t.pokeBig(Number(ctx.mem.linear), v, bits / 8); return; }
  setReg(ctx, ctx.rmReg, v, bits);
}

function setFmask(ctx: Ctx, bits: number, count?: number) {
  ctx.t.fmask = fmaskFor(ctx.form.flags, { size: bits, count });
}

/** Filler: mostly NOP (boundaries matter, not contents; NOP runs keep the corpus small). */
function filler(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => (rng.chance(0.7) ? 0x90 : rng.pick(FILLER64)));
}

/** Length of the instruction being built, without prefixes that are added after shaping. */
function insnLen(ctx: Ctx, modrm: number[]): number {
  return ctx.pre.length + (ctx.rexOn ? 1 : 0) + ctx.form.bytes.length + modrm.length + ctx.imm.length;
}

/** The end of the code (the sentinel) or a boundary inside the filler that follows the instruction. */
function codeTarget(ctx: Ctx, len: number): bigint {
  const end = len + ctx.tail.length;
  return BigInt(CODE_BASE + (ctx.rng.chance(0.5) || end === len ? end : ctx.rng.range(len, end)));
}

/** A branch target: mostly code, sometimes unmapped, the (non-executable) window or non-canonical. */
function branchTarget(ctx: Ctx, len: number): bigint {
  const { rng } = ctx;
  return rng.weighted<() => bigint>([
    [82, () => codeTarget(ctx, len)],
    [5, () => BigInt(rng.u32())],
    [6, () => BigInt(WIN_BASE + rng.int(WIN_SIZE))],
    [7, () => rng.pick(NONCANON) + BigInt(rng.int(0x1000))],
  ])();
}

/** RSP for pushes and pops: mostly inside the window, sometimes at its edges, unmapped or non-canonical. */
function placeStack(ctx: Ctx, pops: number) {
  const { rng, t } = ctx;
  if (t.locked[RSP]) return;
  const w = 8;
  const v = rng.weighted<() => bigint>([
    [45, () => BigInt(RSP_DEFAULT)],
    [30, () => BigInt(WIN_BASE + 0x100 + 8 * rng.int((WIN_SIZE - 0x200) / 8))],
    [5, () => BigInt(WIN_BASE + 0x100 + rng.int(WIN_SIZE - 0x200))],
    [6, () => BigInt(WIN_BASE + rng.int(2 * w))],                              // pushes fault below the window
    [6, () => BigInt(WIN_BASE + WIN_SIZE - rng.int(w * Math.max(1, pops)))],   // pops run off the end
    [4, () => rng.pick(NONCANON) + BigInt(8 * rng.int(32))],                   // #SS(0)
    [1, () => BigInt(0x30000000 + 8 * rng.int(0x200))],
  ])();
  t.set(RSP, v);
  t.lock(RSP);
}

/** Mnemonics whose result depends on the arithmetic flags they find. */
const READS_FLAGS = /^(j|set|cmov|adc|sbb|rc[lr]|loop|pushf|lahf|cmc|into)/;

const STACK_KINDS = ['push', 'pop', 'popsreg', 'enter', 'call', 'ret', 'retf', 'iret'];

/** Builds one vector from a row of FORMS64. */
export function buildInt64(rng: Rng, form: Form, id: string): string {
  const t = new Builder64(rng);
  const kind = kindOf(form);
  const ops = parseOperands(form.operands);
  const ctx: Ctx = {
    rng, t, form, ops, kind, opsize: 32, rex: 0, rexOn: false, pre: [], mem: null, rmReg: 0, regField: 0,
    opReg: 0, imm: [], tail: [], tags: [],
  };
  for (let r = 0; r < 16; r++) if (r !== RSP && rng.chance(0.02)) t.set(r, value64(rng));
  // Instructions that read the arithmetic flags get any; the others mostly one of a few patterns.
  let fl = 0x202;
  if (READS_FLAGS.test(form.mnemonic) || rng.chance(0.4)) {
    for (const b of [0x1, 0x4, 0x10, 0x40, 0x80, 0x800]) if (rng.chance(0.5)) fl |= b;
  } else fl = rng.pick([0x202, 0xad7, 0x246, 0xa93]);
  if (rng.chance(kind === 'string' ? 0.4 : 0.05)) fl |= RF_DF;
  t.rflags = fl;

  if (kind === 'i64') return buildInvalid(ctx, id);
  chooseOperandSize(ctx);

  // Stack kinds place RSP first, so that no memory operand takes RSP as its base; PUSH/POP r/m
  // sometimes leave it free (POP [RSP+d] addresses with the incremented RSP).
  const pushPopMem = (kind === 'push' || kind === 'pop') && ops[0]?.kind === 'E';
  if ((STACK_KINDS.includes(kind) && !(pushPopMem && rng.chance(0.3))) || (kind === 'jmpind' && form.mnemonic === 'call') ||
    (kind === 'far' && form.mnemonic === 'callf')) {
    placeStack(ctx, kind === 'iret' ? 5 : kind === 'retf' ? 2 : 1);
  }

  // ModRM: reg field and the r/m operand.
  const memOp = ops.find((o) => o.kind === 'E' || o.kind === 'M');
  const hasModrm = form.digit >= 0;
  ctx.regField = !hasModrm ? 0 : form.digit < 8 ? form.digit : rng.int(16);
  if (kind === 'movsreg') ctx.regField = rng.weighted([[3, 0], [1, 1], [3, 2], [4, 3], [4, 4], [4, 5], [1, 6]] as const);
  if (kind === 'movfromsreg') ctx.regField = rng.weighted([[6, 0], [6, 1], [6, 2], [6, 3], [6, 4], [6, 5], [1, 6], [1, 7]] as const);
  if (form.operands.includes('C')) ctx.regField = rng.chance(0.7) ? rng.pick([0, 2, 3, 4, 8]) : rng.int(16);
  if (form.operands.includes('D')) ctx.regField = rng.chance(0.7) ? rng.pick([0, 1, 2, 3, 6, 7]) : rng.int(16);
  if (ctx.regField >= 8) ctx.rex |= 4;
  let isMem = false;
  if (memOp) {
    isMem = memOp.kind === 'M' || hasAttr(form, 'mem') ? rng.chance(kind === 'lea' ? 0.97 : kind === 'lseg' || kind === 'far' ? 0.98 : 1)
      : hasAttr(form, 'reg') ? false : rng.chance(0.5);
  }
  let modrm: number[] = [];
  if (form.plusReg) {
    ctx.opReg = kind === 'xchg' ? rng.range(1, 15) : rng.int(16);
    if (ctx.opReg >= 8) ctx.rex |= 1;
  }
  const memBytes = memOp ? (memOp.size ? opBytes(ctx, memOp.size) : kind === 'priv' ? 10 : 1) : 0;
  if (kind === 'shift' && ops.some((o) => o.kind === 'fixed:CL')) presetCount(ctx, isMem);
  if (hasModrm) {
    if (isMem) {
      ctx.mem = memOperand(ctx, memBytes);
      modrm = ctx.mem.bytes;
      ctx.rex |= ctx.mem.rexXB;
    } else {
      ctx.rmReg = rng.int(16);
      if (ctx.rmReg >= 8) ctx.rex |= 1;
      modrm = [0xc0 | ((ctx.regField & 7) << 3) | (ctx.rmReg & 7)];
    }
  }
  const byteForm = ops.some((o) => o.size === 'b' && o.kind !== 'I');
  ctx.rexOn = ctx.rex !== 0 || rng.chance(byteForm ? 0.35 : 0.04);
  if (ctx.rexOn && (ctx.rex & 7) === 0 && byteForm) ctx.tags.push('rex');

  // Registers the instruction reads get random values (unless an address uses them).
  for (const o of ops) {
    const bits = operandBits(ctx, o);
    if (o.kind === 'G') showReg(ctx, ctx.regField, bits);
    if (o.kind === 'E' && !isMem) showReg(ctx, ctx.rmReg, bits);
    if (o.kind === 'Z') showReg(ctx, ctx.opReg, bits);
    if (o.kind === 'fixed:AL' || o.kind === 'fixed:rAX' || o.kind === 'fixed:eAX') showReg(ctx, RAX, bits);
    if (o.kind === 'fixed:CL') showReg(ctx, RCX, 8);
    if (o.kind === 'fixed:DX') showReg(ctx, RDX, 16);
  }
  if (['cbw/cwde/cdqe', 'cwd/cdq/cqo'].includes(form.mnemonic)) showReg(ctx, RAX, ctx.opsize);
  if (['sahf', 'lahf'].includes(form.mnemonic)) showReg(ctx, RAX, 16);
  if (ctx.mem?.inWindow) {
    const n = ctx.mem.size;
    if ([1, 2, 4, 8].includes(n)) t.pokeBig(Number(ctx.mem.linear), valBits(rng, 8 * n), n);
    else t.poke(Number(ctx.mem.linear), rng.bytes(n));
  }
  // AC=1 at CPL 3 with CR0.AM=1 (Linux): misaligned data accesses raise #AC(0).
  if ((ctx.mem || STACK_KINDS.includes(kind)) && !(form.mnemonic === 'movsxd' && ctx.opsize === 16) && rng.chance(0.02)) {
    t.rflags |= RF_AC; ctx.tags.push('ac');
  }

  // Immediates (kinds below may replace them).
  for (const o of ops) {
    if (o.kind !== 'I') continue;
    const n = o.size === 'b' ? 1 : o.size === 'w' ? 2 : o.size === 'v' ? ctx.opsize / 8 : opBytes(ctx, 'z');
    ctx.imm.push(...immLE(valBits(rng, 8 * n), n));
  }

  // LOCK: with a memory destination for lockable forms; rarely anywhere (#UD).
  // LOCK MOV CRn is AMD's encoding of CR8 (Intel: #UD): not generated.
  const lockable = hasAttr(form, 'lock');
  if (!form.operands.includes('C') && ((lockable && isMem && ops[0]?.kind === 'E' && rng.chance(0.25)) || (lockable && isMem && kind === 'cmpxchg8b' && rng.chance(0.25)) ||
    rng.chance(lockable ? 0.02 : 0.01))) {
    ctx.pre.push(0xf0); ctx.tags.push('lock');
  }

  const shape = SHAPES[kind];
  if (!shape) throw new Error(`forms64.ts: unknown kind "${kind}" in row ${form.name}`);
  shape(ctx, modrm);
  if (!['shift', 'bt', 'bsx', 'div'].includes(kind)) setFmask(ctx, opBits(ctx));
  return assemble(ctx, modrm, id);
}

/** Operand size from the row's attributes, REX.W and 66h (REX.W wins over 66h). */
function chooseOperandSize(ctx: Ctx) {
  const { rng, form, ops, kind } = ctx;
  const w = (p: number) => { if (rng.chance(p)) { ctx.rex |= 8; ctx.tags.push('w'); return true; } return false; };
  const o16 = (p: number) => { if (rng.chance(p)) { ctx.pre.push(0x66); ctx.tags.push('o16'); return true; } return false; };
  if (hasAttr(form, 'f64')) { ctx.opsize = 64; w(0.1); return; }
  if (hasAttr(form, 'd64')) { const narrow = o16(0.2); ctx.opsize = w(0.1) || !narrow ? 64 : 16; return; }
  if (kind === 'bmi') { ctx.opsize = rng.chance(0.5) ? 64 : 32; return; }
  if (form.mnemonic === 'cmpxchg16b') { ctx.rex |= 8; ctx.opsize = 64; o16(0.05); return; }
  if (form.mnemonic === 'cmpxchg8b') { o16(0.05); return; }
  if (hasAttr(form, 'o16')) { w(0.1); return; }
  // Far pointers with REX.W (m16:64) are Intel-only: AMD reads m16:32. Not generated.
  if (kind === 'lseg' || kind === 'far') { ctx.opsize = o16(0.25) ? 16 : 32; return; }
  const hasV = ops.some((o) => ['v', 'z', 'y', 'p', 'a'].includes(o.size) || o.kind === 'fixed:rAX' || o.kind === 'fixed:eAX') ||
    ['string', 'retf', 'iret', 'xchg', 'moffs', 'bswap'].includes(kind) || /^c(bw|wd)/.test(form.mnemonic);
  if (!hasV) { w(0.1); o16(0.03); return; }
  const wide = w(0.45);
  const narrow = o16(wide ? 0.1 : 0.25);
  ctx.opsize = wide ? 64 : narrow ? 16 : 32;
}

/** A memory operand for `size` bytes: window (often aligned), misaligned, faulting, non-canonical
 *  (sometimes straddling the canonical boundary) or in the code page past the code, sometimes with a
 *  segment override (FS/GS have base 0 here; ES CS SS DS are ignored in 64-bit mode). */
function memOperand(ctx: Ctx, size: number): MemOperand64 {
  const { rng, t, kind, form } = ctx;
  let target: Target64;
  if (kind === 'priv') target = 'window';
  else if (kind === 'lea' || (kind === 'hint' && form.mnemonic === 'nop')) target = rng.pick<Target64>(['window', 'fault', 'noncanonical']);
  else target = rng.weighted<Target64>([[80, 'window'], [6, 'misaligned'], [9, 'fault'], [5, 'noncanonical']]);
  let natural = form.mnemonic === 'cmpxchg16b' ? 16 : Math.min(8, 1 << Math.floor(Math.log2(Math.max(1, size))));
  if (form.mnemonic === 'cmpxchg16b' && target === 'window' && rng.chance(0.12)) target = 'misaligned';   // #GP(0)
  // MOVSXD r16, r/m16 (66 63): the reference CPU (AMD) reads a dword where the SDM reads a word, so
  // only accesses that both would make or both would refuse are generated (aligned, no AC).
  const movsxd16 = form.mnemonic === 'movsxd' && ctx.opsize === 16;
  if (movsxd16) { size = 4; natural = 4; target = rng.pick<Target64>(['window', 'noncanonical']); }
  let at: bigint | undefined;
  if (target === 'noncanonical' && size > 1 && !movsxd16 && rng.chance(0.3)) {
    at = 0x800000000000n - BigInt(rng.range(1, size - 1));        // the last bytes are non-canonical: #GP(0)
  } else if (target === 'fault' && rng.chance(0.15)) {
    at = BigInt(CODE_BASE + 0x800 + rng.int(0x700));              // the code page, past any code: SMC-free
    target = 'window';
  }
  const align = target === 'window' && natural < 16 && !movsxd16 && rng.chance(0.3) ? 1 : natural;
  const m = t.memOperand(ctx.regField, size, target, align, at);
  // RIP-relative with 67h is EIP-relative: the same address here, below 4 GiB.
  if (m.prefix67 || (m.ripDisp >= 0 && rng.chance(0.1))) { ctx.pre.push(0x67); ctx.tags.push('a32'); }
  if (rng.chance(0.12)) {
    ctx.pre.push(SEG_PREFIX[rng.weighted<Seg>([[3, 'fs'], [3, 'gs'], [1, 'ss'], [1, 'ds'], [1, 'es'], [1, 'cs']])]);
    ctx.tags.push('seg');
  }
  return m;
}

/** Prefixes (shuffled), mandatory prefix, REX, opcode, ModRM, immediate, tail; fixes RIP-relative
 *  displacements; chooses single-stepping. */
function assemble(ctx: Ctx, modrm: number[], id: string): string {
  const { rng, t, form, kind } = ctx;
  let opcode = [...form.bytes];
  const mand = opcode.length > 1 && [0x66, 0xf2, 0xf3].includes(opcode[0]) ? [opcode.shift()!] : [];
  if (form.plusReg) opcode[opcode.length - 1] += ctx.opReg & 7;
  let rexByte: number[] = ctx.rexOn ? [0x40 | ctx.rex] : [];
  if (kind === 'bmi') { opcode = vexPrefix(ctx, opcode[1]); rexByte = []; }
  const pre = [...ctx.pre];
  const branches = ['jcc', 'call', 'ret', 'retf', 'iret', 'jmpind', 'far', 'loop'].includes(kind);   // targets assume the length
  // (UD0/UD1 past 15 bytes: AMD #UD, Intel #GP: not generated.)
  if (!branches && kind !== 'ud' && rng.chance(0.015)) {
    // Redundant prefixes up to 14..17 bytes: an instruction longer than 15 bytes is #GP(0). A copy
    // of a prefix already there, or DS (a null prefix here) when there is no segment override.
    const seg = pre.find((p) => [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].includes(p));
    const pad = seg ?? (pre.includes(0x66) && rng.chance(0.5) ? 0x66 : 0x3e);
    const len = pre.length + mand.length + rexByte.length + opcode.length + modrm.length + ctx.imm.length;
    for (let n = rng.range(14, 17) - len; n > 0; n--) pre.push(pad);
    ctx.tags.push('long');
  }
  for (let i = pre.length - 1; i > 0; i--) { const j = rng.int(i + 1); [pre[i], pre[j]] = [pre[j], pre[i]]; }
  const insn = [...pre, ...mand, ...rexByte, ...opcode, ...modrm, ...ctx.imm];
  t.code = [...insn, ...ctx.tail];
  if (ctx.mem && ctx.mem.ripDisp >= 0) {
    t.ripRelative(pre.length + mand.length + rexByte.length + opcode.length + ctx.mem.ripDisp, insn.length, ctx.mem.linear);
  }
  t.finish();
  if (t.step === 0 && rng.chance(0.08)) t.step = 1;
  // Under single-step the CPU pushes TF with PUSHF, and MOV SS/POP SS hold the trap for one more
  // instruction: neither says anything about "one instruction", so those run to the sentinel.
  if (form.mnemonic === 'pushf' || (kind === 'movsreg' && ctx.regField === 2)) t.step = 0;
  return t.toJSON(id, [form.name, ...ctx.tags].join(' '));
}

/** The three-byte VEX prefix of a BMI1 row (map 0F38, L0, pp 00) followed by its opcode byte. */
function vexPrefix(ctx: Ctx, op: number): number[] {
  const r = (ctx.rex >> 2) & 1, x = (ctx.rex >> 1) & 1, b = ctx.rex & 1;
  const w = ctx.opsize === 64 ? 1 : 0;
  const v = ctx.opReg;
  const l = ctx.rng.chance(0.03) ? 1 : 0;                              // VEX.L1: #UD
  return [0xc4, ((r ^ 1) << 7) | ((x ^ 1) << 6) | ((b ^ 1) << 5) | 0x02, (w << 7) | ((~v & 15) << 3) | (l << 2), op];
}

// ---- Shaping by kind ----

type Shape = (ctx: Ctx, modrm: number[]) => void;

const SHAPES: Record<string, Shape> = {
  generic: shapeGeneric, shift: shapeShift, div: shapeDiv, cmpxchg: shapeCmpxchg, cmpxchg8b: shapeCmpxchg8b,
  bt: shapeBt, bsx: shapeBsx, bswap: shapeBswap, lea: () => {}, moffs: shapeMoffs, movsreg: shapeMovSreg,
  movfromsreg: () => {}, popsreg: shapePopSreg, lseg: shapeLseg, verx: shapeVerx, push: () => {}, pop: shapePop,
  enter: shapeEnter, leave: shapeLeave, jcc: shapeJcc, call: shapeCall, ret: shapeRet, retf: shapeRetf,
  iret: shapeIret, jmpind: shapeJmpInd, far: shapeFar, loop: shapeLoop, string: shapeString, xlat: shapeXlat,
  int: shapeInt, syscall: shapeSyscall, priv: () => {}, ud: () => {}, hint: () => {}, xchg: () => {}, bmi: shapeBmi,
};

function shapeGeneric(ctx: Ctx) {
  // MOVABS: B8+r with REX.W takes a 64-bit immediate.
  if (ctx.form.opcode === 'b8+r' && ctx.opsize === 64) ctx.imm = immLE(value64(ctx.rng), 8);
}

/** A shift or rotate count: 0, 1, around the operand size, at the 5- and 6-bit masks, or anything. */
function pickCount(rng: Rng, bits: number): number {
  return rng.weighted<() => number>([
    [3, () => 0], [5, () => 1], [3, () => bits - 1], [3, () => bits], [2, () => bits + 1], [2, () => 31],
    [2, () => 32], [1, () => 33], [2, () => 63], [1, () => 64], [8, () => rng.int(64)], [2, () => rng.int(256)],
  ])();
}

/** SHLD/SHRD r/m16 by more than 16 leave the result undefined (SDM SHLD/SHRD): never into memory. */
function shd16Undefined(ctx: Ctx, count: number): boolean {
  return ctx.form.flags === 'shd' && opBits(ctx) === 16 && (count & 0x1f) > 16;
}

/** CL forms get their count before the memory operand is built, so that no address takes RCX. */
function presetCount(ctx: Ctx, isMem: boolean) {
  const { rng, t } = ctx;
  let c = pickCount(rng, opBits(ctx));
  if (isMem && shd16Undefined(ctx, c)) c = rng.range(0, 16);
  t.set(RCX, (value64(rng) & ~0xffn) | BigInt(c));
  t.lock(RCX);
}

function shapeShift(ctx: Ctx) {
  const { rng, t } = ctx;
  const bits = opBits(ctx);
  const countOp = ctx.ops[ctx.ops.length - 1];
  let count = 1;
  if (countOp.kind === 'I') {
    count = pickCount(rng, bits);
    if (ctx.mem && shd16Undefined(ctx, count)) count = rng.range(0, 16);
    ctx.imm = [count & 0xff];
  } else if (countOp.kind === 'fixed:CL') count = Number(t.regs[RCX] & 0xffn);
  if (!ctx.mem && shd16Undefined(ctx, count)) t.undef.push(GPR64[ctx.rmReg]);
  setFmask(ctx, bits, count);
}

function shapeDiv(ctx: Ctx) {
  const { rng, t, form } = ctx;
  const bits = opBits(ctx);
  const signed = form.mnemonic === 'idiv';
  const B = BigInt(bits);
  const mode = rng.weighted([[10, 'zero'], [15, 'overflow'], [75, 'ok']] as const);
  let divisor = mode === 'zero' ? 0n : valBits(rng, bits) || 1n;
  if (signed && mode === 'overflow' && rng.chance(0.4)) divisor = mask(bits);   // -1
  setRm(ctx, divisor, bits);
  const dv = rmValue(ctx, bits);
  const dsv = signed ? sx(dv, bits) : dv;
  let dividend: bigint;
  if (mode === 'ok' && dv !== 0n) {
    const qmax = signed ? (1n << (B - 1n)) - 1n : mask(bits);
    let q = valBits(rng, bits) % (qmax + 1n);
    if (signed && rng.chance(0.5)) q = -q;
    const absd = dsv < 0n ? -dsv : dsv;
    let r = absd > 1n ? value64(rng) % absd : 0n;
    if (signed && q < 0n) r = -r;
    dividend = q * dsv + r;
  } else if (signed && dsv === -1n && rng.chance(0.5)) {
    dividend = -(1n << (2n * B - 1n));                     // most negative / -1: the quotient overflows
  } else {
    dividend = ((value64(rng) << 64n) | value64(rng)) & mask(2 * bits);
    if (dv !== 0n && mode === 'overflow') dividend = (dsv < 0n ? -dsv : dsv) * (1n << B) + 5n;
  }
  const u = BigInt.asUintN(2 * bits, dividend);
  if (bits === 8) t.set(RAX, (t.regs[RAX] & ~0xffffn) | (u & 0xffffn));
  else {
    t.set(RAX, (t.regs[RAX] & ~mask(bits)) | (u & mask(bits)));
    t.set(RDX, (t.regs[RDX] & ~mask(bits)) | (u >> B));
  }
  setFmask(ctx, bits);
}

function shapeCmpxchg(ctx: Ctx) {
  const bits = opBits(ctx);
  showReg(ctx, RAX);
  if (ctx.rng.chance(0.5)) setReg(ctx, RAX, rmValue(ctx, bits), bits);
}

/** CMPXCHG8B (EDX:EAX, ECX:EBX) and CMPXCHG16B (RDX:RAX, RCX:RBX; 16-byte aligned or #GP(0)). */
function shapeCmpxchg8b(ctx: Ctx) {
  const { rng, t, mem } = ctx;
  for (const r of [RAX, RDX, RBX, RCX]) t.set(r, value64(rng));
  if (mem?.inWindow && rng.chance(0.5)) {
    const half = ctx.form.mnemonic === 'cmpxchg16b' ? 8 : 4;
    t.pokeBig(Number(mem.linear), t.regs[RAX], half);
    t.pokeBig(Number(mem.linear) + half, t.regs[RDX], half);
  }
}

/** BT* with a register bit offset reach other words: mostly inside the window, sometimes faulting. */
function shapeBt(ctx: Ctx) {
  const { rng, t, mem } = ctx;
  const bits = opBits(ctx);
  if (mem && ctx.ops[1]?.kind === 'G' && !t.locked[ctx.regField]) {
    const bytes = bits / 8;
    const base = mem.linear;
    let word: bigint;
    if (mem.inWindow || rng.chance(0.5)) {
      word = rng.chance(0.8) ? BigInt(WIN_BASE + bytes * rng.int(WIN_SIZE / bytes)) : BigInt(WIN_BASE) + BigInt(rng.range(-64, WIN_SIZE + 64));
    } else word = rng.chance(0.5) ? base : rng.pick(NONCANON) + BigInt(rng.int(0x1000));
    // The offset's word index: (word - base) / bytes rounded towards -infinity, then any bit in it.
    let idx = (word - base) / BigInt(bytes);
    if (idx * BigInt(bytes) > word - base) idx -= 1n;
    let off = idx * BigInt(bits) + BigInt(rng.int(bits));
    const lim = 1n << BigInt(bits - 1);
    if (off >= lim || off < -lim) off = BigInt(rng.range(-64, 64 + bits));   // not reachable with this size
    setReg(ctx, ctx.regField, BigInt.asUintN(bits, off), bits);
    const v = sx(getReg(ctx, ctx.regField, bits), bits);
    const at = base + (v >> BigInt(Math.log2(bits))) * BigInt(bytes);
    if (at >= BigInt(WIN_BASE) && at < BigInt(WIN_BASE + WIN_SIZE)) t.poke(Number(at), rng.bytes(bytes));
  }
  setFmask(ctx, bits);
}

function shapeBsx(ctx: Ctx) {
  const bits = opBits(ctx);
  if (ctx.rng.chance(0.25)) setRm(ctx, 0n, bits);
  setFmask(ctx, bits);
}

function shapeBswap(ctx: Ctx) {
  if (ctx.opsize === 16) ctx.t.undef.push(GPR64[ctx.opReg]);   // BSWAP r16: result undefined (SDM BSWAP)
}

/** MOV AL/rAX <-> moffs: a 64-bit address (32-bit with 67h), sometimes FS/GS-overridden. */
function shapeMoffs(ctx: Ctx) {
  const { rng, t } = ctx;
  const n = ctx.ops.some((o) => o.kind === 'fixed:AL') ? 1 : ctx.opsize / 8;
  const a32 = rng.chance(0.15);
  if (a32) { ctx.pre.push(0x67); ctx.tags.push('a32'); }
  if (rng.chance(0.15)) { ctx.pre.push(SEG_PREFIX[rng.pick<Seg>(['fs', 'gs', 'es', 'ss', 'cs', 'ds'])]); ctx.tags.push('seg'); }
  const target = rng.weighted<Target64>([[80, 'window'], [5, 'misaligned'], [9, 'fault'], [a32 ? 0 : 6, 'noncanonical']]);
  const addr = t.chooseLinear(n, target, Math.min(n, 8));
  ctx.imm = immLE(addr, a32 ? 4 : 8);
  if (addr >= BigInt(WIN_BASE) && addr < BigInt(WIN_BASE + WIN_SIZE)) t.poke(Number(addr), rng.bytes(n));
  if (ctx.form.operands.startsWith('O')) showReg(ctx, RAX);
}

function shapeMovSreg(ctx: Ctx) {
  setRm(ctx, BigInt(pickSelector(ctx.rng)), 16);
}

function shapePopSreg(ctx: Ctx) {
  const { t } = ctx;
  t.pokeBig(Number(t.regs[RSP]), BigInt(pickSelector(ctx.rng)), ctx.opsize / 8);
}

function shapeLseg(ctx: Ctx) {
  const { rng, t, mem } = ctx;
  if (!mem?.inWindow) return;
  const off = ctx.opsize / 8;
  t.pokeBig(Number(mem.linear), BigInt(value32(rng)), off);
  t.pokeBig(Number(mem.linear) + off, BigInt(ctx.form.mnemonic === 'lss' && rng.chance(0.5) ? 0x2b : pickSelector(rng)), 2);
}

function shapeVerx(ctx: Ctx) {
  setRm(ctx, BigInt(pickSelector(ctx.rng)), 16);
}

/** POP r/m, POPF: stack contents (POPF values never set TF; the oracle owns it). */
function shapePop(ctx: Ctx) {
  const { rng, t, form } = ctx;
  const w = ctx.opsize / 8;
  let v = valBits(rng, 8 * w);
  if (form.mnemonic === 'popf') {
    v = (v & ~0x100n & 0xffffffffn) | (rng.chance(0.5) ? 0n : v & BigInt(RF_AC | RF_DF | 0x200000 | 0x4000));
    if (w === 8 && rng.chance(0.1)) v |= BigInt(rng.u32()) << 32n;
  }
  t.pokeBig(Number(t.regs[RSP]), v, w);
}

function shapeEnter(ctx: Ctx) {
  const { rng, t } = ctx;
  const size = rng.weighted<() => number>([[4, () => 0], [4, () => 8 * rng.int(17)], [2, () => rng.int(0x10000)]])();
  const level = rng.weighted<() => number>([[10, () => 0], [4, () => 1], [4, () => rng.range(2, 4)],
    [1, () => rng.range(5, 31)], [1, () => rng.range(32, 255)]])();
  ctx.imm = [...immLE(BigInt(size), 2), level];
  // (RBP stays below 4 GiB or non-canonical: nested levels read the old frame through it.)
  if (!t.locked[RBP]) {
    t.set(RBP, rng.weighted<() => bigint>([[85, () => BigInt(WIN_BASE + 0x100 + 8 * rng.int((WIN_SIZE - 0x200) / 8))],
      [10, () => BigInt(value32(rng))], [5, () => rng.pick(NONCANON)]])());
  }
  const w = ctx.opsize / 8;
  const rbp = t.regs[RBP];
  for (let i = 1; i < (level & 31); i++) {
    const a = rbp - BigInt(w * i);
    if (a >= BigInt(WIN_BASE) && a < BigInt(WIN_BASE + WIN_SIZE)) t.pokeBig(Number(a), value64(rng), w);
  }
}

function shapeLeave(ctx: Ctx) {
  const { rng, t } = ctx;
  if (!t.locked[RBP]) {
    t.set(RBP, rng.weighted<() => bigint>([
      [80, () => BigInt(WIN_BASE + 8 * rng.int(WIN_SIZE / 8 - 1))],
      [6, () => BigInt(WIN_BASE + WIN_SIZE - rng.int(8))],
      [6, () => rng.pick(NONCANON) + BigInt(rng.int(0x100))],
      [8, () => value64(rng) & 0xffffffffn],
    ])());
  }
  const a = t.regs[RBP];
  if (a >= BigInt(WIN_BASE) && a < BigInt(WIN_BASE + WIN_SIZE)) t.pokeBig(Number(a), value64(rng), 8);
}

/** Jcc/JMP over filler: onto a boundary inside it or the sentinel; sometimes far out (unmapped). */
function shapeJcc(ctx: Ctx) {
  const { rng, form } = ctx;
  const n = rng.weighted<() => number>([[6, () => rng.range(1, 8)], [3, () => rng.range(0, 24)], [1, () => rng.range(25, 100)]])();
  ctx.tail = filler(rng, n);
  const rel = form.operands === 'Jb' ? 1 : 4;
  let disp = BigInt(rng.chance(0.7) ? n : rng.range(0, n));
  if (rel === 4 && rng.chance(0.1)) disp = BigInt(rng.range(-0x0fff0000, 0x7fffffff));     // unmapped, below 4 GiB
  if (rel === 1 && rng.chance(0.05)) disp = BigInt(rng.range(-128, -1 - insnLen(ctx, []) - rel));   // below the code page
  ctx.imm = immLE(disp, rel);
}

function shapeCall(ctx: Ctx) {
  const { rng } = ctx;
  if (rng.chance(0.45)) {
    // call sub; jmp end; filler; sub: body; ret; end:
    const gap = filler(rng, rng.range(0, 6)), body = filler(rng, rng.range(0, 4));
    ctx.imm = immLE(BigInt(2 + gap.length), 4);
    ctx.tail = [0xeb, gap.length + body.length + 1, ...gap, ...body, 0xc3];
    ctx.tags.push('sub');
    return;
  }
  const n = rng.range(0, 12);
  ctx.tail = filler(rng, n);
  ctx.imm = immLE(BigInt(rng.chance(0.9) ? rng.range(0, n) : rng.range(-0x0fff0000, 0x7fffffff)), 4);
}

function shapeRet(ctx: Ctx) {
  const { rng, t, form } = ctx;
  if (form.operands === 'Iw') ctx.imm = immLE(BigInt(rng.weighted<() => number>([[3, () => 8 * rng.int(8)], [1, () => rng.int(0x10000)]])()), 2);
  ctx.tail = filler(rng, rng.range(0, 10));
  t.pokeBig(Number(t.regs[RSP]), branchTarget(ctx, insnLen(ctx, [])), 8);
}

/** A code selector for a far transfer: 64-bit user code, compatibility-mode code, or anything. The
 *  upper halves of the registers are undefined after a switch to compatibility mode (SDM vol. 1,
 *  3.4.1.1) and the reference CPU drops RSP's: with RSP above 4 GiB the target stays 64-bit code. */
function farSelector(ctx: Ctx): number {
  const { rng, t } = ctx;
  const sel = rng.weighted<() => number>([[75, () => 0x33], [10, () => 0x23], [15, () => pickSelector(rng)]])();
  return sel === 0x23 && t.regs[RSP] >= 1n << 32n ? 0x33 : sel;
}

/** A far return's filler, slot size, stack address, and its first two slots: the target and a code
 *  selector (a compatibility-mode target lies below 4 GiB). */
function farReturn(ctx: Ctx): { w: number; sp: number; sel: number } {
  const { rng, t } = ctx;
  ctx.tail = filler(rng, rng.range(0, 10));
  const w = ctx.opsize / 8;
  const sp = Number(t.regs[RSP]);
  const sel = farSelector(ctx);
  let target = branchTarget(ctx, insnLen(ctx, []));
  if (sel === 0x23) target &= 0xffffffffn;
  t.pokeBig(sp, target, w);
  t.pokeBig(sp + w, BigInt(sel), w);
  return { w, sp, sel };
}

function shapeRetf(ctx: Ctx) {
  if (ctx.form.operands === 'Iw') ctx.imm = immLE(BigInt(8 * ctx.rng.int(8)), 2);
  farReturn(ctx);
}

/** IRET/IRETD/IRETQ (66h/none/REX.W): in 64-bit mode it always pops RIP CS RFLAGS RSP SS. */
function shapeIret(ctx: Ctx) {
  const { rng, t } = ctx;
  const { w, sp, sel } = farReturn(ctx);
  const newSp = rng.weighted<() => bigint>([[80, () => BigInt(WIN_BASE + 8 * rng.int(WIN_SIZE / 8))], [10, () => value64(rng)],
    [10, () => rng.pick(NONCANON)]])();
  const ss = rng.weighted<() => number>([[85, () => 0x2b], [15, () => pickSelector(rng)]])();
  [BigInt(iretFlags(rng)), sel === 0x23 ? newSp & 0xffffffffn : newSp, BigInt(ss)].forEach((v, i) => t.pokeBig(sp + (i + 2) * w, v, w));
}

function shapeJmpInd(ctx: Ctx, modrm: number[]) {
  const { rng } = ctx;
  ctx.tail = filler(rng, rng.range(0, 10));
  setRm(ctx, branchTarget(ctx, insnLen(ctx, modrm)), 64);
}

function shapeFar(ctx: Ctx, modrm: number[]) {
  const { rng, t, mem } = ctx;
  ctx.tail = filler(rng, rng.range(0, 10));
  const w = ctx.opsize / 8;
  const target = branchTarget(ctx, insnLen(ctx, modrm)) & mask(8 * w);
  if (mem?.inWindow) { t.pokeBig(Number(mem.linear), target, w); t.pokeBig(Number(mem.linear) + w, BigInt(farSelector(ctx)), 2); }
}

/** LOOP/LOOPE/LOOPNE/JRCXZ: RCX (ECX with 67h) at 0, 1, 2, across 2^32, or anything. */
function shapeLoop(ctx: Ctx) {
  const { rng, t } = ctx;
  if (rng.chance(0.2)) { ctx.pre.push(0x67); ctx.tags.push('a32'); }
  t.set(RCX, rng.weighted<() => bigint>([[3, () => 0n], [3, () => 1n], [2, () => 2n], [1, () => 1n << 32n], [1, () => (1n << 32n) + 1n],
    [1, () => (1n << 32n) - 1n], [4, () => value64(rng)]])());
  const n = rng.range(0, 12);
  ctx.tail = filler(rng, n);
  ctx.imm = [rng.chance(0.95) ? n : rng.range(-128, -2 - insnLen(ctx, [])) & 0xff];   // back below the code page
}

/** MOVS CMPS STOS LODS SCAS with or without REP/REPE/REPNE, either direction, 64- or 32-bit (67h)
 *  addressing, sometimes running off the window midway or starting non-canonical. */
function shapeString(ctx: Ctx) {
  const { rng, t, form } = ctx;
  const { m, n, rep, asize: a32, usesSrc, usesDst } = stringStart(rng, form, ctx.opsize, ctx.pre, ctx.tags, 0.15, 'a32');
  if (usesSrc && rng.chance(0.12)) { ctx.pre.push(SEG_PREFIX[rng.pick<Seg>(['gs', 'fs', 'es', 'ss', 'cs', 'ds'])]); ctx.tags.push('seg'); }
  const df = (t.rflags & RF_DF) !== 0;
  const count = rep ? rng.weighted<() => bigint>([[2, () => 0n], [3, () => 1n], [10, () => BigInt(rng.range(2, 16))],
    [3, () => BigInt(rng.range(17, 64))], [1, () => 1n << 32n], [2, () => value64(rng)]])() : value64(rng);
  t.set(RCX, count);
  t.step = rep && rng.chance(0.25) ? 1 : 0;
  const iters = rep ? (a32 ? count & 0xffffffffn : count) : 1n;
  const span = Number(iters < 64n ? iters : 64n) * n;
  const place = (): bigint => {
    if (!a32 && rng.chance(0.04)) return rng.pick(NONCANON);
    if (rng.chance(0.15)) {
      const k = rng.range(0, 6) * n;
      return BigInt(df ? WIN_BASE + k : WIN_BASE + WIN_SIZE - k - n);   // leaves the window after k/n + 1 steps
    }
    const off = n + rng.int(Math.max(1, WIN_SIZE - span - 2 * n));
    return BigInt(df ? WIN_BASE + off + span - n : WIN_BASE + off);
  };
  // With 67h only the low 32 bits address: give the upper half something to ignore.
  const asReg = (lin: bigint) => (a32 && rng.chance(0.5) ? (value64(rng) & ~0xffffffffn) | lin : lin);
  const src = place(), dst = place();
  if (usesSrc) t.set(RSI, asReg(src));
  if (usesDst) t.set(RDI, asReg(dst));
  const at = (base: bigint, i: number) => Number(df ? base - BigInt(i * n) : base + BigInt(i * n));
  const into = (base: bigint) => (base < 1n << 32n ? (i: number, d: number[]) => t.poke(at(base, i), d) : null);
  const key = stringData(rng, m, rep, n, Math.ceil(Math.min(span, 32) / n), usesSrc ? into(src) : null, into(dst));
  if (m === 'scas') {
    showReg(ctx, RAX);
    setReg(ctx, RAX, le2big(key), 8 * n);
  } else if (m === 'stos') {
    t.set(RAX, value64(rng));
  }
}

/** The value of little-endian bytes. */
function le2big(b: number[]): bigint {
  return b.reduceRight((v, x) => (v << 8n) | BigInt(x), 0n);
}

function shapeXlat(ctx: Ctx) {
  const { rng, t } = ctx;
  const a32 = rng.chance(0.15);
  if (a32) { ctx.pre.push(0x67); ctx.tags.push('a32'); }
  if (rng.chance(0.12)) { ctx.pre.push(SEG_PREFIX[rng.pick<Seg>(['gs', 'fs', 'es', 'ss', 'cs', 'ds'])]); ctx.tags.push('seg'); }
  const al = rng.int(256);
  t.set(RAX, (value64(rng) & ~0xffn) | BigInt(al));
  const lin = t.chooseLinear(1, rng.weighted<Target64>([[88, 'window'], [8, 'fault'], [a32 ? 0 : 4, 'noncanonical']]), 1);
  let rbx = (lin - BigInt(al)) & M64;
  if (a32) rbx = (rbx & 0xffffffffn) | (rng.chance(0.5) ? value64(rng) & ~0xffffffffn : 0n);
  t.set(RBX, rbx);
  if (lin < 1n << 32n) t.poke(Number(lin), [rng.int(256)]);
}

function shapeInt(ctx: Ctx) {
  const { rng, form } = ctx;
  if (form.mnemonic === 'int') ctx.imm = [rng.weighted<() => number>([[3, () => 0x80], [1, () => 3], [1, () => 4], [5, () => rng.int(256)]])()];
  // Linux's 32-bit INT 0x80 entry zero-extends EAX before it reports the state: not the CPU's doing.
  if (ctx.imm[0] === 0x80) ctx.t.undef.push('rax');
  if (ctx.t.rflags & RF_OF && rng.chance(0.5)) ctx.t.rflags &= ~RF_OF;
}

/** SYSCALL ends the test; it writes RCX (the return RIP) and R11 (RFLAGS), which Linux reports. */
function shapeSyscall(ctx: Ctx) {
  ctx.t.undef.push(GPR64[RCX], GPR64[R11]);
}

/** BMI1: the VEX.vvvv register (By) is an operand (ANDN's first source, BEXTR's control, BLS*'s destination). */
function shapeBmi(ctx: Ctx) {
  const { rng, t, form } = ctx;
  ctx.opReg = rng.int(16);
  if (form.mnemonic === 'bextr') {
    const bits = ctx.opsize;
    const start = rng.weighted<() => number>([[6, () => rng.int(bits)], [1, () => rng.range(bits, 255)]])();
    const len = rng.weighted<() => number>([[6, () => rng.range(0, bits)], [1, () => rng.range(bits, 255)]])();
    if (!t.locked[ctx.opReg]) t.set(ctx.opReg, (value64(rng) & ~0xffffn) | BigInt(start | (len << 8)));
  } else showReg(ctx, ctx.opReg);
  if (rng.chance(0.15) && form.mnemonic.startsWith('bls')) setRm(ctx, 0n, ctx.opsize);
}

/** The opcodes marked i64: each with bytes after it that keep it #UD on every CPU (62 is EVEX
 *  with P1 bit 2 clear; C4 is VEX with the reserved map 0; C5 is VEX on an opcode with no VEX form). */
function buildInvalid(ctx: Ctx, id: string): string {
  const { rng, t, form } = ctx;
  const op = form.bytes[0];
  let code: number[];
  switch (op) {
    case 0x62: code = [0x62, rng.int(256), rng.int(256) & ~0x04, rng.int(256), rng.int(256), 0xc0 | rng.int(64)]; break;
    case 0xc4: code = [0xc4, rng.int(256) & 0xe0, rng.int(256), rng.int(256), 0xc0 | rng.int(64)]; break;
    case 0xc5: code = [0xc5, rng.int(256), rng.pick([0x05, 0x0b, 0xa3, 0xab, 0xaf, 0xb6, 0xb7, 0xbc, 0xbe, 0x80 + rng.int(16)]), 0xc0 | rng.int(64)]; break;
    case 0x82: code = [0x82, 0xc0 | rng.int(64), rng.int(256)]; break;
    case 0x9a: case 0xea: code = [op, ...rng.bytes(6)]; break;
    case 0xd4: case 0xd5: code = [op, rng.chance(0.5) ? 10 : rng.int(256)]; break;
    default: code = [op];
  }
  if (rng.chance(0.15)) code.unshift(rng.pick([0x66, 0x48, 0x41, 0x40, 0xf3]));
  t.code = code;
  if (rng.chance(0.08)) t.step = 1;
  return t.toJSON(id, form.name);
}

export { FORMS64 };
