// Paging as the Intel SDM vol. 3 chapter 4 specifies it: PAE paging (4.4) with 4 KiB and 2 MiB pages,
// 4-level paging (4.5) with 4 KiB, 2 MiB and 1 GiB pages, and 32-bit paging (4.3) with 4 MiB pages;
// the rights of table 4-11 / 4.6 (RW and US ANDed over the levels, NX with EFER.NXE, CR0.WP), the
// accessed and dirty bits (4.8), reserved bits (4.7: bits above MAXPHYADDR = 40, PDPTE bits, PS in a
// PML4E, unaligned large frames), the #PF error code (P W U RSVD I) and CR2, and the TLB (4.10):
// INVLPG and a CR3 write make a changed entry take effect. Each test shows the entries it relies on.
import { describe, expect, it } from 'vitest';
import {
  SystemMachine, code32, data32, descriptor, CODE_VA, P, RW, US, A, D, G, PS, NX,
  CR0_PE, CR0_MP, CR0_ET, CR0_NE, CR0_WP, CR0_PG, PF_P, PF_W, PF_U, PF_RSVD, PF_I, PF, GP,
} from '../helpers/system-machine.ts';

const K_CS = 0x08, K_DS = 0x10, U_CS = 0x18 | 3, U_DS = 0x20 | 3, K_CS64 = 0x28;
const GDT = [code32(0), data32(0), code32(3), data32(3), descriptor({ type: 0xa, dpl: 0, l: true, db: false })];
const CR0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
// The page under test. Its TLB slot (bits 12..23) differs from the code page's, so a test can see a
// translation the TLB keeps.
const VA = 0x40123000n;
const LVA = 0x40400000n; // 2 MiB-aligned, for large pages

const ld = '8b03'; // mov eax, [ebx]
const st = '8903'; // mov [ebx], eax
const jmp = 'ffe3'; // jmp ebx

/** A PAE (or other) machine at CPL 0, or CPL 3 with `user`, and one data frame with a marker. */
function setup(opts: { paging?: 'pae' | 'long' | 'legacy'; user?: boolean; efer?: bigint; cr0?: bigint } = {}) {
  const s = new SystemMachine({ paging: opts.paging ?? 'pae', gdt: GDT, efer: opts.efer, cr0: opts.cr0 });
  if (opts.paging === 'long') s.enter(K_CS64, K_DS, 0n);
  else if (opts.user) s.enter(U_CS, U_DS, 0n);
  else s.enter(K_CS, K_DS, 0n);
  const frame = s.alloc();
  s.write32(frame, 0x123, 0xfeedf00d);
  return { s, frame };
}

/** Runs `code` with EBX = `addr`; returns the run result. */
function access(s: SystemMachine, code: string, addr: bigint) {
  s.m.set('rbx', addr);
  return s.run(code);
}

describe('PAE paging: translation', () => {
  it('a 4 KiB page maps the low 12 bits of the address into its frame', () => {
    const { s, frame } = setup();
    s.map(VA, frame, P | RW);
    expect(access(s, ld, VA + 0x123n).exit).toBe('sentinel');
    expect(s.m.get('rax')).toBe(0xfeedf00dn);
  });

  it('a 2 MiB page (PDE.PS) maps the low 21 bits into a 2 MiB-aligned frame', () => {
    const { s, frame } = setup();
    s.mapLarge(LVA, 0n, P | RW); // machine 0..2 MiB
    expect(access(s, ld, LVA + BigInt(frame * 4096) + 0x123n).exit).toBe('sentinel');
    expect(s.m.get('rax')).toBe(0xfeedf00dn);
  });

  it('the G bit is no permission: a global page reads the same (CR4.PGE only concerns flushing)', () => {
    const { s, frame } = setup();
    s.map(VA, frame, P | RW | G);
    access(s, ld, VA + 0x123n);
    expect(s.m.get('rax')).toBe(0xfeedf00dn);
  });

  it('a 2 MiB page whose frame is not 2 MiB-aligned is a reserved-bit #PF', () => {
    const { s } = setup();
    s.mapLarge(LVA, 0x2000n, P | RW); // bits 20:13 of a large frame are reserved (bit 12 is PAT)
    expect(access(s, ld, LVA)).toMatchObject({ exit: 'exception', vector: PF, error: PF_RSVD | PF_P, cr2: LVA });
  });
});

describe('PAE paging: #PF error codes and CR2', () => {
  const rows: [string, (s: SystemMachine, f: number) => void, boolean, string, number][] = [
    // why, mapping, user, access, error code
    ['no PDPTE: supervisor read', () => {}, false, ld, 0],
    ['no PTE: supervisor write', (s) => { s.entry(VA, 1); }, false, st, PF_W],
    ['no PDE: user read', (s) => { s.entry(VA, 2); }, true, ld, PF_U],
    ['no PTE: user write', (s) => { s.entry(VA, 1); }, true, st, PF_U | PF_W],
    ['a supervisor page read by user code', (s, f) => { s.map(VA, f, P | RW); }, true, ld, PF_P | PF_U],
    ['a read-only page written by user code', (s, f) => { s.map(VA, f, P | US); }, true, st, PF_P | PF_W | PF_U],
    ['a read-only page written by the kernel with CR0.WP = 1', (s, f) => { s.map(VA, f, P | US); }, false, st, PF_P | PF_W],
    ['RW = 0 in the PDE makes a RW = 1 PTE read-only', (s, f) => {
      s.map(VA, f, P | RW | US);
      s.setPte(VA, s.pte(VA, 2) & ~RW, 2);
    }, true, st, PF_P | PF_W | PF_U],
    ['US = 0 in the PDE makes a US = 1 PTE supervisor-only', (s, f) => {
      s.map(VA, f, P | RW | US);
      s.setPte(VA, s.pte(VA, 2) & ~US, 2);
    }, true, ld, PF_P | PF_U],
    ['a frame above MAXPHYADDR (bit 45) is a reserved-bit fault', (s, f) => { s.map(VA, f, P | RW | (1n << 45n)); }, false, ld, PF_RSVD | PF_P],
    ['a PAE PDPTE with RW set (reserved there) is a reserved-bit fault', (s, f) => {
      s.map(VA, f, P | RW);
      s.setPte(VA, s.pte(VA, 3) | RW, 3);
    }, false, ld, PF_RSVD | PF_P],
  ];
  for (const [why, prepare, user, code, error] of rows) {
    it(`${why}: #PF(${error.toString(16)}), CR2 = the address, EIP and EAX unchanged`, () => {
      const { s, frame } = setup({ user });
      prepare(s, frame);
      s.m.set('rax', 0x5a5a5a5a);
      const r = access(s, code, VA + 0x10n);
      expect(r).toMatchObject({ exit: 'exception', vector: PF, error, cr2: VA + 0x10n });
      expect(s.rip).toBe(CODE_VA);
      expect(s.m.get('rax')).toBe(0x5a5a5a5an);
      if (code === st && (s.pte(VA) & P)) expect(s.read32(frame, 0x10)).toBe(0);
    });
  }

  it('with CR0.WP = 0 the kernel may write a read-only page (and the walk sets D)', () => {
    const { s, frame } = setup({ cr0: CR0 & ~CR0_WP });
    s.map(VA, frame, P | US);
    s.m.set('rax', 0x1234);
    expect(access(s, st, VA + 0x10n).exit).toBe('sentinel');
    expect(s.read32(frame, 0x10)).toBe(0x1234);
    expect(s.pte(VA) & D).toBe(D);
  });

  it('a read straddling into a missing page faults with CR2 at the start of that page', () => {
    const { s, frame } = setup();
    s.map(VA, frame, P | RW);
    expect(access(s, ld, VA + 0xffen)).toMatchObject({ exit: 'exception', vector: PF, error: 0, cr2: VA + 0x1000n });
  });

  it('a write straddling into a read-only page writes nothing, not even the first bytes', () => {
    const { s, frame } = setup({ user: true });
    s.map(VA, frame, P | RW | US);
    s.map(VA + 0x1000n, s.alloc(), P | US);
    s.m.set('rax', 0xffffffff);
    expect(access(s, st, VA + 0xffen)).toMatchObject({ exit: 'exception', vector: PF, error: PF_P | PF_W | PF_U, cr2: VA + 0x1000n });
    expect(s.read32(frame, 0xffc)).toBe(0);
  });
});

describe('PAE paging: NX', () => {
  it('fetching from an NX page with EFER.NXE is #PF(P|I) with EIP and CR2 at the target', () => {
    const { s, frame } = setup();
    s.map(VA, frame, P | RW | NX);
    expect(access(s, jmp, VA)).toMatchObject({ exit: 'exception', vector: PF, error: PF_P | PF_I, cr2: VA });
    expect(s.rip).toBe(VA);
  });

  it('NX in an upper level covers the whole range; user fetches add U', () => {
    const { s, frame } = setup({ user: true });
    s.map(VA, frame, P | RW | US);
    s.setPte(VA, s.pte(VA, 2) | NX, 2);
    expect(access(s, jmp, VA)).toMatchObject({ exit: 'exception', vector: PF, error: PF_P | PF_I | PF_U });
  });

  it('a fetch from a missing page reports I only when EFER.NXE is on', () => {
    const on = setup();
    expect(access(on.s, jmp, VA)).toMatchObject({ vector: PF, error: PF_I });
    const off = setup({ efer: 0n });
    expect(access(off.s, jmp, VA)).toMatchObject({ vector: PF, error: 0 });
  });

  it('without EFER.NXE bit 63 is reserved: any access is #PF(RSVD|P)', () => {
    const { s, frame } = setup({ efer: 0n });
    s.map(VA, frame, P | RW | NX);
    expect(access(s, ld, VA)).toMatchObject({ exit: 'exception', vector: PF, error: PF_RSVD | PF_P });
  });
});

describe('PAE paging: accessed and dirty bits', () => {
  it('a read sets A in the PDE and the PTE, not D', () => {
    const { s, frame } = setup();
    s.map(VA, frame, P | RW);
    access(s, ld, VA);
    expect(s.pte(VA, 2) & A).toBe(A);
    expect(s.pte(VA) & (A | D)).toBe(A);
  });

  it('a write sets D in the leaf only', () => {
    const { s, frame } = setup();
    s.map(VA, frame, P | RW);
    access(s, st, VA);
    expect(s.pte(VA) & (A | D)).toBe(A | D);
    expect(s.pte(VA, 2) & D).toBe(0n);
  });

  it('a write through a 2 MiB page sets D in the PDE (the leaf)', () => {
    const { s, frame } = setup();
    s.mapLarge(LVA, 0n, P | RW);
    access(s, st, LVA + BigInt(frame * 4096));
    expect(s.pte(LVA, 2) & (A | D)).toBe(A | D);
  });

  it('a faulting access sets no A or D bit', () => {
    const { s, frame } = setup({ user: true });
    s.map(VA, frame, P | US); // read-only
    access(s, st, VA);
    expect(s.pte(VA) & (A | D)).toBe(0n);
  });
});

describe('the TLB', () => {
  it('keeps a translation until INVLPG: then the changed PTE takes effect', () => {
    const { s, frame } = setup();
    const other = s.alloc();
    s.write32(other, 0x123, 0x0badcafe);
    s.map(VA, frame, P | RW);
    access(s, ld, VA + 0x123n);
    s.map(VA, other, P | RW); // changed in memory, not yet invalidated
    access(s, ld, VA + 0x123n);
    expect(s.m.get('rax')).toBe(0xfeedf00dn); // xenwasm's TLB still holds the old frame (the SDM allows either)
    access(s, '0f013b' + ld, VA + 0x123n); // invlpg [ebx] ; mov eax, [ebx]
    expect(s.m.get('rax')).toBe(0x0badcafen);
  });

  it('a CR3 write flushes the TLB', () => {
    const { s, frame } = setup();
    const other = s.alloc();
    s.write32(other, 0x123, 0x0badcafe);
    s.map(VA, frame, P | RW);
    access(s, ld, VA + 0x123n);
    s.map(VA, other, P | RW);
    s.m.set('rcx', BigInt(s.top * 4096));
    access(s, '0f22d9' + ld, VA + 0x123n); // mov cr3, ecx ; mov eax, [ebx]
    expect(s.m.get('rax')).toBe(0x0badcafen);
  });

  it('a PTE made not-present takes effect after INVLPG as a not-present #PF', () => {
    const { s, frame } = setup();
    s.map(VA, frame, P | RW);
    access(s, ld, VA);
    s.setPte(VA, 0n);
    expect(access(s, '0f013b' + ld, VA)).toMatchObject({ exit: 'exception', vector: PF, error: 0, cr2: VA });
    expect(s.rip).toBe(CODE_VA + 3n); // the MOV, after the INVLPG
  });
});

describe('4-level paging (long mode)', () => {
  it('maps 4 KiB, 2 MiB and 1 GiB pages', () => {
    const { s, frame } = setup({ paging: 'long' });
    s.map(VA, frame, P | RW);
    access(s, ld, VA + 0x123n);
    expect(s.m.get('rax')).toBe(0xfeedf00dn);
    s.mapLarge(0x80000000n, 0n, P | RW, 2); // 2 MiB at 2 GiB
    access(s, ld, 0x80000000n + BigInt(frame * 4096) + 0x123n);
    expect(s.m.get('rax')).toBe(0xfeedf00dn);
    s.mapLarge(0x8000000000n, 0n, P | RW, 3); // 1 GiB at 512 GiB (PML4 slot 1)
    access(s, ld, 0x8000000000n + BigInt(frame * 4096) + 0x123n);
    expect(s.m.get('rax')).toBe(0xfeedf00dn);
    expect(s.pte(0x8000000000n, 3) & A).toBe(A);
  });

  it('a 1 GiB page whose frame is not 1 GiB-aligned is a reserved-bit #PF', () => {
    const { s } = setup({ paging: 'long' });
    s.mapLarge(0x8000000000n, 0x200000n, P | RW, 3);
    expect(access(s, ld, 0x8000000000n)).toMatchObject({ exit: 'exception', vector: PF, error: PF_RSVD | PF_P });
  });

  it('PS in a PML4E is reserved', () => {
    const { s, frame } = setup({ paging: 'long' });
    const va = 0x8000123000n; // PML4 slot 1 (slot 0 also maps the code)
    s.map(va, frame, P | RW);
    s.setPte(va, s.pte(va, 4) | PS, 4);
    expect(access(s, ld, va)).toMatchObject({ exit: 'exception', vector: PF, error: PF_RSVD | PF_P, cr2: va });
  });

  it('a non-canonical address is #GP(0), not #PF', () => {
    const { s } = setup({ paging: 'long' });
    expect(access(s, '488b03', 0x0000800000000000n)).toMatchObject({ exit: 'exception', vector: GP, error: 0 }); // mov rax, [rbx]
  });

  it('NX in the PML4E covers its 512 GiB', () => {
    const { s, frame } = setup({ paging: 'long' });
    const va = 0x8000123000n;
    s.map(va, frame, P | RW);
    s.setPte(va, s.pte(va, 4) | NX, 4);
    expect(access(s, jmp, va)).toMatchObject({ exit: 'exception', vector: PF, error: PF_P | PF_I, cr2: va });
  });
});

describe('32-bit paging (CR4.PAE = 0)', () => {
  it('maps 4 KiB pages through 4-byte entries and 4 MiB pages with CR4.PSE', () => {
    const { s, frame } = setup({ paging: 'legacy', efer: 0n });
    s.map(VA, frame, P | RW);
    access(s, ld, VA + 0x123n);
    expect(s.m.get('rax')).toBe(0xfeedf00dn);
    s.mapLarge(0x80000000n, 0n, P | RW);
    access(s, ld, 0x80000000n + BigInt(frame * 4096) + 0x123n);
    expect(s.m.get('rax')).toBe(0xfeedf00dn);
  });

  it('reports not-present and protection faults with the same error codes', () => {
    const { s, frame } = setup({ paging: 'legacy', efer: 0n, user: true });
    expect(access(s, ld, VA)).toMatchObject({ vector: PF, error: PF_U, cr2: VA });
    s.map(VA, frame, P | US);
    expect(access(s, st, VA)).toMatchObject({ vector: PF, error: PF_P | PF_W | PF_U, cr2: VA });
  });
});

