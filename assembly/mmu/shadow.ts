// Shadow page tables (design.md "The MMU and the shadow page tables"): per address space (per CR3
// value), the translations the page walk found, kept across context switches. A CR3 change selects
// the address space's slot (and its TLB tag) instead of flushing; a change to a guest page-table
// entry invalidates exactly the shadow and TLB entries derived from it, found through a reverse map
// (guest table frame -> the slots that walked through it and the address range it maps there).
// Entries hold what the guest tables grant (host page + rights, write only once D is set); the
// decode-cache guard and log-dirty are filters applied when an entry is copied into the TLB.
// Invariants: (1) every shadow and TLB entry of a slot was derived through a chain of table frames
// each of which has a reverse-map record covering that slot and the entry's address; (2) a change to
// a present guest entry calls shadowEntryChanged before the guest runs again; (3) with shadows off
// nothing here runs and the TLB is untagged and flushed on every CR3 change, as before; (4) bit s
// of index bucket bucketOf(r) is set exactly when slot s is in use with root r (the switch's lookup).
import {
  SHADOW_BASE, SHADOW_SLOTS, SHADOW_SLOT_ENTRIES, SHADOW_SLOT_BYTES, SHADOW_SIZE, SHADOW_META_BASE, SHADOW_META_SIZE,
  SHADOW_META_STRIDE, SHADOW_META_ROOT, SHADOW_META_USED, SHADOW_META_IN_USE, SHADOW_META_FILLED,
  RMAP_BASE, RMAP_ENTRIES, RMAP_SIZE, TLB_ENTRY_SIZE, CNT_BASE, CNT_SHADOW_HITS, CNT_SHADOW_MISSES,
  CNT_SHADOW_FILLS, CNT_SHADOW_INVALIDATIONS, CNT_SHADOW_SWITCHES, CNT_SHADOW_NEW, CNT_SHADOW_RESETS, CPU_BASE, CPU_CR3,
} from '../layout';
import { tlbFlushAll, tlbFlushAsid, tlbInvalidateRange, tlbSetAsid, tlbNewGeneration } from './tlb';

/** One switch per optimisation (design.md): off = the TLB is flushed on every CR3 change. */
export let shadowEnabled: bool = true;
/** Shadows are kept for this domain (a PV domain with the switch on; never for the bare test machine). */
export let shadowActive: bool = false;
/** The slot of the current address space, or -1. */
export let shadowSlot: i32 = -1;

const RMAP_MULTI: u64 = 8; // the frame was seen at two different (level, range) places: drop whole slots
const RMAP_LEVEL_MASK: u64 = 7;
const RMAP_PROBES: u32 = 16;

let useClock: u64 = 0;

// The index by root that a CR3 load searches instead of every slot: INDEX_BUCKETS u32 masks of slots
// (SHADOW_SLOTS <= 32), bucket = a multiplicative hash of the root's frame. Static data, not a region
// of the map: only this file reads it, and shadowResetAll empties it with the slots.
const INDEX_BUCKETS: u32 = 64;
const INDEX: u32 = <u32>memory.data(INDEX_BUCKETS * 4, 4);
@inline function bucketOf(root: u64): u32 { return INDEX + (((<u32>(root >> 12) * 0x9e3779b1) >> 26) << 2); }
@inline function indexAdd(slot: i32, root: u64): void { const b = bucketOf(root); store<u32>(b, load<u32>(b) | (<u32>1 << <u32>slot)); }
@inline function indexRemove(slot: i32, root: u64): void { const b = bucketOf(root); store<u32>(b, load<u32>(b) & ~(<u32>1 << <u32>slot)); }

@inline function bump(counter: u32, n: u64 = 1): void {
  store<u64>(CNT_BASE + counter, load<u64>(CNT_BASE + counter) + n);
}
@inline function meta(slot: i32): u32 { return SHADOW_META_BASE + <u32>slot * SHADOW_META_STRIDE; }
@inline function slotBase(slot: i32): u32 { return SHADOW_BASE + <u32>slot * SHADOW_SLOT_BYTES; }
@inline export function shadowEntryAddr(slot: i32, linear: u64): u32 {
  return slotBase(slot) + ((<u32>(linear >> 12) & (SHADOW_SLOT_ENTRIES - 1)) * TLB_ENTRY_SIZE);
}
/** Bytes covered by one entry of a table at `level` (1 = L1: 4 KiB ... 4 = L4: 512 GiB). */
@inline function span(level: u32): u64 { return <u64>1 << (12 + 9 * (level - 1)); }
@inline function sext48(v: u64): u64 { return <u64>((<i64>(v << 16)) >> 16); }

export function slotInUse(slot: i32): bool { return load<u32>(meta(slot), SHADOW_META_IN_USE) != 0; }
export function slotRoot(slot: i32): u64 { return load<u64>(meta(slot), SHADOW_META_ROOT); }

// ---- Switches and whole resets ----

/** Called when a domain starts: shadows for PV domains only. */
export function shadowDomainStart(isPv: bool): void {
  shadowActive = isPv && shadowEnabled;
  shadowResetAll(false);
}

export function shadowSetEnabled(on: bool, isPv: bool): void {
  shadowEnabled = on;
  shadowActive = isPv && on;
  shadowResetAll(true);
}

/**
 * Drops every shadow, the reverse map and the TLB (CR0.WP, CR4, EFER.NXE changed; a switch toggled;
 * the reverse map is full), then selects a fresh slot for the current CR3.
 */
export function shadowResetAll(count: bool): void {
  memory.fill(SHADOW_BASE, 0, SHADOW_SIZE);
  memory.fill(SHADOW_META_BASE, 0, SHADOW_META_SIZE);
  memory.fill(INDEX, 0, INDEX_BUCKETS * 4);
  memory.fill(RMAP_BASE, 0, RMAP_SIZE);
  shadowSlot = -1;
  tlbSetAsid(0);
  tlbFlushAll();
  if (count) bump(CNT_SHADOW_RESETS);
  if (shadowActive) shadowSwitch(load<u64>(CPU_BASE + CPU_CR3));
}

/** Something every translation depends on changed (CR0.WP/PG, CR4 paging bits, EFER.NXE). */
export function translationsReset(): void {
  if (shadowActive) shadowResetAll(true);
  else tlbFlushAll();
}

// ---- Address-space selection (CR3 loads) ----

/**
 * The guest loaded `cr3`: select its shadow (a new or recycled slot the first time) and the TLB tag
 * that goes with it. With shadows off this is the old behaviour: flush the TLB.
 */
export function shadowSwitch(cr3: u64): void {
  if (!shadowActive) { tlbFlushAll(); return; }
  useClock++;
  // A known address space: its slot through the index (usually the only bit of its bucket).
  for (let mask = load<u32>(bucketOf(cr3)); mask != 0; mask &= mask - 1) {
    const s = <i32>ctz(mask);
    const m = meta(s);
    if (load<u64>(m, SHADOW_META_ROOT) == cr3) {
      store<u64>(m, useClock, SHADOW_META_USED);
      if (s != shadowSlot) { shadowSlot = s; tlbSetAsid(<u32>s + 1); }
      bump(CNT_SHADOW_SWITCHES);
      return;
    }
  }
  // A new one: the first free slot, else the least recently used.
  let free: i32 = -1, lru: i32 = 0;
  let lruUse: u64 = <u64>-1;
  for (let s: i32 = 0; s < <i32>SHADOW_SLOTS; s++) {
    const m = meta(s);
    if (load<u32>(m, SHADOW_META_IN_USE) == 0) { free = s; break; }
    const used = load<u64>(m, SHADOW_META_USED);
    if (used < lruUse) { lruUse = used; lru = s; }
  }
  const s = free >= 0 ? free : lru;
  if (free < 0) { dropSlot(s); indexRemove(s, slotRoot(s)); }
  const m = meta(s);
  store<u64>(m, cr3, SHADOW_META_ROOT);
  indexAdd(s, cr3);
  store<u64>(m, useClock, SHADOW_META_USED);
  store<u32>(m, 1, SHADOW_META_IN_USE);
  store<u32>(m, 0, SHADOW_META_FILLED);
  shadowSlot = s;
  tlbSetAsid(<u32>s + 1);
  bump(CNT_SHADOW_NEW);
}

/** Empties slot `s` and its TLB entries (its reverse-map bits go stale: that only over-invalidates). */
function dropSlot(s: i32): void {
  const n = load<u32>(meta(s), SHADOW_META_FILLED);
  memory.fill(slotBase(s), 0, SHADOW_SLOT_BYTES);
  store<u32>(meta(s), 0, SHADOW_META_FILLED);
  tlbFlushAsid(<u32>s + 1);
  bump(CNT_SHADOW_INVALIDATIONS, <u64>n);
}

/**
 * Top-level table `mfn` lost its last type reference (unpinned, not loaded): the guest may now write
 * it freely, so the slot derived from it must go before it can be loaded again.
 */
export function shadowRootGone(mfn: u64): void {
  if (!shadowActive) return;
  for (let s: i32 = 0; s < <i32>SHADOW_SLOTS; s++) {
    if (s != shadowSlot && slotInUse(s) && (slotRoot(s) >> 12) == mfn) {
      dropSlot(s);
      store<u32>(meta(s), 0, SHADOW_META_IN_USE);
      indexRemove(s, slotRoot(s));
    }
  }
}

// ---- Lookups and fills (mmu/access.ts, mmu/paging.ts) ----

/** Host page | rights of the current slot's entry for `linear` if it grants `right`: host page in the
 *  returned value's bits 12..31, rights in 0..11; 0 = miss. */
@inline export function shadowLookup(linear: u64, right: u32): u32 {
  const e = shadowEntryAddr(shadowSlot, linear);
  if (load<u64>(e) == ((linear & ~(<u64>0xfff)) | 1) && (load<u32>(e, 12) & right) != 0) {
    bump(CNT_SHADOW_HITS);
    return load<u32>(e, 8) | load<u32>(e, 12);
  }
  bump(CNT_SHADOW_MISSES);
  return 0;
}

/** Records a translation the page walk found for the current slot (its frames are in the reverse map). */
export function shadowFill(linear: u64, hostPage: u32, rights: u32): void {
  const e = shadowEntryAddr(shadowSlot, linear);
  if (load<u64>(e) == 0) store<u32>(meta(shadowSlot), load<u32>(meta(shadowSlot), SHADOW_META_FILLED) + 1, SHADOW_META_FILLED);
  store<u64>(e, (linear & ~(<u64>0xfff)) | 1);
  store<u32>(e, hostPage, 8);
  store<u32>(e, rights, 12);
  bump(CNT_SHADOW_FILLS);
}

// ---- Reverse map ----

@inline function rmapHome(mfn: u32): u32 { return (mfn * 0x9e3779b1) >> (32 - 14); }

/** The reverse-map record of table frame `mfn`, or 0. */
function rmapFind(mfn: u32): u32 {
  const h = rmapHome(mfn);
  for (let i: u32 = 0; i < RMAP_PROBES; i++) {
    const e = RMAP_BASE + ((h + i) & (RMAP_ENTRIES - 1)) * 16;
    const k = load<u32>(e);
    if (k == mfn + 1) return e;
    if (k == 0) return 0;
  }
  return 0;
}

/**
 * Notes that the current slot walked through table frame `mfn` at `level`, the table mapping the
 * range starting at `base` (48-bit, aligned to the table's reach). False when the map is full.
 */
export function rmapNote(mfn: u32, level: u32, base: u64): bool {
  const h = rmapHome(mfn);
  const bit: u32 = <u32>1 << <u32>shadowSlot;
  const where = base | <u64>level;
  for (let i: u32 = 0; i < RMAP_PROBES; i++) {
    const e = RMAP_BASE + ((h + i) & (RMAP_ENTRIES - 1)) * 16;
    const k = load<u32>(e);
    if (k == mfn + 1) {
      store<u32>(e, load<u32>(e, 4) | bit, 4);
      const w = load<u64>(e, 8);
      if ((w & ~RMAP_MULTI) != where) store<u64>(e, w | RMAP_MULTI, 8);
      return true;
    }
    if (k == 0) {
      store<u32>(e, mfn + 1);
      store<u32>(e, bit, 4);
      store<u64>(e, where, 8);
      return true;
    }
  }
  return false;
}


/**
 * Entry `index` of guest table frame `table` changed and held `old` before: drop every shadow and TLB
 * entry derived from it. An entry that was not present derived nothing.
 */
export function shadowEntryChanged(table: u32, index: u32, old: u64): void {
  if (!shadowActive || (old & 1) == 0) return;
  const e = rmapFind(table);
  if (e == 0) return;
  const mask = load<u32>(e, 4);
  const w = load<u64>(e, 8);
  const level = <u32>(w & RMAP_LEVEL_MASK);
  const start = sext48((w & ~(<u64>0xfff)) + <u64>index * span(level));
  for (let s: i32 = 0; s < <i32>SHADOW_SLOTS; s++) {
    if ((mask & (<u32>1 << <u32>s)) == 0 || !slotInUse(s)) continue;
    if ((w & RMAP_MULTI) != 0) dropSlot(s);
    else invalidateRange(s, start, span(level));
  }
}

/** Drops slot `s`'s shadow and TLB entries for [start, start + len). */
function invalidateRange(s: i32, start: u64, len: u64): void {
  const pages = len >> 12;
  let n: u32 = 0;
  if (pages <= <u64>SHADOW_SLOT_ENTRIES) {
    for (let p: u64 = 0; p < pages; p++) {
      const va = start + (p << 12);
      const e = shadowEntryAddr(s, va);
      if (load<u64>(e) == (va | 1)) { store<u64>(e, 0); n++; }
    }
  } else {
    for (let e = slotBase(s), end = slotBase(s) + SHADOW_SLOT_BYTES; e < end; e += TLB_ENTRY_SIZE) {
      const t = load<u64>(e);
      if (t != 0 && (t & ~(<u64>0xfff)) - start < len) { store<u64>(e, 0); n++; }
    }
  }
  if (n != 0) {
    store<u32>(meta(s), load<u32>(meta(s), SHADOW_META_FILLED) - n, SHADOW_META_FILLED);
    bump(CNT_SHADOW_INVALIDATIONS, <u64>n);
  }
  tlbInvalidateRange(<u32>s + 1, start, len);
  tlbNewGeneration();
}
