// MMX/SSE/SSE2 in the interpreter, as specifications for what the CPU test vectors cannot reach
// (CR0/CR4 settings other than Linux's user mode) and for the rules worth stating on their own:
// availability (#UD without CR4.OSFXSR, #NM with CR0.TS), #XM versus #UD by CR4.OSXMMEXCPT, the
// alignment #GP(0), the four MXCSR rounding modes, DAZ/FTZ, NaN results, integer indefinites,
// COMISD/UCOMISD flags, and the MMX aliasing of the x87 registers. Intel SDM vol. 1 ch. 10-11.
// The vectors in test/vectors/mode64-sse-*.jsonl.gz check the rest against the real CPU.
import { beforeEach, describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { BareMachine, CODE_VA, DATA_VA, CF, PF, ZF, ARITH } from '../helpers/bare-machine.ts';

let m: BareMachine;
beforeEach(() => { m = new BareMachine(64); });

const CR0_EM = 1n << 2n, CR0_TS = 1n << 3n, CR0_NE = 1n << 5n;
const CR4_OSFXSR = 1n << 9n, CR4_OSXMMEXCPT = 1n << 10n;
const f32 = (x: number) => BigInt(new Uint32Array(new Float32Array([x]).buffer)[0]);
const f64 = (x: number) => new BigUint64Array(new Float64Array([x]).buffer)[0];
const lo32 = (v: bigint) => v & 0xffffffffn;
const lo64 = (v: bigint) => v & 0xffffffffffffffffn;

describe('availability', () => {
  it('ADDPS (0f 58 c1) is #UD when CR4.OSFXSR is clear, and leaves the registers alone', () => {
    m.setU64(L.CPU_CR4, m.u64(L.CPU_CR4) & ~CR4_OSFXSR).setXmm(0, f32(1)).setXmm(1, f32(2));
    expect(m.run('0f58c1')).toMatchObject({ exit: 'exception', vector: 6 });
    expect(m.xmm(0)).toBe(f32(1));
    expect(m.rip).toBe(CODE_VA);
  });
  it('PXOR (66 0f ef c0) is #NM when CR0.TS is set (lazy FPU switching)', () => {
    m.setU64(L.CPU_CR0, m.u64(L.CPU_CR0) | CR0_TS);
    expect(m.run('660fefc0')).toMatchObject({ exit: 'exception', vector: 7 });
  });
  it('SSE instructions are #UD and MMX ones #UD too when CR0.EM is set', () => {
    m.setU64(L.CPU_CR0, m.u64(L.CPU_CR0) | CR0_EM);
    expect(m.run('660fefc0')).toMatchObject({ vector: 6 }); // pxor xmm0,xmm0
    expect(m.run('0fefc0')).toMatchObject({ vector: 6 }); // pxor mm0,mm0
  });
  it('MMX instructions ignore CR4.OSFXSR but take #NM with CR0.TS', () => {
    m.setU64(L.CPU_CR4, m.u64(L.CPU_CR4) & ~CR4_OSFXSR);
    expect(m.run('0fefc0').exit).toBe('sentinel'); // pxor mm0,mm0
    m.setU64(L.CPU_CR0, m.u64(L.CPU_CR0) | CR0_TS);
    expect(m.run('0fefc0')).toMatchObject({ vector: 7 });
  });
  it('an MMX instruction raises #MF when an unmasked x87 exception is pending (CR0.NE)', () => {
    m.setU64(L.CPU_CR0, m.u64(L.CPU_CR0) | CR0_NE).write32(DATA_VA, 0x37b).set('rax', DATA_VA); // ZE unmasked
    // fldcw [rax] ; fldz ; fld1 ; fdivrp (1/0: pending #Z) ; pxor mm0,mm0
    expect(m.run('d928' + 'd9ee' + 'd9e8' + 'def1' + '0fefc0')).toMatchObject({ exit: 'exception', vector: 16 });
    expect(m.rip).toBe(CODE_VA + 8n);
  });
});

describe('exceptions and MXCSR', () => {
  it('DIVSD by zero (f2 0f 5e c1) with ZM masked gives infinity and sets ZE', () => {
    m.setXmm(0, f64(1)).setXmm(1, 0n);
    m.run('f20f5ec1');
    expect(lo64(m.xmm(0))).toBe(0x7ff0000000000000n);
    expect(m.mxcsr).toBe(0x1f84);
  });
  it('an unmasked exception is #XM with CR4.OSXMMEXCPT: flag set, destination and RIP unchanged', () => {
    m.setXmm(0, f64(1)).setXmm(1, 0n);
    m.mxcsr = 0x1d80; // ZM clear
    expect(m.run('f20f5ec1')).toMatchObject({ exit: 'exception', vector: 19 });
    expect(lo64(m.xmm(0))).toBe(f64(1));
    expect(m.mxcsr).toBe(0x1d84);
    expect(m.rip).toBe(CODE_VA);
  });
  it('the same unmasked exception is #UD without CR4.OSXMMEXCPT', () => {
    m.setU64(L.CPU_CR4, m.u64(L.CPU_CR4) & ~CR4_OSXMMEXCPT).setXmm(0, f64(1)).setXmm(1, 0n);
    m.mxcsr = 0x1d80;
    expect(m.run('f20f5ec1')).toMatchObject({ exit: 'exception', vector: 6 });
  });
  it('a packed operation with an unmasked pre-computation exception sets only IE/DE/ZE flags', () => {
    // mulps: lane 0 inf*0 (invalid, unmasked), lane 1 inexact: PE is not reported.
    m.setXmm(0, 0x3f800001_7f800000n).setXmm(1, 0x3f800001_00000000n);
    m.mxcsr = 0x1f00;
    expect(m.run('0f59c1')).toMatchObject({ vector: 19 });
    expect(m.mxcsr).toBe(0x1f01);
  });
  it('an unmasked overflow reports OE, and PE only when the result is also inexact', () => {
    m.setXmm(0, 0x7fe1ccf385ebc8a0n).setXmm(1, f64(10)); // 1e308 * 10 is exact at full precision
    m.mxcsr = 0x1b80;
    expect(m.run('f20f59c1')).toMatchObject({ vector: 19 });
    expect(m.mxcsr).toBe(0x1b88);
  });
  it('MOVAPS with a misaligned operand (0f 28 00) is #GP(0); MOVUPS (0f 10 00) reads it', () => {
    m.set('rax', DATA_VA + 8n).write64(DATA_VA + 8n, 0x1122334455667788n);
    expect(m.run('0f2800')).toMatchObject({ exit: 'exception', vector: 13, error: 0 });
    expect(m.run('0f1000').exit).toBe('sentinel');
    expect(lo64(m.xmm(0))).toBe(0x1122334455667788n);
  });
  it('a 16-byte access crossing into an unmapped page faults at the page start and writes nothing', () => {
    m.set('rax', DATA_VA + 0x1ff8n).setXmm(1, -1n);
    expect(m.run('0f1108')).toMatchObject({ vector: 14, cr2: DATA_VA + 0x2000n }); // movups [rax],xmm1
    expect(m.read64(DATA_VA + 0x1ff8n)).toBe(0n);
  });
});

describe('rounding modes (MXCSR.RC), DAZ and FTZ', () => {
  // 1 + 2^-24 + 2^-47 does not fit binary32: it lies just above the midpoint between 1 and 1 + 2^-23.
  const cases: [number, string, bigint][] = [
    [0x1f80, 'to nearest', 0x3f800001n], [0x3f80, 'down', 0x3f800000n], [0x5f80, 'up', 0x3f800001n], [0x7f80, 'toward zero', 0x3f800000n],
  ];
  it.each(cases)('ADDSS 1 + (2^-24 + 2^-47) with MXCSR %s rounds %s', (mx, _name, want) => {
    m.setXmm(0, f32(1)).setXmm(1, 0x33800001n); // 2^-24 * (1 + 2^-23)
    m.mxcsr = mx;
    m.run('f30f58c1');
    expect(lo32(m.xmm(0))).toBe(want);
    expect(m.mxcsr & 0x3f).toBe(0x20); // PE
  });
  it('rounding down makes x - x a negative zero', () => {
    m.setXmm(0, f64(3)).setXmm(1, f64(3));
    m.mxcsr = 0x3f80;
    m.run('f20f5cc1'); // subsd
    expect(lo64(m.xmm(0))).toBe(0x8000000000000000n);
  });
  it('DAZ reads a denormal source as zero (no DE); FTZ flushes a tiny result to zero (UE, PE)', () => {
    m.setXmm(0, f32(1)).setXmm(1, 1n); // the smallest denormal
    m.mxcsr = 0x1fc0; // DAZ
    m.run('f30f59c1'); // mulss
    expect(lo32(m.xmm(0))).toBe(0n);
    expect(m.mxcsr).toBe(0x1fc0);
    m.setXmm(0, 0x00800000n).setXmm(1, f32(0.5)); // min normal * 0.5
    m.mxcsr = 0x9f80; // FTZ
    m.run('f30f59c1');
    expect(lo32(m.xmm(0))).toBe(0n);
    expect(m.mxcsr).toBe(0x9fb0);
  });
  it('tininess is detected after rounding: a value that rounds up to the smallest normal is not an underflow', () => {
    m.setXmm(1, 0x380ffffff8000000n); // 2^-126 * (1 - 2^-26) as binary64
    m.run('f20f5ac1'); // cvtsd2ss
    expect(lo32(m.xmm(0))).toBe(0x00800000n);
    expect(m.mxcsr).toBe(0x1fa0); // PE only
  });
});

describe('NaN results and integer indefinites', () => {
  it('inf - inf gives the default NaN 0xFFC00000 and IE', () => {
    m.setXmm(0, 0x7f800000n).setXmm(1, 0x7f800000n);
    m.run('f30f5cc1'); // subss
    expect(lo32(m.xmm(0))).toBe(0xffc00000n);
    expect(m.mxcsr & 1).toBe(1);
  });
  it('two NaN operands give the first source made quiet; an SNaN is invalid', () => {
    m.setXmm(0, 0x7f800001n).setXmm(1, 0x7fc00002n);
    m.run('f30f58c1');
    expect(lo32(m.xmm(0))).toBe(0x7fc00001n);
    expect(m.mxcsr & 1).toBe(1);
  });
  it('MINSS returns the second operand when either is a NaN, and for two zeros', () => {
    m.setXmm(0, 0x7fc00000n).setXmm(1, f32(2));
    m.run('f30f5dc1');
    expect(lo32(m.xmm(0))).toBe(f32(2));
    m.setXmm(0, 0n).setXmm(1, 0x80000000n);
    m.run('f30f5dc1');
    expect(lo32(m.xmm(0))).toBe(0x80000000n);
  });
  it('CVTTSD2SI (f2 0f 2c c0) of 2^31 is the integer indefinite 0x80000000 with IE; with REX.W it fits', () => {
    m.setXmm(0, f64(2 ** 31));
    m.run('f20f2cc0');
    expect(m.get('rax')).toBe(0x80000000n);
    expect(m.mxcsr & 1).toBe(1);
    m.mxcsr = 0x1f80;
    m.run('f2480f2cc0');
    expect(m.get('rax')).toBe(0x80000000n);
    expect(m.mxcsr).toBe(0x1f80);
  });
  it('CVTSD2SI rounds per MXCSR.RC: 2.5 is 2 to nearest, 3 up', () => {
    m.setXmm(0, f64(2.5));
    m.run('f20f2dc0');
    expect(m.get('rax')).toBe(2n);
    m.mxcsr = 0x5f80;
    m.run('f20f2dc0');
    expect(m.get('rax')).toBe(3n);
  });
  it('CVTSI2SD from a 64-bit register (f2 48 0f 2a c0) rounds 2^63 - 1 to 2^63, inexact', () => {
    m.set('rax', 0x7fffffffffffffffn);
    m.run('f2480f2ac0');
    expect(lo64(m.xmm(0))).toBe(f64(2 ** 63));
    expect(m.mxcsr).toBe(0x1fa0);
  });
});

describe('compares into EFLAGS', () => {
  it('COMISD sets ZF PF CF for less, equal, greater and unordered, clearing OF SF AF', () => {
    const flags = (a: number, b: number) => {
      m.setXmm(0, f64(a)).setXmm(1, f64(b)).setFlags(0x202n | ARITH);
      m.run('660f2fc1');
      return m.flags() & ARITH;
    };
    expect(flags(1, 2)).toBe(CF);
    expect(flags(2, 2)).toBe(ZF);
    expect(flags(3, 2)).toBe(0n);
    expect(flags(NaN, 2)).toBe(ZF | PF | CF);
  });
  it('UCOMISD signals invalid only for an SNaN; COMISD for a QNaN too', () => {
    m.setXmm(0, f64(NaN)).setXmm(1, f64(1));
    m.run('660f2ec1');
    expect(m.mxcsr & 1).toBe(0);
    m.run('660f2fc1');
    expect(m.mxcsr & 1).toBe(1);
  });
});

describe('integer SIMD and moves', () => {
  it('PCMPEQB + PMOVMSKB find the zero bytes of a string (what glibc strlen does)', () => {
    m.setXmm(0, 0n).setXmm(1, 0x00112233_44556600_77000000_00000041n);
    m.run('660f74c1' + '660fd7c0'); // pcmpeqb xmm0,xmm1 ; pmovmskb eax,xmm0
    expect(m.get('rax')).toBe(0b1000_0001_0111_1110n);
  });
  it('PACKSSWB saturates words to signed bytes', () => {
    m.setXmm(0, 0x0000_0000_0000_0000_8000_7fff_ff80_0100n).setXmm(1, 0n);
    m.run('660f63c1');
    expect(m.xmm(0)).toBe(0x80_7f_80_7fn);
  });
  it('shifts by more than the element width give zero (logical) or the sign (arithmetic)', () => {
    m.setXmm(0, 0x8000_8000_8000_8000_8000_8000_8000_8000n);
    m.run('660f71d011'); // psrlw xmm0,17
    expect(m.xmm(0)).toBe(0n);
    m.setXmm(0, 0x8000_0001_8000_0001_8000_0001_8000_0001n);
    m.run('660f71e020'); // psraw xmm0,32
    expect(m.xmm(0)).toBe(0xffff_0000_ffff_0000_ffff_0000_ffff_0000n);
  });
  it('MOVSS merges the low dword between registers, but a load zeroes the rest', () => {
    m.setXmm(0, -1n).setXmm(1, 0x12345678n);
    m.run('f30f10c1');
    expect(m.xmm(0)).toBe((-1n << 32n) & ((1n << 128n) - 1n) | 0x12345678n);
    m.set('rax', DATA_VA).write32(DATA_VA, 0x9abcdef0);
    m.run('f30f1000');
    expect(m.xmm(0)).toBe(0x9abcdef0n);
  });
});

describe('MMX registers are the x87 registers', () => {
  const st = (i: number) => m.view.getBigUint64(L.CPU_BASE + L.CPU_ST + 16 * i, true);
  const expo = (i: number) => m.view.getUint16(L.CPU_BASE + L.CPU_ST + 16 * i + 8, true);
  it('MOVQ mm3, rax (48 0f 6e d8) writes physical register 3: exponent all ones, TOP 0, all tags valid', () => {
    m.set('rax', 0x0123456789abcdefn);
    m.run('d9e8' + '480f6ed8'); // fld1 (TOP = 7) ; movq mm3,rax
    expect(m.u32(L.CPU_FPU_TOP)).toBe(0);
    expect(st(3)).toBe(0x0123456789abcdefn);
    expect(expo(3)).toBe(0xffff);
    expect(st(7)).toBe(0x8000000000000000n); // the 1.0 stays in physical register 7
    expect(m.view.getUint16(L.CPU_BASE + L.CPU_FPU_TW, true)).toBe(0xff);
  });
  it('EMMS empties every register', () => {
    m.run('480f6ec0' + '0f77'); // movq mm0,rax ; emms
    expect(m.view.getUint16(L.CPU_BASE + L.CPU_FPU_TW, true)).toBe(0);
  });
});
