// The one-byte opcode map of the x86 disassembler, row for row as in the Intel SDM vol. 2, appendix
// A.3, table A-2, with the groups of table A-6 (opcode extensions in ModR/M reg). Operand notation:
// operands.ts. Rows marked "32-bit only" are invalid in 64-bit mode (AMD64 removed them; 0x40-0x4F
// became REX and are read as prefixes by the decoder).
import type { Decoder, Row } from './decoder.ts';

export const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'shl', 'sar'];

/** Valid only outside 64-bit mode. */
const legacy = (row: string): Row => (d: Decoder) => (d.long ? undefined : row);

/** A group: the row chosen by ModR/M reg. */
const group = (rows: (string | undefined)[]): Row => (d: Decoder) => rows[d.regField()];

/** MOV to/from a segment register: a register operand has the operand size, memory is a word. */
function movSeg(toSeg: boolean): Row {
  return (d: Decoder) => {
    const e = d.mod === 3 ? 'Ev' : 'Mw';
    return toSeg ? `mov Sw,${e}` : `mov ${e},Sw`;
  };
}

export const ONE_BYTE: Row[] = new Array(256).fill(undefined);

ALU.forEach((op, i) => {
  const b = i * 8;
  ONE_BYTE[b] = `${op} Eb,Gb`;
  ONE_BYTE[b + 1] = `${op} Ev,Gv`;
  ONE_BYTE[b + 2] = `${op} Gb,Eb`;
  ONE_BYTE[b + 3] = `${op} Gv,Ev`;
  ONE_BYTE[b + 4] = `${op} al,Ib`;
  ONE_BYTE[b + 5] = `${op} eAX,Iz`;
});
Object.assign(ONE_BYTE, {
  0x06: legacy('push es'), 0x07: legacy('pop es'), 0x0e: legacy('push cs'),
  0x16: legacy('push ss'), 0x17: legacy('pop ss'), 0x1e: legacy('push ds'), 0x1f: legacy('pop ds'),
  0x27: legacy('daa'), 0x2f: legacy('das'), 0x37: legacy('aaa'), 0x3f: legacy('aas'),
  0x60: legacy('pushaw/pusha'), 0x61: legacy('popaw/popa'),
  0x62: (d: Decoder) => (d.long || d.mod === 3 ? undefined : `bound Gv,${d.opsize() === 2 ? 'Md' : 'Mq'}`),
  0x63: (d: Decoder) => (d.long ? 'movsxd Gv,Ed' : 'arpl Ew,Gw'),
  0x68: 'push Iz;d64', 0x69: 'imul Gv,Ev,Iz', 0x6a: 'push Ibs;d64', 0x6b: 'imul Gv,Ev,Ibs',
  0x6c: 'ins Yb,dx;rep', 0x6d: 'ins Yz,dx;rep', 0x6e: 'outs dx,Xb;rep', 0x6f: 'outs dx,Xz;rep',
  0x80: group(ALU.map((op) => `${op} Eb,Ib`)),
  0x81: group(ALU.map((op) => `${op} Ev,Iz`)),
  0x82: (d: Decoder) => (d.long ? undefined : `${ALU[d.regField()]} Eb,Ib`),
  0x83: group(ALU.map((op) => `${op} Ev,Ibs`)),
  0x84: 'test Eb,Gb', 0x85: 'test Ev,Gv', 0x86: 'xchg Eb,Gb', 0x87: 'xchg Ev,Gv',
  0x88: 'mov Eb,Gb', 0x89: 'mov Ev,Gv', 0x8a: 'mov Gb,Eb', 0x8b: 'mov Gv,Ev',
  0x8c: movSeg(false), 0x8d: (d: Decoder) => (d.mod === 3 ? undefined : 'lea Gv,M'), 0x8e: movSeg(true),
  0x8f: group(['pop Ev;d64']),
  0x90: (d: Decoder) => {
    if (d.rex & 1) return 'xchg Zv,eAX';
    if (d.hasRep() === 0xf3) {
      d.useMandatory('f3');
      return 'pause';
    }
    return d.hasOpsizePrefix() ? 'xchg ax,ax;o16' : 'nop';
  },
  0x98: 'cbw/cwde/cdqe', 0x99: 'cwd/cdq/cqo',
  0x9a: legacy('call Ap'), 0x9b: 'fwait',
  0x9c: 'pushfw/pushf/pushf;d64', 0x9d: 'popfw/popf/popf;d64', 0x9e: 'sahf', 0x9f: 'lahf',
  0xa0: (d: Decoder) => `${moffsMov(d)} al,Ob`, 0xa1: (d: Decoder) => `${moffsMov(d)} eAX,Ov`,
  0xa2: (d: Decoder) => `${moffsMov(d)} Ob,al`, 0xa3: (d: Decoder) => `${moffsMov(d)} Ov,eAX`,
  0xa4: 'movs Yb,Xb;rep', 0xa5: 'movs Yv,Xv;rep', 0xa6: 'cmps Xb,Yb;rep,repz', 0xa7: 'cmps Xv,Yv;rep,repz',
  0xa8: 'test al,Ib', 0xa9: 'test eAX,Iz',
  0xaa: 'stos Yb,al;rep', 0xab: 'stos Yv,eAX;rep', 0xac: 'lods al,Xb;rep', 0xad: 'lods eAX,Xv;rep',
  0xae: 'scas al,Yb;rep,repz', 0xaf: 'scas eAX,Yv;rep,repz',
  0xc0: group(SHIFTS.map((op) => `${op} Eb,Ib`)),
  0xc1: group(SHIFTS.map((op) => `${op} Ev,Ib`)),
  0xc2: 'ret Iw;f64,bnd', 0xc3: 'ret;f64,bnd',
  0xc4: (d: Decoder) => (d.long || d.mod === 3 ? undefined : 'les Gz,Mp'),
  0xc5: (d: Decoder) => (d.long || d.mod === 3 ? undefined : 'lds Gz,Mp'),
  0xc6: (d: Decoder) => (d.modrm() === 0xf8 ? 'xabort Ib' : d.regField() === 0 ? 'mov Eb,Ib' : undefined),
  0xc7: (d: Decoder) => (d.modrm() === 0xf8 ? 'xbegin Jz' : d.regField() === 0 ? 'mov Ev,Iz' : undefined),
  0xc8: 'enter Iw,Ib', 0xc9: 'leave;d64', 0xca: 'retfw/retf/retfq Iw', 0xcb: 'retfw/retf/retfq',
  0xcc: 'int3', 0xcd: 'int Ib', 0xce: legacy('into'), 0xcf: 'iretw/iret/iretq',
  0xd0: group(SHIFTS.map((op) => `${op} Eb,1`)),
  0xd1: group(SHIFTS.map((op) => `${op} Ev,1`)),
  0xd2: group(SHIFTS.map((op) => `${op} Eb,cl`)),
  0xd3: group(SHIFTS.map((op) => `${op} Ev,cl`)),
  0xd4: legacy('aam Ib'), 0xd5: legacy('aad Ib'),
  0xd7: 'xlat Xlat',
  0xe0: 'loopne Jb', 0xe1: 'loope Jb', 0xe2: 'loop Jb',
  0xe3: (d: Decoder) => `${d.adsize() === 8 ? 'jrcxz' : d.adsize() === 4 ? 'jecxz' : 'jcxz'} Jb;a`,
  0xe4: 'in al,Ib', 0xe5: 'in eAXz,Ib', 0xe6: 'out Ib,al', 0xe7: 'out Ib,eAXz',
  0xe8: 'call Jz;f64,bnd', 0xe9: 'jmp Jz;f64,bnd', 0xea: legacy('jmp Ap'), 0xeb: 'jmp Jb;bnd',
  0xec: 'in al,dx', 0xed: 'in eAXz,dx', 0xee: 'out dx,al', 0xef: 'out dx,eAXz',
  0xf1: 'int1', 0xf4: 'hlt', 0xf5: 'cmc',
  0xf6: group(['test Eb,Ib', 'test Eb,Ib', 'not Eb', 'neg Eb', 'mul Eb', 'imul Eb', 'div Eb', 'idiv Eb']),
  0xf7: group(['test Ev,Iz', 'test Ev,Iz', 'not Ev', 'neg Ev', 'mul Ev', 'imul Ev', 'div Ev', 'idiv Ev']),
  0xf8: 'clc', 0xf9: 'stc', 0xfa: 'cli', 0xfb: 'sti', 0xfc: 'cld', 0xfd: 'std',
  0xfe: group(['inc Eb', 'dec Eb']),
  0xff: group(['inc Ev', 'dec Ev', 'call Ev;f64,bnd', 'call Mp', 'jmp Ev;f64,bnd', 'jmp Mp', 'push Ev;d64']),
});
for (let r = 0; r < 8; r++) {
  ONE_BYTE[0x40 + r] = legacy('inc Zv');
  ONE_BYTE[0x48 + r] = legacy('dec Zv');
  ONE_BYTE[0x50 + r] = 'push Zv;d64';
  ONE_BYTE[0x58 + r] = 'pop Zv;d64';
  ONE_BYTE[0xb0 + r] = 'mov Zb,Ib';
  ONE_BYTE[0xb8 + r] = (d: Decoder) => (d.long && d.rexW ? 'movabs Zv,Iv' : 'mov Zv,Iv');
  if (r > 0) ONE_BYTE[0x90 + r] = 'xchg Zv,eAX';
}
CONDITIONS.forEach((cc, i) => (ONE_BYTE[0x70 + i] = `j${cc} Jb;bnd`));

/** MOV with a moffs operand: `movabs` when the address is 64 bits wide. */
function moffsMov(d: Decoder): string {
  return d.adsize() === 8 ? 'movabs' : 'mov';
}
