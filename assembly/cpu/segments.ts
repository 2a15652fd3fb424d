// Segment registers as PV guests use them (Intel SDM vol. 3, 3.4 and 5.1-5.8; vol. 2 "MOV", "POP",
// "LDS/LES/LFS/LGS/LSS", "LAR", "LSL", "VERR/VERW", "ARPL"). Descriptors come from
// platform.readDescriptor (GDT/LDT by the TI bit). Every check raises the manual's fault:
// #GP(sel) for type/privilege violations, #NP(sel) (#SS(sel) for SS) when not present, #GP(0) for a
// null SS. A null selector loads an unusable segment (attributes 0, so accesses fault in 32-bit
// modes). Not modelled: the accessed bit is set only in the segment cache, not in the descriptor
// table in memory (PV descriptor pages are read-only to the guest; Xen sets it on validation).
import { raiseGP, raiseNP, raiseSS, raiseUD, faulted, faultVector, clearFault, VEC_GP, pendingErrorCode } from './fault';
import {
  setSegCache, segSel, segAttr, segBase, getCpl, getEfer, EFER_LMA, SS, CS, LDTR, TR,
  ATTR_ACCESSED, ATTR_RW, ATTR_DC, ATTR_CODE, ATTR_S, ATTR_DPL_SHIFT, ATTR_P, ATTR_L, ATTR_DB,
  FLAG_ZF,
} from './state';
import { readDescriptor } from '../platform';
import { VENDOR_AMD } from './options';
import { mode64, opSize, setSpMask } from './decode';
import {
  decodeModrm, modIsReg, modReg, modDigit, readE, writeE, readEAt, writeBackE, readG, writeG, setRegN,
} from './modrm';
import { setFlagBits } from './flags';
import { push, stackPeek, spAdd, stackOpSize } from './stack';

// ---- Descriptor fields (SDM vol. 3, figure 3-8) ----
@inline export function descBase(d: u64): u64 { return ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24); }
@inline export function descLimit(d: u64): u32 {
  const raw = <u32>((d & 0xffff) | ((d >> 32) & 0xf0000));
  return (d & (<u64>1 << 55)) != 0 ? (raw << 12) | 0xfff : raw;
}
/** Attributes in the SEG_ATTR format: descriptor bits 40..47 -> 0..7, 52..55 -> 12..15. */
@inline export function descAttr(d: u64): u32 { return (<u32>(d >> 40) & 0xff) | ((<u32>(d >> 52) & 0xf) << 12); }
@inline export function attrDpl(a: u32): u32 { return (a >> ATTR_DPL_SHIFT) & 3; }
@inline export function isCodeAttr(a: u32): bool { return (a & (ATTR_S | ATTR_CODE)) == (ATTR_S | ATTR_CODE); }
@inline export function isDataAttr(a: u32): bool { return (a & (ATTR_S | ATTR_CODE)) == ATTR_S; }
@inline export function isConformingCode(a: u32): bool { return isCodeAttr(a) && (a & ATTR_DC) != 0; }

/** Loads the cache of `seg` from descriptor d (marked accessed). */
export function loadCache(seg: i32, sel: u32, d: u64): void {
  setSegCache(seg, sel, descAttr(d) | ATTR_ACCESSED, descLimit(d), descBase(d));
  if (seg == SS) setSpMask((descAttr(d) & ATTR_DB) != 0);
}
/** Loads a null selector: unusable segment. In 64-bit mode the FS/GS base is cleared too. */
export function loadNull(seg: i32, sel: u32): void {
  setSegCache(seg, sel, 0, 0, 0);
}

/**
 * MOV/POP/LxS into DS, ES, FS, GS or SS with every protected-mode check (SDM vol. 2 "MOV", table of
 * faults). Returns false with the fault raised; nothing changes then.
 */
export function loadSegmentChecked(seg: i32, sel: u32): bool {
  sel &= 0xffff;
  const cpl = getCpl();
  const rpl = sel & 3;
  if ((sel & 0xfffc) == 0) {
    if (seg == SS) {
      // A null SS is allowed only in 64-bit mode at CPL < 3 with RPL = CPL.
      if (!(mode64 && cpl != 3 && rpl == cpl)) { raiseGP(0); return false; }
      setSegCache(SS, sel, 0, 0, 0);
      return true;
    }
    loadNull(seg, sel);
    return true;
  }
  const d = readDescriptor(sel);
  if (faulted()) return false;
  const a = descAttr(d);
  const err = sel & 0xfffc;
  if ((a & ATTR_S) == 0) { raiseGP(err); return false; } // system descriptor
  const dpl = attrDpl(a);
  if (seg == SS) {
    if (rpl != cpl || dpl != cpl || !isDataAttr(a) || (a & ATTR_RW) == 0) { raiseGP(err); return false; }
    if ((a & ATTR_P) == 0) { raiseSS(err); return false; }
  } else {
    // Data, or readable code; for data and non-conforming code DPL >= CPL and DPL >= RPL.
    if (isCodeAttr(a) && (a & ATTR_RW) == 0) { raiseGP(err); return false; }
    if (!isConformingCode(a) && (dpl < cpl || dpl < rpl)) { raiseGP(err); return false; }
    if ((a & ATTR_P) == 0) { raiseNP(err); return false; }
  }
  loadCache(seg, sel, d);
  return true;
}

/**
 * After a return to an outer ring (RETF, IRET): DS ES FS GS that the new CPL may not use (data or
 * non-conforming code with DPL < CPL) are nulled. The hidden base is kept (SDM leaves it unspecified).
 */
export function nullInaccessibleSegments(newCpl: u32): void {
  for (let s = 0; s < 6; s++) {
    if (s == CS || s == SS) continue;
    const a = segAttr(s);
    if ((a & ATTR_P) == 0) continue;
    if ((isDataAttr(a) || (isCodeAttr(a) && (a & ATTR_DC) == 0)) && attrDpl(a) < newCpl) {
      setSegCache(s, 0, 0, 0, segBase(s));
    }
  }
}

// ---- Instructions ----
/** PUSH ES/CS/SS/DS/FS/GS (06 0E 16 1E, 0F A0 0F A8): the selector zero-extended. */
export function PUSH_seg(seg: i32): void {
  const size = stackOpSize();
  push(<u64>segSel(seg), size);
}
/** POP ES/SS/DS/FS/GS (07 17 1F, 0F A1 0F A9). */
export function POP_seg(seg: i32): void {
  const size = stackOpSize();
  const v = stackPeek(0, size);
  if (faulted()) return;
  if (!loadSegmentChecked(seg, <u32>v & 0xffff)) return;
  spAdd(<u64>size);
}
/** MOV Ev, Sw (8C): memory gets 16 bits; a register gets the zero-extended selector. */
export function MOV_EwSw(): void {
  decodeModrm();
  if (faulted()) return;
  const s = <i32>modDigit();
  if (s > 5) { raiseUD(); return; }
  const v = <u64>segSel(s);
  if (modIsReg) writeE(v, opSize);
  else writeE(v, 2);
}
/** MOV Sw, Ew (8E): CS is #UD. */
export function MOV_SwEw(): void {
  decodeModrm();
  if (faulted()) return;
  const s = <i32>modDigit();
  if (s > 5 || s == CS) { raiseUD(); return; }
  const v = readE(2, false);
  if (faulted()) return;
  loadSegmentChecked(s, <u32>v);
}
/** LDS LES LSS LFS LGS Gv, Mp (after decodeModrm): offset, then the selector above it. */
export function LxS(seg: i32): void {
  if (modIsReg) { raiseUD(); return; }
  const size = VENDOR_AMD && opSize == 8 ? 4 : opSize; // options.ts: AMD reads m16:32 under REX.W
  const off = readEAt(0, size);
  if (faulted()) return;
  const sel = readEAt(<u64>size, 2);
  if (faulted()) return;
  if (!loadSegmentChecked(seg, <u32>sel)) return;
  setRegN(modReg, off, size);
}
/** LSS/LFS/LGS Gv, Mp (0F B2 0F B4 0F B5). */
export function LxS_Mp(seg: i32): void {
  decodeModrm();
  if (faulted()) return;
  LxS(seg);
}

/** ARPL Ew, Gw (63 outside 64-bit mode): raise the RPL of Ew to that of Gw; ZF = it changed. */
export function ARPL(): void {
  decodeModrm();
  if (faulted()) return;
  const d = readE(2, false); // a plain read: the write happens only when the RPL changes
  if (faulted()) return;
  const s = readG(2);
  if ((d & 3) < (s & 3)) {
    writeE((d & ~(<u64>3)) | (s & 3), 2);
    if (faulted()) return;
    setFlagBits(FLAG_ZF, true);
  } else {
    setFlagBits(FLAG_ZF, false);
  }
}

// ---- LAR / LSL / VERR / VERW: checks that set ZF instead of faulting ----
let probeOk: bool = false;
/** The descriptor of `sel`, or probeOk = false (null or beyond the table: the #GP is swallowed). */
function probeDescriptor(sel: u32): u64 {
  probeOk = false;
  if ((sel & 0xfffc) == 0) return 0;
  const d = readDescriptor(sel);
  if (faulted()) {
    if (faultVector == VEC_GP && pendingErrorCode() == (sel & 0xfffc)) clearFault();
    return 0;
  }
  probeOk = true;
  return d;
}
/** Visible to the current CPL and the selector's RPL (conforming code always is). */
@inline function privOk(a: u32, sel: u32): bool {
  if (isConformingCode(a)) return true;
  const dpl = attrDpl(a);
  return dpl >= getCpl() && dpl >= (sel & 3);
}
/** System descriptor types LAR (gates too) or LSL accept, by mode. */
function systemTypeOk(type: u32, forLar: bool): bool {
  const lm = mode64 || (segAttr(CS) & ATTR_L) != 0 || isLongModeActive();
  if (lm) return type == 2 || type == 9 || type == 11 || (forLar && type == 12);
  if (type == 1 || type == 2 || type == 3 || type == 9 || type == 11) return true;
  return forLar && (type == 4 || type == 5 || type == 12);
}
@inline function isLongModeActive(): bool { return (getEfer() & EFER_LMA) != 0; }

/** LAR Gv, Ew (0F 02) and LSL Gv, Ew (0F 03). */
export function LAR_LSL(lsl: bool): void {
  decodeModrm();
  if (faulted()) return;
  const sel = <u32>readE(2, false);
  if (faulted()) return;
  const d = probeDescriptor(sel);
  if (faulted()) return;
  let ok = probeOk;
  if (ok) {
    const a = descAttr(d);
    if ((a & ATTR_S) == 0 && !systemTypeOk(a & 15, !lsl)) ok = false;
    else if (!privOk(a, sel)) ok = false;
  }
  if (ok) {
    if (lsl) writeG(<u64>descLimit(d), opSize);
    else writeG((d >> 32) & (opSize == 2 ? 0xff00 : 0x00ffff00), opSize); // limit 19:16 too, as the reference CPU
  }
  setFlagBits(FLAG_ZF, ok);
}

/** VERR Ew / VERW Ew (0F 00 /4 /5), after decodeModrm. */
export function VERx(write: bool): void {
  const sel = <u32>readE(2, false);
  if (faulted()) return;
  const d = probeDescriptor(sel);
  if (faulted()) return;
  let ok = probeOk;
  if (ok) {
    const a = descAttr(d);
    if ((a & ATTR_S) == 0) ok = false;
    else if (write) ok = isDataAttr(a) && (a & ATTR_RW) != 0 && privOk(a, sel);
    else ok = (isDataAttr(a) || (a & ATTR_RW) != 0) && privOk(a, sel);
  }
  setFlagBits(FLAG_ZF, ok);
}

/** SLDT / STR Ev (0F 00 /0 /1), after decodeModrm: the LDTR / TR selector. */
export function STORE_SYSSEG(seg: i32): void {
  const v = <u64>segSel(seg);
  if (modIsReg) writeE(v, opSize);
  else writeE(v, 2);
}

/**
 * LLDT Ew / LTR Ew (0F 00 /2 /3) at CPL 0 (the caller checked CPL): loads LDTR or TR from the GDT.
 * In long mode the descriptor is 16 bytes (base bits 32..63 in the second half).
 */
export function LOAD_SYSSEG(seg: i32): void {
  const sel = <u32>readE(2, false);
  if (faulted()) return;
  if ((sel & 4) != 0) { raiseGP(sel & 0xfffc); return; } // must be in the GDT
  if ((sel & 0xfffc) == 0) {
    if (seg == TR) { raiseGP(0); return; }
    setSegCache(LDTR, sel, 0, 0, 0);
    return;
  }
  const d = readDescriptor(sel);
  if (faulted()) return;
  const a = descAttr(d);
  const type = a & 15;
  const err = sel & 0xfffc;
  if ((a & ATTR_S) != 0) { raiseGP(err); return; }
  if (seg == LDTR && type != 2) { raiseGP(err); return; }
  if (seg == TR && type != 1 && type != 9) { raiseGP(err); return; } // available TSS only
  if ((a & ATTR_P) == 0) { raiseNP(err); return; }
  let base = descBase(d);
  if (isLongModeActive()) {
    const hi = readDescriptor(sel + 8);
    if (faulted()) return;
    base |= (hi & 0xffffffff) << 32;
  }
  let attr = a;
  if (seg == TR) attr |= 2; // busy
  setSegCache(seg, sel, attr, descLimit(d), base);
}

