// Instruction length of the instruction at ipStart (Intel SDM vol. 2 ch. 2 and appendix A: prefixes,
// REX, VEX, opcode maps, ModRM/SIB/displacement, immediates), for the #UD of a well-formed
// instruction the CPU refuses (LOCK where it is not allowed, a VEX form not offered): the CPU decodes
// the whole instruction first, so one longer than 15 bytes is #GP(0) instead, and bytes on a page it
// cannot fetch are a #PF (reference CPU, raw vectors). Slow path only: re-reads the code bytes; the
// decode state (opSize, adSize) is the caller's.
import { raiseGP, raiseUD, faulted } from './fault';
import { ipStart, mode64, csBase, csLimit, opSize, adSize, pfx66 } from './decode';
import { translateFetch } from '../mmu/access';
import { VENDOR_AMD } from './options';

let len: u32 = 0;

/** Code byte `len` of the instruction (then len++); 0 with #GP (past 15 bytes or the CS limit) or #PF raised. */
function next(): u32 {
  if (len >= 15) { raiseGP(0); return 0; }
  const ip = ipStart + <u64>len;
  if (!mode64 && ip > <u64>csLimit) { raiseGP(0); return 0; }
  const h = translateFetch(mode64 ? ip : (csBase + ip) & 0xffffffff);
  if (faulted()) return 0;
  len++;
  return load<u8>(h);
}

/** The next code byte without consuming it (0 with a fault raised). */
function peek(): u32 {
  const b = next();
  if (!faulted()) len--;
  return b;
}

function skip(n: u32): void {
  for (let i: u32 = 0; i < n && !faulted(); i++) next();
}

@inline function isLegacyPrefix(b: u32): bool {
  return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 ||
    b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3;
}

function oneByteHasModrm(op: u32): bool {
  return (op < 0x40 && (op & 7) < 4) || op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6b ||
    (op >= 0x80 && op <= 0x8f) || op == 0xc0 || op == 0xc1 || (op >= 0xc4 && op <= 0xc7) ||
    (op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) || op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;
}

function twoByteHasModrm(op: u32): bool {
  if (op == 0x05 || op == 0x06 || op == 0x07 || op == 0x08 || op == 0x09 || op == 0x0b || op == 0x0e ||
    (op >= 0x30 && op <= 0x37) || op == 0x77 || op == 0xa0 || op == 0xa1 || op == 0xa2 || op == 0xa8 ||
    op == 0xa9 || op == 0xaa) return false;
  return !((op >= 0x80 && op <= 0x8f) || op >= 0xc8 && op <= 0xcf);
}

/** ModRM, SIB and displacement at the current position; returns the ModRM byte. */
function modrm(): u32 {
  const m = next();
  if (faulted()) return 0;
  const mod = m >> 6, rm = m & 7;
  if (mod == 3) return m;
  if (adSize == 2) {
    if (mod == 1) skip(1);
    else if (mod == 2 || (mod == 0 && rm == 6)) skip(2);
    return m;
  }
  if (rm == 4) {
    const sib = next();
    if (mod == 0 && (sib & 7) == 5) skip(4);
  }
  if (mod == 0 && rm == 5) skip(4);
  if (mod == 1) skip(1);
  if (mod == 2) skip(4);
  return m;
}

/** Bytes of an Iz immediate (or rel16/32 of a near branch). */
@inline function immZ(): u32 { return opSize == 2 ? 2 : 4; }
@inline function relZ(): u32 { return mode64 ? (VENDOR_AMD && pfx66 ? 2 : 4) : immZ(); }

/** Reads the whole instruction; its length in `len`, or a fault raised. */
function measure(): void {
  len = 0;
  let b = next();
  let rexLast = false;
  while (!faulted() && (isLegacyPrefix(b) || (mode64 && (b & 0xf0) == 0x40))) {
    rexLast = !isLegacyPrefix(b);
    b = next();
  }
  if (faulted()) return;
  if ((b == 0xc4 || b == 0xc5) && mode64 && rexLast) return; // REX + VEX: #UD before any length
  if ((b == 0xc4 || b == 0xc5) && (mode64 || peek() >= 0xc0)) {
    // VEX: C4 RXBmmmmm Wvvvvlpp / C5 Rvvvvlpp, then the opcode of map 0F, 0F38 or 0F3A.
    const p1 = next();
    const map = b == 0xc5 ? 1 : p1 & 0x1f;
    if (b == 0xc4) next();
    const op = next();
    if (faulted()) return;
    if (map == 1 && op == 0x77) return; // VZEROUPPER/VZEROALL
    modrm();
    if (map == 3 || (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6))) skip(1);
    return;
  }
  if (b == 0x0f) {
    const op = next();
    if (faulted()) return;
    if (op == 0x38) { next(); modrm(); return; }
    if (op == 0x3a) { next(); modrm(); skip(1); return; }
    if (op >= 0x80 && op <= 0x8f) { skip(relZ()); return; }
    if (!twoByteHasModrm(op)) return;
    modrm();
    if (op == 0x0f || (op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac || op == 0xba || (op >= 0xc2 && op <= 0xc6)) skip(1);
    return;
  }
  const op = b;
  if (oneByteHasModrm(op)) {
    const m = modrm();
    if (faulted()) return;
    const d = (m >> 3) & 7;
    if (op == 0x80 || op == 0x82 || op == 0x83 || op == 0x6b || op == 0xc0 || op == 0xc1 || op == 0xc6 ||
      (op == 0xf6 && d < 2)) skip(1);
    else if (op == 0x81 || op == 0x69 || op == 0xc7 || (op == 0xf7 && d < 2)) skip(immZ());
    return;
  }
  if ((op < 0x40 && (op & 7) == 4) || op == 0x6a || (op >= 0x70 && op <= 0x7f) || op == 0xa8 ||
    (op >= 0xb0 && op <= 0xb7) || op == 0xcd || op == 0xd4 || op == 0xd5 || (op >= 0xe4 && op <= 0xe7) ||
    (op >= 0xe0 && op <= 0xe3) || op == 0xeb) { skip(1); return; }
  if ((op < 0x40 && (op & 7) == 5) || op == 0x68 || op == 0xa9) { skip(immZ()); return; }
  if (op == 0xe8 || op == 0xe9) { skip(relZ()); return; }
  if (op >= 0xb8 && op <= 0xbf) { skip(opSize); return; }
  if (op >= 0xa0 && op <= 0xa3) { skip(adSize); return; }
  if (op == 0xc2 || op == 0xca) { skip(2); return; }
  if (op == 0xc8) { skip(3); return; }
  if (op == 0x9a || op == 0xea) { skip(immZ() + 2); return; }
}

/** #UD for an instruction the CPU decodes but refuses, after the decoder's own faults (#GP for more than 15 bytes, #PF). */
export function raiseDecodedUD(): void {
  measure();
  if (!faulted()) raiseUD();
}
