// Far control transfers: JMP/CALL far (ptr16:16/32 and m16:16/32/64), RETF (with imm16), and
// IRET/IRETD/IRETQ (Intel SDM vol. 2 "JMP", "CALL", "RET", "IRET"; vol. 3, 5.8). JMP/CALL go to a
// code segment at the same privilege; call gates, task gates and TSS selectors raise #GP(selector)
// (Xen does not give PV guests usable gates, so they are not modelled). RETF and IRET may return to
// an outer ring with the SS:rSP pop and the data-segment nulling rule; IRET in 64-bit mode always
// pops SS:RSP (so IRETQ CPL 3 -> CPL 3 works, as PV64 guests need). Task returns (NT = 1) and
// returns to virtual-8086 mode raise #GP(0). Invariant: nothing changes unless every check passed.
import { raiseGP, raiseNP, raiseSS, raiseUD, faulted } from './fault';
import {
  getReg64, setSegCache, segSel, segAttr, getCpl, getEfer, CS, SS, RSP,
  ATTR_S, ATTR_P, ATTR_L, ATTR_DB, ATTR_DC, ATTR_RW, ATTR_ACCESSED, EFER_LMA,
  FLAG_NT, FLAG_VM, FLAG_IF, FLAG_IOPL, FLAG_TF, FLAG_DF, FLAG_AC, FLAG_ID, FLAG_RF, FLAG_VIF, FLAG_VIP, FLAGS_ARITH,
} from './state';
import { readDescriptor } from '../platform';
import { VENDOR_AMD } from './options';
import { opSize, mode64, spMask, ipNow, jumpTo, fetch16, fetch32 } from './decode';
import { modIsReg, readEAt, writeSeg } from './modrm';
import { getFlags, setFlags } from './flags';
import { stackPeek, setSp } from './stack';
import {
  descAttr, descBase, descLimit, attrDpl, isCodeAttr, isDataAttr, nullInaccessibleSegments,
} from './segments';
import { refreshMode } from './interp';

@inline function longModeActive(): bool { return (getEfer() & EFER_LMA) != 0; }
@inline function canonical(v: u64): bool { return ((v + 0x800000000000) >> 48) == 0; }

/** Target offset check against the new CS: canonical for 64-bit code, else within the limit. */
function offsetOk(ip: u64, attr: u32, limit: u32): bool {
  if (longModeActive() && (attr & ATTR_L) != 0) {
    if (!canonical(ip)) { raiseGP(0); return false; }
    return true;
  }
  if (ip > <u64>limit) { raiseGP(0); return false; }
  return true;
}

/** Descriptor of a JMP/CALL far target code segment at the current CPL, or 0 with the fault raised. */
function sameRingCodeTarget(sel: u32): u64 {
  if ((sel & 0xfffc) == 0) { raiseGP(0); return 0; }
  const d = readDescriptor(sel);
  if (faulted()) return 0;
  const a = descAttr(d);
  const err = sel & 0xfffc;
  // System descriptors here would be call gates, task gates or TSSs: not modelled (see header).
  if ((a & ATTR_S) == 0 || !isCodeAttr(a)) { raiseGP(err); return 0; }
  const cpl = getCpl();
  const dpl = attrDpl(a);
  if ((a & ATTR_DC) != 0) { if (dpl > cpl) { raiseGP(err); return 0; } } // conforming
  else if ((sel & 3) > cpl || dpl != cpl) { raiseGP(err); return 0; }
  if ((a & ATTR_P) == 0) { raiseNP(err); return 0; }
  if (longModeActive() && (a & ATTR_L) != 0 && (a & ATTR_DB) != 0) { raiseGP(err); return 0; }
  return d;
}

/** Descriptor of a RETF/IRET target code segment for return RPL `rpl`, or 0 with the fault raised. */
function returnCodeTarget(sel: u32): u64 {
  if ((sel & 0xfffc) == 0) { raiseGP(0); return 0; }
  const d = readDescriptor(sel);
  if (faulted()) return 0;
  const a = descAttr(d);
  const err = sel & 0xfffc;
  const rpl = sel & 3;
  if (rpl < getCpl()) { raiseGP(err); return 0; }
  if ((a & ATTR_S) == 0 || !isCodeAttr(a)) { raiseGP(err); return 0; }
  const dpl = attrDpl(a);
  if ((a & ATTR_DC) != 0) { if (dpl > rpl) { raiseGP(err); return 0; } }
  else if (dpl != rpl) { raiseGP(err); return 0; }
  if ((a & ATTR_P) == 0) { raiseNP(err); return 0; }
  if (longModeActive() && (a & ATTR_L) != 0 && (a & ATTR_DB) != 0) { raiseGP(err); return 0; }
  return d;
}

// SS chosen by an outer-ring return: descriptor (0 for a permitted null SS) and a validity flag.
let ssOk: bool = false;
/** Checks the SS popped by RETF/IRET for the new CPL `rpl` (targetIs64: the new CS is 64-bit code). */
function returnStackTarget(sel: u32, rpl: u32, targetIs64: bool): u64 {
  ssOk = false;
  if ((sel & 0xfffc) == 0) {
    // Null SS: only when returning to 64-bit code below ring 3.
    if (longModeActive() && targetIs64 && rpl != 3) { ssOk = true; return 0; }
    raiseGP(0);
    return 0;
  }
  const d = readDescriptor(sel);
  if (faulted()) return 0;
  const a = descAttr(d);
  const err = sel & 0xfffc;
  if ((sel & 3) != rpl || (a & ATTR_S) == 0 || !isDataAttr(a) || (a & ATTR_RW) == 0 || attrDpl(a) != rpl) {
    raiseGP(err);
    return 0;
  }
  if ((a & ATTR_P) == 0) { raiseSS(err); return 0; }
  ssOk = true;
  return d;
}

/** Loads CS from descriptor d with selector sel (RPL = new CPL) and refreshes the mode. */
function commitCS(sel: u32, d: u64): void {
  setSegCache(CS, sel, descAttr(d) | ATTR_ACCESSED, descLimit(d), descBase(d));
  refreshMode();
}

/** JMP far to sel:ip (same privilege). */
function farJump(sel: u32, ip: u64): void {
  const d = sameRingCodeTarget(sel);
  if (faulted()) return;
  const a = descAttr(d);
  if (!offsetOk(ip, a, descLimit(d))) return;
  commitCS((sel & 0xfffc) | getCpl(), d);
  jumpTo(ip);
}

/** CALL far to sel:ip (same privilege): pushes CS and the return IP at the operand size. */
function farCall(sel: u32, ip: u64, size: u32): void {
  const d = sameRingCodeTarget(sel);
  if (faulted()) return;
  const a = descAttr(d);
  if (!offsetOk(ip, a, descLimit(d))) return;
  // The pushes use the stack width of the target mode (the reference CPU, from 64-bit code into a
  // compatibility-mode segment, pushes at ESP - n with SS.B = 1). They happen in order (a fault on
  // the second leaves the first stored, as on hardware).
  const mask: u64 = longModeActive() && (a & ATTR_L) != 0 ? <u64>0xffffffffffffffff
    : (segAttr(SS) & ATTR_DB) != 0 ? <u64>0xffffffff : <u64>0xffff;
  const sp = getReg64(RSP) & mask;
  const low = (sp - <u64>(2 * size)) & mask;
  writeSeg(SS, (sp - <u64>size) & mask, <u64>segSel(CS), size, true);
  if (faulted()) return;
  writeSeg(SS, low, ipNow(), size, true);
  if (faulted()) return;
  commitCS((sel & 0xfffc) | getCpl(), d);
  setSp(low);
  jumpTo(ip);
}

/** JMPF ptr16:16/32 (EA, not in 64-bit mode). */
export function JMPF_Ap(): void {
  const ip = opSize == 2 ? <u64>fetch16() : <u64>fetch32();
  const sel = fetch16();
  if (faulted()) return;
  farJump(sel, ip);
}
/** CALLF ptr16:16/32 (9A, not in 64-bit mode). */
export function CALLF_Ap(): void {
  const ip = opSize == 2 ? <u64>fetch16() : <u64>fetch32();
  const sel = fetch16();
  if (faulted()) return;
  farCall(sel, ip, opSize);
}
/** JMPF m16:16/32/64 (FF /5), after decodeModrm. */
export function JMPF_Mp(): void {
  if (modIsReg) { raiseUD(); return; }
  const size = VENDOR_AMD && opSize == 8 ? 4 : opSize; // options.ts: AMD reads m16:32 under REX.W
  const ip = readEAt(0, size);
  if (faulted()) return;
  const sel = <u32>readEAt(<u64>size, 2);
  if (faulted()) return;
  farJump(sel, ip);
}
/** CALLF m16:16/32/64 (FF /3), after decodeModrm. */
export function CALLF_Mp(): void {
  if (modIsReg) { raiseUD(); return; }
  const size = VENDOR_AMD && opSize == 8 ? 4 : opSize; // options.ts: AMD reads m16:32 under REX.W
  const ip = readEAt(0, size);
  if (faulted()) return;
  const sel = <u32>readEAt(<u64>size, 2);
  if (faulted()) return;
  farCall(sel, ip, opSize);
}

/** RETF (CB) and RETF imm16 (CA). */
export function RETF(withImm: bool): void {
  let extra: u64 = 0;
  if (withImm) {
    extra = <u64>fetch16();
    if (faulted()) return;
  }
  const size = opSize;
  // The reference CPU reads the frame before checking it: CS, then SS and rSP when the RPL differs
  // from the CPL, then the offset.
  const sel = <u32>stackPeek(<u64>size, size) & 0xffff;
  if (faulted()) return;
  const rpl = sel & 3;
  const cpl = getCpl();
  const base = <u64>(2 * size) + extra;
  let ssSel: u32 = 0;
  let sp: u64 = 0;
  if (rpl != cpl) { // read before the checks, even when RPL < CPL will fail them (as the reference CPU)
    ssSel = <u32>stackPeek(base + <u64>size, size) & 0xffff;
    if (faulted()) return;
    sp = stackPeek(base, size);
    if (faulted()) return;
  }
  let ip = stackPeek(0, size);
  if (faulted()) return;
  const d = returnCodeTarget(sel);
  if (faulted()) return;
  const a = descAttr(d);
  const to64 = longModeActive() && (a & ATTR_L) != 0;
  if (size == 2) ip &= 0xffff;
  else if (size == 4) ip &= 0xffffffff;
  if (rpl == cpl) {
    if (!offsetOk(ip, a, descLimit(d))) return;
    const newSp = (getReg64(RSP) + <u64>(2 * size) + extra) & spMask;
    commitCS(sel, d);
    setSp(newSp);
    jumpTo(ip);
    return;
  }
  // Return to an outer ring: SS:rSP (read above) follow the return address and the imm16 bytes.
  const ssd = returnStackTarget(ssSel, rpl, to64);
  if (faulted()) return;
  if (!offsetOk(ip, a, descLimit(d))) return;
  commitCS(sel, d);
  loadSS(ssSel, ssd, rpl);
  refreshMode();
  setSp(sp + extra);
  nullInaccessibleSegments(rpl);
  jumpTo(ip);
}

function loadSS(ssSel: u32, ssd: u64, rpl: u32): void {
  if ((ssSel & 0xfffc) == 0) setSegCache(SS, (ssSel & 0xfffc) | rpl, 0, 0, 0);
  else setSegCache(SS, ssSel, descAttr(ssd) | ATTR_ACCESSED, descLimit(ssd), descBase(ssd));
}

/** IRET / IRETD / IRETQ (CF). */
export function IRET(): void {
  const size = opSize;
  const old = getFlags();
  const cpl = getCpl();
  if ((old & FLAG_NT) != 0) { raiseGP(0); return; } // task return: not modelled (IA-32e: #GP(0) anyway)
  // The reference CPU reads the frame before checking it: RFLAGS, CS, then SS and rSP (always in
  // 64-bit mode, else when the RPL differs from the CPL), then the offset.
  let sp: u64 = 0;
  let ssSel: u32 = 0;
  const fl = stackPeek(<u64>(2 * size), size);
  if (faulted()) return;
  const sel = <u32>stackPeek(<u64>size, size) & 0xffff;
  if (faulted()) return;
  if (mode64 || (sel & 3) != cpl) {
    ssSel = <u32>stackPeek(<u64>(4 * size), size) & 0xffff;
    if (faulted()) return;
    sp = stackPeek(<u64>(3 * size), size);
    if (faulted()) return;
  }
  let ip = stackPeek(0, size);
  if (faulted()) return;
  if (!longModeActive() && size != 2 && (fl & FLAG_VM) != 0 && cpl == 0) { raiseGP(0); return; } // to v8086: not modelled
  const d = returnCodeTarget(sel);
  if (faulted()) return;
  const a = descAttr(d);
  const rpl = sel & 3;
  const to64 = longModeActive() && (a & ATTR_L) != 0;
  if (size == 2) ip &= 0xffff;
  else if (size == 4) ip &= 0xffffffff;
  // The reference CPU checks the new RIP (#GP(0)) before the popped SS.
  if (!offsetOk(ip, a, descLimit(d))) return;
  const popStack = mode64 || rpl > cpl;
  let ssd: u64 = 0;
  if (popStack) {
    ssd = returnStackTarget(ssSel, rpl, to64);
    if (faulted()) return;
  }
  // RFLAGS: what may change depends on the CPL before the return (as POPF).
  let mask: u32 = FLAGS_ARITH | FLAG_TF | FLAG_DF | FLAG_NT | FLAG_AC | FLAG_ID | FLAG_RF;
  const iopl = (<u32>old & FLAG_IOPL) >> 12;
  if (cpl == 0) mask |= FLAG_IF | FLAG_IOPL | FLAG_VIF | FLAG_VIP;
  else if (cpl <= iopl) mask |= FLAG_IF;
  if (size == 2) mask &= 0xffff;
  const nf = (old & ~(<u64>mask)) | (fl & <u64>mask);
  const sameSp = (getReg64(RSP) + <u64>(3 * size)) & spMask;
  commitCS(sel, d);
  setFlags(nf);
  if (popStack) {
    loadSS(ssSel, ssd, rpl);
    refreshMode();
    setSp(sp);
  } else {
    setSp(sameSp);
  }
  if (rpl > cpl) nullInaccessibleSegments(rpl);
  jumpTo(ip);
}

