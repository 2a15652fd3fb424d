// The x86 disassembler's engine: legacy and REX prefixes, ModR/M and SIB, and the operand forms of
// the Intel SDM vol. 2, appendix A.2 ("Key to abbreviations": E, G, M, R, I, J, O, S, C, D, X, Y,
// V, W, U, P, Q, N plus size letters b w d q v z y x), printed in objdump's Intel syntax
// (`mov    eax,DWORD PTR [rbp-0x14]`, unused prefixes as words such as `data16` or `cs`). The opcode
// maps live in one-byte.ts, two-byte.ts and x87.ts, one row per opcode as in the manual.
// Invariants: never reads past `end`; anything it cannot decode is `(bad)`, one byte long.
import { ADDR16, SEGMENTS, gpr } from './registers.ts';

/** One decoded instruction. */
export interface Instruction {
  address: bigint;
  /** Bytes taken (1 for `(bad)`). */
  length: number;
  bytes: Uint8Array;
  /** Prefix words and mnemonic ("lock cmpxchg", "rep stos"), or "(bad)". */
  mnemonic: string;
  /** Operands as objdump's Intel syntax prints them, comma-separated without spaces. */
  operands: string;
  /** `mnemonic operands`, one space between. */
  text: string;
  /** Where a relative branch or a RIP-relative operand points. */
  target?: bigint;
  /** The bytes do not form an instruction this disassembler knows. */
  bad: boolean;
}

/** A row of an opcode map: "mnemonic op,op[;flags]", or a function choosing one from the decoder's state. */
export type Row = string | ((d: Decoder) => string | undefined) | undefined;

export class BadInstruction extends Error {}

const SIZE_NAME: Record<string, string> = {
  b: 'BYTE PTR ', w: 'WORD PTR ', d: 'DWORD PTR ', q: 'QWORD PTR ', x: 'XMMWORD PTR ', o: 'OWORD PTR ',
  t: 'TBYTE PTR ', f: 'FWORD PTR ', '': '',
};

function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}

interface Prefix {
  byte: number;
  used: boolean;
}

export class Decoder {
  pos: number;
  readonly start: number;
  readonly prefixes: Prefix[] = [];
  /** The effective prefix of each group (the last one seen). */
  private opsizePrefix?: Prefix;
  private adsizePrefix?: Prefix;
  private segPrefix?: Prefix;
  private repPrefix?: Prefix;
  private lockPrefix?: Prefix;
  rex = 0;
  private rexPrefix?: Prefix;
  /** REX bits that took effect (W R X B as 8 4 2 1; 0x40 for a plain REX that chose spl..dil). */
  private rexUsed = 0;
  private modrmByte = -1;
  /** Set by operands that print a memory reference (segment and address-size prefixes then count as used). */
  target?: bigint;
  /** Row flags: d64 (64-bit default operand size), f64 (always 64-bit), bnd (F2 reads as `bnd`). */
  flags = '';

  constructor(
    private readonly code: Uint8Array,
    offset: number,
    private readonly end: number,
    readonly address: bigint,
    readonly bits: 32 | 64,
  ) {
    this.pos = this.start = offset;
  }

  get long(): boolean {
    return this.bits === 64;
  }

  // ---- bytes ----------------------------------------------------------------------------------

  byte(): number {
    if (this.pos >= this.end || this.pos - this.start >= 15) throw new BadInstruction('truncated');
    return this.code[this.pos++];
  }

  peek(): number {
    if (this.pos >= this.end) throw new BadInstruction('truncated');
    return this.code[this.pos];
  }

  private le(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i++) v |= BigInt(this.byte()) << BigInt(8 * i);
    return v;
  }

  private signed(n: number): bigint {
    return BigInt.asIntN(8 * n, this.le(n));
  }

  // ---- prefixes -------------------------------------------------------------------------------

  /** Reads legacy and REX prefixes; returns the first opcode byte. */
  readPrefixes(): number {
    for (;;) {
      const b = this.byte();
      const p: Prefix = { byte: b, used: false };
      if (b === 0x66) this.opsizePrefix = p;
      else if (b === 0x67) this.adsizePrefix = p;
      else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65) this.segPrefix = p;
      else if (b === 0xf2 || b === 0xf3) this.repPrefix = p;
      else if (b === 0xf0) this.lockPrefix = p;
      else if (this.long && b >= 0x40 && b <= 0x4f) {
        // A REX prefix counts only right before the opcode.
        const next = this.peek();
        this.prefixes.push(p);
        if (isLegacyPrefix(next) || (next >= 0x40 && next <= 0x4f)) continue;
        this.rex = b;
        this.rexPrefix = p;
        return this.byte();
      } else return b;
      this.prefixes.push(p);
    }
  }

  get rexW(): boolean {
    this.rexUsed |= this.rex & 8;
    return (this.rex & 8) !== 0;
  }

  /** A byte register 4-7 was printed: a REX prefix (even 0x40) chose spl..dil over ah..bh. */
  noteByteRegister(n: number): void {
    if (this.rex && n >= 4) this.rexUsed |= 0x40;
  }

  /** The register in an opcode's low three bits, extended by REX.B. */
  opcodeReg(opcode: number): number {
    return (opcode & 7) | this.rexBit(1);
  }

  private rexBit(bit: number): number {
    this.rexUsed |= this.rex & bit;
    return this.rex & bit ? 8 : 0;
  }

  /** The mandatory prefix of an SSE row: 'f3', 'f2', '66' or '' (and marks it used). */
  mandatoryPrefix(): '' | '66' | 'f3' | 'f2' {
    if (this.repPrefix) return this.repPrefix.byte === 0xf3 ? 'f3' : 'f2';
    if (this.opsizePrefix) return '66';
    return '';
  }

  useMandatory(which: '' | '66' | 'f3' | 'f2'): void {
    if (which === '66') this.opsizePrefix!.used = true;
    else if (which) this.repPrefix!.used = true;
  }

  hasRep(): number {
    return this.repPrefix?.byte ?? 0;
  }

  hasOpsizePrefix(): boolean {
    return !!this.opsizePrefix;
  }

  /** Operand size in bytes (2, 4, 8) under the row's flags. */
  opsize(): number {
    // REX.W takes no effect on instructions whose operand size is 64 bits in 64-bit mode anyway.
    if (this.flags.includes('f64') && this.long) return 8;
    if (this.flags.includes('d64') && this.long && !this.opsizePrefix) return 8;
    if (this.long && this.rexW) return 8;
    if (this.opsizePrefix) {
      this.opsizePrefix.used = true;
      return 2;
    }
    return 4;
  }

  /** Address size in bytes (2, 4, 8). */
  adsize(): number {
    if (this.adsizePrefix) return this.long ? 4 : 2;
    return this.long ? 8 : 4;
  }

  /** The address-size prefix took effect (a memory operand, a string instruction, JECXZ, LOOP). */
  useAdsize(): void {
    if (this.adsizePrefix) this.adsizePrefix.used = true;
  }

  /** The segment override as a prefix for a memory operand ("fs:"), marking it used. */
  segment(defaultSeg?: string): string {
    const p = this.segPrefix;
    if (p && (!this.long || p.byte === 0x64 || p.byte === 0x65)) {
      p.used = true;
      return `${SEGMENTS[[0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].indexOf(p.byte)]}:`;
    }
    return defaultSeg ? `${defaultSeg}:` : '';
  }

  // ---- ModR/M ---------------------------------------------------------------------------------

  modrm(): number {
    if (this.modrmByte < 0) this.modrmByte = this.byte();
    return this.modrmByte;
  }

  get mod(): number {
    return this.modrm() >> 6;
  }

  /** The reg field, extended by REX.R. */
  reg(): number {
    return ((this.modrm() >> 3) & 7) | this.rexBit(4);
  }

  /** The reg field without REX (group opcode extensions). */
  regField(): number {
    return (this.modrm() >> 3) & 7;
  }

  /** The r/m field as a register number, extended by REX.B. */
  rmReg(): number {
    return (this.modrm() & 7) | this.rexBit(1);
  }

  /** The r/m operand: a register of `size` bytes, or memory printed with `sizeLetter`. */
  rm(size: number, sizeLetter: string, regs?: (n: number) => string): string {
    if (this.mod === 3) {
      const n = this.rmReg();
      if (regs) return regs(n);
      if (size === 1) this.noteByteRegister(n);
      return gpr(n, size, this.rex !== 0);
    }
    return this.memory(sizeLetter);
  }

  /** A memory operand (ModR/M mod != 3) with its size keyword ('' for none). */
  memory(sizeLetter: string): string {
    if (this.mod === 3) throw new BadInstruction('register where memory is required');
    const size = SIZE_NAME[sizeLetter];
    if (size === undefined) throw new Error(`disassembler table: unknown size letter ${sizeLetter}`);
    this.useAdsize();
    const as = this.adsize();
    if (as === 2) return size + this.memory16();
    const mod = this.mod;
    let rm = this.modrm() & 7;
    const names = (n: number) => gpr(n, as, true);
    let base: string | undefined;
    let index: string | undefined;
    let scale = 1;
    let dispSize = mod === 1 ? 1 : mod === 2 ? 4 : 0;
    let ripRelative = false;
    if (rm === 4) {
      const sib = this.byte();
      scale = 1 << (sib >> 6);
      const idx = ((sib >> 3) & 7) | this.rexBit(2);
      const b = sib & 7;
      if (idx !== 4) index = names(idx);
      // A SIB byte without an index that was not needed (base other than rSP): objdump shows the
      // pseudo-register eiz/riz, so that the encoding can be told apart.
      else if ((b !== 4 && !(b === 5 && mod === 0)) || scale !== 1) index = as === 8 ? 'riz' : 'eiz';
      if (b === 5 && mod === 0) dispSize = 4;
      else base = names(b | this.rexBit(1));
      rm = -1;
    } else if (rm === 5 && mod === 0) {
      dispSize = 4;
      if (this.long) ripRelative = true;
    } else {
      base = names(rm | this.rexBit(1));
    }
    const disp = dispSize ? this.signed(dispSize) : 0n;
    if (ripRelative) {
      // Resolved against the end of the instruction, which later operands (immediates) may extend.
      const reg = as === 8 ? 'rip' : 'eip';
      this.pendingRip = disp;
      return `${size}${this.segment()}[${reg}+${hex(BigInt.asUintN(64, disp))}]`;
    }
    if (!base && !index) {
      const addr = BigInt.asUintN(as * 8, disp);
      return `${size}${this.segment('ds')}${hex(addr)}`;
    }
    let inner = base ?? '';
    if (index) inner += `${inner ? '+' : ''}${index}*${scale}`;
    if (dispSize) inner += disp < 0n ? `-${hex(-disp)}` : `+${hex(disp)}`;
    return `${size}${this.segment()}[${inner}]`;
  }

  /** RIP-relative displacement waiting for the instruction's length. */
  pendingRip?: bigint;

  private memory16(): string {
    const mod = this.mod;
    const rm = this.modrm() & 7;
    if (mod === 0 && rm === 6) return `${this.segment('ds')}${hex(this.le(2))}`;
    const disp = mod === 1 ? this.signed(1) : mod === 2 ? this.signed(2) : 0n;
    let inner = ADDR16[rm];
    if (mod !== 0) inner += disp < 0n ? `-${hex(-disp)}` : `+${hex(disp)}`;
    return `${this.segment()}[${inner}]`;
  }

  // ---- immediates and branches ----------------------------------------------------------------

  /** An immediate of `n` bytes, sign-extended to `width` bytes when `width` > n, printed unsigned. */
  imm(n: number, width = n): string {
    const v = width > n ? this.signed(n) : this.le(n);
    return hex(BigInt.asUintN(width * 8, v));
  }

  /** A relative branch of `n` displacement bytes: the absolute target. */
  branch(n: number): string {
    const disp = this.signed(n);
    const size = this.long ? 64 : this.opsizePrefix && !this.long && n > 1 ? 16 : 32;
    if (this.opsizePrefix && !this.long && n > 1) this.opsizePrefix.used = true;
    const next = this.address + BigInt(this.pos - this.start);
    this.target = BigInt.asUintN(size, next + disp);
    return hex(this.target);
  }

  // ---- the result -----------------------------------------------------------------------------

  /** The prefix words objdump prints before a mnemonic, in byte order; `words` maps used ones (lock, rep). */
  prefixWords(mnemonic: string): string[] {
    const out: string[] = [];
    const branchy = this.flags.includes('bnd');
    for (const p of this.prefixes) {
      const effective = p === this.opsizePrefix || p === this.adsizePrefix || p === this.segPrefix || p === this.repPrefix ||
        p === this.lockPrefix || p === this.rexPrefix;
      if (p === this.lockPrefix) { out.push('lock'); continue; }
      if (p === this.repPrefix && p.used && this.flags.includes('rep')) {
        out.push(p.byte === 0xf2 ? 'repnz' : this.flags.includes('repz') ? 'repz' : 'rep');
        continue;
      }
      if (effective && p.used) continue;
      // objdump shows a REX prefix whenever one of its bits took no effect.
      if (p === this.rexPrefix && (this.rex & 0xf ? (this.rex & 0xf & ~this.rexUsed) === 0 : this.rexUsed !== 0)) continue;
      out.push(prefixWord(p.byte, branchy, this.long, mnemonic));
    }
    return out;
  }

  finish(mnemonic: string, operands: string[]): Instruction {
    const length = this.pos - this.start;
    let ops = operands.join(',');
    if (this.pendingRip !== undefined) {
      const width = this.adsize() === 8 ? 64 : 32;
      this.target = BigInt.asUintN(width, this.address + BigInt(length) + this.pendingRip);
    }
    const words = this.prefixWords(mnemonic);
    const full = [...words, mnemonic].join(' ');
    ops = ops.trim();
    return {
      address: this.address,
      length,
      bytes: this.code.slice(this.start, this.pos),
      mnemonic: full,
      operands: ops,
      text: ops ? `${full} ${ops}` : full,
      target: this.target,
      bad: false,
    };
  }
}

function isLegacyPrefix(b: number): boolean {
  return b === 0x66 || b === 0x67 || b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65 ||
    b === 0xf0 || b === 0xf2 || b === 0xf3;
}

function prefixWord(b: number, branchy: boolean, long: boolean, mnemonic: string): string {
  switch (b) {
    case 0x66: return 'data16';
    case 0x67: return long ? 'addr32' : 'addr16';
    case 0x26: return 'es';
    case 0x2e: return 'cs';
    case 0x36: return 'ss';
    case 0x3e: return long && (mnemonic === 'jmp' || mnemonic === 'call') ? 'notrack' : 'ds';
    case 0x64: return 'fs';
    case 0x65: return 'gs';
    case 0xf2: return branchy ? 'bnd' : 'repnz';
    case 0xf3: return 'repz';
    default: {
      if (b === 0x40) return 'rex';
      const bits = ['W', 'R', 'X', 'B'].filter((_, i) => b & (8 >> i)).join('');
      return `rex.${bits}`;
    }
  }
}
