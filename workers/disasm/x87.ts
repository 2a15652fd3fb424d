// The x87 escape opcodes D8-DF of the x86 disassembler (Intel SDM vol. 2, appendix A.4, tables A-7
// to A-22): with a memory operand the row is chosen by ModR/M reg; with a register operand (mod = 3)
// by reg, and for D9/DB/DE/DF some by the whole ModR/M byte.
import type { Decoder, Row } from './decoder.ts';

const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const IARITH = ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'];

/** Memory forms, by escape byte then reg. */
const MEMORY: (string | undefined)[][] = [
  ARITH.map((op) => `${op} Md`),
  ['fld Md', undefined, 'fst Md', 'fstp Md', 'fldenv M', 'fldcw Mw', 'fnstenv M', 'fnstcw Mw'],
  IARITH.map((op) => `${op} Md`),
  ['fild Md', 'fisttp Md', 'fist Md', 'fistp Md', undefined, 'fld Mt', undefined, 'fstp Mt'],
  ARITH.map((op) => `${op} Mq`),
  ['fld Mq', 'fisttp Mq', 'fst Mq', 'fstp Mq', 'frstor M', undefined, 'fnsave M', 'fnstsw Mw'],
  IARITH.map((op) => `${op} Mw`),
  ['fild Mw', 'fisttp Mw', 'fist Mw', 'fistp Mw', 'fbld Mt', 'fild Mq', 'fbstp Mt', 'fistp Mq'],
];

/** D9 E0-FF: operand-less instructions named by the ModR/M byte. */
const D9_CONSTANT: Record<number, string> = {
  0xd0: 'fnop', 0xe0: 'fchs', 0xe1: 'fabs', 0xe4: 'ftst', 0xe5: 'fxam', 0xe8: 'fld1', 0xe9: 'fldl2t', 0xea: 'fldl2e',
  0xeb: 'fldpi', 0xec: 'fldlg2', 0xed: 'fldln2', 0xee: 'fldz', 0xf0: 'f2xm1', 0xf1: 'fyl2x', 0xf2: 'fptan',
  0xf3: 'fpatan', 0xf4: 'fxtract', 0xf5: 'fprem1', 0xf6: 'fdecstp', 0xf7: 'fincstp', 0xf8: 'fprem', 0xf9: 'fyl2xp1',
  0xfa: 'fsqrt', 0xfb: 'fsincos', 0xfc: 'frndint', 0xfd: 'fscale', 0xfe: 'fsin', 0xff: 'fcos',
};

/** Register forms, by escape byte then reg. */
const REGISTER: (string | undefined)[][] = [
  ['fadd st,STi', 'fmul st,STi', 'fcom STi', 'fcomp STi', 'fsub st,STi', 'fsubr st,STi', 'fdiv st,STi', 'fdivr st,STi'],
  ['fld STi', 'fxch STi'],
  ['fcmovb st,STi', 'fcmove st,STi', 'fcmovbe st,STi', 'fcmovu st,STi'],
  ['fcmovnb st,STi', 'fcmovne st,STi', 'fcmovnbe st,STi', 'fcmovnu st,STi', undefined, 'fucomi st,STi', 'fcomi st,STi'],
  ['fadd STi,st', 'fmul STi,st', undefined, undefined, 'fsubr STi,st', 'fsub STi,st', 'fdivr STi,st', 'fdiv STi,st'],
  ['ffree STi', undefined, 'fst STi', 'fstp STi', 'fucom STi', 'fucomp STi'],
  ['faddp STi,st', 'fmulp STi,st', undefined, undefined, 'fsubrp STi,st', 'fsubp STi,st', 'fdivrp STi,st', 'fdivp STi,st'],
  ['ffreep STi', undefined, undefined, undefined, undefined, 'fucomip st,STi', 'fcomip st,STi'],
];

/** The row of escape byte `esc` (0xD8-0xDF). */
export function x87Row(esc: number): Row {
  return (d: Decoder) => {
    const e = esc - 0xd8;
    if (d.mod !== 3) return MEMORY[e][d.regField()];
    const m = d.modrm();
    if (esc === 0xd9 && m >= 0xd0 && m !== 0xd8) return m < 0xe0 && m !== 0xd0 ? undefined : D9_CONSTANT[m];
    if (esc === 0xda && m === 0xe9) return 'fucompp';
    if (esc === 0xdb && m === 0xe2) return 'fnclex';
    if (esc === 0xdb && m === 0xe3) return 'fninit';
    if (esc === 0xde && m === 0xd9) return 'fcompp';
    if (esc === 0xdf && m === 0xe0) return 'fnstsw ax';
    return REGISTER[e][d.regField()];
  };
}
