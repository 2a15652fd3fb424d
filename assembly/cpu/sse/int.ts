// MMX/SSE2 integer SIMD arithmetic on 8-byte (MMX) or 16-byte (XMM) operands (Intel SDM vol. 2:
// PADD*/PSUB* with and without saturation, PMULLW PMULHW PMULHUW PMULUDQ PMADDWD PSADBW, PAND PANDN
// POR PXOR, PCMPEQ*/PCMPGT*, PMIN/PMAX UB/SW, PAVGB/W, PUNPCK*, PACKSS*/PACKUS*, the shifts by
// register or immediate, PSLLDQ/PSRLDQ). Operands are wasm addresses (registers or a scratch copy
// of memory); results go through TMP where an output lane reads other lanes, so d may equal s.
// Invariant: only the n bytes at d are written.
import { TMP } from './regs';

const L7: u64 = 0x7f7f7f7f7f7f7f7f;
const H8: u64 = 0x8080808080808080;
const L15: u64 = 0x7fff7fff7fff7fff;
const H16: u64 = 0x8000800080008000;

@inline function sat8s(v: i32): u32 { return <u32>(v < -128 ? -128 : v > 127 ? 127 : v) & 0xff; }
@inline function sat8u(v: i32): u32 { return <u32>(v < 0 ? 0 : v > 255 ? 255 : v); }
@inline function sat16s(v: i32): u32 { return <u32>(v < -32768 ? -32768 : v > 32767 ? 32767 : v) & 0xffff; }
@inline function sat16u(v: i32): u32 { return <u32>(v < 0 ? 0 : v > 65535 ? 65535 : v); }

/** 0xFF in every byte of x that is zero, else 0 (SWAR, exact: no carries between bytes). */
@inline function zeroBytes(x: u64): u64 {
  const t = ((x & L7) + L7) | x; // top bit of each byte set when the byte is non-zero
  return ((~t & H8) >> 7) * 0xff;
}

/** Integer SIMD operation `op` (its 0F opcode byte) on n bytes: d = d op s. */
export function intOp(op: u32, d: u32, s: u32, n: u32): void {
  switch (op) {
    // ---- Bitwise and byte/word/dword/qword add and subtract (SWAR on 64-bit words) ----
    case 0xdb: for (let i: u32 = 0; i < n; i += 8) store<u64>(d + i, load<u64>(d + i) & load<u64>(s + i)); return; // PAND
    case 0xdf: for (let i: u32 = 0; i < n; i += 8) store<u64>(d + i, ~load<u64>(d + i) & load<u64>(s + i)); return; // PANDN
    case 0xeb: for (let i: u32 = 0; i < n; i += 8) store<u64>(d + i, load<u64>(d + i) | load<u64>(s + i)); return; // POR
    case 0xef: for (let i: u32 = 0; i < n; i += 8) store<u64>(d + i, load<u64>(d + i) ^ load<u64>(s + i)); return; // PXOR
    case 0xfc: for (let i: u32 = 0; i < n; i += 8) { // PADDB
      const a = load<u64>(d + i), b = load<u64>(s + i);
      store<u64>(d + i, ((a & L7) + (b & L7)) ^ ((a ^ b) & H8));
    } return;
    case 0xfd: for (let i: u32 = 0; i < n; i += 8) { // PADDW
      const a = load<u64>(d + i), b = load<u64>(s + i);
      store<u64>(d + i, ((a & L15) + (b & L15)) ^ ((a ^ b) & H16));
    } return;
    case 0xfe: for (let i: u32 = 0; i < n; i += 4) store<u32>(d + i, load<u32>(d + i) + load<u32>(s + i)); return; // PADDD
    case 0xd4: for (let i: u32 = 0; i < n; i += 8) store<u64>(d + i, load<u64>(d + i) + load<u64>(s + i)); return; // PADDQ
    case 0xf8: for (let i: u32 = 0; i < n; i += 8) { // PSUBB
      const a = load<u64>(d + i), b = load<u64>(s + i);
      store<u64>(d + i, ((a | H8) - (b & L7)) ^ ((a ^ ~b) & H8));
    } return;
    case 0xf9: for (let i: u32 = 0; i < n; i += 8) { // PSUBW
      const a = load<u64>(d + i), b = load<u64>(s + i);
      store<u64>(d + i, ((a | H16) - (b & L15)) ^ ((a ^ ~b) & H16));
    } return;
    case 0xfa: for (let i: u32 = 0; i < n; i += 4) store<u32>(d + i, load<u32>(d + i) - load<u32>(s + i)); return; // PSUBD
    case 0xfb: for (let i: u32 = 0; i < n; i += 8) store<u64>(d + i, load<u64>(d + i) - load<u64>(s + i)); return; // PSUBQ
    // ---- Saturating add and subtract ----
    case 0xec: for (let i: u32 = 0; i < n; i++) store<u8>(d + i, sat8s(<i32>load<i8>(d + i) + <i32>load<i8>(s + i))); return; // PADDSB
    case 0xed: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, sat16s(<i32>load<i16>(d + i) + <i32>load<i16>(s + i))); return; // PADDSW
    case 0xdc: for (let i: u32 = 0; i < n; i++) store<u8>(d + i, sat8u(<i32>load<u8>(d + i) + <i32>load<u8>(s + i))); return; // PADDUSB
    case 0xdd: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, sat16u(<i32>load<u16>(d + i) + <i32>load<u16>(s + i))); return; // PADDUSW
    case 0xe8: for (let i: u32 = 0; i < n; i++) store<u8>(d + i, sat8s(<i32>load<i8>(d + i) - <i32>load<i8>(s + i))); return; // PSUBSB
    case 0xe9: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, sat16s(<i32>load<i16>(d + i) - <i32>load<i16>(s + i))); return; // PSUBSW
    case 0xd8: for (let i: u32 = 0; i < n; i++) store<u8>(d + i, sat8u(<i32>load<u8>(d + i) - <i32>load<u8>(s + i))); return; // PSUBUSB
    case 0xd9: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, sat16u(<i32>load<u16>(d + i) - <i32>load<u16>(s + i))); return; // PSUBUSW
    // ---- Compares ----
    case 0x74: for (let i: u32 = 0; i < n; i += 8) store<u64>(d + i, zeroBytes(load<u64>(d + i) ^ load<u64>(s + i))); return; // PCMPEQB
    case 0x75: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, load<u16>(d + i) == load<u16>(s + i) ? 0xffff : 0); return; // PCMPEQW
    case 0x76: for (let i: u32 = 0; i < n; i += 4) store<u32>(d + i, load<u32>(d + i) == load<u32>(s + i) ? 0xffffffff : 0); return; // PCMPEQD
    case 0x64: for (let i: u32 = 0; i < n; i++) store<u8>(d + i, load<i8>(d + i) > load<i8>(s + i) ? 0xff : 0); return; // PCMPGTB
    case 0x65: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, load<i16>(d + i) > load<i16>(s + i) ? 0xffff : 0); return; // PCMPGTW
    case 0x66: for (let i: u32 = 0; i < n; i += 4) store<u32>(d + i, load<i32>(d + i) > load<i32>(s + i) ? 0xffffffff : 0); return; // PCMPGTD
    // ---- Minimum, maximum, average ----
    case 0xda: for (let i: u32 = 0; i < n; i++) { const a = load<u8>(d + i), b = load<u8>(s + i); store<u8>(d + i, a < b ? a : b); } return; // PMINUB
    case 0xde: for (let i: u32 = 0; i < n; i++) { const a = load<u8>(d + i), b = load<u8>(s + i); store<u8>(d + i, a > b ? a : b); } return; // PMAXUB
    case 0xea: for (let i: u32 = 0; i < n; i += 2) { const a = load<i16>(d + i), b = load<i16>(s + i); store<i16>(d + i, a < b ? a : b); } return; // PMINSW
    case 0xee: for (let i: u32 = 0; i < n; i += 2) { const a = load<i16>(d + i), b = load<i16>(s + i); store<i16>(d + i, a > b ? a : b); } return; // PMAXSW
    case 0xe0: for (let i: u32 = 0; i < n; i++) store<u8>(d + i, (<u32>load<u8>(d + i) + <u32>load<u8>(s + i) + 1) >> 1); return; // PAVGB
    case 0xe3: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, (<u32>load<u16>(d + i) + <u32>load<u16>(s + i) + 1) >> 1); return; // PAVGW
    // ---- Multiplies ----
    case 0xd5: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, <u16>(<u32>load<u16>(d + i) * <u32>load<u16>(s + i))); return; // PMULLW
    case 0xe5: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, <u16>((<i32>load<i16>(d + i) * <i32>load<i16>(s + i)) >> 16)); return; // PMULHW
    case 0xe4: for (let i: u32 = 0; i < n; i += 2) store<u16>(d + i, <u16>((<u32>load<u16>(d + i) * <u32>load<u16>(s + i)) >> 16)); return; // PMULHUW
    case 0xf4: for (let i: u32 = 0; i < n; i += 8) store<u64>(d + i, <u64>load<u32>(d + i) * <u64>load<u32>(s + i)); return; // PMULUDQ
    case 0xf5: for (let i: u32 = 0; i < n; i += 4) { // PMADDWD (0x8000 * 0x8000 twice wraps to 0x80000000)
      const p0 = <i32>load<i16>(d + i) * <i32>load<i16>(s + i);
      const p1 = <i32>load<i16>(d + i + 2) * <i32>load<i16>(s + i + 2);
      store<i32>(d + i, p0 + p1);
    } return;
    case 0xf6: for (let i: u32 = 0; i < n; i += 8) { // PSADBW: sum of |a - b| over 8 bytes, zero-extended
      let sum: u32 = 0;
      for (let j: u32 = 0; j < 8; j++) {
        const a = <i32>load<u8>(d + i + j), b = <i32>load<u8>(s + i + j);
        sum += <u32>(a > b ? a - b : b - a);
      }
      store<u64>(d + i, <u64>sum);
    } return;
    // ---- Unpack (interleave) and pack ----
    case 0x60: unpack(d, s, n, 1, 0); return; // PUNPCKLBW
    case 0x61: unpack(d, s, n, 2, 0); return; // PUNPCKLWD
    case 0x62: unpack(d, s, n, 4, 0); return; // PUNPCKLDQ
    case 0x6c: unpack(d, s, n, 8, 0); return; // PUNPCKLQDQ
    case 0x68: unpack(d, s, n, 1, n >> 1); return; // PUNPCKHBW
    case 0x69: unpack(d, s, n, 2, n >> 1); return; // PUNPCKHWD
    case 0x6a: unpack(d, s, n, 4, n >> 1); return; // PUNPCKHDQ
    case 0x6d: unpack(d, s, n, 8, n >> 1); return; // PUNPCKHQDQ
    case 0x63: { // PACKSSWB
      const h = n >> 1;
      for (let i: u32 = 0; i < h; i++) {
        store<u8>(TMP + i, sat8s(<i32>load<i16>(d + 2 * i)));
        store<u8>(TMP + h + i, sat8s(<i32>load<i16>(s + 2 * i)));
      }
      memory.copy(d, TMP, n);
      return;
    }
    case 0x67: { // PACKUSWB
      const h = n >> 1;
      for (let i: u32 = 0; i < h; i++) {
        store<u8>(TMP + i, sat8u(<i32>load<i16>(d + 2 * i)));
        store<u8>(TMP + h + i, sat8u(<i32>load<i16>(s + 2 * i)));
      }
      memory.copy(d, TMP, n);
      return;
    }
    case 0x6b: { // PACKSSDW
      const h = n >> 1;
      for (let i: u32 = 0; i < h; i += 2) {
        const a = load<i32>(d + 2 * i), b = load<i32>(s + 2 * i);
        store<u16>(TMP + i, sat16s(a < -32768 ? -32768 : a > 32767 ? 32767 : a));
        store<u16>(TMP + h + i, sat16s(b < -32768 ? -32768 : b > 32767 ? 32767 : b));
      }
      memory.copy(d, TMP, n);
      return;
    }
    // ---- Shifts by the count in the source operand's low 64 bits ----
    case 0xd1: shift(d, n, 2, SH_RL, load<u64>(s)); return; // PSRLW
    case 0xd2: shift(d, n, 4, SH_RL, load<u64>(s)); return; // PSRLD
    case 0xd3: shift(d, n, 8, SH_RL, load<u64>(s)); return; // PSRLQ
    case 0xe1: shift(d, n, 2, SH_RA, load<u64>(s)); return; // PSRAW
    case 0xe2: shift(d, n, 4, SH_RA, load<u64>(s)); return; // PSRAD
    case 0xf1: shift(d, n, 2, SH_LL, load<u64>(s)); return; // PSLLW
    case 0xf2: shift(d, n, 4, SH_LL, load<u64>(s)); return; // PSLLD
    case 0xf3: shift(d, n, 8, SH_LL, load<u64>(s)); return; // PSLLQ
    default: return;
  }
}

/** Interleaves elements of `w` bytes from the low (from = 0) or high (from = n/2) halves of d and s. */
function unpack(d: u32, s: u32, n: u32, w: u32, from: u32): void {
  const h = n >> 1;
  for (let i: u32 = 0; i < h; i += w) {
    memory.copy(TMP + 2 * i, d + from + i, w);
    memory.copy(TMP + 2 * i + w, s + from + i, w);
  }
  memory.copy(d, TMP, n);
}

export const SH_RL: u32 = 0; // logical right
export const SH_RA: u32 = 1; // arithmetic right
export const SH_LL: u32 = 2; // left

/**
 * Shifts each element of `w` bytes (2, 4, 8) by `count`: beyond the element width a logical shift
 * gives 0 and an arithmetic one fills with the sign (the count is not masked, unlike wasm's).
 */
export function shift(d: u32, n: u32, w: u32, kind: u32, count: u64): void {
  const bits: u64 = <u64>w << 3;
  if (count >= bits) {
    if (kind != SH_RA) { memory.fill(d, 0, n); return; }
    count = bits - 1;
  }
  const c = count;
  if (w == 8) {
    for (let i: u32 = 0; i < n; i += 8) {
      const v = load<u64>(d + i);
      store<u64>(d + i, kind == SH_LL ? v << c : v >> c);
    }
  } else if (w == 4) {
    const c32 = <u32>c;
    for (let i: u32 = 0; i < n; i += 4) {
      if (kind == SH_RA) store<i32>(d + i, load<i32>(d + i) >> c32);
      else { const v = load<u32>(d + i); store<u32>(d + i, kind == SH_LL ? v << c32 : v >> c32); }
    }
  } else {
    const c32 = <u32>c;
    for (let i: u32 = 0; i < n; i += 2) {
      if (kind == SH_RA) store<i16>(d + i, <i16>(<i32>load<i16>(d + i) >> c32));
      else { const v = <u32>load<u16>(d + i); store<u16>(d + i, <u16>(kind == SH_LL ? v << c32 : v >> c32)); }
    }
  }
}

/** PSRLDQ (right) / PSLLDQ (left) xmm, imm8: byte shifts of the whole register (beyond 15: zero). */
export function shiftBytes(d: u32, left: bool, count: u32): void {
  if (count > 16) count = 16;
  memory.copy(TMP, d, 16);
  memory.fill(d, 0, 16);
  if (left) memory.copy(d + count, TMP, 16 - count);
  else memory.copy(d, TMP + count, 16 - count);
}

/** PMOVMSKB: the top bit of each of n bytes, as an n-bit mask. */
export function byteMask(s: u32, n: u32): u32 {
  let m: u32 = 0;
  for (let i: u32 = 0; i < n; i += 8) {
    const gathered = ((load<u64>(s + i) & H8) >> 7) * 0x0102040810204080;
    m |= <u32>(gathered >> 56) << i;
  }
  return m;
}
