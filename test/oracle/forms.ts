// The instruction forms the generator covers: one row per form, in the Intel SDM's opcode-map
// notation (vol. 2 appendix A: E = ModRM r/m, G = ModRM reg, M = memory only, I = immediate,
// J = relative offset, O = moffs, S = segment register, Z = register in the opcode's low bits,
// b/w/d/v/z/p/q/a = operand sizes), read row for row against the manual like QEMU's decode-new table.
// Columns: opcode, mnemonic, operands, undefined-flags rule (flags.ts), attributes, weight.
// Invariant: every row is reachable from a corpus (gen.ts weights every row), and mode 32 only.

import type { FlagRule } from './flags.ts';

export interface Form {
  /** Opcode bytes in hex, mandatory prefix first; "/n" = ModRM reg digit, "/r" = ModRM with a
   *  register operand, "+r" = register in the low 3 bits of the last byte. */
  opcode: string;
  mnemonic: string;
  /** Operands, Intel order (destination first), comma-separated. */
  operands: string;
  flags: FlagRule;
  /** lock = LOCK allowed with a memory destination; mem/reg = the r/m operand must be memory or a
   *  register; k=NAME = generator kind (default: generic); o16 = no 16-bit operand-size variant. */
  attrs: string;
  weight: number;
  /** Parsed: prefix and opcode bytes, ModRM digit (-1 none, 8 = /r), register-in-opcode. */
  bytes: number[];
  digit: number;
  plusReg: boolean;
  name: string;
}

export function F(opcode: string, mnemonic: string, operands = '', flags: FlagRule = '', attrs = '', weight = 1): Form {
  const bytes: number[] = [];
  let digit = -1, plusReg = false;
  for (const tok of opcode.split(' ')) {
    if (tok === '/r') digit = 8;
    else if (/^\/[0-7]$/.test(tok)) digit = Number(tok[1]);
    else if (tok.endsWith('+r')) { bytes.push(parseInt(tok, 16)); plusReg = true; }
    else bytes.push(parseInt(tok, 16));
  }
  const name = `${mnemonic}${operands ? ' ' + operands : ''}`;
  return { opcode, mnemonic, operands, flags, attrs, weight, bytes, digit, plusReg, name };
}

const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const hx = (n: number) => n.toString(16).padStart(2, '0');

export function aluRows(): Form[] {
  const ops: [string, FlagRule][] = [['add', ''], ['or', 'logic'], ['adc', ''], ['sbb', ''],
    ['and', 'logic'], ['sub', ''], ['xor', 'logic'], ['cmp', '']];
  const rows: Form[] = [];
  ops.forEach(([m, fl], i) => {
    const b = i * 8;
    const lock = m === 'cmp' ? '' : 'lock';
    rows.push(F(`${hx(b)} /r`, m, 'Eb,Gb', fl, lock, 2), F(`${hx(b + 1)} /r`, m, 'Ev,Gv', fl, lock, 3),
      F(`${hx(b + 2)} /r`, m, 'Gb,Eb', fl, '', 2), F(`${hx(b + 3)} /r`, m, 'Gv,Ev', fl, '', 3),
      F(hx(b + 4), m, 'AL,Ib', fl), F(hx(b + 5), m, 'eAX,Iz', fl));
    const lk = m === 'cmp' ? '' : 'lock';
    rows.push(F(`80 /${i}`, m, 'Eb,Ib', fl, lk, 2), F(`81 /${i}`, m, 'Ev,Iz', fl, lk, 2),
      F(`82 /${i}`, m, 'Eb,Ib', fl, lk), F(`83 /${i}`, m, 'Ev,Ib', fl, lk, 2));
  });
  return rows;
}

export function shiftRows(): Form[] {
  const ops: [number, string, FlagRule][] = [[0, 'rol', 'rot'], [1, 'ror', 'rot'], [2, 'rcl', 'rc'],
    [3, 'rcr', 'rc'], [4, 'shl', 'shl'], [5, 'shr', 'shr'], [7, 'sar', 'sar']];
  const rows: Form[] = [];
  for (const [d, m, fl] of ops) {
    rows.push(F(`c0 /${d}`, m, 'Eb,Ib', fl, 'k=shift', 2), F(`c1 /${d}`, m, 'Ev,Ib', fl, 'k=shift', 2),
      F(`d0 /${d}`, m, 'Eb,1', fl, 'k=shift'), F(`d1 /${d}`, m, 'Ev,1', fl, 'k=shift'),
      F(`d2 /${d}`, m, 'Eb,CL', fl, 'k=shift', 2), F(`d3 /${d}`, m, 'Ev,CL', fl, 'k=shift', 2));
  }
  return rows;
}

export function ccRows(): Form[] {
  const rows: Form[] = [];
  CC.forEach((c, i) => {
    rows.push(F(hx(0x70 + i), `j${c}`, 'Jb', '', 'k=jcc'));
    rows.push(F(`0f ${hx(0x80 + i)}`, `j${c}`, 'Jz', '', 'k=jcc'));
    rows.push(F(`0f ${hx(0x90 + i)} /r`, `set${c}`, 'Eb'));
    rows.push(F(`0f ${hx(0x40 + i)} /r`, `cmov${c}`, 'Gv,Ev'));
  });
  return rows;
}

/** TEST, XCHG, MOV and LEA with ModRM (84..8E): shared with forms64.ts. */
export function movRows(): Form[] {
  return [
    F('84 /r', 'test', 'Eb,Gb', 'logic', '', 2), F('85 /r', 'test', 'Ev,Gv', 'logic', '', 2),
    F('86 /r', 'xchg', 'Eb,Gb', '', 'lock'), F('87 /r', 'xchg', 'Ev,Gv', '', 'lock', 2),
    F('88 /r', 'mov', 'Eb,Gb', '', '', 2), F('89 /r', 'mov', 'Ev,Gv', '', '', 3),
    F('8a /r', 'mov', 'Gb,Eb', '', '', 2), F('8b /r', 'mov', 'Gv,Ev', '', '', 3),
    F('8c /r', 'mov', 'Ev,Sw', '', 'k=movfromsreg'), F('8d /r', 'lea', 'Gv,M', '', 'k=lea', 4),
    F('8e /r', 'mov', 'Sw,Ew', '', 'k=movsreg', 2),
  ];
}

/** IMUL with an immediate (69, 6B) and INS/OUTS (6C..6F): shared with forms64.ts. */
export function imulInsOutsRows(): Form[] {
  return [
    F('69 /r', 'imul', 'Gv,Ev,Iz', 'mul', '', 2), F('6b /r', 'imul', 'Gv,Ev,Ib', 'mul', '', 2),
    F('6c', 'insb', '', '', 'k=priv'), F('6d', 'insd', '', '', 'k=priv'),
    F('6e', 'outsb', '', '', 'k=priv'), F('6f', 'outsd', '', '', 'k=priv'),
  ];
}

/** MOV with moffs (A0..A3), the string instructions and TEST rAX (A4..AF): shared with forms64.ts.
 *  acc names the accumulator ('eAX', 'rAX'); sfx ends the word-sized string mnemonics ('d' or ''). */
export function accStringRows(acc: string, sfx: string): Form[] {
  return [
    F('a0', 'mov', 'AL,Ob', '', 'k=moffs'), F('a1', 'mov', `${acc},Ov`, '', 'k=moffs'),
    F('a2', 'mov', 'Ob,AL', '', 'k=moffs'), F('a3', 'mov', `Ov,${acc}`, '', 'k=moffs'),
    F('a4', 'movsb', 'Yb,Xb', '', 'k=string', 3), F('a5', `movs${sfx}`, 'Yv,Xv', '', 'k=string', 3),
    F('a6', 'cmpsb', 'Xb,Yb', '', 'k=string', 3), F('a7', `cmps${sfx}`, 'Xv,Yv', '', 'k=string', 3),
    F('a8', 'test', 'AL,Ib', 'logic'), F('a9', 'test', `${acc},Iz`, 'logic'),
    F('aa', 'stosb', 'Yb,AL', '', 'k=string', 3), F('ab', `stos${sfx}`, `Yv,${acc}`, '', 'k=string', 3),
    F('ac', 'lodsb', 'AL,Xb', '', 'k=string', 3), F('ad', `lods${sfx}`, `${acc},Xv`, '', 'k=string', 3),
    F('ae', 'scasb', 'AL,Yb', '', 'k=string', 3), F('af', `scas${sfx}`, `${acc},Yv`, '', 'k=string', 3),
  ];
}

/** IN/OUT with an imm8 port (E4..E7): shared with forms64.ts. */
export function portImmRows(): Form[] {
  return [
    F('e4', 'in', 'AL,Ib', '', 'k=priv'), F('e5', 'in', 'eAX,Ib', '', 'k=priv'),
    F('e6', 'out', 'Ib,AL', '', 'k=priv'), F('e7', 'out', 'Ib,eAX', '', 'k=priv'),
  ];
}

/** IN/OUT with the port in DX (EC..EF): shared with forms64.ts. */
export function portDxRows(): Form[] {
  return [
    F('ec', 'in', 'AL,DX', '', 'k=priv'), F('ed', 'in', 'eAX,DX', '', 'k=priv'),
    F('ee', 'out', 'DX,AL', '', 'k=priv'), F('ef', 'out', 'DX,eAX', '', 'k=priv'),
  ];
}

/** Group 3 (F6, F7) and the flag instructions F8..FD, then INC/DEC r/m (FE, FF /0 /1): shared with forms64.ts. */
export function grp3Rows(): Form[] {
  return [
    F('f6 /0', 'test', 'Eb,Ib', 'logic'), F('f6 /2', 'not', 'Eb', '', 'lock'), F('f6 /3', 'neg', 'Eb', '', 'lock'),
    F('f6 /4', 'mul', 'Eb', 'mul', '', 2), F('f6 /5', 'imul', 'Eb', 'mul', '', 2),
    F('f6 /6', 'div', 'Eb', 'div', 'k=div', 3), F('f6 /7', 'idiv', 'Eb', 'div', 'k=div', 3),
    F('f7 /0', 'test', 'Ev,Iz', 'logic'), F('f7 /2', 'not', 'Ev', '', 'lock'), F('f7 /3', 'neg', 'Ev', '', 'lock', 2),
    F('f7 /4', 'mul', 'Ev', 'mul', '', 2), F('f7 /5', 'imul', 'Ev', 'mul', '', 2),
    F('f7 /6', 'div', 'Ev', 'div', 'k=div', 3), F('f7 /7', 'idiv', 'Ev', 'div', 'k=div', 3),
    F('f8', 'clc'), F('f9', 'stc'), F('fa', 'cli', '', '', 'k=priv'), F('fb', 'sti', '', '', 'k=priv'),
    F('fc', 'cld'), F('fd', 'std'),
    F('fe /0', 'inc', 'Eb', '', 'lock'), F('fe /1', 'dec', 'Eb', '', 'lock'),
    F('ff /0', 'inc', 'Ev', '', 'lock', 2), F('ff /1', 'dec', 'Ev', '', 'lock', 2),
  ];
}

/** The system groups 6 and 7 at CPL 3 (0F 00, 0F 01): shared with forms64.ts. */
export function sysRows(): Form[] {
  return [
    F('0f 00 /2', 'lldt', 'Ew', '', 'k=priv o16'), F('0f 00 /3', 'ltr', 'Ew', '', 'k=priv o16'),
    F('0f 00 /4', 'verr', 'Ew', '', 'k=verx o16'), F('0f 00 /5', 'verw', 'Ew', '', 'k=verx o16'),
    F('0f 01 /2', 'lgdt', 'M', '', 'k=priv mem'), F('0f 01 /3', 'lidt', 'M', '', 'k=priv mem'),
    F('0f 01 /6', 'lmsw', 'Ew', '', 'k=priv o16'), F('0f 01 /7', 'invlpg', 'M', '', 'k=priv mem'),
  ];
}

/** Cache and ordering hints, UD0/UD1/UD2, CLTS INVD WBINVD: shared with forms64.ts. */
export function hintRows(): Form[] {
  return [
    F('0f 06', 'clts', '', '', 'k=priv'), F('0f 08', 'invd', '', '', 'k=priv'), F('0f 09', 'wbinvd', '', '', 'k=priv'),
    F('0f 0b', 'ud2', '', '', 'k=ud'), F('0f b9 /r', 'ud1', 'Gv,Ev', '', 'k=ud'), F('0f ff', 'ud0', '', '', 'k=ud'),
    F('0f 0d /1', 'prefetchw', 'Mb', '', 'k=hint mem'),
    F('0f 18 /0', 'prefetchnta', 'Mb', '', 'k=hint mem'), F('0f 18 /1', 'prefetcht0', 'Mb', '', 'k=hint mem'),
    F('0f 18 /2', 'prefetcht1', 'Mb', '', 'k=hint mem'), F('0f 18 /3', 'prefetcht2', 'Mb', '', 'k=hint mem'),
    F('0f 1f /0', 'nop', 'Ev', '', 'k=hint', 3),
  ];
}

/** BT BTS BTR BTC and SHLD SHRD: shared with forms64.ts. */
export function bitRows(): Form[] {
  return [
    F('0f a3 /r', 'bt', 'Ev,Gv', 'bt', 'k=bt', 2), F('0f ab /r', 'bts', 'Ev,Gv', 'bt', 'k=bt lock', 2),
    F('0f b3 /r', 'btr', 'Ev,Gv', 'bt', 'k=bt lock', 2), F('0f bb /r', 'btc', 'Ev,Gv', 'bt', 'k=bt lock', 2),
    F('0f ba /4', 'bt', 'Ev,Ib', 'bt', 'k=bt'), F('0f ba /5', 'bts', 'Ev,Ib', 'bt', 'k=bt lock'),
    F('0f ba /6', 'btr', 'Ev,Ib', 'bt', 'k=bt lock'), F('0f ba /7', 'btc', 'Ev,Ib', 'bt', 'k=bt lock'),
    F('0f a4 /r', 'shld', 'Ev,Gv,Ib', 'shd', 'k=shift', 2), F('0f a5 /r', 'shld', 'Ev,Gv,CL', 'shd', 'k=shift', 2),
    F('0f ac /r', 'shrd', 'Ev,Gv,Ib', 'shd', 'k=shift', 2), F('0f ad /r', 'shrd', 'Ev,Gv,CL', 'shd', 'k=shift', 2),
  ];
}

/** CLFLUSH and the fences, then the 0F map from IMUL (AF) to XADD (C1): shared with forms64.ts. */
export function tailRows(): Form[] {
  return [
    F('0f ae /7', 'clflush', 'Mb', '', 'k=hint mem'),
    F('0f ae e8', 'lfence'), F('0f ae f0', 'mfence'), F('0f ae f8', 'sfence'),
    F('0f af /r', 'imul', 'Gv,Ev', 'mul', '', 2),
    F('0f b0 /r', 'cmpxchg', 'Eb,Gb', '', 'k=cmpxchg lock', 2), F('0f b1 /r', 'cmpxchg', 'Ev,Gv', '', 'k=cmpxchg lock', 3),
    F('0f b2 /r', 'lss', 'Gz,Mp', '', 'k=lseg mem'), F('0f b4 /r', 'lfs', 'Gz,Mp', '', 'k=lseg mem'),
    F('0f b5 /r', 'lgs', 'Gz,Mp', '', 'k=lseg mem'),
    F('0f b6 /r', 'movzx', 'Gv,Eb', '', '', 2), F('0f b7 /r', 'movzx', 'Gv,Ew', '', '', 2),
    F('0f be /r', 'movsx', 'Gv,Eb', '', '', 2), F('0f bf /r', 'movsx', 'Gv,Ew', '', '', 2),
    F('f3 0f b8 /r', 'popcnt', 'Gv,Ev', '', '', 2),
    F('0f bc /r', 'bsf', 'Gv,Ev', 'bsx', 'k=bsx', 2), F('0f bd /r', 'bsr', 'Gv,Ev', 'bsx', 'k=bsx', 2),
    F('f3 0f bc /r', 'tzcnt', 'Gv,Ev', 'cnt', 'k=bsx', 2), F('f3 0f bd /r', 'lzcnt', 'Gv,Ev', 'cnt', 'k=bsx', 2),
    F('0f c0 /r', 'xadd', 'Eb,Gb', '', 'lock', 2), F('0f c1 /r', 'xadd', 'Ev,Gv', '', 'lock', 2),
  ];
}

export const FORMS: Form[] = [
  ...aluRows(),
  ...shiftRows(),
  ...ccRows(),

  // segment registers on the stack
  F('06', 'push', 'ES', '', 'k=push o16'), F('07', 'pop', 'ES', '', 'k=popsreg'),
  F('0e', 'push', 'CS', '', 'k=push o16'), F('16', 'push', 'SS', '', 'k=push o16'),
  F('17', 'pop', 'SS', '', 'k=popsreg'), F('1e', 'push', 'DS', '', 'k=push o16'),
  F('1f', 'pop', 'DS', '', 'k=popsreg'),
  F('0f a0', 'push', 'FS', '', 'k=push o16'), F('0f a1', 'pop', 'FS', '', 'k=popsreg'),
  F('0f a8', 'push', 'GS', '', 'k=push o16'), F('0f a9', 'pop', 'GS', '', 'k=popsreg'),

  // BCD
  F('27', 'daa', '', 'daa', '', 2), F('2f', 'das', '', 'daa', '', 2),
  F('37', 'aaa', '', 'aaa', '', 2), F('3f', 'aas', '', 'aaa', '', 2),
  F('d4', 'aam', 'Ib', 'aam', 'k=aam', 2), F('d5', 'aad', 'Ib', 'aam', 'k=aam', 2),

  // inc/dec/push/pop register
  F('40+r', 'inc', 'Zv', '', '', 2), F('48+r', 'dec', 'Zv', '', '', 2),
  F('50+r', 'push', 'Zv', '', 'k=push', 2), F('58+r', 'pop', 'Zv', '', 'k=pop', 2),
  F('60', 'pusha', '', '', 'k=push'), F('61', 'popa', '', '', 'k=pop'),
  F('62 /r', 'bound', 'Gv,Ma', '', 'k=bound mem'),
  F('63 /r', 'arpl', 'Ew,Gw', '', 'o16'),
  F('68', 'push', 'Iz', '', 'k=push'), F('6a', 'push', 'Ib', '', 'k=push'),
  ...imulInsOutsRows(),

  ...movRows(), F('8f /0', 'pop', 'Ev', '', 'k=pop'),
  F('90', 'nop'), F('f3 90', 'pause'), F('91+r', 'xchg', 'Zv,eAX', '', '', 2),
  F('98', 'cwde'), F('99', 'cdq'),
  F('9a', 'callf', 'Ap', '', 'k=far'), F('9b', 'fwait'),
  F('9c', 'pushf', '', '', 'k=push'), F('9d', 'popf', '', '', 'k=pop', 2),
  F('9e', 'sahf'), F('9f', 'lahf'),
  ...accStringRows('eAX', 'd'),
  F('b0+r', 'mov', 'Zb,Ib', '', '', 2), F('b8+r', 'mov', 'Zv,Iv', '', '', 2),
  F('c2', 'ret', 'Iw', '', 'k=ret'), F('c3', 'ret', '', '', 'k=ret', 2), F('f3 c3', 'rep ret', '', '', 'k=ret'),
  F('c4 /r', 'les', 'Gz,Mp', '', 'k=lseg mem'), F('c5 /r', 'lds', 'Gz,Mp', '', 'k=lseg mem'),
  F('c6 /0', 'mov', 'Eb,Ib', '', '', 2), F('c7 /0', 'mov', 'Ev,Iz', '', '', 2),
  F('c8', 'enter', 'Iw,Ib', '', 'k=enter', 3), F('c9', 'leave', '', '', 'k=leave', 2),
  F('ca', 'retf', 'Iw', '', 'k=retf'), F('cb', 'retf', '', '', 'k=retf'),
  F('cc', 'int3', '', '', 'k=int'), F('cd', 'int', 'Ib', '', 'k=int', 2), F('ce', 'into', '', '', 'k=int'),
  F('cf', 'iret', '', '', 'k=iret', 2),
  F('d7', 'xlat', '', '', 'k=xlat', 2),
  F('e0', 'loopne', 'Jb', '', 'k=loop', 2), F('e1', 'loope', 'Jb', '', 'k=loop', 2),
  F('e2', 'loop', 'Jb', '', 'k=loop', 2), F('e3', 'jecxz', 'Jb', '', 'k=loop', 2),
  ...portImmRows(),
  F('e8', 'call', 'Jz', '', 'k=call', 3), F('e9', 'jmp', 'Jz', '', 'k=jcc'),
  F('ea', 'jmpf', 'Ap', '', 'k=far'), F('eb', 'jmp', 'Jb', '', 'k=jcc'),
  ...portDxRows(),
  F('f4', 'hlt', '', '', 'k=priv'), F('f5', 'cmc'),
  ...grp3Rows(),
  F('ff /2', 'call', 'Ev', '', 'k=jmpind', 2), F('ff /3', 'callf', 'Mp', '', 'k=far mem'),
  F('ff /4', 'jmp', 'Ev', '', 'k=jmpind', 2), F('ff /5', 'jmpf', 'Mp', '', 'k=far mem'),
  F('ff /6', 'push', 'Ev', '', 'k=push'),

  // 0F map
  ...sysRows(),
  F('0f 05', 'syscall', '', '', 'k=syscall'),
  ...hintRows(),
  F('0f 20 /r', 'mov', 'Rd,Cd', '', 'k=priv reg o16'), F('0f 22 /r', 'mov', 'Cd,Rd', '', 'k=priv reg o16'),
  F('0f 21 /r', 'mov', 'Rd,Dd', '', 'k=priv reg o16'), F('0f 23 /r', 'mov', 'Dd,Rd', '', 'k=priv reg o16'),
  F('0f 30', 'wrmsr', '', '', 'k=priv'), F('0f 32', 'rdmsr', '', '', 'k=priv'),
  ...bitRows(),
  F('0f ae /2', 'ldmxcsr', 'Md', '', 'k=mxcsr mem o16'), F('0f ae /3', 'stmxcsr', 'Md', '', 'k=mxcsr mem o16'),
  ...tailRows(),
  F('0f c7 /1', 'cmpxchg8b', 'Mq', '', 'k=cmpxchg8b lock mem', 2),
  F('0f c8+r', 'bswap', 'Zv', '', 'k=bswap', 2),
];

/** Finds the forms for a kind attribute ("k=NAME"); generic forms have none. */
export function kindOf(f: Form): string {
  const m = /(?:^| )k=(\w+)/.exec(f.attrs);
  return m ? m[1] : 'generic';
}

export function hasAttr(f: Form, a: string): boolean {
  return f.attrs.split(' ').includes(a);
}

/** Row names (x_op) must identify a row: aliases such as 82 /n (= 80 /n) carry their opcode. */
export function uniqueNames(rows: Form[]): Form[] {
  const seen = new Set<string>();
  for (const f of rows) {
    if (seen.has(f.name)) f.name = `${f.name} (${f.opcode})`;
    seen.add(f.name);
  }
  return rows;
}
uniqueNames(FORMS);

/** The row name inside an x_op ("add Ev,Gv o16 lock" -> "add Ev,Gv"): generators append these tags. */
export const X_OP_TAGS = ['o16', 'a16', 'lock', 'rep', 'repe', 'repne', 'sub', 'ac', 'w', 'a32', 'rex', 'seg', 'long'];
export function rowName(xop: string): string {
  const words = xop.split(' ');
  while (words.length > 1 && X_OP_TAGS.includes(words[words.length - 1])) words.pop();
  return words.join(' ');
}
