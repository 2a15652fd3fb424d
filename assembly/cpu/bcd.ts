// Decimal arithmetic adjusts DAA DAS AAA AAS AAM AAD, the undocumented SALC, and BOUND: all invalid
// in 64-bit mode (the dispatcher raises #UD there). Follows the SDM pseudocode (AAA/AAS use the
// "AX + 106H" form of current processors). Undefined flags: DAA/DAS OF = 0; AAA/AAS keep OF SF ZF
// PF; AAM/AAD clear OF AF CF.
import { raiseUD, raiseDE, raiseFault, faulted, VEC_BR } from './fault';
import { getReg8Low, setReg8Low, getReg8Legacy, setReg8Legacy, getReg16, setReg16, RAX, FLAG_CF, FLAG_AF, FLAG_OF } from './state';
import { opSize, fetch8 } from './decode';
import { decodeModrm, modIsReg, readG, readEAt } from './modrm';
import { getCF, getAF, getFlags, setFlags, setCC, sext, CC_LOGIC } from './flags';

/** Sets SF ZF PF from the byte r and CF AF from the arguments; OF = 0. */
function setBcdFlags(r: u32, cf: bool, af: bool): void {
  setCC(CC_LOGIC, 1, <u64>(r & 0xff), 0);
  let f = getFlags() & ~(<u64>(FLAG_CF | FLAG_AF | FLAG_OF));
  if (cf) f |= FLAG_CF;
  if (af) f |= FLAG_AF;
  setFlags(f);
}

/** DAA (27). */
export function DAA(): void {
  const oldAl = getReg8Low(RAX);
  const oldCf = getCF();
  let al = oldAl;
  let cf = false, af = false;
  if ((al & 0xf) > 9 || getAF()) {
    al += 6;
    cf = oldCf || al > 0xff;
    af = true;
  }
  if (oldAl > 0x99 || oldCf) { al += 0x60; cf = true; } else cf = false;
  setReg8Low(RAX, al & 0xff);
  setBcdFlags(al, cf, af);
}

/** DAS (2F). */
export function DAS(): void {
  const oldAl = getReg8Low(RAX);
  const oldCf = getCF();
  let al = oldAl;
  let cf = false, af = false;
  if ((al & 0xf) > 9 || getAF()) {
    cf = oldCf || al < 6;
    al = (al - 6) & 0xff;
    af = true;
  }
  if (oldAl > 0x99 || oldCf) { al = (al - 0x60) & 0xff; cf = true; }
  setReg8Low(RAX, al);
  setBcdFlags(al, cf, af);
}

/** AAA (37) and AAS (3F): CF = AF = adjust; OF SF ZF PF keep their (undefined) values. */
function asciiAdjust(sub: bool): void {
  let ax = getReg16(RAX);
  const adjust = (ax & 0xf) > 9 || getAF();
  if (adjust) {
    if (sub) {
      ax = (ax - 6) & 0xffff;
      ax = (ax - 0x100) & 0xffff;
    } else {
      ax = (ax + 0x106) & 0xffff;
    }
  }
  setReg16(RAX, ax & 0xff0f);
  let f = getFlags() & ~(<u64>(FLAG_CF | FLAG_AF));
  if (adjust) f |= FLAG_CF | FLAG_AF;
  setFlags(f);
}
export function AAA(): void { asciiAdjust(false); }
export function AAS(): void { asciiAdjust(true); }

/** AAM Ib (D4): AH = AL / imm, AL = AL % imm; #DE for 0. */
export function AAM(): void {
  const base = fetch8();
  if (faulted()) return;
  if (base == 0) { raiseDE(); return; }
  const al = getReg8Low(RAX);
  const r = al % base;
  setReg8Legacy(4, al / base);
  setReg8Low(RAX, r);
  setBcdFlags(r, false, false);
}

/** AAD Ib (D5): AL = AL + AH * imm, AH = 0. */
export function AAD(): void {
  const base = fetch8();
  if (faulted()) return;
  const r = (getReg8Low(RAX) + getReg8Legacy(4) * base) & 0xff;
  setReg16(RAX, r);
  setBcdFlags(r, false, false);
}

/** SALC (D6, undocumented): AL = CF ? FF : 00. */
export function SALC(): void {
  setReg8Low(RAX, getCF() ? 0xff : 0);
}

/** BOUND Gv, Ma (62): #BR when the signed index lies outside [lower, upper]. */
export function BOUND(): void {
  decodeModrm();
  if (faulted()) return;
  if (modIsReg) { raiseUD(); return; }
  const size = opSize;
  const lower = <i64>sext(readEAt(0, size), size);
  if (faulted()) return;
  const upper = <i64>sext(readEAt(<u64>size, size), size);
  if (faulted()) return;
  const index = <i64>sext(readG(size), size);
  if (index < lower || index > upper) raiseFault(VEC_BR, 0, false);
}

