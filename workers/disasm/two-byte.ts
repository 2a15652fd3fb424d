// The two-byte opcode map (0F xx) of the x86 disassembler, row for row as in the Intel SDM vol. 2,
// appendix A.3, tables A-3 and A-6 (groups 6-9, 12-16), with the SSE/SSE2 rows chosen by their
// mandatory prefix (none, 66, F3, F2: table A-3's columns) and a few three-byte rows (0F 38, 0F 3A,
// table) that Linux and glibc run. Operand notation: operands.ts.
import type { Decoder, Row } from './decoder.ts';
import { CONDITIONS } from './one-byte.ts';

type Column = string | undefined;
type Pick = (d: Decoder) => string | undefined;

/** A row by mandatory prefix: the prefix that selects it is consumed (not printed as a word). */
function sse(none: Column, p66?: Column, pf3?: Column, pf2?: Column): Pick {
  return (d: Decoder) => {
    const which = d.mandatoryPrefix();
    const row = { '': none, '66': p66, f3: pf3, f2: pf2 }[which];
    if (row === undefined) {
      // F2/F3 that select nothing fall back to the 66 or plain row and print as prefix words.
      if (which === 'f3' || which === 'f2') {
        if (d.hasOpsizePrefix() && p66) { d.useMandatory('66'); return p66; }
        return none;
      }
      return undefined;
    }
    d.useMandatory(which);
    return row;
  };
}

/** An MMX instruction (Pq,Qq) that SSE2 widened to XMM with the 66 prefix (Vx,Wx). */
const mmx = (op: string, tail = ''): Pick => sse(`${op} Pq,Qq${tail}`, `${op} Vx,Wx${tail}`);

/** A packed/scalar single/double arithmetic row: ps, pd, ss, sd. */
const arith = (op: string): Pick => sse(`${op}ps Vx,Wx`, `${op}pd Vx,Wx`, `${op}ss Vx,Wd`, `${op}sd Vx,Wq`);

const group = (rows: (string | undefined)[]): Row => (d: Decoder) => rows[d.regField()];

/** By ModR/M mod: memory form, or register form. */
const byMod = (mem: Column, reg: Column): Row => (d: Decoder) => (d.mod === 3 ? reg : mem);

/** 0F 01 with mod = 3: instructions named by the whole ModR/M byte. */
const GROUP7_REG: Record<number, string> = {
  0xcf: 'encls', 0xd7: 'enclu', 0xd8: 'vmrun', 0xda: 'vmload', 0xdb: 'vmsave', 0xdc: 'stgi', 0xdd: 'clgi', 0xde: 'skinit',
  0xdf: 'invlpga', 0xe8: 'serialize', 0xc1: 'vmcall', 0xc2: 'vmlaunch', 0xc3: 'vmresume', 0xc4: 'vmxoff', 0xc8: 'monitor', 0xc9: 'mwait', 0xca: 'clac',
  0xcb: 'stac', 0xd0: 'xgetbv', 0xd1: 'xsetbv', 0xd5: 'xend', 0xd6: 'xtest', 0xd9: 'vmmcall', 0xee: 'rdpkru',
  0xef: 'wrpkru', 0xf9: 'rdtscp', 0xfa: 'monitorx', 0xfb: 'mwaitx',
};

/** SGDT/SIDT/LGDT/LIDT: "lgdt" in 64-bit mode, "lgdtd"/"lgdtw" by operand size elsewhere. */
const descriptorTable = (op: string) => (d: Decoder) => `${op}${d.long ? '' : d.opsize() === 2 ? 'w' : 'd'} M`;

/** CMPPS & co.: objdump names predicates 0-7 (cmpltps), other immediates stay operands. */
function cmpRow(d: Decoder): string | undefined {
  const suffix = { '': 'ps', '66': 'pd', f3: 'ss', f2: 'sd' }[d.mandatoryPrefix()];
  d.useMandatory(d.mandatoryPrefix());
  const w = suffix === 'ss' ? 'Wd' : suffix === 'sd' ? 'Wq' : 'Wx';
  return `cmp${suffix} Vx,${w},Icmp`;
}

export const TWO_BYTE: Row[] = new Array(256).fill(undefined);

Object.assign(TWO_BYTE, {
  0x00: (d: Decoder) => [d.mod === 3 ? 'sldt Ev' : 'sldt Mw', d.mod === 3 ? 'str Ev' : 'str Mw', 'lldt Ew', 'ltr Ew', 'verr Ew', 'verw Ew'][d.regField()],
  0x01: (d: Decoder) => {
    if (d.mod === 3) {
      const m = d.modrm();
      // SEV-SNP and SEV-ES (AMD APM vol. 3): selected by F2/F3.
      const rep = d.hasRep();
      const snp = rep === 0xf3 ? { 0xd9: 'vmgexit', 0xfe: 'rmpadjust', 0xff: 'psmash' }[m] : rep === 0xf2 ? { 0xd9: 'vmgexit', 0xfe: 'rmpupdate', 0xff: 'pvalidate' }[m] : undefined;
      if (snp) { d.useMandatory(rep === 0xf3 ? 'f3' : 'f2'); return snp; }
      if (m === 0xf8) return d.long ? 'swapgs' : undefined;
      if ((m >> 3 & 7) === 4) return 'smsw Ev';
      if ((m >> 3 & 7) === 6) return 'lmsw Ew';
      return GROUP7_REG[m];
    }
    return [descriptorTable('sgdt'), descriptorTable('sidt'), descriptorTable('lgdt'), descriptorTable('lidt'),
      () => 'smsw Mw', undefined, () => 'lmsw Ew', () => 'invlpg Mb'][d.regField()]?.(d);
  },
  0x02: byMod('lar Gv,Mw', 'lar Gv,Ev'), 0x03: byMod('lsl Gv,Mw', 'lsl Gv,Ev'),
  0x05: 'syscall', 0x06: 'clts',
  0x07: (d: Decoder) => (d.long ? (d.rexW ? 'sysretq' : 'sysretd') : 'sysret'),
  0x08: 'invd', 0x09: 'wbinvd', 0x0b: 'ud2',
  0x0d: group(['prefetch Mb', 'prefetchw Mb', 'prefetchwt1 Mb']),
  0x10: sse('movups Vx,Wx', 'movupd Vx,Wx', 'movss Vx,Wd', 'movsd Vx,Wq'),
  0x11: sse('movups Wx,Vx', 'movupd Wx,Vx', 'movss Wd,Vx', 'movsd Wq,Vx'),
  0x12: (d: Decoder) => sse(d.mod === 3 ? 'movhlps Vx,Ux' : 'movlps Vx,Mq', 'movlpd Vx,Mq', 'movsldup Vx,Wx', 'movddup Vx,Wq')(d),
  0x13: sse('movlps Mq,Vx', 'movlpd Mq,Vx'),
  0x14: sse('unpcklps Vx,Wx', 'unpcklpd Vx,Wx'), 0x15: sse('unpckhps Vx,Wx', 'unpckhpd Vx,Wx'),
  0x16: (d: Decoder) => sse(d.mod === 3 ? 'movlhps Vx,Ux' : 'movhps Vx,Mq', 'movhpd Vx,Mq', 'movshdup Vx,Wx')(d),
  0x17: sse('movhps Mq,Vx', 'movhpd Mq,Vx'),
  0x18: (d: Decoder) => (d.mod !== 3 && d.regField() < 4 ? ['prefetchnta Mb', 'prefetcht0 Mb', 'prefetcht1 Mb', 'prefetcht2 Mb'][d.regField()] : 'nop Ev'),
  0x19: 'nop Ev', 0x1a: 'nop Ev', 0x1b: 'nop Ev', 0x1c: 'nop Ev', 0x1d: 'nop Ev',
  0x1e: (d: Decoder) => {
    if (d.hasRep() === 0xf3 && d.mod === 3 && (d.modrm() === 0xfa || d.modrm() === 0xfb)) {
      d.useMandatory('f3');
      return d.modrm() === 0xfa ? 'endbr64' : 'endbr32';
    }
    if (d.hasRep() === 0xf3 && d.mod === 3 && d.regField() === 1) {
      d.useMandatory('f3');
      return d.long && d.rexW ? 'rdsspq Rq' : 'rdsspd Rd';
    }
    return 'nop Ev';
  },
  0x1f: 'nop Ev',
  0x20: 'mov Rc,Cd', 0x21: 'mov Rc,Dd', 0x22: 'mov Cd,Rc', 0x23: 'mov Dd,Rc',
  0x28: sse('movaps Vx,Wx', 'movapd Vx,Wx'), 0x29: sse('movaps Wx,Vx', 'movapd Wx,Vx'),
  0x2a: sse('cvtpi2ps Vx,Qq', 'cvtpi2pd Vx,Qq', 'cvtsi2ss Vx,Ey', 'cvtsi2sd Vx,Ey'),
  0x2b: sse('movntps Mx,Vx', 'movntpd Mx,Vx'),
  0x2c: sse('cvttps2pi Pq,Wq', 'cvttpd2pi Pq,Wx', 'cvttss2si Gy,Wd', 'cvttsd2si Gy,Wq'),
  0x2d: sse('cvtps2pi Pq,Wq', 'cvtpd2pi Pq,Wx', 'cvtss2si Gy,Wd', 'cvtsd2si Gy,Wq'),
  0x2e: sse('ucomiss Vx,Wd', 'ucomisd Vx,Wq'), 0x2f: sse('comiss Vx,Wd', 'comisd Vx,Wq'),
  0x30: 'wrmsr', 0x31: 'rdtsc', 0x32: 'rdmsr', 0x33: 'rdpmc', 0x34: 'sysenter', 0x35: 'sysexit', 0x37: 'getsec',
  0x50: sse('movmskps Gd,Ux', 'movmskpd Gd,Ux'),
  0x51: arith('sqrt'), 0x52: sse('rsqrtps Vx,Wx', undefined, 'rsqrtss Vx,Wd'), 0x53: sse('rcpps Vx,Wx', undefined, 'rcpss Vx,Wd'),
  0x54: sse('andps Vx,Wx', 'andpd Vx,Wx'), 0x55: sse('andnps Vx,Wx', 'andnpd Vx,Wx'),
  0x56: sse('orps Vx,Wx', 'orpd Vx,Wx'), 0x57: sse('xorps Vx,Wx', 'xorpd Vx,Wx'),
  0x58: arith('add'), 0x59: arith('mul'),
  0x5a: sse('cvtps2pd Vx,Wq', 'cvtpd2ps Vx,Wx', 'cvtss2sd Vx,Wd', 'cvtsd2ss Vx,Wq'),
  0x5b: sse('cvtdq2ps Vx,Wx', 'cvtps2dq Vx,Wx', 'cvttps2dq Vx,Wx'),
  0x5c: arith('sub'), 0x5d: arith('min'), 0x5e: arith('div'), 0x5f: arith('max'),
  0x60: sse('punpcklbw Pq,Qd', 'punpcklbw Vx,Wx'), 0x61: sse('punpcklwd Pq,Qd', 'punpcklwd Vx,Wx'),
  0x62: sse('punpckldq Pq,Qd', 'punpckldq Vx,Wx'), 0x63: mmx('packsswb'),
  0x64: mmx('pcmpgtb'), 0x65: mmx('pcmpgtw'), 0x66: mmx('pcmpgtd'), 0x67: mmx('packuswb'),
  0x68: mmx('punpckhbw'), 0x69: mmx('punpckhwd'), 0x6a: mmx('punpckhdq'), 0x6b: mmx('packssdw'),
  0x6c: sse(undefined, 'punpcklqdq Vx,Wx'), 0x6d: sse(undefined, 'punpckhqdq Vx,Wx'),
  0x6e: (d: Decoder) => sse(`${movdq(d)} Pq,Ey`, `${movdq(d)} Vx,Ey`)(d),
  0x6f: sse('movq Pq,Qq', 'movdqa Vx,Wx', 'movdqu Vx,Wx'),
  0x70: sse('pshufw Pq,Qq,Ib', 'pshufd Vx,Wx,Ib', 'pshufhw Vx,Wx,Ib', 'pshuflw Vx,Wx,Ib'),
  0x71: (d: Decoder) => shiftGroup(d, [undefined, undefined, 'psrlw', undefined, 'psraw', undefined, 'psllw', undefined]),
  0x72: (d: Decoder) => shiftGroup(d, [undefined, undefined, 'psrld', undefined, 'psrad', undefined, 'pslld', undefined]),
  0x73: (d: Decoder) => shiftGroup(d, [undefined, undefined, 'psrlq', 'psrldq', undefined, undefined, 'psllq', 'pslldq']),
  0x74: mmx('pcmpeqb'), 0x75: mmx('pcmpeqw'), 0x76: mmx('pcmpeqd'), 0x77: 'emms',
  0x7e: (d: Decoder) => sse(`${movdq(d)} Ey,Pq`, `${movdq(d)} Ey,Vx`, 'movq Vx,Wq')(d),
  0x7f: sse('movq Qq,Pq', 'movdqa Wx,Vx', 'movdqu Wx,Vx'),
  0xa0: 'push fs;d64', 0xa1: 'pop fs;d64', 0xa2: 'cpuid', 0xa3: 'bt Ev,Gv',
  0xa4: 'shld Ev,Gv,Ib', 0xa5: 'shld Ev,Gv,cl', 0xa8: 'push gs;d64', 0xa9: 'pop gs;d64', 0xaa: 'rsm',
  0xab: 'bts Ev,Gv', 0xac: 'shrd Ev,Gv,Ib', 0xad: 'shrd Ev,Gv,cl',
  0xae: (d: Decoder) => {
    if (d.mod === 3) {
      if (d.hasRep() === 0xf3 && d.long && d.regField() < 4) {
        d.useMandatory('f3');
        return [`rdfsbase Ry`, 'rdgsbase Ry', 'wrfsbase Ry', 'wrgsbase Ry'][d.regField()];
      }
      if (d.hasRep() === 0xf3 && d.regField() === 5) {
        d.useMandatory('f3');
        return d.long && d.rexW ? 'incsspq Rq' : 'incsspd Rd';
      }
      if (d.regField() === 6 && d.mandatoryPrefix() !== '') {
        const which = d.mandatoryPrefix();
        d.useMandatory(which);
        return ({ '66': 'tpause Rd', f3: 'umonitor Rv', f2: 'umwait Rd' } as Record<string, string>)[which];
      }
      return [undefined, undefined, undefined, undefined, undefined, 'lfence', 'mfence', 'sfence'][d.regField()];
    }
    const w64 = d.long && d.rexW ? '64' : '';
    if (d.regField() === 7 && d.hasOpsizePrefix()) return 'clflushopt Mb;o16';
    if (d.regField() === 6 && d.hasOpsizePrefix()) return 'clwb Mb;o16';
    return [`fxsave${w64} M`, `fxrstor${w64} M`, 'ldmxcsr Md', 'stmxcsr Md', `xsave${w64} M`, `xrstor${w64} M`,
      `xsaveopt${w64} M`, 'clflush Mb'][d.regField()];
  },
  0xaf: 'imul Gv,Ev',
  0xb0: 'cmpxchg Eb,Gb', 0xb1: 'cmpxchg Ev,Gv', 0xb2: 'lss Gv,Mp', 0xb3: 'btr Ev,Gv', 0xb4: 'lfs Gv,Mp', 0xb5: 'lgs Gv,Mp',
  0xb6: 'movzx Gv,Eb', 0xb7: 'movzx Gv,Ew',
  0xb8: sse(undefined, undefined, 'popcnt Gv,Ev'),
  0xb9: 'ud1 Gv,Ev',
  0xba: group([undefined, undefined, undefined, undefined, 'bt Ev,Ib', 'bts Ev,Ib', 'btr Ev,Ib', 'btc Ev,Ib']),
  0xbb: 'btc Ev,Gv',
  0xbc: sse('bsf Gv,Ev', undefined, 'tzcnt Gv,Ev'), 0xbd: sse('bsr Gv,Ev', undefined, 'lzcnt Gv,Ev'),
  0xbe: 'movsx Gv,Eb', 0xbf: 'movsx Gv,Ew',
  0xc0: 'xadd Eb,Gb', 0xc1: 'xadd Ev,Gv', 0xc2: cmpRow, 0xc3: 'movnti My,Gy',
  0xc4: (d: Decoder) => sse(`pinsrw Pq,${d.mod === 3 ? 'Ed' : 'Mw'},Ib`, `pinsrw Vx,${d.mod === 3 ? 'Ed' : 'Mw'},Ib`)(d),
  0xc5: sse('pextrw Gd,Nq,Ib', 'pextrw Gd,Ux,Ib'),
  0xc6: sse('shufps Vx,Wx,Ib', 'shufpd Vx,Wx,Ib'),
  0xc7: (d: Decoder) => {
    if (d.mod !== 3) {
      const w64 = d.long && d.rexW ? '64' : '';
      return [undefined, d.long && d.rexW ? 'cmpxchg16b Mo' : 'cmpxchg8b Mq', undefined, `xrstors${w64} M`, `xsavec${w64} M`,
        `xsaves${w64} M`, 'vmptrld Mq', 'vmptrst Mq'][d.regField()];
    }
    if (d.regField() === 7 && d.hasRep() === 0xf3) { d.useMandatory('f3'); return 'rdpid Rq'; }
    return d.regField() === 6 ? 'rdrand Rv' : d.regField() === 7 ? 'rdseed Rv' : undefined;
  },
  0xd1: mmx('psrlw'), 0xd2: mmx('psrld'), 0xd3: mmx('psrlq'), 0xd4: mmx('paddq'), 0xd5: mmx('pmullw'),
  0xd6: sse(undefined, 'movq Wq,Vx', 'movq2dq Vx,Nq', 'movdq2q Pq,Ux'),
  0xd7: sse('pmovmskb Gd,Nq', 'pmovmskb Gd,Ux'),
  0xd8: mmx('psubusb'), 0xd9: mmx('psubusw'), 0xda: mmx('pminub'), 0xdb: mmx('pand'),
  0xdc: mmx('paddusb'), 0xdd: mmx('paddusw'), 0xde: mmx('pmaxub'), 0xdf: mmx('pandn'),
  0xe0: mmx('pavgb'), 0xe1: mmx('psraw'), 0xe2: mmx('psrad'), 0xe3: mmx('pavgw'), 0xe4: mmx('pmulhuw'), 0xe5: mmx('pmulhw'),
  0xe6: sse(undefined, 'cvttpd2dq Vx,Wx', 'cvtdq2pd Vx,Wq', 'cvtpd2dq Vx,Wx'),
  0xe7: sse('movntq Mq,Pq', 'movntdq Mx,Vx'),
  0xe8: mmx('psubsb'), 0xe9: mmx('psubsw'), 0xea: mmx('pminsw'), 0xeb: mmx('por'),
  0xec: mmx('paddsb'), 0xed: mmx('paddsw'), 0xee: mmx('pmaxsw'), 0xef: mmx('pxor'),
  0xf0: sse(undefined, undefined, undefined, 'lddqu Vx,M'),
  0xf1: mmx('psllw'), 0xf2: mmx('pslld'), 0xf3: mmx('psllq'), 0xf4: mmx('pmuludq'), 0xf5: mmx('pmaddwd'),
  0xf6: mmx('psadbw'), 0xf7: sse('maskmovq Pq,Nq', 'maskmovdqu Vx,Ux'),
  0xf8: mmx('psubb'), 0xf9: mmx('psubw'), 0xfa: mmx('psubd'), 0xfb: mmx('psubq'),
  0xfc: mmx('paddb'), 0xfd: mmx('paddw'), 0xfe: mmx('paddd'), 0xff: 'ud0 Gv,Ev',
});
CONDITIONS.forEach((cc, i) => {
  TWO_BYTE[0x40 + i] = `cmov${cc} Gv,Ev`;
  TWO_BYTE[0x80 + i] = `j${cc} Jz;f64,bnd`;
  TWO_BYTE[0x90 + i] = `set${cc} Eb`;
});
for (let r = 0; r < 8; r++) TWO_BYTE[0xc8 + r] = 'bswap Zy';

/** MOVD or MOVQ (REX.W) between a general register or memory and an MMX/XMM register. */
function movdq(d: Decoder): string {
  return d.long && d.rexW ? 'movq' : 'movd';
}

/** Groups 12-14: shifts of MMX (Nq) or XMM (Ux, prefix 66) registers by an immediate. */
function shiftGroup(d: Decoder, ops: (string | undefined)[]): string | undefined {
  if (d.mod !== 3) return undefined;
  const op = ops[d.regField()];
  if (!op) return undefined;
  if (d.mandatoryPrefix() === '66') {
    d.useMandatory('66');
    return `${op} Ux,Ib`;
  }
  return op.endsWith('dq') ? undefined : `${op} Nq,Ib`;
}

/** 0F 38 xx (SSSE3, SSE4.1/4.2, MOVBE, CRC32): by prefix. */
export const THREE_BYTE_38: Row[] = new Array(256).fill(undefined);
Object.assign(THREE_BYTE_38, {
  0x00: mmx('pshufb'), 0x01: mmx('phaddw'), 0x02: mmx('phaddd'), 0x04: mmx('pmaddubsw'), 0x0b: mmx('pmulhrsw'),
  0x1c: mmx('pabsb'), 0x1d: mmx('pabsw'), 0x1e: mmx('pabsd'),
  0x10: sse(undefined, 'pblendvb Vx,Wx,xmm0'), 0x17: sse(undefined, 'ptest Vx,Wx'),
  0x29: sse(undefined, 'pcmpeqq Vx,Wx'), 0x2b: sse(undefined, 'packusdw Vx,Wx'), 0x37: sse(undefined, 'pcmpgtq Vx,Wx'),
  0x38: sse(undefined, 'pminsb Vx,Wx'), 0x39: sse(undefined, 'pminsd Vx,Wx'), 0x3a: sse(undefined, 'pminuw Vx,Wx'),
  0x3b: sse(undefined, 'pminud Vx,Wx'), 0x3c: sse(undefined, 'pmaxsb Vx,Wx'), 0x3d: sse(undefined, 'pmaxsd Vx,Wx'),
  0x3e: sse(undefined, 'pmaxuw Vx,Wx'), 0x3f: sse(undefined, 'pmaxud Vx,Wx'), 0x40: sse(undefined, 'pmulld Vx,Wx'),
  0x82: (d: Decoder) => sse(undefined, `invpcid ${d.long ? 'Gq' : 'Gd'},M`)(d),
  0xf0: (d: Decoder) => (d.hasRep() === 0xf2 ? (d.useMandatory('f2'), 'crc32 Gy,Eb') : d.mod === 3 ? undefined : 'movbe Gv,Mv'),
  0xf1: (d: Decoder) => (d.hasRep() === 0xf2 ? (d.useMandatory('f2'), 'crc32 Gy,Ev') : d.mod === 3 ? undefined : 'movbe Mv,Gv'),
});

/** 0F 3A xx (SSSE3, SSE4.1/4.2): by prefix, with an immediate. */
export const THREE_BYTE_3A: Row[] = new Array(256).fill(undefined);
Object.assign(THREE_BYTE_3A, {
  0x0f: mmx('palignr', ',Ib'),
  0x0e: sse(undefined, 'pblendw Vx,Wx,Ib'), 0x14: sse(undefined, 'pextrb Ed,Vx,Ib'), 0x16: (d: Decoder) => sse(undefined, `${d.long && d.rexW ? 'pextrq' : 'pextrd'} Ey,Vx,Ib`)(d),
  0x20: sse(undefined, 'pinsrb Vx,Ed,Ib'), 0x22: (d: Decoder) => sse(undefined, `${d.long && d.rexW ? 'pinsrq' : 'pinsrd'} Vx,Ey,Ib`)(d),
  0x60: sse(undefined, 'pcmpestrm Vx,Wx,Ib'), 0x61: sse(undefined, 'pcmpestri Vx,Wx,Ib'),
  0x62: sse(undefined, 'pcmpistrm Vx,Wx,Ib'), 0x63: sse(undefined, 'pcmpistri Vx,Wx,Ib'),
});
