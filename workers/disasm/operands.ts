// Operand forms of the x86 disassembler, in the notation of the Intel SDM vol. 2, appendix A.2.1-A.2.3:
// a capital letter says where the operand is encoded (E: ModR/M r/m, G: reg, M: memory only, R: register
// only, I: immediate, J: relative offset, O: moffs, S: segment register, C/D: control/debug register,
// X/Y: string source/destination, V/W/U: XMM, P/Q/N: MMX, Z: register in the opcode's low bits), and
// size letters follow (b byte, w word, d dword, q qword, v word/dword/qword, z word or dword, y dword
// or qword, x 128 bits). Fixed operands are register names. A row is "mnemonic op,op;flags".
import { BadInstruction, type Decoder, type Instruction, type Row } from './decoder.ts';
import { gpr, SEGMENTS } from './registers.ts';

/** CMPPS & co.'s predicates 0-7 (SDM vol. 2, CMPPS, table 3-7). */
const CMP_PREDICATES = ['eq', 'lt', 'le', 'unord', 'neq', 'nlt', 'nle', 'ord'];

const LETTER: Record<number, string> = { 1: 'b', 2: 'w', 4: 'd', 8: 'q' };

const FIXED = new Set(['al', 'cl', 'dx', 'ax', 'st', '1', 'es', 'cs', 'ss', 'ds', 'fs', 'gs']);

/** Operands that are not "letter + size". */
const SPECIAL: Record<string, (d: Decoder) => string> = {
  /** The accumulator of the operand size. */
  eAX: (d) => gpr(0, d.opsize(), false),
  /** The accumulator of IN/OUT: ax or eax. */
  eAXz: (d) => gpr(0, d.opsize() === 2 ? 2 : 4, false),
  /** XLAT's table entry. */
  Xlat: (d) => {
    d.useAdsize();
    return `BYTE PTR ${d.segment('ds')}[${gpr(3, d.adsize(), true)}]`;
  },
  /** A far pointer in the instruction: offset (word or dword), then the selector. */
  Ap: (d) => {
    const offset = d.imm(d.opsize() === 2 ? 2 : 4);
    return `${d.imm(2)}:${offset}`;
  },
  /** The general register of MOV to/from CR/DR: ModR/M r/m whatever mod says, 64 bits in 64-bit mode. */
  Rc: (d) => gpr(d.rmReg(), d.long ? 8 : 4, true),
  /** CMPPS & co.'s predicate byte (runRow folds 0-7 into the mnemonic). */
  Icmp: (d) => d.imm(1),
  /** x87 register ST(i) in ModR/M r/m. */
  STi: (d) => `st(${d.modrm() & 7})`,
};

/** One operand of a row. `opcode` is the opcode byte (for Z forms). */
export function operand(d: Decoder, spec: string, opcode: number): string {
  if (FIXED.has(spec)) return spec;
  const special = SPECIAL[spec];
  if (special) return special(d);
  const kind = spec[0];
  const size = spec.slice(1);
  const bytes = (s: string): number => {
    switch (s) {
      case 'b': return 1;
      case 'w': return 2;
      case 'd': return 4;
      case 'q': return 8;
      case 'v': return d.opsize();
      case 'y': return d.long && d.rexW ? 8 : 4;
      case 'z': return d.opsize() === 2 ? 2 : 4;
      default: throw new Error(`disassembler table: size ${s} in ${spec}`);
    }
  };
  const rex = d.rex !== 0;
  switch (kind) {
    case 'E': {
      const n = bytes(size);
      return d.rm(n, LETTER[n]);
    }
    case 'G': {
      const n = bytes(size);
      const r = d.reg();
      if (n === 1) d.noteByteRegister(r);
      return gpr(r, n, rex);
    }
    case 'M': {
      if (size === '') return d.memory('');
      if (size === 'v' || size === 'y' || size === 'z') return d.memory(LETTER[bytes(size)]);
      if (size === 'p') {
        // A far pointer: selector plus a 16-, 32- or 64-bit offset.
        const s = d.opsize();
        return d.memory(s === 2 ? 'd' : s === 4 ? 'f' : 't');
      }
      return d.memory(size);
    }
    case 'R': {
      if (d.mod !== 3) throw new BadInstruction('memory where a register is required');
      return gpr(d.rmReg(), bytes(size), rex);
    }
    case 'I': {
      switch (size) {
        case 'b': return d.imm(1);
        case 'bs': return d.imm(1, d.opsize()); // sign-extended to the operand size
        case 'w': return d.imm(2);
        case 'z': {
          const s = d.opsize();
          return s === 2 ? d.imm(2) : d.imm(4, s);
        }
        case 'v': return d.imm(d.opsize());
        default: throw new Error(`disassembler table: immediate ${spec}`);
      }
    }
    case 'J':
      return d.branch(size === 'b' ? 1 : d.long || d.opsize() !== 2 ? 4 : 2);
    case 'O': {
      // moffs: an absolute address of the address size, no ModR/M.
      d.useAdsize();
      return `${d.segment('ds')}${d.imm(d.adsize())}`;
    }
    case 'S': {
      const r = d.regField();
      if (r > 5) throw new BadInstruction('no such segment register');
      return SEGMENTS[r];
    }
    case 'C':
      return `cr${d.reg()}`;
    case 'D':
      return `dr${d.reg()}`;
    case 'X':
    case 'Y': {
      const n = size === 'b' ? 1 : size === 'z' ? Math.min(d.opsize(), 4) : d.opsize();
      const reg = gpr(kind === 'X' ? 6 : 7, d.adsize(), true);
      const seg = kind === 'X' ? d.segment('ds') : 'es:';
      d.useAdsize();
      return `${sizeWord(LETTER[n])}${seg}[${reg}]`;
    }
    case 'Z': {
      const n = size === 'b' ? 1 : size === 'y' ? (d.rexW ? 8 : 4) : d.opsize();
      const r = d.opcodeReg(opcode);
      if (n === 1) d.noteByteRegister(r);
      return gpr(r, n, rex);
    }
    case 'V':
      return `xmm${d.reg()}`;
    case 'W':
      return d.rm(16, size, (n) => `xmm${n}`);
    case 'U': {
      if (d.mod !== 3) throw new BadInstruction('memory where a register is required');
      return `xmm${d.rmReg()}`;
    }
    case 'P':
      return `mm${d.regField()}`;
    case 'Q':
      return d.mod === 3 ? `mm${d.modrm() & 7}` : d.memory(size);
    case 'N': {
      if (d.mod !== 3) throw new BadInstruction('memory where a register is required');
      return `mm${d.modrm() & 7}`;
    }
    default:
      throw new Error(`disassembler table: operand ${spec}`);
  }
}

function sizeWord(letter: string): string {
  return { b: 'BYTE PTR ', w: 'WORD PTR ', d: 'DWORD PTR ', q: 'QWORD PTR ' }[letter] ?? '';
}

/**
 * Decodes the operands of `row` and returns the instruction. A mnemonic written "a/b/c" is chosen by
 * operand size (16/32/64 bits); flags after ';' are Decoder.flags (d64, f64, bnd, rep, repz).
 */
export function runRow(d: Decoder, row: Row, opcode: number): Instruction {
  const text = typeof row === 'function' ? row(d) : row;
  if (!text) throw new BadInstruction('no such opcode');
  const [body, flags = ''] = text.split(';');
  d.flags = flags;
  if (flags.includes('o16')) d.opsize(); // the operand-size prefix is part of the encoding
  if (flags.split(',').includes('a')) d.useAdsize();
  if (flags.includes('rep') && d.hasRep()) d.useMandatory(d.hasRep() === 0xf3 ? 'f3' : 'f2');
  const space = body.indexOf(' ');
  let mnemonic = space < 0 ? body : body.slice(0, space);
  const specs = space < 0 ? [] : body.slice(space + 1).split(',');
  if (mnemonic.includes('/')) {
    const [m16, m32, m64] = mnemonic.split('/');
    const s = d.opsize();
    mnemonic = s === 2 ? m16 : s === 8 ? (m64 ?? m32) : m32;
  }
  const ops = specs.map((s) => operand(d, s, opcode));
  if (specs.at(-1) === 'Icmp') {
    const predicate = Number(ops.at(-1));
    if (predicate < CMP_PREDICATES.length) {
      mnemonic = `cmp${CMP_PREDICATES[predicate]}${mnemonic.slice(3)}`;
      ops.pop();
    }
  }
  return d.finish(mnemonic, ops);
}
