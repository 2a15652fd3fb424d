// What the builder hands the core besides guest RAM (assembly/layout.ts regions): the M2P table
// guests read (entry[mfn] = pfn, ~0 for frames that are not guest RAM; xen-pv-abi.md 1.8), the
// Xen-owned shared_info frame (cleared, every vcpu_info masked; 1.4, 1.7), the DOM_* fields, the
// event channels of the xenstore and console rings (bound to the host, HOST_DOMID), and the
// initial vCPU state of 1.5. Only the fields listed here are written into the CPU region: the core
// derives descriptor caches, CR0/CR4/EFER, CPL and mode in its domainStart() export.

import {
  CPU_BASE, CPU_CC_OP, CPU_CR3, CPU_GPR, CPU_RFLAGS, CPU_RIP, CPU_SEG, DOMSTATE_BUILT, DOM_BASE, DOM_CONSOLE_MFN,
  DOM_CONSOLE_PORT, DOM_DOMID, DOM_EVTCHN, DOM_GUEST_TYPE, DOM_NR_PAGES, DOM_SHARED_INFO_MFN,
  DOM_START_INFO_MFN, DOM_STATE, DOM_STORE_MFN, DOM_STORE_PORT, DOM_TOTAL_FRAMES, DOM_VCPU, DOM_VM_ASSIST,
  ECS_INTERDOMAIN, EVTCHN_STRIDE, GUEST_PV32, GUEST_PV64, HOST_DOMID, M2P_BASE, M2P_SIZE, PAGE_SIZE, PV_KERNEL_CR3,
  PV_KERNEL_MODE, PV_KERNEL_SP, PV_KERNEL_SS, PV_VCPU_INFO_MA, SEG_SEL, SEG_STRIDE, VCPU_PV_STRIDE, VCPU_STRIDE,
} from '../layout.gen.ts';
import type { MachineMemory } from './machine-memory.ts';

/** Flat selectors of Xen's reserved GDT page (xen-pv-abi.md 3.3). */
export const FLAT_KERNEL_CS64 = 0xe033;
export const FLAT_KERNEL_SS64 = 0xe02b;
export const FLAT_RING1_CS = 0xe019;
export const FLAT_RING1_DS = 0xe021;
/** VMASST_TYPE_pae_extended_cr3 (xen.h). */
export const VMASST_TYPE_PAE_EXTENDED_CR3 = 3;
export const XEN_LEGACY_MAX_VCPUS = 32;
const RFLAGS_IF = 0x200;
const RFLAGS_FIXED1 = 0x2;

/** Segment register slots in CPU_SEG, in encoding order. */
const SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3, SEG_FS = 4, SEG_GS = 5;
const GPR_RSP = 4, GPR_RSI = 6;

/** shared_info wall-clock offsets per ABI. */
const WALLCLOCK = {
  pv64: { version: 3072, sec: 3076, nsec: 3080, secHi: 3084 },
  pv32: { version: 2304, sec: 2308, nsec: 2312, secHi: 2340 },
} as const;

/** Fills the whole M2P region with "invalid" and maps every RAM frame to its PFN (identity). */
export function writeM2p(mem: MachineMemory, guestType: 'pv32' | 'pv64', nrPages: number): void {
  mem.bytes.fill(0xff, M2P_BASE, M2P_BASE + M2P_SIZE);
  if (guestType === 'pv64') {
    for (let mfn = 0; mfn < nrPages; mfn++) mem.u64(M2P_BASE + mfn * 8, mfn);
  } else {
    for (let mfn = 0; mfn < nrPages; mfn++) mem.u32(M2P_BASE + mfn * 4, mfn);
  }
}

/** Clears shared_info, masks events on every legacy vcpu_info, and sets the wall clock. */
export function writeSharedInfo(mem: MachineMemory, mfn: number, guestType: 'pv32' | 'pv64', wallclockSec?: number): void {
  mem.clearFrames(mfn, 1);
  const base = mem.ma(mfn);
  for (let i = 0; i < XEN_LEGACY_MAX_VCPUS; i++) mem.u8(base + i * 64 + 1, 1);
  if (wallclockSec !== undefined) {
    const w = WALLCLOCK[guestType];
    const sec = BigInt(Math.floor(wallclockSec));
    mem.u32(base + w.sec, Number(sec & 0xffffffffn));
    mem.u32(base + w.secHi, Number((sec >> 32n) & 0xffffffffn));
    mem.u32(base + w.nsec, Math.floor((wallclockSec % 1) * 1e9));
  }
}

export interface DomainFields {
  guestType: 'pv32' | 'pv64';
  nrPages: number;
  totalFrames: number;
  sharedInfoMfn: number;
  startInfoMfn: number;
  consoleMfn: number;
  consolePort: number;
  storeMfn: number;
  storePort: number;
  domid: number;
  vmAssist: number;
}

/**
 * Writes the DOM_* fields and the two ring event channels. The region itself was cleared by the
 * core's coreInit() (or is fresh memory), so every other field starts at 0 (no traps, no callbacks).
 */
export function writeDomainFields(mem: MachineMemory, d: DomainFields): void {
  const at = (off: number) => DOM_BASE + off;
  mem.u32(at(DOM_GUEST_TYPE), d.guestType === 'pv64' ? GUEST_PV64 : GUEST_PV32);
  mem.u32(at(DOM_STATE), DOMSTATE_BUILT);
  mem.u32(at(DOM_NR_PAGES), d.nrPages);
  mem.u32(at(DOM_TOTAL_FRAMES), d.totalFrames);
  mem.u32(at(DOM_SHARED_INFO_MFN), d.sharedInfoMfn);
  mem.u32(at(DOM_START_INFO_MFN), d.startInfoMfn);
  mem.u32(at(DOM_CONSOLE_MFN), d.consoleMfn);
  mem.u32(at(DOM_CONSOLE_PORT), d.consolePort);
  mem.u32(at(DOM_STORE_MFN), d.storeMfn);
  mem.u32(at(DOM_STORE_PORT), d.storePort);
  mem.u32(at(DOM_DOMID), d.domid);
  mem.u32(at(DOM_VM_ASSIST), d.vmAssist);
  // The toolstack's alloc_unbound + the backend's bind_interdomain, already done: the remote end
  // is the host, and the host's port number is taken to be the same as the guest's.
  for (const port of [d.storePort, d.consolePort]) {
    const e = DOM_BASE + DOM_EVTCHN + port * EVTCHN_STRIDE;
    mem.u8(e + 0, ECS_INTERDOMAIN);
    mem.u8(e + 1, 0);
    mem.u16(e + 2, HOST_DOMID);
    mem.u32(e + 4, port);
    mem.u32(e + 8, 0);
  }
}

export interface VcpuStart {
  guestType: 'pv32' | 'pv64';
  entry: bigint;
  stackTop: bigint;
  startInfoVa: bigint;
  /** Machine address of the top-level table (PV32: the plain L3 address, not the folded CR3 format). */
  topLevelMa: bigint;
  sharedInfoMfn: number;
}

/** Writes vCPU 0's initial state (xen-pv-abi.md 1.5) into the CPU region and its PV state. */
export function writeVcpuState(mem: MachineMemory, v: VcpuStart, vcpu = 0): void {
  const cpu = CPU_BASE + vcpu * VCPU_STRIDE;
  const pv = DOM_BASE + DOM_VCPU + vcpu * VCPU_PV_STRIDE;
  for (let r = 0; r < 16; r++) mem.u64(cpu + CPU_GPR + r * 8, 0);
  mem.u64(cpu + CPU_GPR + GPR_RSP * 8, v.stackTop);
  mem.u64(cpu + CPU_GPR + GPR_RSI * 8, v.startInfoVa);
  mem.u64(cpu + CPU_RIP, v.entry);
  mem.u64(cpu + CPU_RFLAGS, RFLAGS_IF | RFLAGS_FIXED1);
  mem.u32(cpu + CPU_CC_OP, 0); // RFLAGS holds the arithmetic flags too
  const pv64 = v.guestType === 'pv64';
  const cs = pv64 ? FLAT_KERNEL_CS64 : FLAT_RING1_CS;
  const ss = pv64 ? FLAT_KERNEL_SS64 : FLAT_RING1_DS;
  const data = pv64 ? 0 : FLAT_RING1_DS;
  const sel = (seg: number, value: number) => mem.u16(cpu + CPU_SEG + seg * SEG_STRIDE + SEG_SEL, value);
  sel(SEG_ES, data);
  sel(SEG_CS, cs);
  sel(SEG_SS, ss);
  sel(SEG_DS, data);
  sel(SEG_FS, data);
  sel(SEG_GS, data);
  mem.u64(cpu + CPU_CR3, v.topLevelMa);
  mem.u32(pv + PV_KERNEL_MODE, pv64 ? 1 : 0);
  mem.u32(pv + PV_KERNEL_SS, ss);
  mem.u64(pv + PV_KERNEL_SP, v.stackTop);
  mem.u64(pv + PV_KERNEL_CR3, v.topLevelMa);
  mem.u64(pv + PV_VCPU_INFO_MA, BigInt(v.sharedInfoMfn) * BigInt(PAGE_SIZE) + BigInt(vcpu * 64));
}
