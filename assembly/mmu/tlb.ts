// The software TLB: a direct-mapped cache of 4 KiB translations in front of the shadows and the page
// walk, as v86 does it: one load and one compare of the tag, one AND of the rights. Entry (16 bytes):
//   +0 u64 tag    = page-aligned linear address | address-space tag (bits 1..11) | TLB_VALID (0 = empty)
//   +8 u32 host   = wasm-memory offset of the page's first byte
//   +12 u32 rights = RIGHT_* bits, already reduced by every level's RW/US/NX, CR0.WP and the D bit
// The address-space tag is 0 with shadows off (a CR3 change flushes) and the shadow slot + 1 with them
// on (mmu/shadow.ts): entries of other address spaces stay and simply do not match.
// Invariant: an entry grants a right only if the access would succeed without touching the guest
// page tables (A and D already set). Any change that can remove a right flushes or invalidates it.
import { TLB_BASE, TLB_ENTRIES, TLB_ENTRY_SIZE, TLB_SIZE, CNT_BASE, CNT_TLB_FLUSHES, SHADOW_SLOTS, JIT_BASE, JIT_TLB_TAG, JIT_TLB_SALT } from '../layout';

/** Address-space tags run from 0 (untagged) to SHADOW_SLOTS (mmu/shadow.ts slot + 1). */
const TLB_MAX_ASID: u32 = SHADOW_SLOTS;

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
/** The low bits of every tag this address space matches: TLB_VALID | slot + 1 << 1 (mmu/shadow.ts). */
export let tlbTag: u64 = TLB_VALID;

/** XORed into the index, so address spaces that map the same addresses do not evict each other. */
let tlbSalt: u32 = 0;
@inline function saltOf(asid: u32): u32 { return asid * 0x2f1; }

/** Selects the address space whose entries match (`asid` 0 = untagged, shadows off). */
export function tlbSetAsid(asid: u32): void {
  tlbTag = TLB_VALID | (<u64>asid << 1);
  tlbSalt = saltOf(asid);
  publishTag();
  tlbGeneration++;
}
/** Compiled blocks (cpu/jit.ts) look the TLB up inline: they read the tag and salt from memory. */
function publishTag(): void {
  store<u64>(JIT_BASE + JIT_TLB_TAG, tlbTag);
  store<u32>(JIT_BASE + JIT_TLB_SALT, tlbSalt);
}
publishTag();
/** Caches derived from translations (the CPU's fetch page) must look again. */
export function tlbNewGeneration(): void { tlbGeneration++; }

@inline function entryIn(linear: u64, salt: u32): u32 {
  return TLB_BASE + ((((<u32>(linear >> 12)) ^ salt) & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE);
}
/** The entry `linear` uses in the current address space. */
@inline export function tlbEntry(linear: u64): u32 { return entryIn(linear, tlbSalt); }

/** Host offset of `linear` if the TLB grants `right`, else 0. */
@inline export function tlbLookup(linear: u64, right: u32): u32 {
  const e = tlbEntry(linear);
  if (load<u64>(e) == ((linear & ~(<u64>0xfff)) | tlbTag) && (load<u32>(e, 12) & right) != 0) {
    return load<u32>(e, 8) + (<u32>linear & 0xfff);
  }
  return 0;
}

export function tlbInsert(linear: u64, hostPage: u32, rights: u32, large: bool): void {
  if (!tlbEnabled) return;
  const e = tlbEntry(linear);
  store<u64>(e, (linear & ~(<u64>0xfff)) | tlbTag);
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

/** Drops the entries of address space `asid` in [start, start + len) (a shadow invalidation). */
export function tlbInvalidateRange(asid: u32, start: u64, len: u64): void {
  const tag = TLB_VALID | (<u64>asid << 1);
  const pages = len >> 12;
  if (pages <= <u64>TLB_ENTRIES) {
    for (let p: u64 = 0; p < pages; p++) {
      const va = start + (p << 12);
      const e = entryIn(va, saltOf(asid));
      if (load<u64>(e) == (va | tag)) store<u64>(e, 0);
    }
  } else {
    for (let e = TLB_BASE, end = TLB_BASE + TLB_SIZE; e < end; e += TLB_ENTRY_SIZE) {
      const t = load<u64>(e);
      if ((t & 0xfff) == tag && (t & ~(<u64>0xfff)) - start < len) store<u64>(e, 0);
    }
  }
  tlbGeneration++;
}

/** Drops every entry of address space `asid` (its shadow slot was recycled). */
export function tlbFlushAsid(asid: u32): void {
  const tag = TLB_VALID | (<u64>asid << 1);
  for (let e = TLB_BASE, end = TLB_BASE + TLB_SIZE; e < end; e += TLB_ENTRY_SIZE) {
    if ((load<u64>(e) & 0xfff) == tag) store<u64>(e, 0);
  }
  tlbGeneration++;
}

/** Removes the write rights of every entry (log-dirty: the next write to each page must be seen). */
export function tlbRevokeWrites(): void {
  const noWrite = ~(RIGHT_WRITE_SUP | RIGHT_WRITE_USER);
  for (let e = TLB_BASE, end = TLB_BASE + TLB_SIZE; e < end; e += TLB_ENTRY_SIZE) store<u32>(e, load<u32>(e, 12) & noWrite, 12);
  tlbGeneration++;
}

/** INVLPG semantics: drop every translation of the page containing `linear` (in every address space). */
export function tlbInvalidatePage(linear: u64): void {
  if (tlbHasLargePages) { tlbFlushAll(); return; }
  const page = linear & ~(<u64>0xfff);
  for (let asid: u32 = 0; asid <= TLB_MAX_ASID; asid++) {
    const e = entryIn(linear, saltOf(asid));
    if ((load<u64>(e) & ~(<u64>0xfff)) == page) store<u64>(e, 0);
  }
  tlbGeneration++;
}

export function tlbSetEnabled(on: bool): void {
  tlbEnabled = on;
  tlbFlushAll();
}
