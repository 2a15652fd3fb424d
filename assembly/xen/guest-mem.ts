// copy_from_guest / copy_to_guest: hypercall arguments are guest virtual addresses, read and written
// with the guest kernel's rights in the current address space. A bad pointer is never a guest #PF
// and never an emulator trap: the fault is swallowed and the hypercall returns -EFAULT.
// Invariant: after any function here returns, no fault is pending (cpu/fault.ts).
import { read8As, read16As, read32As, read64As, write8As, writeNAs, probeWriteAs, isUser, translateAs, ACC_READ } from '../mmu/access';
import { faulted, clearFault } from '../cpu/fault';

/** True when the last guest access of a hypercall failed; reading it clears the state. */
export let guestFault: bool = false;

@inline function check(): bool {
  if (faulted()) { clearFault(); guestFault = true; return false; }
  return true;
}

export function beginGuestAccess(): void { guestFault = false; }

export function guestRead8(va: u64): u32 { const v = read8As(va, isUser()); return check() ? v : 0; }
export function guestRead16(va: u64): u32 { const v = read16As(va, isUser()); return check() ? v : 0; }
export function guestRead32(va: u64): u32 { const v = read32As(va, isUser()); return check() ? v : 0; }
export function guestRead64(va: u64): u64 { const v = read64As(va, isUser()); return check() ? v : 0; }
/**
 * One translation for a small structure: the host address of the `len` bytes at `va` when they lie
 * in one page and are readable (the caller loads the fields directly, as guestRead* would), else 0:
 * with guestFault set when the page is not readable, clear when the bytes cross a page boundary
 * (the caller then reads field by field).
 */
export function guestReadSpan(va: u64, len: u32): u32 {
  if ((<u32>va & 0xfff) + len > 0x1000) return 0;
  const h = translateAs(va, ACC_READ, isUser());
  if (h == 0) check();
  return h;
}

/** Reads a guest `unsigned long`: 8 bytes for PV64, 4 for PV32. */
export function guestReadLong(va: u64, is64: bool): u64 { return is64 ? guestRead64(va) : <u64>guestRead32(va); }

export function guestWrite8(va: u64, v: u32): bool { write8As(va, v, isUser()); return check(); }
export function guestWrite16(va: u64, v: u32): bool { writeNAs(va, <u64>v, 2, isUser()); return check(); }
export function guestWrite32(va: u64, v: u32): bool { writeNAs(va, <u64>v, 4, isUser()); return check(); }
export function guestWrite64(va: u64, v: u64): bool { writeNAs(va, v, 8, isUser()); return check(); }
export function guestWriteLong(va: u64, v: u64, is64: bool): bool { return is64 ? guestWrite64(va, v) : guestWrite32(va, <u32>v); }

/** Checks a whole guest buffer is writable before a handler starts writing into it. */
export function guestProbeWrite(va: u64, len: u32): bool {
  let p = va;
  const end = va + len;
  while (p < end) {
    const chunk = 0x1000 - (<u32>p & 0xfff);
    const n = <u64>chunk < end - p ? chunk : <u32>(end - p);
    if (!probeWriteAs(p, n, isUser())) { clearFault(); guestFault = true; return false; }
    p += n;
  }
  return true;
}

/** Writes a NUL-terminated copy of `s` (ASCII) into a guest buffer of `cap` bytes. */
export function guestWriteString(va: u64, s: string, cap: u32): bool {
  const n = <u32>s.length < cap - 1 ? <u32>s.length : cap - 1;
  if (!guestProbeWrite(va, n + 1)) return false;
  for (let i: u32 = 0; i < n; i++) guestWrite8(va + i, <u32>s.charCodeAt(i) & 0x7f);
  return guestWrite8(va + n, 0);
}
