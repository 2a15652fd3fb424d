// The software TLB: a direct-mapped cache of 4 KiB translations in front of the page walk, as v86
// does it: one load and one compare of the tag, one AND of the rights. Entry (16 bytes):
//   +0 u64 tag    = page-aligned linear address | TLB_VALID   (0 = empty)
//   +8 u32 host   = wasm-memory offset of the page's first byte
//   +12 u32 rights = RIGHT_* bits, already reduced by every level's RW/US/NX, CR0.WP and the D bit
// Invariant: an entry grants a right only if the access would succeed without touching the guest
// page tables (A and D already set). Any change that can remove a right flushes (tlbFlush*).
import { TLB_BASE, TLB_ENTRIES, TLB_ENTRY_SIZE, TLB_SIZE, CNT_BASE, CNT_TLB_FLUSHES } from '../layout';

export const TLB_VALID: u64 = 1;
export const RIGHT_READ_SUP: u32 = 1 << 0;
export const RIGHT_READ_USER: u32 = 1 << 1;
export const RIGHT_WRITE_SUP: u32 = 1 << 2;
export const RIGHT_WRITE_USER: u32 = 1 << 3;
export const RIGHT_EXEC_SUP: u32 = 1 << 4;
export const RIGHT_EXEC_USER: u32 = 1 << 5;

/** Bumped on every flush or invalidation: caches derived from translations (the CPU's fetch page) compare it. */
export let tlbGeneration: u32 = 1;
/** True once a 2 MiB or 1 GiB page was entered: INVLPG then flushes everything (its 4 KiB pieces are spread). */
export let tlbHasLargePages: bool = false;
/** One switch per optimisation (design.md): with the TLB off every access walks the page tables. */
export let tlbEnabled: bool = true;

@inline export function tlbEntry(linear: u64): u32 {
  return TLB_BASE + ((<u32>(linear >> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE);
}

/** Host offset of `linear` if the TLB grants `right`, else 0. */
@inline export function tlbLookup(linear: u64, right: u32): u32 {
  const e = tlbEntry(linear);
  if (load<u64>(e) == ((linear & ~(<u64>0xfff)) | TLB_VALID) && (load<u32>(e, 12) & right) != 0) {
    return load<u32>(e, 8) + (<u32>linear & 0xfff);
  }
  return 0;
}

export function tlbInsert(linear: u64, hostPage: u32, rights: u32, large: bool): void {
  if (!tlbEnabled) return;
  const e = tlbEntry(linear);
  store<u64>(e, (linear & ~(<u64>0xfff)) | TLB_VALID);
  store<u32>(e, hostPage, 8);
  store<u32>(e, rights, 12);
  if (large) tlbHasLargePages = true;
}

export function tlbFlushAll(): void {
  memory.fill(TLB_BASE, 0, TLB_SIZE);
  tlbHasLargePages = false;
  tlbGeneration++;
  store<u64>(CNT_BASE + CNT_TLB_FLUSHES, load<u64>(CNT_BASE + CNT_TLB_FLUSHES) + 1);
}

/** INVLPG semantics: drop every translation of the page containing `linear`. */
export function tlbInvalidatePage(linear: u64): void {
  if (tlbHasLargePages) { tlbFlushAll(); return; }
  store<u64>(tlbEntry(linear), 0);
  tlbGeneration++;
}

export function tlbSetEnabled(on: bool): void {
  tlbEnabled = on;
  tlbFlushAll();
}
