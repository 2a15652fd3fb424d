// The x87 FPU of the interpreter, as specifications: the register stack (stack faults, C1), the
// 80-bit results precision control and rounding control give, exception delivery (#MF on the
// next waiting instruction with CR0.NE, #NM with CR0.TS/EM), the memory formats (BCD, integers,
// the integer indefinite), compares into the condition codes and EFLAGS, FXAM, FPREM/FPREM1, the
// environment and state images, and the transcendentals' rough accuracy. Intel SDM vol. 1 ch. 8.
// The vectors in test/vectors/mode64-x87-*.jsonl.gz check the rest against the real CPU.
import { beforeEach, describe, expect, it } from 'vitest';
import * as L from '../../workers/layout.gen.ts';
import { BareMachine, CODE_VA, DATA_VA, CF, PF, ZF } from '../helpers/bare-machine.ts';

let m: BareMachine;
beforeEach(() => { m = new BareMachine(64); m.set('rax', DATA_VA).set('rcx', DATA_VA + 0x40n); });

const CR0_EM = 1n << 2n, CR0_TS = 1n << 3n, CR0_MP = 1n << 1n;
const f64 = (x: number) => new BigUint64Array(new Float64Array([x]).buffer)[0];
const asF64 = (v: bigint) => new Float64Array(new BigUint64Array([v]).buffer)[0];
/** The 10-byte value at addr as [significand, sign-and-exponent]. */
const ext = (addr: bigint): [bigint, number] => [m.read64(addr), m.read32(addr + 8n) & 0xffff];
const sw = () => m.read32(DATA_VA + 0x40n) & 0xffff; // after FSTSW
const FSTSW = 'dd39'; // fnstsw [rcx]
const IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, SF = 64, ES = 128, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;

describe('the register stack', () => {
  it('FLD1; FLDPI; FADDP (d9e8 d9eb dec1) leaves pi + 1 in ST(0), TOP back to 7', () => {
    m.run('d9e8' + 'd9eb' + 'dec1' + 'dd18'); // ... fstp qword [rax]
    expect(asF64(m.read64(DATA_VA))).toBe(Math.PI + 1);
  });
  it('a ninth push is a stack overflow: IE, SF and C1 set, the real indefinite pushed', () => {
    m.run('d9e8'.repeat(9) + FSTSW + 'db38'); // fld1 x9 ; fnstsw ax ; fstp tbyte [rax]
    expect(ext(DATA_VA)).toEqual([0xc000000000000000n, 0xffff]);
    expect(sw() & (IE | SF | C1)).toBe(IE | SF | C1);
  });
  it('an operation on an empty register is a stack underflow: IE, SF, C1 clear, indefinite result', () => {
    m.run('d9e8' + 'd8c1' + 'db38' + FSTSW); // fld1 ; fadd st0,st1 (empty) ; fstp tbyte [rax]
    expect(ext(DATA_VA)).toEqual([0xc000000000000000n, 0xffff]);
    expect(sw() & (IE | SF | C1)).toBe(IE | SF);
  });
  it('FXCH swaps, FINCSTP/FDECSTP rotate TOP without touching tags', () => {
    m.run('d9e8' + 'd9ee' + 'd9c9' + 'dd18' + 'dd58' + '08'); // fld1 ; fldz ; fxch ; fstp [rax] ; fstp [rax+8]
    expect(asF64(m.read64(DATA_VA))).toBe(1);
    expect(asF64(m.read64(DATA_VA + 8n))).toBe(0);
    m.run('dbe3' + 'd9e8' + 'd9f7' + 'd9f6' + FSTSW); // fninit ; fld1 ; fincstp ; fdecstp
    expect((sw() >> 11) & 7).toBe(7);
  });
});

describe('precision and rounding control', () => {
  it('FDIV 1/3 gives a 64-bit significand by default and 24 bits with PC = 00', () => {
    const third = 'd9e8' + 'd9e8' + 'dec1' + 'd9e8' + 'dec1' + 'd9e8' + 'def1' + 'db38'; // 3 ; 1 ; fdivrp: 1/3 ; fstp
    m.run(third);
    expect(ext(DATA_VA)).toEqual([0xaaaaaaaaaaaaaaabn, 0x3ffd]);
    m.write32(DATA_VA + 0x100n, 0x007f).set('rbx', DATA_VA + 0x100n); // PC = 24 bits
    m.run('d92b' + third);
    expect(ext(DATA_VA)).toEqual([0xaaaaab0000000000n, 0x3ffd]);
  });
  it('FLDPI rounds the 66-bit constant per RC: ...C235 to nearest, ...C234 down', () => {
    m.run('d9eb' + 'db38');
    expect(ext(DATA_VA)[0]).toBe(0xc90fdaa22168c235n);
    m.write32(DATA_VA + 0x100n, 0x077f).set('rbx', DATA_VA + 0x100n); // RC = down
    m.run('dbe3' + 'd92b' + 'd9eb' + 'db38');
    expect(ext(DATA_VA)[0]).toBe(0xc90fdaa22168c234n);
  });
  it('FST m64fp rounds per RC and sets C1 when it rounded up', () => {
    m.write32(DATA_VA + 0x100n, 0x0b7f).set('rbx', DATA_VA + 0x100n); // RC = up
    m.run('d92b' + 'd9eb' + 'dd10' + FSTSW); // fldpi ; fst qword [rax]
    expect(m.read64(DATA_VA)).toBe(f64(Math.PI) + 1n);
    expect(sw() & (C1 | PE)).toBe(C1 | PE);
  });
  it('FRNDINT uses RC: -2.5 is -2 to nearest, -3 rounding down', () => {
    m.write64(DATA_VA + 0x10n, f64(-2.5)).write32(DATA_VA + 0x100n, 0x077f).set('rbx', DATA_VA + 0x100n);
    m.run('dd4010' + 'd9fc' + 'dd18');
    expect(asF64(m.read64(DATA_VA))).toBe(-2);
    m.run('dbe3' + 'd92b' + 'dd4010' + 'd9fc' + 'dd18');
    expect(asF64(m.read64(DATA_VA))).toBe(-3);
  });
});

describe('exceptions', () => {
  it('an unmasked exception sets ES and B; the next waiting instruction raises #MF, FNSTSW does not', () => {
    m.write32(DATA_VA + 0x100n, 0x037b).set('rbx', DATA_VA + 0x100n); // ZE unmasked
    const r = m.run('d92b' + 'd9ee' + 'd9e8' + 'def1' + FSTSW + '9b'); // 1/0 ; fnstsw ax ; fwait
    expect(r).toMatchObject({ exit: 'exception', vector: 16 });
    expect(m.rip).toBe(CODE_VA + 10n);
    expect(sw() & (ZE | ES | 0x8000)).toBe(ZE | ES | 0x8000);
  });
  it('an unmasked divide by zero leaves the destination unchanged and does not pop', () => {
    m.write32(DATA_VA + 0x100n, 0x037b).set('rbx', DATA_VA + 0x100n);
    m.run('d92b' + 'd9ee' + 'd9e8' + 'def1' + 'dbe2' + 'dd18' + 'dd58' + '08'); // ... fnclex ; fstp ; fstp
    expect(asF64(m.read64(DATA_VA))).toBe(1);
    expect(asF64(m.read64(DATA_VA + 8n))).toBe(0);
  });
  it('an unmasked overflow delivers the result with the exponent reduced by 24576', () => {
    m.write32(DATA_VA + 0x100n, 0x0377).set('rbx', DATA_VA + 0x100n); // OE unmasked
    m.writeData(DATA_VA + 0x10n, '0000000000000080fe7f'); // 2^16383
    m.run('d92b' + 'db6810' + 'd9c0' + 'dec9' + 'dbe2' + 'db38'); // fld ; fld st0 ; fmulp ; fnclex ; fstp
    // 2^16383 squared is 2^32766: biased 32766 + 16383 = 49149, delivered as 49149 - 24576.
    expect(ext(DATA_VA)).toEqual([0x8000000000000000n, 49149 - 24576]);
  });
  it('FSCALE out of range even after the 24576 bias gives infinity with OE PE C1, whatever RC says', () => {
    m.write32(DATA_VA + 0x100n, 0x0f77).set('rbx', DATA_VA + 0x100n); // OE unmasked, RC chop
    m.write64(DATA_VA + 0x10n, f64(40960));
    m.run('d92b' + 'dd4010' + 'd9e8' + 'd9fd' + FSTSW + 'dbe2' + 'db38'); // 1 * 2^40960 ; fnstsw ; fnclex ; fstp
    expect(ext(DATA_VA)).toEqual([0x8000000000000000n, 0x7fff]);
    expect(sw() & (OE | UE | PE | C1)).toBe(OE | PE | C1);
  });
  it('FSCALE below range even after the 24576 bias gives a signed zero with UE PE, C1 clear', () => {
    m.write32(DATA_VA + 0x100n, 0x036f).set('rbx', DATA_VA + 0x100n); // UE unmasked
    m.write64(DATA_VA + 0x10n, f64(-40959));
    m.run('d92b' + 'dd4010' + 'd9e8' + 'd9e0' + 'd9fd' + FSTSW + 'dbe2' + 'db38'); // -1 * 2^-40959
    expect(ext(DATA_VA)).toEqual([0n, 0x8000]);
    expect(sw() & (OE | UE | PE | C1)).toBe(UE | PE);
  });
  it('x87 instructions are #NM with CR0.TS or CR0.EM; FWAIT only with TS and MP', () => {
    m.setU64(L.CPU_CR0, (m.u64(L.CPU_CR0) | CR0_TS) & ~CR0_MP);
    expect(m.run('d9e8')).toMatchObject({ vector: 7 });
    expect(m.run('9b').exit).toBe('sentinel');
    m.setU64(L.CPU_CR0, m.u64(L.CPU_CR0) | CR0_MP);
    expect(m.run('9b')).toMatchObject({ vector: 7 });
    m.setU64(L.CPU_CR0, (m.u64(L.CPU_CR0) & ~CR0_TS) | CR0_EM);
    expect(m.run('d9e8')).toMatchObject({ vector: 7 });
  });
  it('a denormal operand sets DE; loading an SNaN from m64 sets IE and makes it quiet', () => {
    m.write64(DATA_VA + 0x10n, 1n).write64(DATA_VA + 0x18n, 0x7ff0000000000001n);
    m.run('dd4010' + 'dd4018' + 'db38' + FSTSW);
    expect(sw() & (IE | DE)).toBe(IE | DE);
    expect(ext(DATA_VA)).toEqual([0xc000000000000800n, 0x7fff]);
  });
});

describe('memory formats', () => {
  it('FISTP m32int of 2^31 stores the integer indefinite 0x80000000 with IE', () => {
    m.write64(DATA_VA + 0x10n, f64(2 ** 31));
    m.run('dd4010' + 'db18' + FSTSW);
    expect(m.read32(DATA_VA)).toBe(0x80000000);
    expect(sw() & IE).toBe(IE);
  });
  it('FISTTP truncates whatever RC says', () => {
    m.write64(DATA_VA + 0x10n, f64(-7.9));
    m.run('dd4010' + 'db08'); // fisttp dword [rax]
    expect(m.read32(DATA_VA)).toBe(-7 >>> 0);
  });
  it('FBLD and FBSTP convert 18 packed BCD digits both ways', () => {
    m.writeData(DATA_VA + 0x10n, '67452301896745230180'); // -012345678901234567: digit pairs, low first; sign byte 80
    m.run('df6010' + 'd9c0' + 'df30' + 'dd5820'); // fbld ; fld st0 ; fbstp [rax] ; fstp qword [rax+0x20]
    expect(m.readData(DATA_VA, 10)).toEqual(m.readData(DATA_VA + 0x10n, 10));
    expect(asF64(m.read64(DATA_VA + 0x20n))).toBe(-12345678901234567);
  });
  it('FLD m80 / FSTP m80 copy extended values bit for bit, pseudo-denormals included', () => {
    m.writeData(DATA_VA + 0x10n, '01000000000000800000');
    m.run('db6810' + 'db38');
    expect(m.readData(DATA_VA, 10)).toEqual(m.readData(DATA_VA + 0x10n, 10));
  });
});

describe('compares and classification', () => {
  it('FCOM sets C3 C2 C0: less 001, equal 100, greater 000, unordered 111', () => {
    const cc = (a: number, b: number) => {
      m.write64(DATA_VA + 0x10n, f64(b)).write64(DATA_VA + 0x18n, f64(a));
      m.run('dbe3' + 'dd4010' + 'dd4018' + 'd8d1' + FSTSW); // ST0 = a, ST1 = b ; fcom st1
      return sw() & (C3 | C2 | C0);
    };
    expect(cc(1, 2)).toBe(C0);
    expect(cc(2, 2)).toBe(C3);
    expect(cc(3, 2)).toBe(0);
    expect(cc(NaN, 2)).toBe(C3 | C2 | C0);
  });
  it('FCOMI sets ZF PF CF; FUCOMIP pops', () => {
    m.run('d9e8' + 'd9ee' + 'dbf1'); // fld1 ; fldz ; fcomi st0,st1 (0 < 1)
    expect(m.flags() & (ZF | PF | CF)).toBe(CF);
    m.run('dbe3' + 'd9e8' + 'd9e8' + 'dfe9' + FSTSW); // fucomip: equal, pops
    expect(m.flags() & (ZF | PF | CF)).toBe(ZF);
    expect((sw() >> 11) & 7).toBe(7);
  });
  it('FXAM reports the class in C3 C2 C0 and the sign in C1', () => {
    const cls = (code: string) => { m.run('dbe3' + code + 'd9e5' + FSTSW); return sw() & (C3 | C2 | C1 | C0); };
    expect(cls('d9ee')).toBe(C3); // +0
    expect(cls('d9e8d9e0')).toBe(C2 | C1); // -1: normal, negative
    expect(cls('')).toBe(C3 | C0); // empty
    m.writeData(DATA_VA + 0x10n, '0000000000000080ff7f');
    expect(cls('db6810')).toBe(C2 | C0); // +infinity
  });
  it('FCMOVB copies ST(i) to ST(0) only when CF is set', () => {
    m.setFlags(0x203n);
    m.run('d9ee' + 'd9e8' + 'dac1' + 'dd18'); // fldz ; fld1 ; fcmovb st0,st1
    expect(asF64(m.read64(DATA_VA))).toBe(0);
    m.setFlags(0x202n);
    m.run('dbe3' + 'd9ee' + 'd9e8' + 'dac1' + 'dd18');
    expect(asF64(m.read64(DATA_VA))).toBe(1);
  });
});

describe('special operations', () => {
  it('FPREM gives the truncated remainder and the quotient bits Q2 Q1 Q0 in C0 C3 C1', () => {
    m.write64(DATA_VA + 0x10n, f64(3)).write64(DATA_VA + 0x18n, f64(23));
    m.run('dd4010' + 'dd4018' + 'd9f8' + FSTSW + 'dd18'); // 23 rem 3 = 2, q = 7
    expect(asF64(m.read64(DATA_VA))).toBe(2);
    expect(sw() & (C0 | C3 | C1 | C2)).toBe(C0 | C3 | C1);
  });
  it('FPREM1 rounds the quotient to nearest: 23 rem 3 = -1 (q = 8)', () => {
    m.write64(DATA_VA + 0x10n, f64(3)).write64(DATA_VA + 0x18n, f64(23));
    m.run('dd4010' + 'dd4018' + 'd9f5' + FSTSW + 'dd18');
    expect(asF64(m.read64(DATA_VA))).toBe(-1);
    expect(sw() & (C0 | C3 | C1 | C2)).toBe(0); // q = 8: Q2 Q1 Q0 = 000
  });
  it('FPREM reduces only partially (C2 set) when the exponents are 64 or more apart', () => {
    m.write64(DATA_VA + 0x10n, f64(3)).write64(DATA_VA + 0x18n, f64(2 ** 100));
    m.run('dd4010' + 'dd4018' + 'd9f8' + FSTSW);
    expect(sw() & C2).toBe(C2);
  });
  it('FSCALE multiplies by 2^trunc(ST1); FXTRACT splits exponent and significand', () => {
    m.write64(DATA_VA + 0x10n, f64(3.7)).write64(DATA_VA + 0x18n, f64(1.5));
    m.run('dd4010' + 'dd4018' + 'd9fd' + 'dd18'); // 1.5 * 2^3
    expect(asF64(m.read64(DATA_VA))).toBe(12);
    m.write64(DATA_VA + 0x10n, f64(-40));
    m.run('dbe3' + 'dd4010' + 'd9f4' + 'dd18' + 'dd5808'); // fxtract: ST0 = -1.25, ST1 = 5
    expect(asF64(m.read64(DATA_VA))).toBe(-1.25);
    expect(asF64(m.read64(DATA_VA + 8n))).toBe(5);
  });
  it('the transcendentals are close to the true values (computed through binary64)', () => {
    m.write64(DATA_VA + 0x10n, f64(0.5));
    m.run('dd4010' + 'd9fe' + 'dd18'); // fsin
    expect(asF64(m.read64(DATA_VA))).toBeCloseTo(Math.sin(0.5), 15);
    m.run('dbe3' + 'dd4010' + 'd9f2' + 'dd18' + 'dd5808'); // fptan: pushes 1.0 above tan(x)
    expect(asF64(m.read64(DATA_VA))).toBe(1);
    expect(asF64(m.read64(DATA_VA + 8n))).toBeCloseTo(Math.tan(0.5), 15);
  });
});

describe('environment and state images', () => {
  it('FNSTENV stores the 28-byte environment and then masks every exception', () => {
    m.write32(DATA_VA + 0x100n, 0x0360).set('rbx', DATA_VA + 0x100n);
    m.run('d92b' + 'd9e8' + 'd930' + 'd97808'); // fldcw ; fld1 ; fnstenv [rax] ; fnstcw [rax+8]... (overwrites FTW)
    expect(m.read32(DATA_VA) & 0xffff).toBe(0x0360);
    expect(m.read32(DATA_VA + 12n)).toBe(Number(CODE_VA + 2n)); // FIP: the fld1
    expect((m.read32(DATA_VA + 16n) >>> 16) & 0x7ff).toBe(0x1e8); // FOP: d9 e8
    expect(m.read32(DATA_VA + 8n) & 0xffff).toBe(0x037f); // the control word after FNSTENV
  });
  it('FNSAVE stores the registers in stack order and reinitialises; FRSTOR brings them back', () => {
    m.run('d9e8' + 'd9eb' + 'dd30' + FSTSW); // fld1 ; fldpi ; fnsave [rax]
    expect(sw()).toBe(0);
    expect(m.read64(DATA_VA + 28n)).toBe(0xc90fdaa22168c235n); // ST0 = pi
    expect(m.read64(DATA_VA + 38n)).toBe(0x8000000000000000n); // ST1 = 1
    m.run('dd20' + 'dec1' + 'dd5870'); // frstor [rax] ; faddp ; fstp qword [rax+0x70]
    expect(asF64(m.read64(DATA_VA + 0x70n))).toBe(Math.PI + 1);
  });
  it('FNSTENV with a 66 prefix stores the 14-byte format', () => {
    m.run('d9e8' + '66d930');
    expect(m.readData(DATA_VA, 14)).toEqual(Uint8Array.from([0x7f, 0x03, 0x00, 0x38, 0xff, 0x3f, 0x00, 0x00, 0x33, 0, 0, 0, 0, 0]));
  });
});
