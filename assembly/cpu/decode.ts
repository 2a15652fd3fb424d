// Instruction decode state and code fetch (Intel SDM vol. 2, chapter 2 "Instruction format").
// The state of the instruction being decoded lives in wasm globals (prefixes, operand and address
// size, REX); bytes come through a cached host pointer to the current code page, revalidated per
// instruction against mmu/tlb.ts tlbGeneration. Invariants: fetchEnd never lets the fast path read
// past the page, the CS limit, or the 15-byte instruction length (the slow path raises #PF or #GP);
// `ipNow()` is the IP of the next byte to fetch.
import { tlbGeneration } from '../mmu/tlb';
import { translateFetch } from '../mmu/access';
import { raiseGP, faulted } from './fault';
import { getRip, setRip } from './state';
import { optCodePageCache } from './options';

// ---- Mode cache (refreshed by interp.ts syncMode() from CR0/EFER/CS) ----
/** 64-bit mode (long mode with CS.L = 1). */
export let mode64: bool = false;
/** Default operand size from CS.D (2 or 4); 4 in 64-bit mode. */
export let defSize: u32 = 4;
/** Default address size: as defSize, but 8 in 64-bit mode. */
export let defAdSize: u32 = 4;
/** CS base and limit (32-bit modes: fetches beyond the limit are #GP(0)). */
export let csBase: u64 = 0;
export let csLimit: u32 = 0xffffffff;
/** Mask of the instruction pointer: 0xffff, 0xffffffff, or all ones in 64-bit mode. */
export let ipMask: u64 = 0xffffffff;
/** Mask of the stack pointer (SS.B in 32-bit modes; all ones in 64-bit mode). */
export let spMask: u64 = 0xffffffff;

export function setModeCache(m64: bool, def: u32, base: u64, limit: u32, ssBig: bool): void {
  mode64 = m64;
  defSize = def;
  defAdSize = m64 ? 8 : def;
  csBase = m64 ? 0 : base;
  csLimit = m64 ? 0xffffffff : limit;
  ipMask = m64 ? <u64>0xffffffffffffffff : (def == 4 ? <u64>0xffffffff : <u64>0xffff);
  spMask = m64 ? <u64>0xffffffffffffffff : (ssBig ? <u64>0xffffffff : <u64>0xffff);
  modeKeyHi = <u64>(m64 ? 3 : (def == 4 ? 2 : 1)) << 32;
  invalidateFetchCache();
}
export function setSpMask(ssBig: bool): void {
  spMask = mode64 ? <u64>0xffffffffffffffff : (ssBig ? <u64>0xffffffff : <u64>0xffff);
}

// ---- Per-instruction decode state ----
/** IP of the instruction being executed (RIP until it commits). */
export let ipStart: u64 = 0;
/** Effective operand size in bytes (2, 4, 8) and address size (2, 4, 8). */
export let opSize: u32 = 4;
export let adSize: u32 = 4;
/** The REX prefix byte (0x40..0x4F) when one immediately precedes the opcode, else 0. */
export let rex: u32 = 0;
/** Segment override (ES..GS) or -1. */
export let segOvr: i32 = -1;
/** 0, 0xF2 (REPNE) or 0xF3 (REP/REPE): the last of them wins, as on hardware. */
export let repPfx: u32 = 0;
export let lockPfx: bool = false;
/** An operand-size prefix was present (SSE mandatory prefix 66). */
export let pfx66: bool = false;
/** Set when the instruction wrote RIP itself (branches, platform hooks): no fall-through commit. */
export let ripWritten: bool = false;
/** Some prefix state differs from the defaults (reset lazily: most instructions have no prefix). */
let prefixDirty: bool = true;
/** The previous instruction fell through: fetching continues where it stopped. */
let fellThrough: bool = false;

// ---- Fetch state ----
let fetchHost: u32 = 0; // wasm offset of the next byte
let fetchEnd: u32 = 0; // first wasm offset the fast path may not read
let pageEnd: u32 = 0; // first wasm offset past the fetchable part of the current code page
let fetchDelta: u64 = 0; // IP of the byte at wasm offset h is h + fetchDelta
// The code-page cache: one linear page translated for execution.
let cacheLin: u64 = 1; // page-aligned linear address, or 1 = empty
let cacheHost: u32 = 0;
let cacheEndOff: u32 = 0; // bytes of the page fetchable (CS limit may cut the page)
let cacheGen: u32 = 0;

export function invalidateFetchCache(): void {
  cacheLin = 1;
  cacheGen = tlbGeneration - 1; // invalid until the next refill, even if this instruction falls through
  fellThrough = false;
  prefixDirty = true;
}

// ---- Decode-cache support (cpu/predecode.ts decodedEntry) ----
/** The decode mode in bits 32..33 of a decode-cache key: 1 = 16-bit, 2 = 32-bit, 3 = 64-bit code. */
export let modeKeyHi: u64 = <u64>2 << 32;
/** Makes the fetch window valid at the next byte (translating its page); false with #PF/#GP raised. */
@inline export function fetchWindowReady(): bool { return fetchHost < fetchEnd || refill(); }
/** Wasm offset of the next byte, and the first one the window may not read (page, CS limit, 15 bytes). */
@inline export function fetchCursor(): u32 { return fetchHost; }
@inline export function fetchWindowEnd(): u32 { return fetchEnd; }
/** Consumes `n` bytes already known to lie in the window (a pre-decoded instruction). */
@inline export function skipFetched(n: u32): void { fetchHost += n; }
/**
 * A relative branch by `delta` from the end of the current instruction that stays in the fetchable
 * part of the current code page: moves the fetch pointer there and returns true, so the branch
 * commits like a fall-through (RIP = ipNow()) and the next instruction needs no translation.
 */
@inline export function branchInPage(delta: i64): bool {
  const t = <i64>fetchHost + delta;
  if (t < <i64>((fetchHost - 1) & ~0xfff) || t >= <i64>pageEnd) return false;
  fetchHost = <u32>t;
  return true;
}

// ---- Runs of decoded instructions (interp.ts runDecoded) ----
/** IP of the instruction that starts at wasm offset `h` of the current fetch page. */
@inline export function ipAt(h: u32): u64 { return (<u64>h + fetchDelta) & ipMask; }
/** The two parts of ipAt(): IP = (h + ipDelta()) & ipMaskNow() (a run keeps them in locals). */
@inline export function ipDelta(): u64 { return fetchDelta; }
@inline export function ipMaskNow(): u64 { return ipMask; }
/**
 * The end of the fetchable part of the fetch page. An instruction at wasm offset h < fetchPageEnd(),
 * right after one that fell through or branched within the page, while the TLB generation is
 * unchanged, runs without beginInsn(): its decoded entry describes it wholly (predecode.ts).
 */
@inline export function fetchPageEnd(): u32 { return pageEnd; }
/** A decoded instruction that starts at wasm offset `h` faulted: it is the one to restart. */
@inline export function faultedAt(h: u32): void { ipStart = ipAt(h); }

/** IP of the next byte to be fetched (at the end of decoding: the next instruction's IP). */
@inline export function ipNow(): u64 { return (<u64>fetchHost + fetchDelta) & ipMask; }

/** Commits a branch target: RIP = target (already masked by the caller's operand size). */
@inline export function jumpTo(target: u64): void {
  setRip(target);
  ripWritten = true;
}
@inline export function markRipWritten(): void { ripWritten = true; }

/** Ends an instruction: commits RIP for a fall-through, remembers whether fetching may continue. */
@inline export function endInsn(ok: bool): void {
  const cont = ok && !ripWritten;
  if (cont) setRip(ipNow());
  fellThrough = cont;
}

@inline function resetPrefixes(): void {
  opSize = defSize;
  adSize = defAdSize;
  rex = 0;
  segOvr = -1;
  repPfx = 0;
  lockPfx = false;
  pfx66 = false;
  prefixDirty = false;
}

// ---- Prefix setters (interp.ts prefix cases) ----
@inline export function prefixOpSize(): void {
  prefixDirty = true;
  pfx66 = true;
  rex = 0;
  opSize = defSize == 4 ? 2 : 4;
}
@inline export function prefixAdSize(): void {
  prefixDirty = true;
  cancelRex();
  adSize = mode64 ? 4 : (defSize == 4 ? 2 : 4);
}
/** In 64-bit mode CS DS ES SS overrides (s < 4) are null prefixes: they do not displace an earlier
 *  FS or GS override (AMD APM vol. 3, 1.2.4; the reference CPU agrees). */
@inline export function prefixSeg(s: i32): void {
  prefixDirty = true;
  if (!mode64 || s >= 4) segOvr = s;
  cancelRex();
}
@inline export function prefixRep(p: u32): void { prefixDirty = true; repPfx = p; cancelRex(); }
@inline export function prefixLock(): void { prefixDirty = true; lockPfx = true; cancelRex(); }
@inline export function prefixRex(b: u32): void {
  prefixDirty = true;
  rex = b;
  opSize = (b & 8) != 0 ? 8 : (pfx66 ? 2 : 4);
}
/** A legacy prefix after REX makes the REX void (it must immediately precede the opcode). */
@inline function cancelRex(): void {
  if (rex != 0) { rex = 0; opSize = pfx66 ? 2 : 4; }
}
@inline export function rexW(): bool { return (rex & 8) != 0; }
/** A VEX prefix supplies REX-like bits (R X B, W) and the operand size of the instruction. */
export function setVexState(rexBits: u32, size: u32): void {
  prefixDirty = true;
  rex = rexBits;
  opSize = size;
}

/**
 * Starts an instruction at RIP: sets up the fetch pointer (continuing after the previous instruction
 * when it fell through, else through the code-page cache) and resets the prefix state.
 */
@inline export function beginInsn(): void {
  ripWritten = false;
  if (prefixDirty) resetPrefixes();
  if (fellThrough && cacheGen == tlbGeneration) {
    // The previous instruction fell through on this page: RIP is where fetching stopped.
    const h = fetchHost;
    ipStart = (<u64>h + fetchDelta) & ipMask;
    const lenEnd = h + 15;
    fetchEnd = lenEnd < pageEnd ? lenEnd : pageEnd;
    return;
  }
  beginInsnSlow();
}

function beginInsnSlow(): void {
  const ip = getRip();
  ipStart = ip;
  const lin = mode64 ? ip : ((csBase + ip) & 0xffffffff);
  const off = <u32>lin & 0xfff;
  if ((lin & ~(<u64>0xfff)) == cacheLin && cacheGen == tlbGeneration && off < cacheEndOff) {
    const h = cacheHost + off;
    fetchHost = h;
    pageEnd = cacheHost + cacheEndOff;
    const lenEnd = h + 15;
    fetchEnd = lenEnd < pageEnd ? lenEnd : pageEnd;
    fetchDelta = ip - <u64>h;
  } else {
    // Empty cache: the first fetch takes the slow path, which translates the page.
    fetchHost = 0;
    fetchEnd = 0;
    pageEnd = 0;
    fetchDelta = ip;
  }
}

/** Refills the fetch window at the next byte; false with #GP/#PF raised if it cannot be fetched. */
function refill(): bool {
  const ip = (<u64>fetchHost + fetchDelta) & ipMask;
  const done = ip - ipStart;
  if ((done & ipMask) >= 15) { raiseGP(0); return false; } // instruction longer than 15 bytes
  if (!mode64 && ip > <u64>csLimit) { raiseGP(0); return false; }
  const lin = mode64 ? ip : ((csBase + ip) & 0xffffffff);
  const h = translateFetch(lin);
  if (faulted()) return false;
  const off = <u32>lin & 0xfff;
  let endOff: u32 = 0x1000;
  if (!mode64) {
    // The CS limit may end inside this page.
    const room = <u64>csLimit - ip + 1; // bytes up to and including the limit
    if (room < <u64>(0x1000 - off)) endOff = off + <u32>room;
  }
  if (optCodePageCache) {
    cacheLin = lin & ~(<u64>0xfff);
    cacheHost = h - off;
    cacheEndOff = endOff;
    cacheGen = tlbGeneration;
  } else {
    cacheGen = tlbGeneration - 1; // never valid: every instruction starts on the slow path
  }
  fetchHost = h;
  fetchDelta = ip - <u64>h;
  const left = <u32>(15 - done);
  pageEnd = h - off + endOff;
  fetchEnd = h + left < pageEnd ? h + left : pageEnd;
  return true;
}

function fetch8Slow(): u32 {
  if (!refill()) return 0;
  const h = fetchHost;
  fetchHost = h + 1;
  return load<u8>(h);
}

/** The next instruction byte (0 with a fault raised if it cannot be fetched). */
@inline export function fetch8(): u32 {
  const h = fetchHost;
  if (h < fetchEnd) {
    fetchHost = h + 1;
    return load<u8>(h);
  }
  return fetch8Slow();
}

function fetchNSlow(n: u32): u64 {
  let v: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const b = fetch8();
    if (faulted()) return 0;
    v |= <u64>b << (<u64>i * 8);
  }
  return v;
}
@inline export function fetch16(): u32 {
  const h = fetchHost;
  if (h + 2 <= fetchEnd) { fetchHost = h + 2; return load<u16>(h); }
  return <u32>fetchNSlow(2);
}
@inline export function fetch32(): u32 {
  const h = fetchHost;
  if (h + 4 <= fetchEnd) { fetchHost = h + 4; return load<u32>(h); }
  return <u32>fetchNSlow(4);
}
@inline export function fetch64(): u64 {
  const h = fetchHost;
  if (h + 8 <= fetchEnd) { fetchHost = h + 8; return load<u64>(h); }
  return fetchNSlow(8);
}
/** Sign-extended 8-bit immediate. */
@inline export function fetchS8(): u64 { return <u64>(<i64>(<i8>fetch8())); }
/** Immediate of operand size `size` (an imm32 sign-extended for 64-bit operands), as u64. */
export function fetchImm(size: u32): u64 {
  if (size == 1) return <u64>fetch8();
  if (size == 2) return <u64>fetch16();
  const v = fetch32();
  return size == 8 ? <u64>(<i64>(<i32>v)) : <u64>v;
}
/** Sign-extended immediate of operand size (iz sign-extended to 64 bits for relative branches). */
export function fetchSImm(size: u32): u64 {
  if (size == 2) return <u64>(<i64>(<i16>fetch16()));
  return <u64>(<i64>(<i32>fetch32()));
}

/** Bytes fetched so far for this instruction. */
@inline export function insnLength(): u32 { return <u32>((ipNow() - ipStart) & ipMask); }
