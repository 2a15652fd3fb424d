// VEX-encoded instructions (Intel SDM vol. 2, 2.3 "Intel AVX and VEX"): the C4/C5 prefixes, and
// the BMI1 group that lives there (ANDN, BEXTR, BLSI, BLSMSK, BLSR; SDM vol. 2 and AMD APM vol. 3).
// Outside 64-bit mode C4/C5 are LES/LDS unless the next byte has mod = 11. AVX itself is not
// offered (CPUID), so every other VEX instruction is #UD, as on a CPU without AVX. A VEX prefix
// after 66/F2/F3/LOCK/REX is #UD. Flags: ANDN/BEXTR/BLS* clear OF, set CF per the SDM; SF ZF from
// the result; the undefined AF PF as the reference CPU (PF from the result, AF set by BEXTR only).
import { faulted, raiseUD } from './fault';
import { raiseDecodedUD } from './length';
import { getRegN, setRegN, decodeModrm, decodeModrmByte, modReg, modDigit, readE } from './modrm';
import { mode64, fetch8, repPfx, pfx66, lockPfx, rex, opSize, setVexState } from './decode';
import { setCC, setFlags, getFlags, CC_LOGIC, maskOfSize } from './flags';
import { FLAG_CF, FLAG_OF, FLAG_ZF, FLAG_AF } from './state';
import { LxS } from './segments';
import { FEATURE_BMI1 } from './features';

/** C4 (three-byte VEX) and C5 (two-byte VEX), or LES/LDS outside 64-bit mode. */
export function VEX_or_LxS(seg: i32, threeByte: bool): void {
  const b1 = fetch8();
  if (faulted()) return;
  if (!mode64 && b1 < 0xc0) { // LES / LDS Gz, Mp
    decodeModrmByte(b1);
    if (faulted()) return;
    LxS(seg);
    return;
  }
  // A REX right before VEX is #UD at once; 66 F2 F3 LOCK are #UD once the instruction is decoded
  // (longer than 15 bytes: #GP), as on the reference CPU.
  if (rex != 0) { raiseUD(); return; }
  if (repPfx != 0 || pfx66 || lockPfx) { raiseDecodedUD(); return; }
  if (!threeByte) { raiseDecodedUD(); return; } // C5: map 0F only, all AVX
  const b2 = fetch8();
  if (faulted()) return;
  const map = b1 & 0x1f;
  let rexBits: u32 = ((~b1 >> 5) & 7); // R X B (stored inverted)
  const w = (b2 >> 7) & 1;
  let vvvv = <i32>((~b2 >> 3) & 15);
  if (!mode64) { rexBits = 0; vvvv &= 7; }
  const l = (b2 >> 2) & 1;
  const pp = b2 & 3;
  setVexState(0x40 | (w << 3) | rexBits, mode64 && w != 0 ? 8 : 4);
  const op = fetch8();
  if (faulted()) return;
  if (!FEATURE_BMI1 || map != 2 || l != 0 || pp != 0) { raiseDecodedUD(); return; }
  switch (op) {
    case 0xf2: ANDN(vvvv); return; // ANDN Gy, By, Ey
    case 0xf3: BLS_group(vvvv); return; // BLSR /1, BLSMSK /2, BLSI /3  By, Ey
    case 0xf7: BEXTR(vvvv); return; // BEXTR Gy, Ey, By
    default: raiseDecodedUD(); return;
  }
}

/** SF ZF PF from r; CF as given; OF cleared; AF as given (undefined: the reference CPU's values). */
function bmiFlags(r: u64, size: u32, cf: bool, zfValid: bool, af: bool = false): void {
  setCC(CC_LOGIC, size, r, 0); // SF, ZF, PF from r; CF = OF = AF = 0
  let f = getFlags();
  if (cf) f |= FLAG_CF;
  if (af) f |= FLAG_AF;
  if (!zfValid) f &= ~(<u64>FLAG_ZF);
  setFlags(f & ~(<u64>FLAG_OF));
}

function ANDN(v: i32): void {
  decodeModrm();
  const size = opSize;
  const b = readE(size, false);
  if (faulted()) return;
  const r = ~getRegN(v, size) & b & maskOfSize(size);
  setRegN(modReg, r, size);
  bmiFlags(r, size, false, true);
}

function BEXTR(v: i32): void {
  decodeModrm();
  const size = opSize;
  const src = readE(size, false);
  if (faulted()) return;
  const ctl = getRegN(v, size);
  const start = <u32>(ctl & 0xff);
  const len = <u32>((ctl >> 8) & 0xff);
  const bits = size << 3;
  let r: u64 = start >= bits ? 0 : src >> start;
  if (len < bits) r &= (<u64>1 << len) - 1;
  setRegN(modReg, r, size);
  bmiFlags(r, size, false, true, true); // BEXTR: the reference CPU sets AF
}

function BLS_group(v: i32): void {
  decodeModrm();
  const d = modDigit();
  if (d < 1 || d > 3) { raiseDecodedUD(); return; }
  const size = opSize;
  const s = readE(size, false);
  if (faulted()) return;
  const m = maskOfSize(size);
  let r: u64;
  if (d == 1) r = (s - 1) & s & m; // BLSR: clear the lowest set bit
  else if (d == 2) r = ((s - 1) ^ s) & m; // BLSMSK: mask up to the lowest set bit
  else r = (0 - s) & s & m; // BLSI: isolate the lowest set bit
  setRegN(v, r, size);
  // CF: BLSR and BLSMSK set it for a zero source, BLSI for a non-zero source. BLSMSK clears ZF.
  bmiFlags(r, size, d == 3 ? s != 0 : (s & m) == 0, d != 2);
}

