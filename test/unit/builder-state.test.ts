// Specification of what the domain builder writes (workers/loader/builder.ts and its parts): the
// bootstrap page tables (walked here with a tiny walker), the kernel image, P2M and M2P, start_info,
// the hypercall page, shared_info, the DOM_* fields, the ring event channels and vCPU 0's state.
import { describe, expect, it } from 'vitest';
import { buildDomain, type BuildResult } from '../../workers/loader/builder.ts';
import { loadElfKernel } from '../../workers/loader/image.ts';
import * as L from '../../workers/layout.gen.ts';
import { DATA_FILE_SIZE, dataByte, makePvKernel, textByte, type PvKernelSpec } from '../helpers/elf-writer.ts';

const PAGE = L.PAGE_SIZE;

interface Built {
  res: BuildResult;
  mem: Uint8Array;
  dv: DataView;
}
function build(k: PvKernelSpec, memory: number, extra: { cmdline?: string; wallclockSec?: number; dirty?: boolean } = {}): Built {
  const mem = new Uint8Array(L.GUEST_RAM_BASE + (memory * 256 + L.XEN_EXTRA_FRAMES) * PAGE);
  if (extra.dirty) mem.fill(0xee, L.GUEST_RAM_BASE, L.GUEST_RAM_BASE + 0x800000); // stale data must not survive
  const res = buildDomain(loadElfKernel(makePvKernel(k)), { memory, name: 'test', cmdline: extra.cmdline, wallclockSec: extra.wallclockSec }, mem);
  return { res, mem, dv: new DataView(mem.buffer) };
}
const ma = (mfn: number, off = 0) => L.GUEST_RAM_BASE + mfn * PAGE + off;

/** Walks the guest's tables like the MMU: the frame a VA maps to, and RW/US as ANDed over levels. */
function walk(b: Built, va: bigint): { mfn: number; rw: boolean; us: boolean } | undefined {
  const pv64 = b.res.layout.guestType === 'pv64';
  let table = Number(b.dv.getBigUint64(L.CPU_BASE + L.CPU_CR3, true) >> 12n);
  let rw = true;
  let us = true;
  const shifts = pv64 ? [39n, 30n, 21n, 12n] : [30n, 21n, 12n];
  for (const [i, s] of shifts.entries()) {
    const idx = Number((va >> s) & (!pv64 && i === 0 ? 3n : 511n));
    const e = b.dv.getBigUint64(ma(table, idx * 8), true);
    if ((e & 1n) === 0n) return undefined;
    if (pv64 || i > 0) {
      // A PAE PDPTE has no RW/US bits: only lower levels decide for PV32.
      rw &&= (e & 2n) !== 0n;
      us &&= (e & 4n) !== 0n;
    }
    table = Number((e >> 12n) & 0xffffffffffn);
  }
  return { mfn: table, rw, us };
}
const entry = (b: Built, mfn: number, idx: number) => b.dv.getBigUint64(ma(mfn, idx * 8), true);

const microkernel64: PvKernelSpec = { guest: 'pv64', paddrStart: 0x100000n, imageSize: 0x40000 };
const microkernel32: PvKernelSpec = { guest: 'pv32', paddrStart: 0x100000n, imageSize: 0x40000 };
const linux64: PvKernelSpec = {
  guest: 'pv64', virtBase: 0xffffffff80000000n, paddrStart: 0x1000000n, imageSize: 40 << 20,
  initP2m: 0x8000000000n, modStartPfn: true, hypercallPageOffset: null, guestOs: 'linux',
};

describe('builder: PV64 bootstrap page tables', () => {
  const b = build(microkernel64, 128);
  const tables = new Set(b.res.pageTableFrames.map((f) => f.mfn));

  it('lists its table frames in frame order (top level first) and pins the L4', () => {
    expect(b.res.pageTableFrames).toEqual([
      { mfn: 0x183, level: 4 }, { mfn: 0x184, level: 3 }, { mfn: 0x185, level: 2 }, { mfn: 0x186, level: 1 }, { mfn: 0x187, level: 1 },
    ]);
    expect(b.res.pinnedFrames).toEqual([0x183]);
  });

  it('maps every page of [VIRT_BASE, mapped end) to its own frame, and nothing beyond', () => {
    for (let pfn = 0; pfn < 0x400; pfn++) expect(walk(b, BigInt(pfn * PAGE))?.mfn).toBe(pfn);
    expect(walk(b, 0x400000n)).toBeUndefined();
    expect(walk(b, 0x7fffffffe000n)).toBeUndefined();
  });

  it('maps page-table frames read-only and everything else writable', () => {
    for (let pfn = 0; pfn < 0x400; pfn++) expect(walk(b, BigInt(pfn * PAGE))?.rw).toBe(!tables.has(pfn));
  });

  it('sets U on every level, as Xen forces it for PV64', () => {
    for (let pfn = 0; pfn < 0x400; pfn += 0x11) expect(walk(b, BigInt(pfn * PAGE))?.us).toBe(true);
  });

  it('writes exactly libxenguest flags: upper levels P|RW|A|D|U, L1 P|RW|A(+U), RW cleared for tables', () => {
    expect(entry(b, 0x183, 0)).toBe((0x184n << 12n) | 0x67n);
    expect(entry(b, 0x184, 0)).toBe((0x185n << 12n) | 0x67n);
    expect(entry(b, 0x185, 0)).toBe((0x186n << 12n) | 0x67n);
    expect(entry(b, 0x185, 1)).toBe((0x187n << 12n) | 0x67n);
    expect(entry(b, 0x185, 2)).toBe(0n);
    expect(entry(b, 0x186, 0)).toBe(0x27n);
    expect(entry(b, 0x186, 0x183)).toBe((0x183n << 12n) | 0x25n);
    expect(entry(b, 0x183, 1)).toBe(0n);
  });
});

describe('builder: PV32 PAE bootstrap page tables', () => {
  const b = build(microkernel32, 128);
  const L3 = 0x163;

  it('has one L3, four L2s (slot 3 always populated) and two L1s', () => {
    expect(b.res.pageTableFrames.map((f) => f.level)).toEqual([3, 2, 2, 2, 2, 1, 1]);
    expect(b.res.pinnedFrames).toEqual([L3]);
  });

  it('fills the four PDPT entries with P only and leaves the rest of the L3 page zero', () => {
    for (let i = 0; i < 4; i++) expect(entry(b, L3, i)).toBe((BigInt(L3 + 1 + i) << 12n) | 1n);
    for (let i = 4; i < 512; i++) expect(entry(b, L3, i)).toBe(0n);
  });

  it('maps [0, 4 MiB) to the same frames, tables read-only, without U on L1 entries', () => {
    const tables = new Set(b.res.pageTableFrames.map((f) => f.mfn));
    for (let pfn = 0; pfn < 0x400; pfn++) {
      const w = walk(b, BigInt(pfn * PAGE));
      expect(w?.mfn).toBe(pfn);
      expect(w?.rw).toBe(!tables.has(pfn));
      expect(w?.us).toBe(false);
    }
    expect(walk(b, 0x400000n)).toBeUndefined();
    expect(walk(b, 0xc0000000n)).toBeUndefined(); // slot 3's L2 is present but empty
    expect(entry(b, L3 + 1, 0)).toBe((0x168n << 12n) | 0x67n);
    expect(entry(b, 0x168, 0)).toBe(0x23n);
  });
});

describe('builder: Linux-like PV64 with INIT_P2M', () => {
  const b = build(linux64, 512);
  const base = 0xffffffff80000000n;

  it('maps the kernel range from VIRT_BASE up to 0xffffffff83c00000', () => {
    for (let pfn = 0; pfn < 0x3c00; pfn += 7) expect(walk(b, base + BigInt(pfn * PAGE))?.mfn).toBe(pfn);
    expect(walk(b, base + 0x3c00000n)).toBeUndefined();
  });

  it('maps the P2M list at 0x8000000000 through its own L3/L2/L1 under the same L4', () => {
    const l4 = b.res.pinnedFrames[0];
    expect(entry(b, l4, 1)).toBe((0x3d00n << 12n) | 0x67n);
    expect(entry(b, l4, 511)).not.toBe(0n);
    for (let i = 0; i < 256; i++) expect(walk(b, 0x8000000000n + BigInt(i * PAGE))).toEqual({ mfn: 0x3c00 + i, rw: true, us: true });
    expect(walk(b, 0x8000100000n)).toBeUndefined();
    expect(b.res.pageTableFrames.slice(-3)).toEqual([{ mfn: 0x3d00, level: 3 }, { mfn: 0x3d01, level: 2 }, { mfn: 0x3d02, level: 1 }]);
  });

  it('holds an identity P2M list and reports it in start_info', () => {
    for (let pfn = 0; pfn < 512 * 256; pfn += 101) expect(b.dv.getBigUint64(ma(0x3c00, pfn * 8), true)).toBe(BigInt(pfn));
    const si = ma(b.res.layout.startInfoMfn);
    expect(b.dv.getBigUint64(si + 104, true)).toBe(0x8000000000n); // mfn_list
    expect(b.dv.getBigUint64(si + 1152, true)).toBe(0x3c00n); // first_p2m_pfn
    expect(b.dv.getBigUint64(si + 1160, true)).toBe(259n); // nr_p2m_frames
  });
});

describe('builder: image, P2M and M2P', () => {
  it('copies PT_LOAD segments by p_paddr and zeroes their BSS over stale memory', () => {
    const b = build(microkernel64, 16, { dirty: true });
    expect(Array.from(b.mem.subarray(ma(0x100), ma(0x100, 8)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(textByte));
    expect(b.mem[ma(0x100, 0x2fff)]).toBe(textByte(0x2fff));
    expect(Array.from(b.mem.subarray(ma(0x103), ma(0x103, 4)))).toEqual([0, 1, 2, 3].map(dataByte));
    expect(b.mem.subarray(ma(0x103, DATA_FILE_SIZE), ma(0x140)).every((x) => x === 0)).toBe(true);
  });

  it('writes an identity P2M list padded with ~0 to a whole page', () => {
    const b = build(microkernel64, 127); // 32512 entries: 63.5 pages of list
    const p2m = ma(b.res.layout.p2mPfn);
    expect(b.dv.getBigUint64(p2m, true)).toBe(0n);
    expect(b.dv.getBigUint64(p2m + 32511 * 8, true)).toBe(32511n);
    expect(b.dv.getBigUint64(p2m + 32512 * 8, true)).toBe(0xffffffffffffffffn);
    expect(b.dv.getBigUint64(p2m + 64 * PAGE - 8, true)).toBe(0xffffffffffffffffn);
  });

  it('writes the M2P as 8-byte entries for PV64: identity for RAM, ~0 for Xen-owned frames', () => {
    const b = build(microkernel64, 16);
    expect(b.dv.getBigUint64(L.M2P_BASE + 0x123 * 8, true)).toBe(0x123n);
    expect(b.dv.getBigUint64(L.M2P_BASE + 4095 * 8, true)).toBe(4095n);
    expect(b.dv.getBigUint64(L.M2P_BASE + 4096 * 8, true)).toBe(0xffffffffffffffffn);
    expect(b.dv.getBigUint64(L.M2P_BASE + 4111 * 8, true)).toBe(0xffffffffffffffffn);
  });

  it('writes the M2P as 4-byte entries for PV32', () => {
    const b = build(microkernel32, 16);
    expect(b.dv.getUint32(L.M2P_BASE + 0x123 * 4, true)).toBe(0x123);
    expect(b.dv.getUint32(L.M2P_BASE + 4096 * 4, true)).toBe(0xffffffff);
  });
});

describe('builder: start_info', () => {
  it('fills the PV64 start_info', () => {
    const b = build(microkernel64, 128, { cmdline: 'console=hvc0 root=/dev/ram0' });
    const si = ma(0x180);
    const str = (at: number) => new TextDecoder().decode(b.mem.subarray(at, b.mem.indexOf(0, at)));
    expect(str(si)).toBe('xen-3.0-x86_64');
    const q = (off: number) => b.dv.getBigUint64(si + off, true);
    const d = (off: number) => b.dv.getUint32(si + off, true);
    expect(q(32)).toBe(32768n); // nr_pages
    expect(q(40)).toBe(32768n * 4096n); // shared_info machine address: the first frame above RAM
    expect(d(48)).toBe(0); // flags
    expect(q(56)).toBe(0x181n); // store_mfn
    expect(d(64)).toBe(1); // store_evtchn
    expect(q(72)).toBe(0x182n); // console.domU.mfn
    expect(d(80)).toBe(2); // console.domU.evtchn
    expect(q(88)).toBe(0x183000n); // pt_base
    expect(q(96)).toBe(5n); // nr_pt_frames
    expect(q(104)).toBe(0x140000n); // mfn_list
    expect(q(112)).toBe(0n); // mod_start
    expect(str(si + 128)).toBe('console=hvc0 root=/dev/ram0');
    expect(q(1152)).toBe(0n); // no INIT_P2M
  });

  it('fills the PV32 start_info with 4-byte words', () => {
    const b = build(microkernel32, 128, { cmdline: 'quiet' });
    const si = ma(0x160);
    const d = (off: number) => b.dv.getUint32(si + off, true);
    expect(new TextDecoder().decode(b.mem.subarray(si, si + 15))).toBe('xen-3.0-x86_32p');
    expect(d(32)).toBe(32768);
    expect(d(36)).toBe(32768 * 4096);
    expect(d(44)).toBe(0x161);
    expect(d(48)).toBe(1);
    expect(d(52)).toBe(0x162);
    expect(d(56)).toBe(2);
    expect(d(60)).toBe(0x163000);
    expect(d(64)).toBe(7);
    expect(d(68)).toBe(0x140000);
    expect(new TextDecoder().decode(b.mem.subarray(si + 80, si + 86))).toBe('quiet\0');
  });
});

describe('builder: hypercall page', () => {
  const stub = (b: Built, n: number, len: number) => Array.from(b.mem.subarray(ma(0x101, n * 32), ma(0x101, n * 32 + len)));

  it('writes 128 PV64 syscall stubs, iret (23) without return, int3 elsewhere', () => {
    const b = build(microkernel64, 16);
    // push %rcx; push %r11; mov $17,%eax; syscall; pop %r11; pop %rcx; ret
    expect(stub(b, 17, 15)).toEqual([0x51, 0x41, 0x53, 0xb8, 17, 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3, 0xcc]);
    // push %rcx; push %r11; push %rax; mov $23,%eax; syscall
    expect(stub(b, 23, 12)).toEqual([0x51, 0x41, 0x53, 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05, 0xcc]);
    expect(stub(b, 127, 8)).toEqual([0x51, 0x41, 0x53, 0xb8, 127, 0, 0, 0]);
    expect(b.mem.subarray(ma(0x101, 14), ma(0x101, 32)).every((x) => x === 0xcc)).toBe(true);
  });

  it('writes 128 PV32 int $0x82 stubs', () => {
    const b = build(microkernel32, 16);
    // mov $29,%eax; int $0x82; ret
    expect(stub(b, 29, 9)).toEqual([0xb8, 29, 0, 0, 0, 0xcd, 0x82, 0xc3, 0xcc]);
    // push %eax; mov $23,%eax; int $0x82
    expect(stub(b, 23, 9)).toEqual([0x50, 0xb8, 23, 0, 0, 0, 0xcd, 0x82, 0xcc]);
  });

  it('leaves the image alone when the kernel has no HYPERCALL_PAGE note', () => {
    const b = build({ ...microkernel64, hypercallPageOffset: null }, 16);
    expect(b.mem[ma(0x101, 0)]).toBe(textByte(0x1000));
    expect(b.res.layout.hypercallPage).toBeUndefined();
  });
});

describe('builder: shared_info, domain fields, event channels, vCPU state', () => {
  const b = build(microkernel64, 64, { wallclockSec: 1_700_000_000 });
  const nrPages = 64 * 256;
  const dom = (off: number) => b.dv.getUint32(L.DOM_BASE + off, true);
  const cpu = (off: number) => b.dv.getBigUint64(L.CPU_BASE + off, true);

  it('clears shared_info, masks events on all 32 legacy vcpu_infos, and sets the wall clock', () => {
    const si = ma(nrPages);
    for (let i = 0; i < 32; i++) expect(b.mem[si + i * 64 + 1]).toBe(1);
    expect(b.dv.getUint32(si + 3076, true)).toBe(1_700_000_000);
    const others = Array.from(b.mem.subarray(si, si + PAGE)).filter((x, i) => x !== 0 && !(i < 2048 && i % 64 === 1) && !(i >= 3076 && i < 3080));
    expect(others).toEqual([]);
  });

  it('writes the DOM_* fields', () => {
    expect(dom(L.DOM_GUEST_TYPE)).toBe(L.GUEST_PV64);
    expect(dom(L.DOM_STATE)).toBe(L.DOMSTATE_BUILT);
    expect(dom(L.DOM_NR_PAGES)).toBe(nrPages);
    expect(dom(L.DOM_TOTAL_FRAMES)).toBe(nrPages + L.XEN_EXTRA_FRAMES);
    expect(dom(L.DOM_SHARED_INFO_MFN)).toBe(nrPages);
    expect(dom(L.DOM_START_INFO_MFN)).toBe(b.res.layout.startInfoMfn);
    expect(dom(L.DOM_STORE_MFN)).toBe(b.res.layout.storeMfn);
    expect(dom(L.DOM_STORE_PORT)).toBe(1);
    expect(dom(L.DOM_CONSOLE_MFN)).toBe(b.res.layout.consoleMfn);
    expect(dom(L.DOM_CONSOLE_PORT)).toBe(2);
    expect(dom(L.DOM_DOMID)).toBe(1);
    expect(dom(L.DOM_VM_ASSIST)).toBe(0);
  });

  it('binds ports 1 (xenstore) and 2 (console) to the host as interdomain channels', () => {
    for (const port of [1, 2]) {
      const e = L.DOM_BASE + L.DOM_EVTCHN + port * L.EVTCHN_STRIDE;
      expect(b.mem[e]).toBe(L.ECS_INTERDOMAIN);
      expect(b.mem[e + 1]).toBe(0);
      expect(b.dv.getUint16(e + 2, true)).toBe(L.HOST_DOMID);
      expect(b.dv.getUint32(e + 4, true)).toBe(port);
    }
    expect(b.mem[L.DOM_BASE + L.DOM_EVTCHN]).toBe(L.ECS_FREE);
    expect(b.mem[L.DOM_BASE + L.DOM_EVTCHN + 3 * L.EVTCHN_STRIDE]).toBe(L.ECS_FREE);
  });

  it('starts vCPU 0 at the entry in guest-kernel mode with RSI = start_info and RSP = stack top', () => {
    expect(cpu(L.CPU_RIP)).toBe(0x100010n);
    // 64 MiB: 32 P2M pages after the kernel, start_info at 0x160000, tables 0x163-0x167, stack 0x168.
    expect(cpu(L.CPU_GPR + 4 * 8)).toBe(0x169000n); // RSP
    expect(cpu(L.CPU_GPR + 6 * 8)).toBe(0x160000n); // RSI
    for (const r of [0, 1, 2, 3, 5, 7, 8, 15]) expect(cpu(L.CPU_GPR + r * 8)).toBe(0n);
    expect(cpu(L.CPU_RFLAGS)).toBe(0x202n);
    const sel = (s: number) => b.dv.getUint16(L.CPU_BASE + L.CPU_SEG + s * L.SEG_STRIDE + L.SEG_SEL, true);
    expect([0, 1, 2, 3, 4, 5].map(sel)).toEqual([0, 0xe033, 0xe02b, 0, 0, 0]); // ES CS SS DS FS GS
    expect(cpu(L.CPU_CR3)).toBe(0x163000n);
    const pv = L.DOM_BASE + L.DOM_VCPU;
    expect(b.dv.getUint32(pv + L.PV_KERNEL_MODE, true)).toBe(1);
    expect(b.dv.getUint32(pv + L.PV_KERNEL_SS, true)).toBe(0xe02b);
    expect(b.dv.getBigUint64(pv + L.PV_KERNEL_SP, true)).toBe(0x169000n);
    expect(b.dv.getBigUint64(pv + L.PV_KERNEL_CR3, true)).toBe(0x163000n);
    expect(b.dv.getBigUint64(pv + L.PV_VCPU_INFO_MA, true)).toBe(BigInt(nrPages * PAGE));
  });

  it('starts a PV32 vCPU in ring 1 with flat ring-1 selectors, the plain L3 address in CR3 and pae_extended_cr3', () => {
    const c = build(microkernel32, 64);
    const sel = (s: number) => c.dv.getUint16(L.CPU_BASE + L.CPU_SEG + s * L.SEG_STRIDE + L.SEG_SEL, true);
    expect([0, 1, 2, 3, 4, 5].map(sel)).toEqual([0xe021, 0xe019, 0xe021, 0xe021, 0xe021, 0xe021]);
    expect(c.dv.getBigUint64(L.CPU_BASE + L.CPU_CR3, true)).toBe(BigInt(c.res.pinnedFrames[0] * PAGE));
    expect(c.dv.getUint32(L.DOM_BASE + L.DOM_GUEST_TYPE, true)).toBe(L.GUEST_PV32);
    expect(c.dv.getUint32(L.DOM_BASE + L.DOM_VM_ASSIST, true)).toBe(1 << 3);
    expect(c.dv.getUint32(L.DOM_BASE + L.DOM_VCPU + L.PV_KERNEL_MODE, true)).toBe(0);
    expect(c.dv.getUint32(L.DOM_BASE + L.DOM_VCPU + L.PV_KERNEL_SS, true)).toBe(0xe021);
  });

  it('describes the domain for the CLI and the page', () => {
    expect(b.res.info).toEqual({
      name: 'test', guestType: 'pv64', entry: 0x100010n, virtBase: 0n, nrPages,
      notes: expect.objectContaining({ GUEST_OS: 'testkernel', XEN_VERSION: 'xen-3.0', HYPERCALL_PAGE: '0x101000' }),
    });
  });
});
