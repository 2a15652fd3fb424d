// Linear-memory accesses for the CPU and the hypervisor: the one API every instruction uses.
// `linear` is already segment base + offset (segment checks are the CPU's job). Each access uses
// the current CPL (3 = user) unless it is an *As variant with an explicit privilege, which the
// hypervisor uses for implicit supervisor accesses (descriptor tables, bounce frames).
// Fault protocol (cpu/fault.ts): on a fault the value returned is 0 and faulted() is true; a
// write that faults has written nothing, including a write that straddles two pages (both pages
// are translated before either is written).
import { CNT_BASE, CNT_TLB_HITS, CNT_TLB_MISSES } from '../layout';
import { getCpl } from '../cpu/state';
import { faulted } from '../cpu/fault';
import { tlbLookup } from './tlb';
import { shadowActive, shadowSlot, shadowLookup } from './shadow';
import { tlbFill } from './log-dirty';
import { walk, rightFor, ACC_READ, ACC_WRITE, ACC_EXEC } from './paging';

export { ACC_READ, ACC_WRITE, ACC_EXEC };

@inline export function isUser(): bool { return getCpl() == 3; }

/** Host offset of `linear` for access `acc` with privilege `user`, or 0 after raising #PF. */
@inline export function translateAs(linear: u64, acc: u32, user: bool): u32 {
  const host = tlbHit(linear, acc, user);
  if (host != 0) return host;
  return translateMiss(linear, acc, user);
}

/** The TLB's answer for `linear` (counted as a hit), or 0 on a miss (nothing raised, nothing counted). */
@inline export function tlbHit(linear: u64, acc: u32, user: bool): u32 {
  const host = tlbLookup(linear, rightFor(acc, user));
  if (host != 0) store<u64>(CNT_BASE + CNT_TLB_HITS, load<u64>(CNT_BASE + CNT_TLB_HITS) + 1);
  return host;
}

/** A TLB miss: the current address space's shadow, else the page walk. */
function translateMiss(linear: u64, acc: u32, user: bool): u32 {
  store<u64>(CNT_BASE + CNT_TLB_MISSES, load<u64>(CNT_BASE + CNT_TLB_MISSES) + 1);
  if (shadowActive && shadowSlot >= 0) {
    const hit = shadowLookup(linear, rightFor(acc, user));
    if (hit != 0) {
      const page = hit & ~0xfff;
      tlbFill(linear, page, hit & 0xfff, acc, false);
      return page + (<u32>linear & 0xfff);
    }
  }
  return walk(linear, acc, user);
}

@inline export function translate(linear: u64, acc: u32): u32 { return translateAs(linear, acc, isUser()); }

// ---- Reads ----
export function read8As(linear: u64, user: bool): u32 {
  const h = translateAs(linear, ACC_READ, user);
  return h == 0 ? 0 : <u32>load<u8>(h);
}
export function read16As(linear: u64, user: bool): u32 {
  if ((<u32>linear & 0xfff) <= 0xffe) {
    const h = translateAs(linear, ACC_READ, user);
    return h == 0 ? 0 : <u32>load<u16>(h);
  }
  const lo = read8As(linear, user);
  if (faulted()) return 0;
  const hi = read8As(linear + 1, user);
  return lo | (hi << 8);
}
export function read32As(linear: u64, user: bool): u32 {
  if ((<u32>linear & 0xfff) <= 0xffc) {
    const h = translateAs(linear, ACC_READ, user);
    return h == 0 ? 0 : load<u32>(h);
  }
  let v: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    v |= read8As(linear + i, user) << (i * 8);
    if (faulted()) return 0;
  }
  return v;
}
export function read64As(linear: u64, user: bool): u64 {
  if ((<u32>linear & 0xfff) <= 0xff8) {
    const h = translateAs(linear, ACC_READ, user);
    return h == 0 ? 0 : load<u64>(h);
  }
  const lo = read32As(linear, user);
  if (faulted()) return 0;
  const hi = read32As(linear + 4, user);
  return <u64>lo | (<u64>hi << 32);
}

@inline export function read8(linear: u64): u32 { return read8As(linear, isUser()); }
@inline export function read16(linear: u64): u32 { return read16As(linear, isUser()); }
@inline export function read32(linear: u64): u32 { return read32As(linear, isUser()); }
@inline export function read64(linear: u64): u64 { return read64As(linear, isUser()); }

// ---- Writes ----
/** Checks that `size` bytes at `linear` are writable (no write happens). False after raising #PF. */
export function probeWriteAs(linear: u64, size: u32, user: bool): bool {
  if (translateAs(linear, ACC_WRITE, user) == 0) return false;
  const last = linear + size - 1;
  // The second page is probed at its first byte: that is the CR2 the hardware reports.
  if (((linear ^ last) & ~(<u64>0xfff)) != 0) return translateAs((linear | 0xfff) + 1, ACC_WRITE, user) != 0;
  return true;
}
@inline export function probeWrite(linear: u64, size: u32): bool { return probeWriteAs(linear, size, isUser()); }

export function write8As(linear: u64, v: u32, user: bool): void {
  const h = translateAs(linear, ACC_WRITE, user);
  if (h != 0) store<u8>(h, <u8>v);
}
export function writeNAs(linear: u64, v: u64, size: u32, user: bool): void {
  if ((<u32>linear & 0xfff) <= 0x1000 - size) {
    const h = translateAs(linear, ACC_WRITE, user);
    if (h == 0) return;
    if (size == 2) store<u16>(h, <u16>v);
    else if (size == 4) store<u32>(h, <u32>v);
    else if (size == 8) store<u64>(h, v);
    else store<u8>(h, <u8>v);
    return;
  }
  // Straddles two pages: translate both ends before writing anything.
  if (!probeWriteAs(linear, size, user)) return;
  for (let i: u32 = 0; i < size; i++) {
    const h = translateAs(linear + i, ACC_WRITE, user);
    store<u8>(h, <u8>(v >> (i * 8)));
  }
}
@inline export function write16As(linear: u64, v: u32, user: bool): void { writeNAs(linear, <u64>v, 2, user); }
@inline export function write32As(linear: u64, v: u32, user: bool): void { writeNAs(linear, <u64>v, 4, user); }
@inline export function write64As(linear: u64, v: u64, user: bool): void { writeNAs(linear, v, 8, user); }

@inline export function write8(linear: u64, v: u32): void { write8As(linear, v, isUser()); }
@inline export function write16(linear: u64, v: u32): void { writeNAs(linear, <u64>v, 2, isUser()); }
@inline export function write32(linear: u64, v: u32): void { writeNAs(linear, <u64>v, 4, isUser()); }
@inline export function write64(linear: u64, v: u64): void { writeNAs(linear, v, 8, isUser()); }

// ---- Instruction fetch ----
/** Host offset of the code byte at `linear` (execute right), or 0 after raising #PF. */
@inline export function translateFetch(linear: u64): u32 { return translateAs(linear, ACC_EXEC, isUser()); }

