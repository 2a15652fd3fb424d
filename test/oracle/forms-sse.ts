// The MMX/SSE/SSE2 instruction forms the mode-64 generator covers (gen-sse.ts), one row per form in
// the Intel SDM's notation (vol. 2 appendix A): V = XMM reg field, W = XMM or memory (Wq/Wd: the
// memory operand is 8/4 bytes), U = XMM register only, M = memory only, P = MMX reg field, Q = MMX
// or memory, N = MMX register only, G = general reg field, E = general register or memory
// (d = 32-bit, y = 32 or 64 with REX.W), Ib = immediate byte.
// Columns: mandatory prefix, opcode (with /n for a ModRM digit), mnemonic, operands, lane type
// (how operand values are shaped), attributes, weight. Attributes: a16 = 16-byte memory operand
// that must be aligned; cmp/shuf/shift = what the immediate means; undef = the destination is
// implementation-specific (RCP/RSQRT), so its value is not compared.
// Invariant: only SSE and SSE2 (and the MMX forms they extend): no SSE3+ encodings, which the
// reference CPU has but the interpreter does not offer.

export type Lane = 'f32' | 'f64' | 'i8' | 'i16' | 'i32' | 'i64' | 'cvt32' | 'cvt64';

export interface SseForm {
  prefix: number;       // 0, 0x66, 0xf3, 0xf2
  opcode: number[];     // 0f xx
  digit: number;        // ModRM digit for group rows, -1 otherwise
  mnemonic: string;
  operands: string[];
  lane: Lane;
  attrs: string[];
  weight: number;
  name: string;
}

function S(prefix: string, opcode: string, mnemonic: string, operands: string, lane: Lane, attrs = '', weight = 1): SseForm {
  const bytes: number[] = [];
  let digit = -1;
  for (const t of opcode.split(' ')) {
    if (/^\/[0-7]$/.test(t)) digit = Number(t[1]);
    else bytes.push(parseInt(t, 16));
  }
  return {
    prefix: prefix ? parseInt(prefix, 16) : 0, opcode: bytes, digit, mnemonic, operands: operands ? operands.split(',') : [],
    lane, attrs: attrs ? attrs.split(' ') : [], weight, name: `${mnemonic}${operands ? ' ' + operands : ''}`,
  };
}

const hx = (n: number) => n.toString(16).padStart(2, '0');

/** The four forms (PS PD SS SD) of a floating-point row. */
function fp4(op: number, m: string, w = 2, ib = ''): SseForm[] {
  const a = ib ? ` ${ib}` : '';
  const o = ib ? ',Ib' : '';
  return [
    S('', `0f ${hx(op)}`, `${m}ps`, `V,W${o}`, 'f32', `a16${a}`, w),
    S('66', `0f ${hx(op)}`, `${m}pd`, `V,W${o}`, 'f64', `a16${a}`, w),
    S('f3', `0f ${hx(op)}`, `${m}ss`, `V,Wd${o}`, 'f32', ib, w),
    S('f2', `0f ${hx(op)}`, `${m}sd`, `V,Wq${o}`, 'f64', ib, w),
  ];
}

/** An integer row in its MMX (no prefix) and SSE2 (66) forms. */
function int2(op: number, m: string, lane: Lane, w = 1, mmx = true): SseForm[] {
  const rows = [S('66', `0f ${hx(op)}`, m, 'V,W', lane, 'a16', w + 1)];
  if (mmx) rows.push(S('', `0f ${hx(op)}`, m, 'P,Q', lane, 'mmx', w));
  return rows;
}

export const SSE_FORMS: SseForm[] = [
  // ---- floating-point arithmetic ----
  ...fp4(0x58, 'add', 4), ...fp4(0x5c, 'sub', 3), ...fp4(0x59, 'mul', 4), ...fp4(0x5e, 'div', 3),
  ...fp4(0x51, 'sqrt', 3), ...fp4(0x5d, 'min', 2), ...fp4(0x5f, 'max', 2), ...fp4(0xc2, 'cmp', 3, 'cmp'),
  S('', '0f 52', 'rsqrtps', 'V,W', 'f32', 'a16 undef'), S('f3', '0f 52', 'rsqrtss', 'V,Wd', 'f32', 'undef'),
  S('', '0f 53', 'rcpps', 'V,W', 'f32', 'a16 undef'), S('f3', '0f 53', 'rcpss', 'V,Wd', 'f32', 'undef'),
  S('', '0f 54', 'andps', 'V,W', 'f32', 'a16'), S('66', '0f 54', 'andpd', 'V,W', 'f64', 'a16'),
  S('', '0f 55', 'andnps', 'V,W', 'f32', 'a16'), S('66', '0f 55', 'andnpd', 'V,W', 'f64', 'a16'),
  S('', '0f 56', 'orps', 'V,W', 'f32', 'a16'), S('66', '0f 56', 'orpd', 'V,W', 'f64', 'a16'),
  S('', '0f 57', 'xorps', 'V,W', 'f32', 'a16', 2), S('66', '0f 57', 'xorpd', 'V,W', 'f64', 'a16'),
  S('', '0f 2e', 'ucomiss', 'V,Wd', 'f32', '', 3), S('66', '0f 2e', 'ucomisd', 'V,Wq', 'f64', '', 3),
  S('', '0f 2f', 'comiss', 'V,Wd', 'f32', '', 3), S('66', '0f 2f', 'comisd', 'V,Wq', 'f64', '', 3),
  // ---- conversions ----
  S('', '0f 5a', 'cvtps2pd', 'V,Wq', 'f32', '', 2), S('66', '0f 5a', 'cvtpd2ps', 'V,W', 'f64', 'a16', 2),
  S('f3', '0f 5a', 'cvtss2sd', 'V,Wd', 'f32', '', 2), S('f2', '0f 5a', 'cvtsd2ss', 'V,Wq', 'f64', '', 3),
  S('', '0f 5b', 'cvtdq2ps', 'V,W', 'i32', 'a16', 2), S('66', '0f 5b', 'cvtps2dq', 'V,W', 'cvt32', 'a16', 2),
  S('f3', '0f 5b', 'cvttps2dq', 'V,W', 'cvt32', 'a16', 2),
  S('66', '0f e6', 'cvttpd2dq', 'V,W', 'cvt64', 'a16', 2), S('f3', '0f e6', 'cvtdq2pd', 'V,Wq', 'i32', '', 2),
  S('f2', '0f e6', 'cvtpd2dq', 'V,W', 'cvt64', 'a16', 2),
  S('f3', '0f 2a', 'cvtsi2ss', 'V,Ey', 'i64', '', 3), S('f2', '0f 2a', 'cvtsi2sd', 'V,Ey', 'i64', '', 3),
  S('f3', '0f 2c', 'cvttss2si', 'Gy,Wd', 'cvt32', '', 3), S('f2', '0f 2c', 'cvttsd2si', 'Gy,Wq', 'cvt64', '', 3),
  S('f3', '0f 2d', 'cvtss2si', 'Gy,Wd', 'cvt32', '', 3), S('f2', '0f 2d', 'cvtsd2si', 'Gy,Wq', 'cvt64', '', 3),
  S('', '0f 2a', 'cvtpi2ps', 'V,Q', 'i32', 'mmx'), S('66', '0f 2a', 'cvtpi2pd', 'V,Q', 'i32', 'mmx'),
  S('', '0f 2c', 'cvttps2pi', 'P,Wq', 'cvt32', 'mmx'), S('66', '0f 2c', 'cvttpd2pi', 'P,W', 'cvt64', 'mmx a16'),
  S('', '0f 2d', 'cvtps2pi', 'P,Wq', 'cvt32', 'mmx'), S('66', '0f 2d', 'cvtpd2pi', 'P,W', 'cvt64', 'mmx a16'),
  // ---- moves ----
  S('', '0f 10', 'movups', 'V,W', 'i8', '', 2), S('66', '0f 10', 'movupd', 'V,W', 'i8'),
  S('f3', '0f 10', 'movss', 'V,Wd', 'f32', '', 2), S('f2', '0f 10', 'movsd', 'V,Wq', 'f64', '', 2),
  S('', '0f 11', 'movups', 'W,V', 'i8', '', 2), S('66', '0f 11', 'movupd', 'W,V', 'i8'),
  S('f3', '0f 11', 'movss', 'Wd,V', 'f32', '', 2), S('f2', '0f 11', 'movsd', 'Wq,V', 'f64', '', 2),
  S('', '0f 12', 'movlps', 'V,Wq', 'i8', '', 2), S('66', '0f 12', 'movlpd', 'V,Mq', 'i8'),
  S('', '0f 13', 'movlps', 'Mq,V', 'i8'), S('66', '0f 13', 'movlpd', 'Mq,V', 'i8'),
  S('', '0f 16', 'movhps', 'V,Wq', 'i8', '', 2), S('66', '0f 16', 'movhpd', 'V,Mq', 'i8'),
  S('', '0f 17', 'movhps', 'Mq,V', 'i8'), S('66', '0f 17', 'movhpd', 'Mq,V', 'i8'),
  S('', '0f 14', 'unpcklps', 'V,W', 'i32', 'a16'), S('66', '0f 14', 'unpcklpd', 'V,W', 'i64', 'a16'),
  S('', '0f 15', 'unpckhps', 'V,W', 'i32', 'a16'), S('66', '0f 15', 'unpckhpd', 'V,W', 'i64', 'a16'),
  S('', '0f 28', 'movaps', 'V,W', 'i8', 'a16', 3), S('66', '0f 28', 'movapd', 'V,W', 'i8', 'a16'),
  S('', '0f 29', 'movaps', 'W,V', 'i8', 'a16', 3), S('66', '0f 29', 'movapd', 'W,V', 'i8', 'a16'),
  S('', '0f 2b', 'movntps', 'M,V', 'i8', 'a16'), S('66', '0f 2b', 'movntpd', 'M,V', 'i8', 'a16'),
  S('', '0f 50', 'movmskps', 'Gy,U', 'f32'), S('66', '0f 50', 'movmskpd', 'Gy,U', 'f64'),
  S('66', '0f 6e', 'movd', 'V,Ey', 'i32', '', 2), S('66', '0f 7e', 'movd', 'Ey,V', 'i32', '', 2),
  S('', '0f 6e', 'movd', 'P,Ey', 'i32', 'mmx'), S('', '0f 7e', 'movd', 'Ey,P', 'i32', 'mmx'),
  S('66', '0f 6f', 'movdqa', 'V,W', 'i8', 'a16', 3), S('f3', '0f 6f', 'movdqu', 'V,W', 'i8', '', 3),
  S('66', '0f 7f', 'movdqa', 'W,V', 'i8', 'a16', 3), S('f3', '0f 7f', 'movdqu', 'W,V', 'i8', '', 3),
  S('', '0f 6f', 'movq', 'P,Q', 'i8', 'mmx'), S('', '0f 7f', 'movq', 'Q,P', 'i8', 'mmx'),
  S('f3', '0f 7e', 'movq', 'V,Wq', 'i8', '', 2), S('66', '0f d6', 'movq', 'Wq,V', 'i8', '', 2),
  S('f3', '0f d6', 'movq2dq', 'V,N', 'i8', 'mmx'), S('f2', '0f d6', 'movdq2q', 'P,U', 'i8', 'mmx'),
  S('66', '0f e7', 'movntdq', 'M,V', 'i8', 'a16'), S('', '0f e7', 'movntq', 'Mq,P', 'i8', 'mmx'),
  S('66', '0f f7', 'maskmovdqu', 'V,U', 'i8', 'maskmov'), S('', '0f f7', 'maskmovq', 'P,N', 'i8', 'mmx maskmov'),
  S('66', '0f d7', 'pmovmskb', 'Gd,U', 'i8', '', 2), S('', '0f d7', 'pmovmskb', 'Gd,N', 'i8', 'mmx'),
  // ---- shuffles, inserts, extracts ----
  S('', '0f c6', 'shufps', 'V,W,Ib', 'i32', 'a16 shuf'), S('66', '0f c6', 'shufpd', 'V,W,Ib', 'i64', 'a16 shuf'),
  S('66', '0f 70', 'pshufd', 'V,W,Ib', 'i32', 'a16 shuf', 2), S('f3', '0f 70', 'pshufhw', 'V,W,Ib', 'i16', 'a16 shuf'),
  S('f2', '0f 70', 'pshuflw', 'V,W,Ib', 'i16', 'a16 shuf'), S('', '0f 70', 'pshufw', 'P,Q,Ib', 'i16', 'mmx shuf'),
  S('66', '0f c4', 'pinsrw', 'V,Ed,Ib', 'i16', 'shuf'), S('', '0f c4', 'pinsrw', 'P,Ed,Ib', 'i16', 'mmx shuf'),
  S('66', '0f c5', 'pextrw', 'Gd,U,Ib', 'i16', 'shuf'), S('', '0f c5', 'pextrw', 'Gd,N,Ib', 'i16', 'mmx shuf'),
  // ---- integer ----
  ...int2(0x60, 'punpcklbw', 'i8'), ...int2(0x61, 'punpcklwd', 'i16'), ...int2(0x62, 'punpckldq', 'i32'),
  ...int2(0x63, 'packsswb', 'i16'), ...int2(0x64, 'pcmpgtb', 'i8', 2), ...int2(0x65, 'pcmpgtw', 'i16'),
  ...int2(0x66, 'pcmpgtd', 'i32'), ...int2(0x67, 'packuswb', 'i16'), ...int2(0x68, 'punpckhbw', 'i8'),
  ...int2(0x69, 'punpckhwd', 'i16'), ...int2(0x6a, 'punpckhdq', 'i32'), ...int2(0x6b, 'packssdw', 'i32'),
  ...int2(0x6c, 'punpcklqdq', 'i64', 1, false), ...int2(0x6d, 'punpckhqdq', 'i64', 1, false),
  ...int2(0x74, 'pcmpeqb', 'i8', 3), ...int2(0x75, 'pcmpeqw', 'i16'), ...int2(0x76, 'pcmpeqd', 'i32'),
  ...int2(0xd1, 'psrlw', 'i16'), ...int2(0xd2, 'psrld', 'i32'), ...int2(0xd3, 'psrlq', 'i64'),
  ...int2(0xd4, 'paddq', 'i64'), ...int2(0xd5, 'pmullw', 'i16'), ...int2(0xd8, 'psubusb', 'i8'),
  ...int2(0xd9, 'psubusw', 'i16'), ...int2(0xda, 'pminub', 'i8', 2), ...int2(0xdb, 'pand', 'i8'),
  ...int2(0xdc, 'paddusb', 'i8'), ...int2(0xdd, 'paddusw', 'i16'), ...int2(0xde, 'pmaxub', 'i8'),
  ...int2(0xdf, 'pandn', 'i8'), ...int2(0xe0, 'pavgb', 'i8'), ...int2(0xe1, 'psraw', 'i16'),
  ...int2(0xe2, 'psrad', 'i32'), ...int2(0xe3, 'pavgw', 'i16'), ...int2(0xe4, 'pmulhuw', 'i16'),
  ...int2(0xe5, 'pmulhw', 'i16'), ...int2(0xe8, 'psubsb', 'i8'), ...int2(0xe9, 'psubsw', 'i16'),
  ...int2(0xea, 'pminsw', 'i16'), ...int2(0xeb, 'por', 'i8'), ...int2(0xec, 'paddsb', 'i8'),
  ...int2(0xed, 'paddsw', 'i16'), ...int2(0xee, 'pmaxsw', 'i16'), ...int2(0xef, 'pxor', 'i8', 2),
  ...int2(0xf1, 'psllw', 'i16'), ...int2(0xf2, 'pslld', 'i32'), ...int2(0xf3, 'psllq', 'i64'),
  ...int2(0xf4, 'pmuludq', 'i32'), ...int2(0xf5, 'pmaddwd', 'i16'), ...int2(0xf6, 'psadbw', 'i8'),
  ...int2(0xf8, 'psubb', 'i8', 2), ...int2(0xf9, 'psubw', 'i16'), ...int2(0xfa, 'psubd', 'i32'),
  ...int2(0xfb, 'psubq', 'i64'), ...int2(0xfc, 'paddb', 'i8', 2), ...int2(0xfd, 'paddw', 'i16'),
  ...int2(0xfe, 'paddd', 'i32'),
  // ---- shifts by immediate (groups 12, 13, 14) ----
  S('66', '0f 71 /2', 'psrlw', 'U,Ib', 'i16', 'shift'), S('66', '0f 71 /4', 'psraw', 'U,Ib', 'i16', 'shift'),
  S('66', '0f 71 /6', 'psllw', 'U,Ib', 'i16', 'shift'), S('66', '0f 72 /2', 'psrld', 'U,Ib', 'i32', 'shift'),
  S('66', '0f 72 /4', 'psrad', 'U,Ib', 'i32', 'shift'), S('66', '0f 72 /6', 'pslld', 'U,Ib', 'i32', 'shift'),
  S('66', '0f 73 /2', 'psrlq', 'U,Ib', 'i64', 'shift'), S('66', '0f 73 /3', 'psrldq', 'U,Ib', 'i8', 'shift', 2),
  S('66', '0f 73 /6', 'psllq', 'U,Ib', 'i64', 'shift'), S('66', '0f 73 /7', 'pslldq', 'U,Ib', 'i8', 'shift', 2),
  S('', '0f 71 /2', 'psrlw', 'N,Ib', 'i16', 'mmx shift'), S('', '0f 71 /4', 'psraw', 'N,Ib', 'i16', 'mmx shift'),
  S('', '0f 71 /6', 'psllw', 'N,Ib', 'i16', 'mmx shift'), S('', '0f 72 /2', 'psrld', 'N,Ib', 'i32', 'mmx shift'),
  S('', '0f 72 /4', 'psrad', 'N,Ib', 'i32', 'mmx shift'), S('', '0f 72 /6', 'pslld', 'N,Ib', 'i32', 'mmx shift'),
  S('', '0f 73 /2', 'psrlq', 'N,Ib', 'i64', 'mmx shift'), S('', '0f 73 /6', 'psllq', 'N,Ib', 'i64', 'mmx shift'),
  // ---- MXCSR and invalid encodings ----
  S('', '0f ae /2', 'ldmxcsr', 'Md', 'i32', 'mxcsr'), S('', '0f ae /3', 'stmxcsr', 'Md', 'i32'),
  S('', '0f 77', 'emms', '', 'i8', 'mmx'),
  S('f2', '0f fc', 'paddb', 'P,Q', 'i8', 'ud mmx'), S('f3', '0f 74', 'pcmpeqb', 'V,W', 'i8', 'ud'),
  S('f2', '0f 28', 'movaps', 'V,W', 'i8', 'ud'), S('66', '0f 77', 'emms', '', 'i8', 'ud'),
];

{
  const seen = new Set<string>();
  for (const f of SSE_FORMS) {
    const p = f.prefix ? `${hx(f.prefix)} ` : '';
    if (seen.has(f.name)) f.name = `${f.name} (${p}${f.opcode.map(hx).join(' ')})`;
    seen.add(f.name);
  }
}

export const hasSseAttr = (f: SseForm, a: string) => f.attrs.includes(a);
