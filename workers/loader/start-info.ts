// start_info_t, the page a PV kernel finds at RSI/ESI (xen/include/public/xen.h; xen-pv-abi.md 1.6),
// in both ABIs: PV64 uses 8-byte words, PV32 4-byte ones, so every field after magic moves. The
// page is zeroed first, magic and cmd_line are NUL-terminated, first_p2m_pfn/nr_p2m_frames are
// only written when INIT_P2M placed the P2M list outside the initial mapping.

import type { MachineMemory } from './machine-memory.ts';

export const SIF_PRIVILEGED = 1;
export const SIF_INITDOMAIN = 2;
export const SIF_MULTIBOOT_MOD = 4;
export const SIF_MOD_START_PFN = 8;
export const SIF_VIRT_P2M_4TOOLS = 0x10;
export const MAX_GUEST_CMDLINE = 1024;

/** Field offsets per ABI (bytes from the start of the page). */
export const START_INFO_LAYOUT = {
  pv64: {
    magic: 0, nr_pages: 32, shared_info: 40, flags: 48, store_mfn: 56, store_evtchn: 64, console_mfn: 72,
    console_evtchn: 80, pt_base: 88, nr_pt_frames: 96, mfn_list: 104, mod_start: 112, mod_len: 120,
    cmd_line: 128, first_p2m_pfn: 1152, nr_p2m_frames: 1160, size: 1168, word: 8,
  },
  pv32: {
    magic: 0, nr_pages: 32, shared_info: 36, flags: 40, store_mfn: 44, store_evtchn: 48, console_mfn: 52,
    console_evtchn: 56, pt_base: 60, nr_pt_frames: 64, mfn_list: 68, mod_start: 72, mod_len: 76,
    cmd_line: 80, first_p2m_pfn: 1104, nr_p2m_frames: 1108, size: 1112, word: 4,
  },
} as const;

export interface StartInfo {
  magic: string;
  nrPages: number;
  sharedInfoMa: bigint;
  flags: number;
  storeMfn: number;
  storeEvtchn: number;
  consoleMfn: number;
  consoleEvtchn: number;
  ptBase: bigint;
  nrPtFrames: number;
  mfnList: bigint;
  modStart: bigint;
  modLen: bigint;
  /** UTF-8 bytes without the NUL, at most MAX_GUEST_CMDLINE - 1. */
  cmdLine: Uint8Array;
  p2m?: { firstPfn: number; nrFrames: number };
}

/** Writes start_info into frame `mfn` (the whole frame is cleared first). */
export function writeStartInfo(mem: MachineMemory, mfn: number, guestType: 'pv32' | 'pv64', si: StartInfo): void {
  const L = START_INFO_LAYOUT[guestType];
  const base = mem.ma(mfn);
  const word = (off: number, v: bigint | number) => (L.word === 8 ? mem.u64(base + off, v) : mem.u32(base + off, Number(BigInt.asUintN(32, BigInt(v)))));
  mem.clearFrames(mfn, 1);
  const magic = new TextEncoder().encode(si.magic);
  mem.bytes.set(magic.subarray(0, 31), base + L.magic);
  word(L.nr_pages, si.nrPages);
  word(L.shared_info, si.sharedInfoMa);
  mem.u32(base + L.flags, si.flags);
  word(L.store_mfn, si.storeMfn);
  mem.u32(base + L.store_evtchn, si.storeEvtchn);
  word(L.console_mfn, si.consoleMfn);
  mem.u32(base + L.console_evtchn, si.consoleEvtchn);
  word(L.pt_base, si.ptBase);
  word(L.nr_pt_frames, si.nrPtFrames);
  word(L.mfn_list, si.mfnList);
  word(L.mod_start, si.modStart);
  word(L.mod_len, si.modLen);
  mem.bytes.set(si.cmdLine.subarray(0, MAX_GUEST_CMDLINE - 1), base + L.cmd_line);
  if (si.p2m) {
    word(L.first_p2m_pfn, si.p2m.firstPfn);
    word(L.nr_p2m_frames, si.p2m.nrFrames);
  }
}
