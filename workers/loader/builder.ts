// The PV domain builder (libxenguest's xc_dom_* path for a domU; xen-pv-abi.md 1.3-1.6): sizes the
// domain, plans the layout (boot-layout.ts), then writes kernel segments by p_paddr, P2M list,
// ramdisk, start_info, page tables, hypercall page, M2P, shared_info, DOM_* fields, event channels
// and vCPU 0 into the wasm memory. Identity P2M (MFN == PFN); Xen-owned frames follow RAM.
// All checks run before the first write, so a LoadError leaves memory untouched. Expects the core's
// coreInit() to have cleared its regions; its domainStart() completes the vCPU afterwards.

import type { DomainInfo } from '../api.ts';
import { MAX_FRAMES, PAGE_SIZE, XEN_EXTRA_FRAMES } from '../layout.gen.ts';
import { LoadError, hex, mib } from './errors.ts';
import { fileData, loadableSegments } from './elf.ts';
import type { KernelImage } from './image.ts';
import { OutOfGuestMemory, planLayout, type BootLayout, type LayoutRequest } from './boot-layout.ts';
import { MachineMemory } from './machine-memory.ts';
import { writePageTables, type PageTableFrame } from './page-tables.ts';
import { writeHypercallPage } from './hypercall-page.ts';
import { MAX_GUEST_CMDLINE, SIF_MOD_START_PFN, writeStartInfo, type StartInfo } from './start-info.ts';
import {
  VMASST_TYPE_PAE_EXTENDED_CR3, writeDomainFields, writeM2p, writeSharedInfo, writeVcpuState,
} from './domain-state.ts';

export const XENSTORE_PORT = 1;
export const CONSOLE_PORT = 2;
export const DEFAULT_DOMID = 1;
/** Most RAM a domain can have: all frames but the Xen-owned ones above RAM. */
export const MAX_MEMORY_MIB = Math.floor(((MAX_FRAMES - XEN_EXTRA_FRAMES) * PAGE_SIZE) / (1 << 20));
/** PV32: Xen's compat M2P and hypervisor area start here (HYPERVISOR_COMPAT_VIRT_START). */
const PV32_HYPERVISOR_START = 0xf5800000n;
/** PV64: L4 slots 256-271 belong to Xen. */
const PV64_XEN_START = 0xffff800000000000n;
const PV64_XEN_END = 0xffff880000000000n;

export interface BuildOptions {
  /** Guest RAM in MiB (xl.cfg `memory`). */
  memory: number;
  /** Kernel command line (xl.cfg `extra`). */
  cmdline?: string;
  ramdisk?: Uint8Array;
  name?: string;
  /** Seconds since the Unix epoch for shared_info's wall clock (left 0 when absent). */
  wallclockSec?: number;
  domid?: number;
}

/** Where everything went, for tests, the CLI and the page. VAs are guest-virtual. */
export interface LayoutSummary {
  guestType: 'pv32' | 'pv64';
  virtBase: bigint;
  entry: bigint;
  nrPages: number;
  totalFrames: number;
  kernelStart: bigint;
  kernelEnd: bigint;
  /** VA of the P2M list (start_info.mfn_list). */
  p2mVa: bigint;
  p2mPfn: number;
  /** Only with INIT_P2M: the P2M frames plus their page tables. */
  firstP2mPfn?: number;
  nrP2mFrames?: number;
  initrd?: { mapped: boolean; pfn: number; va?: bigint; length: number };
  startInfoVa: bigint;
  startInfoMfn: number;
  storeMfn: number;
  consoleMfn: number;
  sharedInfoMfn: number;
  ptBase: bigint;
  nrPtFrames: number;
  /** VA of the boot stack page; the initial stack pointer is its top. */
  stackVa: bigint;
  stackTop: bigint;
  /** End of the initial mapping (virt_pgtab_end). */
  mappedEnd: bigint;
  /** Guest frames [0, framesUsed) hold boot data or the padding of the initial mapping. */
  framesUsed: number;
  hypercallPage?: bigint;
}

export interface BuildResult {
  info: DomainInfo;
  layout: LayoutSummary;
  startInfo: StartInfo;
  /** Every frame holding a bootstrap page table, with its level: the core types them (PGT_Ln). */
  pageTableFrames: PageTableFrame[];
  /** Top-level tables to pin before the vCPU starts (PV64: the L4, PV32: the L3). */
  pinnedFrames: number[];
  /** The full plan, for tools that draw it. */
  plan: BootLayout;
}

function layoutRequest(kernel: KernelImage, nrPages: number, initrdSize: number): LayoutRequest {
  const x = kernel.xen;
  return {
    guestType: x.guestType, virtBase: x.virtBase, virtKstart: x.virtKstart, virtKend: x.virtKend,
    nrPages, initrdSize, modStartPfn: x.modStartPfn, initP2m: x.initP2m,
  };
}

/** Plans with `nrPages`, or explains how much memory the image needs. */
export function planDomain(kernel: KernelImage, memoryMiB: number, initrdSize = 0): BootLayout {
  const nrPages = memoryMiB * 256;
  try {
    return planLayout(layoutRequest(kernel, nrPages, initrdSize));
  } catch (e) {
    if (!(e instanceof OutOfGuestMemory)) throw e;
  }
  const what = initrdSize > 0 ? 'image and ramdisk need' : 'image needs';
  const fits = (n: number) => {
    try {
      planLayout(layoutRequest(kernel, n, initrdSize));
      return true;
    } catch (e) {
      if (e instanceof OutOfGuestMemory) return false;
      throw e;
    }
  };
  let hi = MAX_MEMORY_MIB * 256;
  if (!fits(hi)) {
    throw new LoadError(`${what} more than ${MAX_MEMORY_MIB} MiB, the most memory a xenwasm domain can have`);
  }
  let lo = nrPages; // does not fit
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  throw new LoadError(`${what} ${mib(hi * PAGE_SIZE)} MiB but the domain has ${memoryMiB} MiB (raise --memory)`);
}

function checkAddresses(plan: BootLayout): void {
  if (plan.guestType === 'pv32') {
    const top = plan.virtPgtabEnd;
    if (top > PV32_HYPERVISOR_START) {
      throw new LoadError(
        `the initial mapping ${hex(plan.virtBase)}-${hex(top)} reaches the PV32 hypervisor area at ${hex(PV32_HYPERVISOR_START)}: lower VIRT_BASE or the image size`,
      );
    }
    return;
  }
  const from = plan.virtBase;
  const to = plan.virtPgtabEnd;
  const canonical = (va: bigint) => va < 0x0000800000000000n || va >= 0xffff800000000000n;
  if (!canonical(from) || !canonical(to - 1n) || (from < 0x0000800000000000n) !== (to - 1n < 0x0000800000000000n)) {
    throw new LoadError(`the initial mapping ${hex(from)}-${hex(to)} is not canonical (it crosses the x86-64 address hole)`);
  }
  if (from < PV64_XEN_END && to > PV64_XEN_START) {
    throw new LoadError(`the initial mapping ${hex(from)}-${hex(to)} overlaps Xen's reserved area ${hex(PV64_XEN_START)}-${hex(PV64_XEN_END)}`);
  }
}

/**
 * Builds the domain into `memory` (the whole wasm memory). Throws LoadError, before writing
 * anything, when the options, the memory size or the image do not fit.
 */
export function buildDomain(kernel: KernelImage, opts: BuildOptions, memory: Uint8Array): BuildResult {
  const x = kernel.xen;
  const memoryMiB = opts.memory;
  if (!Number.isInteger(memoryMiB) || memoryMiB < 1) throw new LoadError(`memory must be a whole number of MiB, at least 1 (got ${memoryMiB})`);
  if (memoryMiB > MAX_MEMORY_MIB) throw new LoadError(`memory ${memoryMiB} MiB is more than a xenwasm domain can have (${MAX_MEMORY_MIB} MiB)`);
  const nrPages = memoryMiB * 256;
  const totalFrames = nrPages + XEN_EXTRA_FRAMES;
  const mem = new MachineMemory(memory);
  if (mem.frameCapacity < totalFrames) {
    throw new LoadError(
      `the wasm memory (${Math.floor(memory.length / (1 << 20))} MiB) is too small for a ${memoryMiB} MiB domain: it needs ${mib(memory.length + (totalFrames - mem.frameCapacity) * PAGE_SIZE)} MiB`,
    );
  }
  const cmdLine = new TextEncoder().encode(opts.cmdline ?? '');
  if (cmdLine.length > MAX_GUEST_CMDLINE - 1) {
    throw new LoadError(`the kernel command line is ${cmdLine.length} bytes; start_info holds at most ${MAX_GUEST_CMDLINE - 1}`);
  }
  const ramdisk = opts.ramdisk && opts.ramdisk.length > 0 ? opts.ramdisk : undefined;
  const plan = planDomain(kernel, memoryMiB, ramdisk?.length ?? 0);
  checkAddresses(plan);

  const pv64 = x.guestType === 'pv64';
  const vaOf = (pfn: number) => x.virtBase + BigInt(pfn) * BigInt(PAGE_SIZE);
  const sharedInfoMfn = nrPages;

  // The builder clears every frame it allocates and the Xen-owned ones (as xc_dom_alloc_segment
  // does); the rest of guest RAM is fresh wasm memory, already zero, and left untouched so that
  // the host does not commit pages the guest never uses.
  mem.clearFrames(0, plan.framesUsed);
  mem.clearFrames(nrPages, XEN_EXTRA_FRAMES);

  // Kernel: each PT_LOAD at p_paddr + virt_offset, then its BSS zeroed (libelf elf_load_image).
  for (const p of loadableSegments(kernel.elf)) {
    const va = BigInt.asUintN(64, p.paddr + x.virtOffset);
    const at = mem.ma(0) + Number(va - x.virtBase);
    memory.set(fileData(kernel.elf, p), at);
    memory.fill(0, at + p.filesz, at + Number(p.memsz));
  }

  // P2M list: identity for RAM, ~0 for the rest of its pages.
  const p2mBytes = pv64 ? 8 : 4;
  const p2mListPages = Math.ceil((nrPages * p2mBytes) / PAGE_SIZE);
  const p2mAt = mem.ma(plan.p2m.pfn);
  memory.fill(0xff, p2mAt, p2mAt + p2mListPages * PAGE_SIZE);
  for (let pfn = 0; pfn < nrPages; pfn++) {
    if (pv64) mem.u64(p2mAt + pfn * 8, pfn);
    else mem.u32(p2mAt + pfn * 4, pfn);
  }

  if (ramdisk && plan.initrd) memory.set(ramdisk, mem.ma(plan.initrd.pfn));

  const pageTableFrames = writePageTables(mem, plan);
  const topLevelMfn = plan.pageTables.pfn;

  if (x.hypercallPage !== undefined) {
    const pfn = Number((x.hypercallPage - x.virtBase) >> 12n);
    writeHypercallPage(mem.frame(pfn), x.guestType);
  }

  let flags = 0;
  let modStart = 0n;
  let modLen = 0n;
  if (plan.initrd) {
    modLen = BigInt(plan.initrd.pages * PAGE_SIZE);
    if (plan.initrd.mapped) {
      modStart = plan.initrd.vstart;
    } else {
      modStart = BigInt(plan.initrd.pfn);
      flags |= SIF_MOD_START_PFN;
    }
  }
  const startInfo: StartInfo = {
    magic: x.guestTypeName,
    nrPages,
    sharedInfoMa: BigInt(sharedInfoMfn) * BigInt(PAGE_SIZE),
    flags,
    storeMfn: plan.xenstore.pfn,
    storeEvtchn: XENSTORE_PORT,
    consoleMfn: plan.console.pfn,
    consoleEvtchn: CONSOLE_PORT,
    ptBase: plan.pageTables.vstart,
    nrPtFrames: plan.nrPtFrames,
    mfnList: plan.p2m.vstart,
    modStart,
    modLen,
    cmdLine,
    p2m: plan.p2mOutside ? { firstPfn: plan.p2m.pfn, nrFrames: plan.p2m.pages } : undefined,
  };
  writeStartInfo(mem, plan.startInfo.pfn, x.guestType, startInfo);

  writeM2p(mem, x.guestType, nrPages);
  writeSharedInfo(mem, sharedInfoMfn, x.guestType, opts.wallclockSec);
  const domid = opts.domid ?? DEFAULT_DOMID;
  writeDomainFields(mem, {
    guestType: x.guestType, nrPages, totalFrames, sharedInfoMfn,
    startInfoMfn: plan.startInfo.pfn, consoleMfn: plan.console.pfn, consolePort: CONSOLE_PORT,
    storeMfn: plan.xenstore.pfn, storePort: XENSTORE_PORT, domid,
    // libxenguest enables pae_extended_cr3 for every PAE kernel that is not legacy "PAE=yes".
    vmAssist: !pv64 && (x.pae === 'extended-cr3' || x.pae === 'bimodal') ? 1 << VMASST_TYPE_PAE_EXTENDED_CR3 : 0,
  });
  const stackTop = vaOf(plan.stack.pfn + 1);
  writeVcpuState(mem, {
    guestType: x.guestType, entry: x.entry, stackTop, startInfoVa: plan.startInfo.vstart,
    topLevelMa: BigInt(topLevelMfn) * BigInt(PAGE_SIZE), sharedInfoMfn,
  });

  const layout: LayoutSummary = {
    guestType: x.guestType,
    virtBase: x.virtBase,
    entry: x.entry,
    nrPages,
    totalFrames,
    kernelStart: x.virtKstart,
    kernelEnd: x.virtKend,
    p2mVa: plan.p2m.vstart,
    p2mPfn: plan.p2m.pfn,
    firstP2mPfn: plan.p2mOutside ? plan.p2m.pfn : undefined,
    nrP2mFrames: plan.p2mOutside ? plan.p2m.pages : undefined,
    initrd: plan.initrd && ramdisk
      ? { mapped: plan.initrd.mapped, pfn: plan.initrd.pfn, va: plan.initrd.mapped ? plan.initrd.vstart : undefined, length: ramdisk.length }
      : undefined,
    startInfoVa: plan.startInfo.vstart,
    startInfoMfn: plan.startInfo.pfn,
    storeMfn: plan.xenstore.pfn,
    consoleMfn: plan.console.pfn,
    sharedInfoMfn,
    ptBase: plan.pageTables.vstart,
    nrPtFrames: plan.nrPtFrames,
    stackVa: plan.stack.vstart,
    stackTop,
    mappedEnd: plan.virtPgtabEnd,
    framesUsed: plan.framesUsed,
    hypercallPage: x.hypercallPage,
  };
  const info: DomainInfo = {
    name: opts.name ?? 'domU',
    guestType: x.guestType,
    entry: x.entry,
    virtBase: x.virtBase,
    nrPages,
    notes: { ...x.notes },
  };
  return { info, layout, startInfo, pageTableFrames, pinnedFrames: [topLevelMfn], plan };
}
