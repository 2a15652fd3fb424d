// The decoded-instruction cache (design.md "The CPU"): instructions pre-decoded once into 32-byte
// entries keyed by the wasm offset of their first byte (= machine address + GUEST_RAM_BASE, so two
// mappings of one frame share entries), the decode mode and a generation. cpu/predecode.ts fills an
// entry, cpu/fast-ops.ts executes it; an entry with op 0 sends the instruction to the byte decoder.
// Invariants (a cached entry is never stale):
//  1. An entry whose op != 0 depends only on the bytes of its own frame, and that frame's bit is set
//     in CODE_FRAMES before the entry is used (generic entries, op 0, depend on no bytes at all).
//  2. While a frame's bit is set, no TLB entry grants a write right to it (mmu/paging.ts strips them
//     through codeGuard; markCodeFrame revokes those already in the TLB). So the first CPU store to
//     the frame walks the page tables, and codeGuard drops the frame's entries and clears its bit.
//  3. Every other writer of guest frames calls codeWritten(mfn) / codeWrittenHost(host) (Xen's direct
//     stores in xen/: ptwr, mmu_update, update_descriptor, CLEAR/COPY_PAGE, page validation, populate,
//     register_vcpu_info; the host's backends through grantHostUnpin), or invalidateAll() (the domain
//     builder and the bare test machine, which write code from the host before running it).
//     Frames written behind the CPU's back all the time are never cached (markCodeFrame refuses
//     them): every Xen-owned frame (shared_info, grant frames), vcpu_info's frame, the console and
//     xenstore rings.
// Entries of frame F live in the 4096 slots from slotBase(F) (wrapping), so dropping a frame scans
// 4096 slots; invalidateAll() only bumps the generation.
import {
  GUEST_RAM_BASE, MAX_FRAMES, DCACHE_BASE, TLB_BASE, TLB_ENTRIES, TLB_ENTRY_SIZE, DOM_BASE, DOM_CONSOLE_MFN, DOM_STORE_MFN,
  DOM_VCPU, PV_VCPU_INFO_MA,
} from '../layout';
import { nrPages } from '../mmu/machine';
import { RIGHT_WRITE_SUP, RIGHT_WRITE_USER } from '../mmu/tlb';
import { jitForget, jitForgetAll } from './jit';

/** 2^DC_BITS entries (at least 4096: a frame's window) of DC_ENTRY_SIZE bytes. 64 Ki entries cut the
 *  pre-decodes of the Linux boot from 0.7 % to 0.2 % of its instructions but ran no faster. */
const DC_BITS: u32 = 14;
export const DC_ENTRIES: u32 = 1 << DC_BITS;
export const DC_ENTRY_SIZE: u32 = 32;
// Entry fields (byte offsets): the key, then what cpu/predecode.ts documents.
export const DCE_KEY: u32 = 0; // u64: host | decode mode << 32 | generation << 34 (0 = empty)
export const DCE_OP: u32 = 8; // u16: fast-op number (0 = byte decoder)
export const DCE_LEN: u32 = 10; // u8: instruction length

// The table (512 KiB) and the per-frame bitmap (64 KiB) live in layout.ts's DCACHE region.
const DC_TABLE: u32 = DCACHE_BASE;
const CODE_FRAMES: u32 = DC_TABLE + DC_ENTRIES * DC_ENTRY_SIZE;
export const DC_REGION_END: u32 = CODE_FRAMES + (MAX_FRAMES >> 3);
/** False until the first invalidateAll() (coreInit's) has cleared both. */
let regionCleared: bool = false;

/** The generation in the key's bits 34..63; bumping it empties the cache at once. */
let genHi: u64 = <u64>1 << 34;
const GEN_LIMIT: u64 = <u64>1 << 63;

// Counters for tests and benchmarks (decodeCacheStats in index.ts).
export let statMisses: u64 = 0;
export let statFrameDrops: u64 = 0;
export let statFrameMarks: u64 = 0;
/** Bumped whenever entries are dropped (a frame or all): a compiled block stops after an instruction that did it. */
export let codeEpoch: u32 = 0;

@inline export function entryKey(host: u32, modeKeyHi: u64): u64 { return <u64>host | modeKeyHi | genHi; }
/** The key bits above the host offset (decode mode and generation): entryKey(h, m) == h | keyHigh(m). */
@inline export function keyHigh(modeKeyHi: u64): u64 { return modeKeyHi | genHi; }

/** First slot of frame `hostPage >> 12`'s 4096-slot window (a multiplicative hash of the frame number). */
@inline function slotBase(hostPage: u32): u32 {
  return ((hostPage >> 12) * 0x9e3779b1) >> (32 - DC_BITS);
}
/** The entry for the instruction starting at wasm offset `host`. */
@inline export function entryFor(host: u32): u32 {
  return DC_TABLE + ((((host & 0xfff) + slotBase(host)) & (DC_ENTRIES - 1)) << 5);
}

/** The entry of the instruction `len` bytes after the one of entry `e` (same frame: the next slots). */
@inline export function entryAfter(e: u32, len: u32): u32 {
  return DC_TABLE + ((e - DC_TABLE + (len << 5)) & (DC_ENTRIES * DC_ENTRY_SIZE - 1));
}

@inline function frameIndex(host: u32): u32 { return (host - GUEST_RAM_BASE) >> 12; }
@inline function frameBitSet(f: u32): bool {
  return (load<u8>(CODE_FRAMES + (f >> 3)) & (<u32>1 << (f & 7))) != 0;
}

/** Counter `i` for tests and benchmarks: 0 pre-decodes (misses), 1 frames marked as code, 2 frames dropped. */
export function decodeCacheStat(i: u32): u64 {
  return i == 0 ? statMisses : i == 1 ? statFrameMarks : i == 2 ? statFrameDrops : 0;
}
/** Counts a lookup that had to pre-decode. */
@inline export function countMiss(): void { statMisses++; }

/**
 * Records that the frame holding `host` has decoded entries (invariant 1), revoking the write rights
 * the TLB may hold for it (invariant 2). Returns false when the frame is not guest memory: then the
 * caller must not cache the instruction.
 */
export function markCodeFrame(host: u32): bool {
  if (host < GUEST_RAM_BASE) return false;
  const f = frameIndex(host);
  if (f >= MAX_FRAMES) return false;
  if (frameBitSet(f)) return true;
  if (writtenBehindTheCpu(f)) return false;
  store<u8>(CODE_FRAMES + (f >> 3), load<u8>(CODE_FRAMES + (f >> 3)) | (<u32>1 << (f & 7)));
  statFrameMarks++;
  const page = host & ~0xfff;
  const noWrite = ~(RIGHT_WRITE_SUP | RIGHT_WRITE_USER);
  for (let e = TLB_BASE, end = TLB_BASE + TLB_ENTRIES * TLB_ENTRY_SIZE; e < end; e += TLB_ENTRY_SIZE) {
    if (load<u32>(e, 8) == page) store<u32>(e, load<u32>(e, 12) & noWrite, 12);
  }
  return true;
}

/** Frames the hypervisor or the host write without telling the cache (invariant 3). */
function writtenBehindTheCpu(f: u32): bool {
  if (f >= nrPages) return true; // Xen-owned: shared_info, grant frames
  const vi = load<u64>(DOM_BASE + DOM_VCPU + PV_VCPU_INFO_MA);
  if (vi != 0 && <u32>(vi >> 12) == f) return true;
  return f == load<u32>(DOM_BASE + DOM_CONSOLE_MFN) || f == load<u32>(DOM_BASE + DOM_STORE_MFN);
}

/** Drops every entry of the frame at host page `page` and clears its bit. */
function dropFrame(page: u32): void {
  const f = frameIndex(page);
  store<u8>(CODE_FRAMES + (f >> 3), load<u8>(CODE_FRAMES + (f >> 3)) & ~(<u32>1 << (f & 7)));
  statFrameDrops++;
  const first = slotBase(page);
  for (let i: u32 = 0; i < 4096; i++) {
    const e = DC_TABLE + (((first + i) & (DC_ENTRIES - 1)) << 5);
    if ((<u32>load<u64>(e) & ~0xfff) == page) { store<u64>(e, 0); jitForget(e); }
  }
  codeEpoch++;
}

/** The frame holding wasm offset `host` was (or is about to be) written by something other than the CPU. */
@inline export function codeWrittenHost(host: u32): void {
  if (host >= GUEST_RAM_BASE && frameIndex(host) < MAX_FRAMES && frameBitSet(frameIndex(host))) dropFrame(host & ~0xfff);
}
/** Machine frame `mfn` was (or is about to be) written by the hypervisor or the host. */
@inline export function codeWritten(mfn: u64): void {
  if (mfn < <u64>MAX_FRAMES && frameBitSet(<u32>mfn)) dropFrame(GUEST_RAM_BASE + (<u32>mfn << 12));
}

/**
 * TLB rights for a translation of host page `page` that the walk found for access `acc` (mmu/paging.ts
 * calls this before every tlbInsert): a write to a frame with decoded code drops its entries first;
 * any other access keeps the frame write-protected in the TLB (invariant 2).
 */
@inline export function codeGuard(page: u32, acc: u32, rights: u32): u32 {
  if (page < GUEST_RAM_BASE || frameIndex(page) >= MAX_FRAMES || !frameBitSet(frameIndex(page))) return rights;
  return codeGuardSlow(page, acc, rights);
}
function codeGuardSlow(page: u32, acc: u32, rights: u32): u32 {
  if (acc == 1) { dropFrame(page & ~0xfff); return rights; } // ACC_WRITE
  return rights & ~(RIGHT_WRITE_SUP | RIGHT_WRITE_USER);
}

/** Empties the cache (a new generation); the frame bits stay, which only costs one extra walk per frame. */
export function invalidateAll(): void {
  if (!regionCleared) {
    memory.fill(DC_TABLE, 0, DC_REGION_END - DC_TABLE);
    regionCleared = true;
  }
  genHi += <u64>1 << 34;
  jitForgetAll();
  codeEpoch++;
  if (genHi >= GEN_LIMIT || genHi == 0) {
    memory.fill(DC_TABLE, 0, DC_ENTRIES * DC_ENTRY_SIZE);
    genHi = <u64>1 << 34;
  }
}
