// Specification of the domain builder's start-of-day layout (workers/loader/builder.ts,
// boot-layout.ts): the worked examples of xen-pv-abi.md 1.4 (libxenguest's numbers), where the
// ramdisk and the P2M list go, and the errors for domains that cannot be built.
import { describe, expect, it } from 'vitest';
import { buildDomain, planDomain } from '../../workers/loader/builder.ts';
import { LoadError } from '../../workers/loader/errors.ts';
import { loadElfKernel } from '../../workers/loader/image.ts';
import { GUEST_RAM_BASE, PAGE_SIZE, XEN_EXTRA_FRAMES } from '../../workers/layout.gen.ts';
import { makePvKernel, type PvKernelSpec } from '../helpers/elf-writer.ts';

const memoryFor = (mib: number) => new Uint8Array(GUEST_RAM_BASE + (mib * 256 + XEN_EXTRA_FRAMES) * PAGE_SIZE);
const kernelOf = (k: PvKernelSpec) => loadElfKernel(makePvKernel(k));

function loadError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LoadError);
    return (e as Error).message;
  }
  throw new Error('expected a LoadError');
}

const microkernel64: PvKernelSpec = { guest: 'pv64', paddrStart: 0x100000n, imageSize: 0x40000 };
const minios64: PvKernelSpec = { guest: 'pv64', paddrStart: 0n, imageSize: 0x80000 };
const microkernel32: PvKernelSpec = { guest: 'pv32', paddrStart: 0x100000n, imageSize: 0x40000 };
const linux64: PvKernelSpec = {
  guest: 'pv64', virtBase: 0xffffffff80000000n, paddrStart: 0x1000000n, imageSize: 40 << 20,
  initP2m: 0x8000000000n, modStartPfn: true, hypercallPageOffset: null, guestOs: 'linux',
};

describe('builder: the worked examples of xen-pv-abi.md 1.4', () => {
  it.each([
    ['test-microkernel-like pv64, image 1 MiB..1.25 MiB', microkernel64, 128, 5, 0x180000n, 0x189000n, 0x400000n],
    ['minimal-PV-OS-like pv64, image 0..512 KiB', minios64, 32, 5, 0x90000n, 0x99000n, 0x400000n],
    ['test-microkernel-like pv32pae', microkernel32, 128, 7, 0x160000n, 0x16b000n, 0x400000n],
    ['Linux-like pv64, 40 MiB image', linux64, 512, 33, 0xffffffff83800000n, 0xffffffff83825000n, 0xffffffff83c00000n],
  ] as const)('%s: nr_pt_frames, start_info, stack and mapped end', (_, k, mem, nrPt, si, rsp, end) => {
    const { layout } = buildDomain(kernelOf(k), { memory: mem }, memoryFor(mem));
    expect(layout.nrPtFrames).toBe(nrPt);
    expect(layout.startInfoVa).toBe(si);
    expect(layout.stackTop).toBe(rsp);
    expect(layout.mappedEnd).toBe(end);
  });

  it('Linux-like pv64: the P2M goes to INIT_P2M with 256 list pages and 3 table pages at PFN 0x3c00', () => {
    const { layout } = buildDomain(kernelOf(linux64), { memory: 512 }, memoryFor(512));
    expect(layout.p2mVa).toBe(0x8000000000n);
    expect(layout.firstP2mPfn).toBe(0x3c00);
    expect(layout.nrP2mFrames).toBe(256 + 3);
    expect(layout.framesUsed).toBe(0x3c00 + 259);
  });

  it('puts the P2M list between the kernel and start_info without INIT_P2M', () => {
    const { layout } = buildDomain(kernelOf(microkernel64), { memory: 128 }, memoryFor(128));
    expect(layout.p2mVa).toBe(0x140000n); // 32768 pages x 8 bytes = 64 pages after the kernel
    expect(layout.firstP2mPfn).toBeUndefined();
    expect(layout.storeMfn).toBe(0x181);
    expect(layout.consoleMfn).toBe(0x182);
    expect(layout.ptBase).toBe(0x183000n);
    expect(layout.stackVa).toBe(0x188000n);
  });

  it('ignores INIT_P2M when it does not lie below VIRT_BASE (as Xen does)', () => {
    const plan = planDomain(kernelOf({ ...microkernel64, initP2m: 0x8000000000n }), 128);
    expect(plan.p2mOutside).toBe(false);
    expect(plan.p2m.vstart).toBe(0x140000n);
  });

  it('lets the initial mapping grow to the next 4 MiB boundary with 512 KiB to spare', () => {
    // Image up to 3.5 MiB: tables + stack + 512 KiB do not fit below 4 MiB, so the mapping ends at 8 MiB.
    const plan = planDomain(kernelOf({ guest: 'pv64', paddrStart: 0n, imageSize: 0x380000 }), 64);
    expect(plan.virtPgtabEnd).toBe(0x800000n);
    expect(plan.nrPtFrames).toBe(1 + 1 + 1 + 4);
    expect(Number(plan.virtPgtabEnd) - (plan.stack.pfn + 1) * PAGE_SIZE).toBeGreaterThanOrEqual(512 * 1024);
  });

  it('gives a PV32 kernel at VIRT_BASE 0xC0000000 one L2 (L3 slot 3 is its own)', () => {
    const plan = planDomain(kernelOf({ guest: 'pv32', virtBase: 0xc0000000n, paddrStart: 0x100000n, imageSize: 0x40000 }), 64);
    expect(plan.nrPtFrames).toBe(1 + 1 + 2);
  });
});

describe('builder: the ramdisk', () => {
  const ramdisk = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 3) & 0xff);

  it('maps it after the kernel when the kernel lacks MOD_START_PFN', () => {
    const mem = memoryFor(64);
    const { layout, startInfo } = buildDomain(kernelOf(microkernel64), { memory: 64, ramdisk }, mem);
    expect(layout.initrd).toEqual({ mapped: true, pfn: 0x140, va: 0x140000n, length: 10_000 });
    expect(startInfo.modStart).toBe(0x140000n);
    expect(startInfo.modLen).toBe(0x3000n); // page-rounded, as libxenguest reports it
    expect(startInfo.flags).toBe(0);
    expect(layout.p2mVa).toBe(0x143000n);
    expect(mem.subarray(GUEST_RAM_BASE + 0x140000, GUEST_RAM_BASE + 0x140000 + ramdisk.length)).toEqual(ramdisk);
  });

  it('passes it unmapped, by PFN, after the initial mapping when the kernel has MOD_START_PFN', () => {
    const mem = memoryFor(64);
    const { layout, startInfo } = buildDomain(kernelOf({ ...microkernel64, modStartPfn: true }), { memory: 64, ramdisk }, mem);
    expect(layout.initrd).toEqual({ mapped: false, pfn: 0x400, va: undefined, length: 10_000 });
    expect(startInfo.modStart).toBe(0x400n);
    expect(startInfo.modLen).toBe(0x3000n);
    expect(startInfo.flags).toBe(8); // SIF_MOD_START_PFN
    expect(mem.subarray(GUEST_RAM_BASE + 0x400000, GUEST_RAM_BASE + 0x400000 + ramdisk.length)).toEqual(ramdisk);
  });
});

describe('builder: domains that cannot be built', () => {
  it('says how much memory the image needs', () => {
    const big = kernelOf({ guest: 'pv64', paddrStart: 0n, imageSize: 300 << 20 });
    expect(loadError(() => buildDomain(big, { memory: 64 }, memoryFor(64)))).toBe('image needs 304 MiB but the domain has 64 MiB (raise --memory)');
    expect(() => planDomain(big, 304)).not.toThrow();
    expect(() => planDomain(big, 303)).toThrow(LoadError);
  });

  it('counts the ramdisk in the memory it needs', () => {
    const k = kernelOf(microkernel64);
    expect(loadError(() => planDomain(k, 8, 7 << 20))).toBe('image and ramdisk need 12 MiB but the domain has 8 MiB (raise --memory)');
  });

  it('refuses memory sizes that are not whole MiB or exceed 2 GiB', () => {
    const k = kernelOf(microkernel64);
    expect(loadError(() => buildDomain(k, { memory: 0 }, memoryFor(1)))).toBe('memory must be a whole number of MiB, at least 1 (got 0)');
    expect(loadError(() => buildDomain(k, { memory: 2.5 }, memoryFor(3)))).toBe('memory must be a whole number of MiB, at least 1 (got 2.5)');
    expect(loadError(() => buildDomain(k, { memory: 4096 }, memoryFor(1)))).toBe('memory 4096 MiB is more than a xenwasm domain can have (2047 MiB)');
  });

  it('refuses a wasm memory too small for the domain, before writing anything', () => {
    const mem = memoryFor(32);
    mem.fill(0x5a, 0, 0x10);
    expect(loadError(() => buildDomain(kernelOf(microkernel64), { memory: 64 }, mem))).toBe(
      'the wasm memory (48 MiB) is too small for a 64 MiB domain: it needs 81 MiB',
    );
    expect(mem.subarray(0, 0x10).every((b) => b === 0x5a)).toBe(true);
  });

  it('refuses a command line longer than start_info can hold', () => {
    expect(loadError(() => buildDomain(kernelOf(microkernel64), { memory: 16, cmdline: 'x'.repeat(1024) }, memoryFor(16)))).toBe(
      'the kernel command line is 1024 bytes; start_info holds at most 1023',
    );
  });

  it('refuses a PV32 layout that reaches the hypervisor area at 0xF5800000', () => {
    const k = kernelOf({ guest: 'pv32', virtBase: 0xf5000000n, paddrStart: 0n, imageSize: 0x780000 });
    expect(loadError(() => planAndCheck(k))).toBe(
      'the initial mapping 0xf5000000-0xf5c00000 reaches the PV32 hypervisor area at 0xf5800000: lower VIRT_BASE or the image size',
    );
  });
});

function planAndCheck(k: ReturnType<typeof kernelOf>) {
  return buildDomain(k, { memory: 32 }, memoryFor(32));
}
