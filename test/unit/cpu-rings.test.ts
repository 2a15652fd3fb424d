// Privilege levels and segment protection, as specifications from the Intel SDM vol. 3 (5.5-5.8
// privilege checks, 5.8.6 returning from a called procedure, 6.14 IRET) and vol. 2 (RET, IRET, JMP,
// CALL, MOV Sreg): 32-bit protected mode with PAE paging at CPL 0, 1 and 3. Returns to an outer ring
// pop SS:ESP and null the data segments the new CPL may not use. Call gates, task gates and TSS
// targets are not modelled (Xen gives PV guests none): a far transfer to one is #GP(selector), and
// no inner-ring transfer exists, so the TSS stack switch and #TS have nothing to act on (PV guests
// enter their kernel through Xen's bounce frames with kernel_ss/sp instead).
import { beforeEach, describe, expect, it } from 'vitest';
import {
  SystemMachine, descriptor, code32, data32, CODE_VA, P, RW, US, CS, SS, DS, ES, FS, GS, LDTR, TR, GP, NP, SS_, BP,
} from '../helpers/system-machine.ts';

// The GDT of these tests, by selector (index << 3).
const K_CS = 0x08, K_DS = 0x10, R1_CS = 0x18, R1_DS = 0x20, U_CS = 0x28, U_DS = 0x30, CONF_CS = 0x38;
const NP_CS = 0x40, NP_DS = 0x48, RO_DS = 0x50, XO_CS = 0x58, LDT_SEL = 0x60, GATE = 0x68, SHORT_CS = 0x70;
const SMALL_DS = 0x78, TSS_SEL = 0x80;
const USER_CODE_VA = 0x10001000n; // an INT3 to stop at after a transfer
const USER_STACK_TOP = 0x20000ff0n;
const KSTACK_VA = 0x30000000n;
const LDT_VA = 0x00401000n;
const TSS_VA = 0x00402000n;

let s: SystemMachine;
let kstack: number; // frame of the kernel stack page
let ustack: number; // frame of the user stack page
let ucode: number; // frame of the page at USER_CODE_VA

function machine(): SystemMachine {
  const m = new SystemMachine({
    paging: 'pae',
    gdt: [
      code32(0), data32(0), code32(1), data32(1), code32(3), data32(3),
      descriptor({ type: 0xe, dpl: 0 }), // conforming, readable
      code32(3, { present: false }), data32(3, { present: false }),
      descriptor({ type: 0x0, dpl: 3 }), // read-only data
      descriptor({ type: 0x8, dpl: 3 }), // execute-only code
      descriptor({ type: 0x2, system: true, base: Number(LDT_VA), limit: 0x17, g: false }), // LDT, 3 entries
      descriptor({ type: 0xc, system: true, dpl: 3, base: 0x08, limit: 0x1000 }), // a call gate (not modelled)
      code32(3, { limit: 0x10000 }), // limit 0x10000fff (4 KiB units)
      data32(3, { base: 0x20000000, limit: 0xfff, g: false }), // limit 0xfff bytes
      descriptor({ type: 0x9, system: true, base: Number(TSS_VA), limit: 0x67, g: false }), // available 32-bit TSS
    ],
  });
  ucode = m.alloc();
  m.map(USER_CODE_VA, ucode, P | RW | US).write(ucode, 0, 'cc'); // int3
  ustack = m.alloc();
  m.map(0x20000000n, ustack, P | RW | US);
  kstack = m.alloc();
  m.map(KSTACK_VA, kstack, P | RW);
  const ldt = m.alloc();
  m.map(LDT_VA, ldt, P | RW);
  m.view.setBigUint64(m.frameHost(ldt), data32(3, { base: 0x20000000 }), true); // LDT entry 0 (selector 0x07)
  m.map(TSS_VA, m.alloc(), P | RW);
  return m;
}

/** Kernel at CPL 0 with the return frame `words` on its stack (ESP at KSTACK_VA + 0x800). */
function kernelWithFrame(words: number[], cs = K_CS, ss = K_DS): void {
  s.enter(cs, ss, KSTACK_VA + 0x800n);
  s.words(kstack, 0x800, words);
}

const le32 = (v: number) => [0, 8, 16, 24].map((sh) => ((v >>> sh) & 0xff).toString(16).padStart(2, '0')).join('');
const le16 = (v: number) => le32(v).slice(0, 4);

beforeEach(() => { s = machine(); });

describe('RETF and IRET to an outer ring', () => {
  it('RETF from CPL 0 to CPL 3 pops EIP, CS, then ESP and SS, and runs the ring-3 code', () => {
    kernelWithFrame([Number(USER_CODE_VA), U_CS | 3, Number(USER_STACK_TOP), U_DS | 3]);
    const r = s.run('cb'); // retf
    expect(r).toMatchObject({ exit: 'exception', vector: BP }); // the INT3 at the ring-3 target (a trap: RIP after it)
    expect(s.rip).toBe(USER_CODE_VA + 1n);
    expect(s.cpl).toBe(3);
    expect(s.seg(CS).sel).toBe(U_CS | 3);
    expect(s.seg(SS).sel).toBe(U_DS | 3);
    expect(s.m.get('rsp')).toBe(USER_STACK_TOP);
  });

  it('RETF to an outer ring nulls DS ES FS GS the new CPL may not use; conforming code and DPL-3 data stay', () => {
    kernelWithFrame([Number(USER_CODE_VA), U_CS | 3, Number(USER_STACK_TOP), U_DS | 3]);
    s.load(DS, K_DS).load(ES, U_DS | 3).load(FS, CONF_CS).load(GS, R1_CS | 1);
    s.run('cb');
    expect(s.seg(DS).sel).toBe(0); // DPL 0 data
    expect(s.seg(ES).sel).toBe(U_DS | 3); // DPL 3 data
    expect(s.seg(FS).sel).toBe(CONF_CS); // conforming code is exempt
    expect(s.seg(GS).sel).toBe(0); // DPL 1 non-conforming code
  });

  it('RETF imm16 releases the parameters on both stacks: the new ESP is the popped one plus imm16', () => {
    kernelWithFrame([Number(USER_CODE_VA), U_CS | 3, 0x1111, 0x2222, Number(USER_STACK_TOP), U_DS | 3]);
    s.run('ca0800'); // retf 8
    expect(s.cpl).toBe(3);
    expect(s.m.get('rsp')).toBe(USER_STACK_TOP + 8n);
  });

  it('RETF from CPL 1 (a PV32 kernel) to CPL 3 works the same way', () => {
    s.enter(R1_CS | 1, R1_DS | 1, KSTACK_VA + 0x800n);
    s.words(kstack, 0x800, [Number(USER_CODE_VA), U_CS | 3, Number(USER_STACK_TOP), U_DS | 3]);
    s.run('cb');
    expect(s.cpl).toBe(3);
    expect(s.seg(DS).sel).toBe(0); // DPL 1 data is nulled for CPL 3
    expect(s.m.get('rsp')).toBe(USER_STACK_TOP);
  });

  it('RETF to the same ring pops only EIP and CS', () => {
    s.enter(K_CS, K_DS, KSTACK_VA + 0x800n);
    s.words(kstack, 0x800, [Number(CODE_VA) + 1, CONF_CS]); // back to the sentinel just after the retf
    const r = s.run('cb');
    expect(r.exit).toBe('sentinel');
    expect(s.seg(CS).sel).toBe(CONF_CS);
    expect(s.seg(SS).sel).toBe(K_DS);
    expect(s.m.get('rsp')).toBe(KSTACK_VA + 0x808n);
  });

  it('IRET from CPL 0 to CPL 3 pops EIP, CS, EFLAGS, ESP, SS; CPL 0 may change IF and IOPL', () => {
    kernelWithFrame([Number(USER_CODE_VA), U_CS | 3, 0x3202, Number(USER_STACK_TOP), U_DS | 3]);
    s.m.setFlags(0x2n);
    s.run('cf'); // iret
    expect(s.cpl).toBe(3);
    expect(s.m.get('rsp')).toBe(USER_STACK_TOP);
    expect(s.m.flags() & 0x3200n).toBe(0x3200n); // IOPL 3, IF 1
  });

  it('IRET at CPL 1 cannot change IOPL, and changes IF only when CPL <= IOPL', () => {
    s.enter(R1_CS | 1, R1_DS | 1, KSTACK_VA + 0x800n);
    s.words(kstack, 0x800, [Number(USER_CODE_VA), U_CS | 3, 0x3202, Number(USER_STACK_TOP), U_DS | 3]);
    s.m.setFlags(0x2n); // IOPL 0 < CPL 1
    s.run('cf');
    expect(s.m.flags() & 0x3200n).toBe(0n);

    s = machine();
    s.enter(R1_CS | 1, R1_DS | 1, KSTACK_VA + 0x800n);
    s.words(kstack, 0x800, [Number(USER_CODE_VA), U_CS | 3, 0x0202, Number(USER_STACK_TOP), U_DS | 3]);
    s.m.setFlags(0x1002n); // IOPL 1 = CPL
    s.run('cf');
    expect(s.m.flags() & 0x3200n).toBe(0x1200n); // IF set, IOPL kept at 1
  });

  it('IRET to the same ring pops EIP, CS and EFLAGS only', () => {
    s.enter(K_CS, K_DS, KSTACK_VA + 0x800n);
    s.words(kstack, 0x800, [Number(CODE_VA) + 1, K_CS, 0x0246]);
    expect(s.run('cf').exit).toBe('sentinel');
    expect(s.m.get('rsp')).toBe(KSTACK_VA + 0x80cn);
    expect(s.m.flags() & 0xfffn).toBe(0x246n);
  });
});

describe('RETF checks, with the selector in the error code', () => {
  // Each row changes one thing in a valid CPL 0 -> CPL 3 return frame [EIP, CS, ESP, SS].
  const rows: [string, number, number, number, number, number][] = [
    // why, EIP, CS, SS, vector, error code
    ['a null CS is #GP(0)', Number(USER_CODE_VA), 0, U_DS | 3, GP, 0],
    ['a CS beyond the GDT limit is #GP(selector)', Number(USER_CODE_VA), 0xf8 | 3, U_DS | 3, GP, 0xf8],
    ['a data segment as CS is #GP(selector)', Number(USER_CODE_VA), U_DS | 3, U_DS | 3, GP, U_DS],
    ['a system descriptor as CS is #GP(selector)', Number(USER_CODE_VA), LDT_SEL | 3, U_DS | 3, GP, LDT_SEL],
    ['a non-conforming CS whose DPL is not its RPL is #GP(selector)', Number(USER_CODE_VA), U_CS | 2, U_DS | 2, GP, U_CS],
    ['a CS that is not present is #NP(selector)', Number(USER_CODE_VA), NP_CS | 3, U_DS | 3, NP, NP_CS],
    ['an SS whose RPL is not the new CPL is #GP(SS selector)', Number(USER_CODE_VA), U_CS | 3, U_DS | 1, GP, U_DS],
    ['an SS whose DPL is not the new CPL is #GP(SS selector)', Number(USER_CODE_VA), U_CS | 3, R1_DS | 3, GP, R1_DS],
    ['a read-only SS is #GP(SS selector)', Number(USER_CODE_VA), U_CS | 3, RO_DS | 3, GP, RO_DS],
    ['a code segment as SS is #GP(SS selector)', Number(USER_CODE_VA), U_CS | 3, U_CS | 3, GP, U_CS],
    ['an SS that is not present is #SS(SS selector)', Number(USER_CODE_VA), U_CS | 3, NP_DS | 3, SS_, NP_DS],
    ['a null SS (32-bit code) is #GP(0)', Number(USER_CODE_VA), U_CS | 3, 3, GP, 0],
    ['an EIP beyond the new CS limit is #GP(0)', 0x10002000, SHORT_CS | 3, U_DS | 3, GP, 0],
  ];
  for (const [why, eip, cs, ss, vector, error] of rows) {
    it(`${why}; nothing changes and EIP stays on the RETF`, () => {
      kernelWithFrame([eip, cs, Number(USER_STACK_TOP), ss]);
      s.load(DS, K_DS);
      const r = s.run('cb');
      expect(r).toMatchObject({ exit: 'exception', vector, error });
      expect(s.rip).toBe(CODE_VA);
      expect(s.cpl).toBe(0);
      expect(s.seg(CS).sel).toBe(K_CS);
      expect(s.seg(SS).sel).toBe(K_DS);
      expect(s.seg(DS).sel).toBe(K_DS);
      expect(s.m.get('rsp')).toBe(KSTACK_VA + 0x800n);
    });
  }

  it('a return to an inner ring (RPL < CPL) is #GP(selector)', () => {
    s.enter(U_CS | 3, U_DS | 3, USER_STACK_TOP);
    s.words(ustack, 0xff0, [Number(CODE_VA), K_CS]);
    expect(s.run('cb')).toMatchObject({ exit: 'exception', vector: GP, error: K_CS });
    expect(s.cpl).toBe(3);
  });

  it('execute-only code is a valid CS to return to', () => {
    kernelWithFrame([Number(USER_CODE_VA), XO_CS | 3, Number(USER_STACK_TOP), U_DS | 3]);
    expect(s.run('cb')).toMatchObject({ exit: 'exception', vector: BP });
    expect(s.seg(CS).sel).toBe(XO_CS | 3);
  });

  it('IRET applies the same SS checks: a not-present SS is #SS(selector)', () => {
    kernelWithFrame([Number(USER_CODE_VA), U_CS | 3, 0x202, Number(USER_STACK_TOP), NP_DS | 3]);
    expect(s.run('cf')).toMatchObject({ exit: 'exception', vector: SS_, error: NP_DS });
    expect(s.cpl).toBe(0);
  });

  it('IRET to a not-present CS is #NP(selector)', () => {
    kernelWithFrame([Number(USER_CODE_VA), NP_CS | 3, 0x202, Number(USER_STACK_TOP), U_DS | 3]);
    expect(s.run('cf')).toMatchObject({ exit: 'exception', vector: NP, error: NP_CS });
  });
});

describe('far JMP and CALL (same privilege level)', () => {
  const jmpf = (eip: number, sel: number) => 'ea' + le32(eip) + le16(sel);
  const callf = (eip: number, sel: number) => '9a' + le32(eip) + le16(sel);
  beforeEach(() => { s.enter(U_CS | 3, U_DS | 3, USER_STACK_TOP); });

  it('JMP far to a code segment of the same DPL loads CS and jumps', () => {
    expect(s.run(jmpf(Number(USER_CODE_VA), XO_CS | 3))).toMatchObject({ exit: 'exception', vector: BP });
    expect(s.seg(CS).sel).toBe(XO_CS | 3);
    expect(s.rip).toBe(USER_CODE_VA + 1n);
  });

  it('JMP far to conforming code of a lower DPL keeps the CPL: CS.RPL becomes the CPL', () => {
    s.run(jmpf(Number(USER_CODE_VA), CONF_CS));
    expect(s.seg(CS).sel).toBe(CONF_CS | 3);
    expect(s.cpl).toBe(3);
  });

  it('JMP far to non-conforming code of another DPL is #GP(selector)', () => {
    expect(s.run(jmpf(Number(USER_CODE_VA), K_CS))).toMatchObject({ exit: 'exception', vector: GP, error: K_CS });
    expect(s.rip).toBe(CODE_VA);
  });

  it('JMP far to a code segment that is not present is #NP(selector)', () => {
    expect(s.run(jmpf(Number(USER_CODE_VA), NP_CS | 3))).toMatchObject({ exit: 'exception', vector: NP, error: NP_CS });
  });

  it('JMP far to a call gate is #GP(selector): gates are not modelled', () => {
    expect(s.run(jmpf(0, GATE | 3))).toMatchObject({ exit: 'exception', vector: GP, error: GATE });
  });

  it('JMP far to a null selector is #GP(0)', () => {
    expect(s.run(jmpf(Number(USER_CODE_VA), 3))).toMatchObject({ exit: 'exception', vector: GP, error: 0 });
  });

  it('CALL far pushes CS and the return EIP (32-bit slots); RETF comes back', () => {
    // The target is a RETF placed at the start of the user code page (instead of the INT3).
    s.write(ucode, 0, 'cb');
    const r = s.run(callf(Number(USER_CODE_VA), U_CS | 3));
    expect(r.exit).toBe('sentinel');
    expect(s.rip).toBe(CODE_VA + 7n);
    expect(s.m.get('rsp')).toBe(USER_STACK_TOP);
    expect(s.read32(ustack, 0xff0 - 8)).toBe(Number(CODE_VA) + 7); // return EIP
    expect(s.read32(ustack, 0xff0 - 4)).toBe(U_CS | 3); // CS
  });
});

describe('loading data and stack segment registers (MOV Sreg)', () => {
  const movDs = (sel: number) => '66b8' + le16(sel) + '8ed8'; // mov ax, sel ; mov ds, ax
  const movSs = (sel: number) => '66b8' + le16(sel) + '8ed0'; // mov ax, sel ; mov ss, ax
  beforeEach(() => { s.enter(U_CS | 3, U_DS | 3, USER_STACK_TOP).load(DS, 0); });

  const dsRows: [string, number, number | null, number][] = [
    // why, selector, vector (null: loads), error code
    ['DPL 3 data loads at CPL 3', U_DS | 3, null, 0],
    ['readable code loads', U_CS | 3, null, 0],
    ['conforming readable code loads whatever its DPL', CONF_CS, null, 0],
    ['data of a more privileged DPL is #GP(selector)', K_DS | 3, GP, K_DS],
    ['an RPL above the DPL is #GP(selector)', R1_DS | 3, GP, R1_DS],
    ['a segment that is not present is #NP(selector)', NP_DS | 3, NP, NP_DS],
    ['execute-only code is #GP(selector)', XO_CS | 3, GP, XO_CS],
    ['a system descriptor is #GP(selector)', LDT_SEL | 3, GP, LDT_SEL],
    ['a selector beyond the GDT limit is #GP(selector)', 0x1f8 | 3, GP, 0x1f8],
    ['an LDT selector without an LDT is #GP(selector)', 0x07, GP, 0x04],
  ];
  for (const [why, sel, vector, error] of dsRows) {
    it(`MOV DS: ${why}`, () => {
      const r = s.run(movDs(sel));
      if (vector === null) {
        expect(r.exit).toBe('sentinel');
        expect(s.seg(DS).sel).toBe(sel);
      } else {
        expect(r).toMatchObject({ exit: 'exception', vector, error });
        expect(s.rip).toBe(CODE_VA + 4n); // at the MOV DS
        expect(s.seg(DS).sel).toBe(0); // unchanged
      }
    });
  }

  it('MOV DS, null loads; the first access through DS is then #GP(0)', () => {
    s.load(DS, U_DS | 3);
    expect(s.run(movDs(0)).exit).toBe('sentinel');
    expect(s.seg(DS).sel).toBe(0);
    expect(s.run('a100000020')).toMatchObject({ exit: 'exception', vector: GP, error: 0 }); // mov eax, [0x20000000]
  });

  const ssRows: [string, number, number, number][] = [
    ['an RPL other than the CPL is #GP(selector)', U_DS | 1, GP, U_DS],
    ['a DPL other than the CPL is #GP(selector)', R1_DS | 3, GP, R1_DS],
    ['a read-only segment is #GP(selector)', RO_DS | 3, GP, RO_DS],
    ['code is #GP(selector)', U_CS | 3, GP, U_CS],
    ['a segment that is not present is #SS(selector)', NP_DS | 3, SS_, NP_DS],
    ['a null selector is #GP(0)', 3, GP, 0],
  ];
  for (const [why, sel, vector, error] of ssRows) {
    it(`MOV SS: ${why}`, () => {
      expect(s.run(movSs(sel))).toMatchObject({ exit: 'exception', vector, error });
      expect(s.seg(SS).sel).toBe(U_DS | 3);
    });
  }

  it('offsets beyond a byte-granular limit are #GP(0); the last byte inside is fine', () => {
    s.run(movDs(SMALL_DS | 3)); // base 0x20000000, limit 0xfff
    expect(s.run('a1fc0f0000').exit).toBe('sentinel'); // mov eax, [0xffc]: bytes 0xffc..0xfff
    expect(s.run('a1fd0f0000')).toMatchObject({ exit: 'exception', vector: GP, error: 0 }); // 0xffd..0x1000
  });

  it('a push that wraps below 0 in a flat stack segment is #SS(0) and leaves ESP alone', () => {
    s.m.set('rsp', 2);
    expect(s.run('50')).toMatchObject({ exit: 'exception', vector: SS_, error: 0 }); // push eax
    expect(s.m.get('rsp')).toBe(2n);
  });
});

describe('LDT and TR (CPL 0)', () => {
  it('LLDT loads the LDT; its selectors (TI = 1) then load from it', () => {
    s.enter(K_CS, K_DS, KSTACK_VA + 0x800n);
    s.write(ustack, 0, '78563412');
    // mov ax, LDT_SEL ; lldt ax ; mov ax, 7 ; mov ds, ax ; mov eax, [0]
    const r = s.run('66b8' + le16(LDT_SEL) + '0f00d0' + '66b80700' + '8ed8' + 'a100000000');
    expect(r.exit).toBe('sentinel');
    expect(s.seg(LDTR).sel).toBe(LDT_SEL);
    expect(s.seg(DS).base).toBe(0x20000000n); // LDT entry 0
    expect(s.m.get('rax')).toBe(0x12345678n);
  });

  it('LTR loads an available TSS and marks it busy', () => {
    s.enter(K_CS, K_DS, KSTACK_VA + 0x800n);
    expect(s.run('66b8' + le16(TSS_SEL) + '0f00d8').exit).toBe('sentinel'); // mov ax, sel ; ltr ax
    expect(s.seg(TR).sel).toBe(TSS_SEL);
    expect(s.seg(TR).attr & 0xf).toBe(0xb); // busy 32-bit TSS
    expect(s.seg(TR).base).toBe(TSS_VA);
  });

  it('LLDT and LTR are #GP(0) outside CPL 0', () => {
    s.enter(U_CS | 3, U_DS | 3, USER_STACK_TOP);
    expect(s.run('66b8' + le16(LDT_SEL) + '0f00d0')).toMatchObject({ exit: 'exception', vector: GP, error: 0 });
    expect(s.run('66b8' + le16(TSS_SEL) + '0f00d8')).toMatchObject({ exit: 'exception', vector: GP, error: 0 });
  });
});
