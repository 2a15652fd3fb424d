// String instructions MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE (Intel SDM vol. 2,
// "REP/REPE/REPZ/REPNE/REPNZ"; vol. 1, 7.3.9). Indexes are SI/DI, ESI/EDI or RSI/RDI by address size
// (67h); the source segment is DS or the override, the destination always ES. Each iteration
// commits rSI/rDI/rCX, so a fault leaves them at the faulting iteration with RIP on the instruction.
// A REP loop yields after `repLimit` iterations with RIP still on it (restartable; step() does one).
// Fast path (optFastRepString): REP MOVS/STOS with DF = 0 copy or fill page-sized chunks at once.
import { faulted, raiseGP, clearFault } from './fault';
import {
  getReg64, setReg64, setReg32, setReg16, RAX, RCX, RSI, RDI, ES, DS, getCpl,
  FLAG_IOPL,
} from './state';
import { adSize, repPfx, segOvr, ipStart, jumpTo, fetch8 } from './decode';
import { segLinear, readMem, writeMem, getRegN, setRegN, SEG_READ, SEG_WRITE } from './modrm';
import { setCC, getZF, getDF, maskOfSize, CC_SUB, rawFlags, alignCheck } from './flags';
import { translate, ACC_READ, ACC_WRITE } from '../mmu/access';
import { optFastRepString, REP_CHUNK } from './options';

export const STR_MOVS: u32 = 0;
export const STR_CMPS: u32 = 1;
export const STR_STOS: u32 = 2;
export const STR_LODS: u32 = 3;
export const STR_SCAS: u32 = 4;
export const STR_INS: u32 = 5;
export const STR_OUTS: u32 = 6;

/** Iterations a REP instruction runs before yielding (1 while single-stepping). */
export let repLimit: u32 = REP_CHUNK;
export function setRepLimit(n: u32): void { repLimit = n; }

@inline function adMask(): u64 {
  return adSize == 8 ? <u64>0xffffffffffffffff : (adSize == 4 ? <u64>0xffffffff : <u64>0xffff);
}
@inline function getIdx(r: i32): u64 { return getReg64(r) & adMask(); }
@inline function setIdx(r: i32, v: u64): void {
  if (adSize == 8) setReg64(r, v);
  else if (adSize == 4) setReg32(r, <u32>v);
  else setReg16(r, <u32>v);
}

/** IN/OUT/INS/OUTS permission: #GP(0) when CPL > IOPL (no I/O permission bitmap is modelled). */
export function ioAllowed(): bool {
  const iopl = (<u32>rawFlags() & FLAG_IOPL) >> 12;
  if (getCpl() > iopl) { raiseGP(0); return false; }
  return true;
}

/** One iteration; false if it faulted. Updates the index registers on success. */
function iteration(kind: u32, size: u32, delta: u64): bool {
  const srcSeg: i32 = segOvr >= 0 ? segOvr : DS;
  switch (kind) {
    case STR_MOVS: {
      const si = getIdx(RSI), di = getIdx(RDI);
      const sl = segLinear(srcSeg, si, size, SEG_READ);
      if (faulted()) return false;
      const v = readMem(sl, size);
      if (faulted()) return false;
      const dl = segLinear(ES, di, size, SEG_WRITE);
      if (faulted()) return false;
      writeMem(dl, v, size);
      if (faulted()) return false;
      setIdx(RSI, (si + delta) & adMask());
      setIdx(RDI, (di + delta) & adMask());
      return true;
    }
    case STR_CMPS: {
      const si = getIdx(RSI), di = getIdx(RDI);
      const sl = segLinear(srcSeg, si, size, SEG_READ);
      if (faulted()) return false;
      const a = readMem(sl, size);
      if (faulted()) return false;
      const dl = segLinear(ES, di, size, SEG_READ);
      if (faulted()) return false;
      const b = readMem(dl, size);
      if (faulted()) return false;
      setCC(CC_SUB, size, (a - b) & maskOfSize(size), b);
      setIdx(RSI, (si + delta) & adMask());
      setIdx(RDI, (di + delta) & adMask());
      return true;
    }
    case STR_STOS: {
      const di = getIdx(RDI);
      const dl = segLinear(ES, di, size, SEG_WRITE);
      if (faulted()) return false;
      writeMem(dl, getRegN(RAX, size), size);
      if (faulted()) return false;
      setIdx(RDI, (di + delta) & adMask());
      return true;
    }
    case STR_LODS: {
      const si = getIdx(RSI);
      const sl = segLinear(srcSeg, si, size, SEG_READ);
      if (faulted()) return false;
      const v = readMem(sl, size);
      if (faulted()) return false;
      setRegN(RAX, v, size);
      setIdx(RSI, (si + delta) & adMask());
      return true;
    }
    case STR_SCAS: {
      const di = getIdx(RDI);
      const dl = segLinear(ES, di, size, SEG_READ);
      if (faulted()) return false;
      const b = readMem(dl, size);
      if (faulted()) return false;
      const a = getRegN(RAX, size);
      setCC(CC_SUB, size, (a - b) & maskOfSize(size), b);
      setIdx(RDI, (di + delta) & adMask());
      return true;
    }
    case STR_INS: {
      // No device at CPL <= IOPL: reads return all ones (the hypervisor emulates ports from #GP).
      const di = getIdx(RDI);
      const dl = segLinear(ES, di, size, SEG_WRITE);
      if (faulted()) return false;
      writeMem(dl, maskOfSize(size), size);
      if (faulted()) return false;
      setIdx(RDI, (di + delta) & adMask());
      return true;
    }
    default: { // OUTS: the data is read (and may fault) and dropped
      const si = getIdx(RSI);
      const sl = segLinear(srcSeg, si, size, SEG_READ);
      if (faulted()) return false;
      readMem(sl, size);
      if (faulted()) return false;
      setIdx(RSI, (si + delta) & adMask());
      return true;
    }
  }
}

/** A string instruction of element size `size` (1 for the byte forms, else the operand size). */
export function STRING(kind: u32, size: u32): void {
  if ((kind == STR_INS || kind == STR_OUTS) && !ioAllowed()) return;
  const delta: u64 = getDF() ? 0 - <u64>size : <u64>size;
  const rep = repPfx;
  if (rep == 0) { iteration(kind, size, delta); return; }
  const m = adMask();
  let count = getReg64(RCX) & m;
  if (count == 0) return;
  const cond = kind == STR_CMPS || kind == STR_SCAS;
  let done: u32 = 0;
  while (true) {
    if (optFastRepString && !cond && delta == <u64>size && !alignCheck && (kind == STR_MOVS || kind == STR_STOS)) {
      const n = fastChunk(kind, size, count);
      if (n != 0) {
        count -= n;
        setIdx(RCX, count);
        if (count == 0) return;
        done += <u32>n;
        if (done >= repLimit) { jumpTo(ipStart); return; }
        continue;
      }
      if (faulted()) return;
    }
    if (!iteration(kind, size, delta)) return;
    count = (count - 1) & m;
    setIdx(RCX, count);
    if (count == 0) return;
    if (cond) {
      const zf = getZF();
      if (rep == 0xf3 && !zf) return; // REPE: stop on mismatch
      if (rep == 0xf2 && zf) return; // REPNE: stop on match
    }
    if (++done >= repLimit) { jumpTo(ipStart); return; }
  }
}

/**
 * Forward REP MOVS/STOS of whole elements within the current source and destination pages.
 * Returns the number of elements done (0: take the per-element path, possibly with a fault raised
 * by a translation: then nothing was done). The source is checked before the destination, as one
 * MOVS element reads before it writes: a destination fault found first is left to the element path.
 */
function fastChunk(kind: u32, size: u32, count: u64): u64 {
  const m = adMask();
  const di = getIdx(RDI);
  let n: u64 = count < <u64>repLimit ? count : <u64>repLimit;
  let si: u64 = 0;
  let slin0: u64 = 0;
  const srcSeg: i32 = segOvr >= 0 ? segOvr : DS;
  if (kind == STR_MOVS) {
    si = getIdx(RSI);
    slin0 = segLinear(srcSeg, si, size, SEG_READ);
    if (faulted()) return 0;
    const sRoom = <u64>((0x1000 - (<u32>slin0 & 0xfff)) / size);
    if (sRoom < n) n = sRoom;
    const sWrap = (m - si + 1) / <u64>size;
    if (sWrap < n) n = sWrap;
  }
  // Elements until the destination page ends, the index wraps, or the chunk ends.
  const dlin0 = segLinear(ES, di, size, SEG_WRITE);
  if (faulted()) { if (kind == STR_MOVS) clearFault(); return 0; }
  const dRoom = <u64>((0x1000 - (<u32>dlin0 & 0xfff)) / size);
  if (dRoom < n) n = dRoom;
  const dWrap = (m - di + 1) / <u64>size;
  if (dWrap < n) n = dWrap;
  if (n < 2) return 0;
  const bytes = <u32>n * size;
  // Segment checks for the whole run (limits), then one translation per page, source first.
  let sh: u32 = 0;
  if (kind == STR_MOVS) {
    const slin = segLinear(srcSeg, si, bytes, SEG_READ);
    if (faulted()) { clearFault(); return 0; } // the limit ends inside the run: go element by element
    sh = translate(slin, ACC_READ);
    if (faulted()) return 0;
  }
  const dlin = segLinear(ES, di, bytes, SEG_WRITE);
  if (faulted()) { clearFault(); return 0; } // the limit ends inside the run: go element by element
  const dh = translate(dlin, ACC_WRITE);
  if (faulted()) return 0;
  if (kind == STR_STOS) {
    const v = getRegN(RAX, size);
    if (size == 1) memory.fill(dh, <u8>v, bytes);
    else if (size == 2) { for (let i: u32 = 0; i < bytes; i += 2) store<u16>(dh + i, <u16>v); }
    else if (size == 4) { for (let i: u32 = 0; i < bytes; i += 4) store<u32>(dh + i, <u32>v); }
    else { for (let i: u32 = 0; i < bytes; i += 8) store<u64>(dh + i, v); }
    setIdx(RDI, (di + <u64>bytes) & m);
    return n;
  }
  if (dh > sh && dh < sh + bytes) {
    // Forward overlap (dst inside src run): element by element replicates the pattern exactly.
    if (size == 1) { for (let i: u32 = 0; i < bytes; i++) store<u8>(dh + i, load<u8>(sh + i)); }
    else if (size == 2) { for (let i: u32 = 0; i < bytes; i += 2) store<u16>(dh + i, load<u16>(sh + i)); }
    else if (size == 4) { for (let i: u32 = 0; i < bytes; i += 4) store<u32>(dh + i, load<u32>(sh + i)); }
    else { for (let i: u32 = 0; i < bytes; i += 8) store<u64>(dh + i, load<u64>(sh + i)); }
  } else {
    memory.copy(dh, sh, bytes);
  }
  setIdx(RSI, (si + <u64>bytes) & m);
  setIdx(RDI, (di + <u64>bytes) & m);
  return n;
}

// ---- IN / OUT (E4 E5 E6 E7 EC ED EE EF) ----
/** IN AL/eAX, imm8 or DX: all ones (no devices at this level; PV guests trap to the hypervisor). */
export function IN_port(size: u32, immForm: bool): void {
  if (immForm) {
    fetch8();
    if (faulted()) return;
  }
  if (!ioAllowed()) return;
  setRegN(RAX, maskOfSize(size), size);
}
/** OUT imm8 or DX, AL/eAX: the write is dropped. */
export function OUT_port(immForm: bool): void {
  if (immForm) {
    fetch8();
    if (faulted()) return;
  }
  ioAllowed();
}
