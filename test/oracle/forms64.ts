// The general-purpose instruction forms of 64-bit mode (CS.L = 1), read row for row against the
// Intel SDM vol. 2 opcode map (appendix A, tables, with their 64-bit superscripts: i64 =
// invalid in 64-bit mode, d64 = default operand size 64, f64 = operand size forced to 64) and the
// AMD APM vol. 3 where the vendors agree. Columns and notation as in forms.ts; REX.W turns v/z
// operands into 64 bits (Iz stays 32 bits, sign-extended; B8+r takes an Iv of 64 bits).
// Attributes beyond forms.ts: d64 (default 64, 66h = 16, no 32-bit form), f64 (always 64; no 66h is
// generated: AMD truncates the target to 16 bits where Intel ignores the prefix), i64 (#UD here).
// Invariant: every row is reachable (gen.ts visits each once first); mode 64 only.

import {
  F, accStringRows, aluRows, bitRows, ccRows, grp3Rows, hintRows, imulInsOutsRows, movRows, portDxRows, portImmRows, shiftRows,
  sysRows, tailRows, uniqueNames, type Form,
} from './forms.ts';

/** The opcodes the map marks i64, as rows of kind i64: each must be #UD in 64-bit mode. 62 (BOUND)
 *  is EVEX and C4/C5 (LES/LDS) are VEX there: the generator gives them payloads no CPU accepts. */
const INVALID64: Form[] = [
  F('06', 'push', 'ES', '', 'k=i64'), F('07', 'pop', 'ES', '', 'k=i64'), F('0e', 'push', 'CS', '', 'k=i64'),
  F('16', 'push', 'SS', '', 'k=i64'), F('17', 'pop', 'SS', '', 'k=i64'), F('1e', 'push', 'DS', '', 'k=i64'),
  F('1f', 'pop', 'DS', '', 'k=i64'), F('27', 'daa', '', '', 'k=i64'), F('2f', 'das', '', '', 'k=i64'),
  F('37', 'aaa', '', '', 'k=i64'), F('3f', 'aas', '', '', 'k=i64'), F('60', 'pusha', '', '', 'k=i64'),
  F('61', 'popa', '', '', 'k=i64'), F('62', 'bound', 'Gv,Ma', '', 'k=i64'), F('82', 'grp1', 'Eb,Ib', '', 'k=i64'),
  F('9a', 'callf', 'Ap', '', 'k=i64'), F('c4', 'les', 'Gz,Mp', '', 'k=i64'), F('c5', 'lds', 'Gz,Mp', '', 'k=i64'),
  F('ce', 'into', '', '', 'k=i64'), F('d4', 'aam', 'Ib', '', 'k=i64'), F('d5', 'aad', 'Ib', '', 'k=i64'),
  F('d6', 'salc', '', '', 'k=i64'), F('ea', 'jmpf', 'Ap', '', 'k=i64'),
];

export const FORMS64: Form[] = uniqueNames([
  ...aluRows().filter((f) => f.bytes[0] !== 0x82),
  ...shiftRows(),
  ...ccRows().map((f) => (f.operands.startsWith('J') ? F(f.opcode, f.mnemonic, f.operands, '', 'k=jcc f64') : f)),
  ...INVALID64,

  F('50+r', 'push', 'Zv', '', 'k=push d64', 2), F('58+r', 'pop', 'Zv', '', 'k=pop d64', 2),
  F('63 /r', 'movsxd', 'Gv,Ed', '', '', 3),
  F('68', 'push', 'Iz', '', 'k=push d64'), F('6a', 'push', 'Ib', '', 'k=push d64'),
  ...imulInsOutsRows(),

  ...movRows(), F('8f /0', 'pop', 'Ev', '', 'k=pop d64'),
  F('90', 'nop'), F('f3 90', 'pause'), F('90+r', 'xchg', 'Zv,rAX', '', 'k=xchg', 2),
  F('98', 'cbw/cwde/cdqe', '', '', '', 2), F('99', 'cwd/cdq/cqo', '', '', '', 2),
  F('9b', 'fwait'), F('9c', 'pushf', '', '', 'k=push d64'), F('9d', 'popf', '', '', 'k=pop d64', 2),
  F('9e', 'sahf'), F('9f', 'lahf'),
  ...accStringRows('rAX', ''),
  F('b0+r', 'mov', 'Zb,Ib', '', '', 2), F('b8+r', 'mov', 'Zv,Iv', '', '', 3),
  F('c2', 'ret', 'Iw', '', 'k=ret f64'), F('c3', 'ret', '', '', 'k=ret f64', 2), F('f3 c3', 'rep ret', '', '', 'k=ret f64'),
  F('c6 /0', 'mov', 'Eb,Ib', '', '', 2), F('c7 /0', 'mov', 'Ev,Iz', '', '', 2),
  F('c8', 'enter', 'Iw,Ib', '', 'k=enter d64', 3), F('c9', 'leave', '', '', 'k=leave d64', 2),
  F('ca', 'retf', 'Iw', '', 'k=retf'), F('cb', 'retf', '', '', 'k=retf', 2),
  F('cc', 'int3', '', '', 'k=int'), F('cd', 'int', 'Ib', '', 'k=int', 2),
  F('cf', 'iret', '', '', 'k=iret', 3),
  F('d7', 'xlat', '', '', 'k=xlat', 2),
  F('e0', 'loopne', 'Jb', '', 'k=loop f64', 2), F('e1', 'loope', 'Jb', '', 'k=loop f64', 2),
  F('e2', 'loop', 'Jb', '', 'k=loop f64', 2), F('e3', 'jrcxz', 'Jb', '', 'k=loop f64', 2),
  ...portImmRows(), ...portDxRows(),
  F('e8', 'call', 'Jz', '', 'k=call f64', 3), F('e9', 'jmp', 'Jz', '', 'k=jcc f64'), F('eb', 'jmp', 'Jb', '', 'k=jcc f64'),
  F('f4', 'hlt', '', '', 'k=priv'), F('f5', 'cmc'),
  ...grp3Rows(),
  F('ff /2', 'call', 'Ev', '', 'k=jmpind f64', 2), F('ff /3', 'callf', 'Mp', '', 'k=far mem'),
  F('ff /4', 'jmp', 'Ev', '', 'k=jmpind f64', 2), F('ff /5', 'jmpf', 'Mp', '', 'k=far mem'),
  F('ff /6', 'push', 'Ev', '', 'k=push d64'),

  // BMI1 (VEX.LZ.0F38, SDM vol. 2 2.3 and the instruction pages): "c4" marks the three-byte VEX
  // prefix the generator builds (map 0F38, pp 00, L 0; W = 64-bit operands); By = VEX.vvvv.
  F('c4 f2 /r', 'andn', 'Gy,By,Ey', 'bmi', 'k=bmi', 2), F('c4 f7 /r', 'bextr', 'Gy,Ey,By', 'bextr', 'k=bmi', 2),
  F('c4 f3 /1', 'blsr', 'By,Ey', 'bmi', 'k=bmi'), F('c4 f3 /2', 'blsmsk', 'By,Ey', 'bmi', 'k=bmi'),
  F('c4 f3 /3', 'blsi', 'By,Ey', 'bmi', 'k=bmi'),

  // 0F map
  ...sysRows(), F('0f 01 f8', 'swapgs', '', '', 'k=priv'),
  F('0f 05', 'syscall', '', '', 'k=syscall', 2), F('0f 07', 'sysret', '', '', 'k=priv'), F('0f aa', 'rsm', '', '', 'k=ud'),
  ...hintRows(),
  F('0f 20 /r', 'mov', 'Rq,Cq', '', 'k=priv reg o16'), F('0f 22 /r', 'mov', 'Cq,Rq', '', 'k=priv reg o16'),
  F('0f 21 /r', 'mov', 'Rq,Dq', '', 'k=priv reg o16'), F('0f 23 /r', 'mov', 'Dq,Rq', '', 'k=priv reg o16'),
  F('0f 30', 'wrmsr', '', '', 'k=priv'), F('0f 32', 'rdmsr', '', '', 'k=priv'),
  F('0f a0', 'push', 'FS', '', 'k=push d64'), F('0f a1', 'pop', 'FS', '', 'k=popsreg d64'),
  F('0f a8', 'push', 'GS', '', 'k=push d64'), F('0f a9', 'pop', 'GS', '', 'k=popsreg d64'),
  ...bitRows(), ...tailRows(),
  F('0f c7 /1', 'cmpxchg8b', 'Mq', '', 'k=cmpxchg8b lock mem', 2),
  F('0f c7 /1', 'cmpxchg16b', 'Mdq', '', 'k=cmpxchg8b lock mem', 2),
  F('0f c8+r', 'bswap', 'Zv', '', 'k=bswap', 2),
]);
