// The "raw" kind: random byte strings of 1..15 bytes (biased towards legacy prefixes and the
// integer opcodes of the one-byte and 0F maps) run for one instruction (step 1), to check decode
// length (out.rip), #UD and faults. A small decoder (Intel SDM vol. 2 ch. 2: prefixes, opcode maps,
// ModRM/SIB/displacement) rejects encodings the oracle cannot judge fairly and finds the form row
// for the fmask. Excluded (re-rolled): x87, MMX/SSE/VEX/EVEX/XOP, 0F 01, SLDT/STR (UMIP-emulated by
// Linux), LAR/LSL, CPUID/RDTSC/RDPMC/RDRAND/RDSEED/RDPID, SYSCALL/SYSRET/SYSENTER/SYSEXIT (vendor
// dependent in compatibility mode), XSAVE family, XBEGIN/XABORT, INT1 (the hypervisor reports it
// with RIP not advanced), SALC, 3DNow!, PUSHF/POP SS/MOV SS (single-stepping changes them), and
// F2/F3 LOOPE/LOOPNE (reserved; this AMD CPU lets the prefix choose the loop condition), LOCK MOV
// CRn (AMD's CR8 encoding).

import { ECX, ESP, REG_NAMES, RSP_DEFAULT, TestBuilder, WIN_BASE, WIN_SIZE } from './builder.ts';
import { FORMS, type Form } from './forms.ts';
import { Rng, value32 } from './rng.ts';

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const GROUPS1 = new Set([0x80, 0x81, 0x82, 0x83, 0x8f, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff]);
const GROUPS2 = new Set([0x00, 0x01, 0x0d, 0x18, 0x1f, 0x71, 0x72, 0x73, 0xae, 0xba, 0xc7]);

export interface Decoded {
  prefixes: number[];
  opsize: 16 | 32;
  asize: 16 | 32;
  f3: boolean;
  f2: boolean;
  /** 1 = one-byte map, 2 = 0F map. */
  map: 1 | 2;
  op: number;
  modrm: { mod: number; reg: number; rm: number } | null;
  /** Offset of the first byte after ModRM/SIB/displacement. */
  afterModrm: number;
  bytes: number[];
}

/** ModRM + SIB + displacement length with 16- or 32-bit addressing (64-bit addressing uses the
 *  32-bit byte formats: gen-raw64.ts passes 32). */
export function modrmLen(b: number[], at: number, asize: 16 | 32): number {
  const m = b[at], mod = m >> 6, rm = m & 7;
  if (mod === 3) return 1;
  if (asize === 16) return 1 + (mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 6) ? 2 : 0);
  let n = 1;
  if (rm === 4) { n++; if (mod === 0 && (b[at + 1] & 7) === 5) n += 4; }
  if (mod === 0 && rm === 5) n += 4;
  if (mod === 1) n += 1;
  if (mod === 2) n += 4;
  return n;
}

/** One-byte opcodes that have a ModRM byte (used to find the immediate of C0/C1 and the reg field). */
function oneByteHasModrm(op: number): boolean {
  return (op < 0x40 && (op & 7) < 4) || op === 0x62 || op === 0x63 || op === 0x69 || op === 0x6b ||
    (op >= 0x80 && op <= 0x8f) || op === 0xc0 || op === 0xc1 || (op >= 0xc4 && op <= 0xc7) ||
    (op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) || op === 0xf6 || op === 0xf7 || op === 0xfe || op === 0xff;
}

function twoByteHasModrm(op: number): boolean {
  if ([0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x77, 0xa0, 0xa1,
    0xa2, 0xa8, 0xa9, 0xaa, 0xff].includes(op)) return false;
  if (op >= 0x80 && op <= 0x8f) return false;
  if (op >= 0xc8 && op <= 0xcf) return false;
  return true;
}

export function decode(bytes: number[]): Decoded {
  let i = 0;
  const prefixes: number[] = [];
  while (i < bytes.length && PREFIXES.has(bytes[i]) && i < 14) prefixes.push(bytes[i++]);
  const opsize = prefixes.includes(0x66) ? 16 : 32;
  const asize = prefixes.includes(0x67) ? 16 : 32;
  const lastRep = [...prefixes].reverse().find((p) => p === 0xf2 || p === 0xf3);
  let map: 1 | 2 = 1, op = bytes[i++];
  if (op === 0x0f) { map = 2; op = bytes[i++]; }
  const has = map === 1 ? oneByteHasModrm(op) : op === 0x38 || op === 0x3a ? false : twoByteHasModrm(op);
  let modrm: Decoded['modrm'] = null, after = i;
  if (has) {
    const m = bytes[i];
    modrm = { mod: m >> 6, reg: (m >> 3) & 7, rm: m & 7 };
    after = i + modrmLen(bytes, i, asize);
  }
  return { prefixes, opsize, asize, f3: lastRep === 0xf3, f2: lastRep === 0xf2, map, op, modrm, afterModrm: after, bytes };
}

/** Why the oracle cannot judge this encoding fairly, or null if it can. */
export function excluded(d: Decoded): string | null {
  const { map, op, modrm } = d;
  const reg = modrm?.reg ?? -1, mod = modrm?.mod ?? -1;
  if (map === 1) {
    if (op === 0xd6) return 'SALC';
    if (op === 0xf1) return 'INT1 (hypervisor)';
    if (op >= 0xd8 && op <= 0xdf) return 'x87';
    if ((op === 0x62 || op === 0xc4 || op === 0xc5) && mod === 3) return 'EVEX/VEX';
    if (op === 0x8f && reg !== 0) return 'XOP';
    if ((op === 0xc6 || op === 0xc7) && reg !== 0) return 'XABORT/XBEGIN';
    if (op === 0x9c) return 'PUSHF (pushes the single-step TF)';
    if ((op === 0xe0 || op === 0xe1) && (d.f2 || d.f3)) return 'REP LOOPE/LOOPNE (AMD lets the prefix pick the condition)';
    if (op === 0x17 || (op === 0x8e && reg === 2)) return 'POP SS/MOV SS (delay the single-step trap)';
    return null;
  }
  if (op === 0x00 && (reg === 0 || reg === 1)) return 'SLDT/STR (UMIP emulation)';
  if (op === 0x01) return '0F 01 group';
  if (op === 0x02 || op === 0x03) return 'LAR/LSL';
  if ([0x05, 0x07, 0x34, 0x35].includes(op)) return 'SYSCALL/SYSRET/SYSENTER/SYSEXIT';
  if (op === 0x0e || op === 0x0f) return '3DNow!';
  if (op === 0x0d && reg !== 1) return 'PREFETCH group';
  if ((op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || (op >= 0x50 && op <= 0x7f)) return 'SSE/MMX';
  if ([0x31, 0x33, 0x37, 0x38, 0x3a, 0xa2].includes(op)) return 'RDTSC/RDPMC/GETSEC/0F38/0F3A/CPUID';
  if ((op === 0x20 || op === 0x22) && [1, 5, 6, 7].includes(reg)) return 'MOV CRn (reserved)';
  if ((op === 0x20 || op === 0x22) && d.prefixes.includes(0xf0)) return 'LOCK MOV CRn (AMD encodes CR8 so)';
  if ((op === 0x21 || op === 0x23) && (reg === 4 || reg === 5)) return 'MOV DR4/DR5';
  if (op === 0xae) {
    if (mod !== 3 && [2, 3, 7].includes(reg)) return null;
    if (mod === 3 && reg >= 5 && !d.prefixes.some((p) => p === 0x66 || p === 0xf2 || p === 0xf3)) return null;
    return 'FXSAVE/XSAVE group';
  }
  if (op === 0xc7 && reg !== 1) return 'RDRAND/RDSEED/RDPID/XSAVES';
  if (op === 0xc3 && mod !== 3) return null;
  if (op >= 0xc2 && op <= 0xc6) return 'SSE';
  if (op >= 0xd0 && op <= 0xfe) return 'SSE/MMX';
  return null;
}

/** The form row describing a decoded instruction (for its undefined flags), if any. */
const ROWS = new Map<string, Form>();
for (const f of FORMS) {
  const b = [...f.bytes];
  const f3 = b[0] === 0xf3;
  if (f3) b.shift();
  const map = b[0] === 0x0f ? 2 : 1;
  const op = map === 2 ? b[1] : b[0];
  const ops = f.plusReg ? [0, 1, 2, 3, 4, 5, 6, 7].map((r) => op + r) : [op];
  for (const o of ops) ROWS.set(`${f3 ? 'f3:' : ''}${map}:${o.toString(16)}:${f.digit >= 0 && f.digit < 8 ? f.digit : '-'}`, f);
}

export function formOf(d: Decoded): Form | undefined {
  const key = (f3: boolean, reg: string) => `${f3 ? 'f3:' : ''}${d.map}:${d.op.toString(16)}:${reg}`;
  const grouped = d.map === 1 ? GROUPS1.has(d.op) : GROUPS2.has(d.op);
  let r = d.modrm?.reg ?? -1;
  // Undocumented aliases every x86 executes: group 2 /6 = SHL (/4), F6/F7 /1 = TEST (/0).
  if (d.map === 1 && [0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3].includes(d.op) && r === 6) r = 4;
  if (d.map === 1 && (d.op === 0xf6 || d.op === 0xf7) && r === 1) r = 0;
  const reg = grouped && d.modrm ? String(r) : '-';
  return ROWS.get(key(d.f3, reg)) ?? ROWS.get(key(false, reg));
}

const OPCODES_1: number[] = [];
for (let op = 0; op < 256; op++) {
  if (PREFIXES.has(op) || op === 0x0f || excluded(decode([op, 0x00, 0, 0, 0, 0, 0, 0]))) continue;
  OPCODES_1.push(op);
}
const OPCODES_2 = opcodes0F((b) => Boolean(excluded(decode(b))));

/** The 0F-map opcodes a raw vector may start with: those `rejects` lets through with ModRM reg 1
 *  (it passes most group filters), and the groups and CR moves whose other encodings it accepts.
 *  Shared with gen-raw64.ts. */
export function opcodes0F(rejects: (bytes: number[]) => boolean): number[] {
  const ops: number[] = [];
  for (let op = 0; op < 256; op++) {
    if (!rejects([0x0f, op, 0xc0 | (1 << 3), 0, 0, 0, 0, 0]) || [0x00, 0xae, 0xc7, 0x20, 0x22].includes(op)) ops.push(op);
  }
  return ops;
}

/** How many prefixes a raw vector starts with (0..4, mostly none). Shared with gen-raw64.ts. */
export function prefixCount(rng: Rng): number {
  return rng.weighted([[55, 0], [25, 1], [12, 2], [6, 3], [2, 4]] as const);
}

/** Appends random bytes after the opcode (ModRM, SIB, displacement, immediate or garbage), keeping
 *  the whole within 15 bytes. Shared with gen-raw64.ts. */
export function pushTail(rng: Rng, b: number[]): void {
  const room = 15 - b.length;
  const n = Math.min(room, rng.weighted<() => number>([[20, () => rng.range(0, 2)], [50, () => rng.range(3, 7)], [30, () => rng.range(0, 14)]])());
  for (let i = 0; i < n; i++) b.push(tailByte(rng));
}

function tailByte(rng: Rng): number {
  return rng.weighted<() => number>([[35, () => 0], [10, () => rng.range(1, 15)], [5, () => 0xff], [50, () => rng.int(256)]])();
}

/** Random instruction bytes, re-rolled until the oracle can judge them. */
export function rawBytes(rng: Rng): number[] {
  for (;;) {
    const b: number[] = [];
    const np = prefixCount(rng);
    for (let i = 0; i < np; i++) {
      b.push(rng.weighted([[4, 0x66], [3, 0x67], [2, 0xf3], [2, 0xf2], [2, 0xf0], [1, 0x26], [1, 0x2e], [1, 0x36],
        [1, 0x3e], [1, 0x64], [2, 0x65]] as const));
    }
    const kind = rng.weighted([[60, 1], [25, 2], [15, 0]] as const);
    if (kind === 1) b.push(rng.pick(OPCODES_1));
    else if (kind === 2) b.push(0x0f, rng.pick(OPCODES_2));
    else b.push(rng.int(256));
    pushTail(rng, b);
    const run = [...b, ...new Array(15).fill(0xcc)];
    if (!excluded(decode(run))) return b;
  }
}

/** What a raw vector's flag mask depends on: the operand width in bits, and for shifts and rotates
 *  the count (`cl`, 1 or the imm8). undefinedRm: a 16-bit SHLD/SHRD count above 16 leaves the
 *  register destination undefined; null: it would leave a memory destination undefined (re-roll).
 *  Shared with gen-raw64.ts. */
export function flagOperands(form: Form, d: Pick<Decoded, 'bytes' | 'afterModrm' | 'modrm'> & { opsize: number }, cl: number):
  { bits: number; count: number | undefined; undefinedRm: boolean } | null {
  const byteOp = /(^|,)(Eb|AL|Zb)/.test(form.operands);
  const bits = byteOp ? 8 : d.opsize;
  let count: number | undefined;
  let undefinedRm = false;
  const last = form.operands.split(',').pop();
  if (form.flags && ['rot', 'rc', 'shl', 'shr', 'sar', 'shd'].includes(form.flags)) {
    count = last === 'CL' ? cl : last === '1' ? 1 : d.bytes[d.afterModrm];
    if (form.flags === 'shd' && bits === 16 && (count & 0x1f) > 16) {
      if (d.modrm?.mod !== 3) return null;
      undefinedRm = true;
    }
  }
  return { bits, count, undefinedRm };
}

/** Registers for raw tests: many point into the window, so random ModRM bytes often hit it.
 *  (Fewer fully random values than the forms use: raw vectors are about decoding and faults.) */
function rawRegs(t: TestBuilder, rng: Rng) {
  for (let r = 0; r < 8; r++) {
    if (r === ESP) {
      const v = rng.weighted<() => number>([[80, () => RSP_DEFAULT], [14, () => WIN_BASE + 4 * rng.int(WIN_SIZE / 4)], [6, () => value32(rng)]])();
      t.set(r, v);
      continue;
    }
    const v = rng.weighted<() => number | null>([[25, () => null], [45, () => WIN_BASE + (rng.chance(0.8) ? 4 * rng.int(WIN_SIZE / 4) : rng.int(WIN_SIZE))],
      [15, () => rng.int(256)], [15, () => value32(rng)]])();
    if (v !== null) t.set(r, v);
  }
}

export function buildRaw(rng: Rng, id: string): string {
  for (;;) {
    const t = new TestBuilder(rng);
    rawRegs(t, rng);
    t.randomFlags(0.15);
    if (rng.chance(0.4)) t.poke(t.regs[ESP], rng.bytes(4));
    const code = rawBytes(rng);
    t.code = code;
    t.step = 1;
    const d = decode([...code, ...new Array(15).fill(0xcc)]);
    const form = formOf(d);
    if (form) {
      const fo = flagOperands(form, d, t.regs[ECX] & 0xff);
      if (!fo) continue;                                     // undefined result in memory: re-roll
      if (fo.undefinedRm && d.modrm) t.undef.push(REG_NAMES[d.modrm.rm]);
      t.setFmask(form.flags, fo.bits, fo.count);
      if (form.mnemonic === 'bswap' && d.opsize === 16) t.undef.push(REG_NAMES[(d.op - 0xc8) & 7]);
    }
    return t.toJSON(id);
  }
}
