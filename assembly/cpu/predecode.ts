// The pre-decoder of the decode cache (cpu/decode-cache.ts): turns the bytes of one instruction into a
// 32-byte entry that cpu/fast-ops.ts executes without decoding again (Intel SDM vol. 2, chapter 2 and
// appendix A, for the hot integer forms of 32-bit and 64-bit code). Anything else, and any form with
// a 66, 67, F0, F2 or F3 prefix (except the 66-padded NOPs), gets op 0 (the byte decoder in
// interp.ts runs it), as does 16-bit code.
// Entry layout (after the u64 key at +0):
//   +8 u16 op   +10 u8 len   +11 u8 g (G register, as a byte offset into CPU_GPR)
//   +12 u8 e    (E register, or the base register of a memory operand; BASE_NONE / BASE_RIP)
//   +13 u8 x    (index register or BASE_NONE)   +14 u8 scale   +15 u8 seg (| SEG_STACK_BASE)
//   +16 i32 disp   +20 u32 aux (ALU op, condition, shift op, source size...)   +24 u64 imm
// Register fields are byte offsets into CPU_GPR (r * 8; byte registers AH..BH are r * 8 + 1), so the
// executor reaches a register with one load. Invariant: a fast entry describes an instruction lying
// wholly within [host, limit), which the caller guarantees is fetchable and inside one frame.
import { ES, CS, SS, DS, FS, GS, RAX } from './state';
import { mode64, defSize, modeKeyHi, fetchWindowReady, fetchCursor, fetchWindowEnd, skipFetched } from './decode';
import { DCE_KEY, DCE_OP, DCE_LEN, markCodeFrame, entryFor, entryKey, countMiss } from './decode-cache';
import { jitForget } from './jit';

export const BASE_NONE: u32 = 0xff;
export const BASE_RIP: u32 = 0xfe;
export const SEG_STACK_BASE: u32 = 0x80;
export const DCE_G: u32 = 11;
export const DCE_E: u32 = 12;
export const DCE_X: u32 = 13;
export const DCE_SCALE: u32 = 14;
export const DCE_SEG: u32 = 15;
export const DCE_DISP: u32 = 16;
export const DCE_AUX: u32 = 20;
export const DCE_IMM: u32 = 24;

// ---- Fast-op numbers: one dense range for the br_table in fast-ops.ts. "+w": +0 for 32-bit, +1 for 64-bit operands. ----
export const OP_GENERIC: u32 = 0;
export const OP_ALU_RR: u32 = 1; // + alu op * 2 + w: E(reg) = E op G (G in g, E in e)
export const OP_ALU_RI: u32 = 17; // + alu op * 2 + w: E(reg) = E op imm
export const OP_ALU_RM: u32 = 33; // +w: G = G op [mem] (aux = alu op)
export const OP_ALU_MR: u32 = 35; // +w: [mem] = [mem] op G
export const OP_ALU_MI: u32 = 37; // +w: [mem] = [mem] op imm
export const OP_ALU_RR8: u32 = 39; // byte forms of the five above
export const OP_ALU_RI8: u32 = 40;
export const OP_ALU_RM8: u32 = 41;
export const OP_ALU_MR8: u32 = 42;
export const OP_ALU_MI8: u32 = 43;
export const OP_TEST_RR: u32 = 44; // +w
export const OP_TEST_RI: u32 = 46; // +w
export const OP_TEST_MR: u32 = 48; // +w
export const OP_TEST_MI: u32 = 50; // +w
export const OP_TEST_RR8: u32 = 52;
export const OP_TEST_RI8: u32 = 53;
export const OP_TEST_MR8: u32 = 54;
export const OP_TEST_MI8: u32 = 55;
export const OP_MOV_RR: u32 = 56; // +w: E = G
export const OP_MOV_RI: u32 = 58; // +w: E = imm
export const OP_MOV_RM: u32 = 60; // +w: G = [mem]
export const OP_MOV_MR: u32 = 62; // +w: [mem] = G
export const OP_MOV_MI: u32 = 64; // +w: [mem] = imm
export const OP_MOV_RR8: u32 = 66;
export const OP_MOV_RI8: u32 = 67;
export const OP_MOV_RM8: u32 = 68;
export const OP_MOV_MR8: u32 = 69;
export const OP_MOV_MI8: u32 = 70;
export const OP_LEA: u32 = 71; // +w
export const OP_INCDEC_R: u32 = 73; // +w, aux 0 INC / 1 DEC
export const OP_INCDEC_M: u32 = 75; // +w
export const OP_SHIFT_R: u32 = 77; // +w, aux = group-2 op, g = 0 imm count / 1 CL, imm = count
export const OP_SHIFT_M: u32 = 79; // +w
export const OP_IMUL_RR: u32 = 81; // +w: G = G * E
export const OP_IMUL_RM: u32 = 83; // +w
export const OP_IMUL_RRI: u32 = 85; // +w: G = E * imm
export const OP_IMUL_RMI: u32 = 87; // +w
export const OP_MOVSXD_RR: u32 = 89; // REX.W 63
export const OP_MOVSXD_RM: u32 = 90;
export const OP_MOVX_RR: u32 = 91; // +w: MOVZX/MOVSX, aux = source size | 0x10 for sign extension
export const OP_MOVX_RM: u32 = 93; // +w
export const OP_SETCC_R: u32 = 95; // aux = condition
export const OP_SETCC_M: u32 = 96;
export const OP_CMOV_RR: u32 = 97; // +w
export const OP_CMOV_RM: u32 = 99; // +w
export const OP_JCC: u32 = 101; // + condition: imm = displacement
export const OP_JMP: u32 = 117;
export const OP_CALL: u32 = 118;
export const OP_RET: u32 = 119;
export const OP_PUSH_R: u32 = 120;
export const OP_POP_R: u32 = 121;
export const OP_PUSH_I: u32 = 122;
export const OP_CALL_R: u32 = 123;
export const OP_JMP_R: u32 = 124;
export const OP_CALL_M: u32 = 125;
export const OP_JMP_M: u32 = 126;
export const OP_NOP: u32 = 127;
export const OP_COUNT: u32 = 128;

// ---- Parse state of the instruction being pre-decoded ----
let p: u32 = 0; // next byte
let lim: u32 = 0; // first byte that may not be read
let rex: u32 = 0;
let segOvr: i32 = -1;
let w: u32 = 0; // 1 with REX.W
// The ModRM operand.
let mIsReg: bool = false;
let mDigit: u32 = 0;
let mReg: u32 = 0; // reg field with REX.R
let mRm: u32 = 0; // rm field with REX.B (register forms)
let mBase: u32 = BASE_NONE;
let mIndex: u32 = BASE_NONE;
let mScale: u32 = 0;
let mDisp: u32 = 0;
let mSeg: u32 = 0;

/** GPR byte offset of register r at operand size 4/8. */
@inline function regOff(r: u32): u32 { return r << 3; }
/** GPR byte offset of byte register r: without REX, 4..7 are AH CH DH BH. */
@inline function byteOff(r: u32): u32 { return rex != 0 || r < 4 ? r << 3 : ((r & 3) << 3) + 1; }

/** Reads the ModRM byte and, for memory forms, the SIB and displacement; false if it runs past lim. */
function parseModrm(): bool {
  if (p >= lim) return false;
  const m = load<u8>(p++);
  mDigit = (m >> 3) & 7;
  mReg = mDigit | ((rex & 4) << 1);
  if (m >= 0xc0) {
    mIsReg = true;
    mRm = (m & 7) | ((rex & 1) << 3);
    return true;
  }
  mIsReg = false;
  const mod = m >> 6;
  const rm = m & 7;
  mBase = BASE_NONE;
  mIndex = BASE_NONE;
  mScale = 0;
  mDisp = 0;
  let seg: u32 = <u32>DS;
  let stack = false;
  if (rm == 4) {
    if (p >= lim) return false;
    const sib = load<u8>(p++);
    const index = ((sib >> 3) & 7) | ((rex & 2) << 2);
    if (index != 4) { mIndex = regOff(index); mScale = sib >> 6; }
    const base = sib & 7;
    if (base == 5 && mod == 0) {
      if (p + 4 > lim) return false;
      mDisp = load<u32>(p);
      p += 4;
    } else {
      mBase = regOff(base | ((rex & 1) << 3));
      if ((base == 4 || base == 5) && (rex & 1) == 0) { seg = <u32>SS; stack = true; }
    }
  } else if (rm == 5 && mod == 0) {
    if (p + 4 > lim) return false;
    mDisp = load<u32>(p);
    p += 4;
    if (mode64) mBase = BASE_RIP;
  } else {
    mBase = regOff(rm | ((rex & 1) << 3));
    if (rm == 5 && (rex & 1) == 0) { seg = <u32>SS; stack = true; }
  }
  if (mod == 1) {
    if (p >= lim) return false;
    mDisp = <u32>(<i32>(<i8>load<u8>(p++)));
  } else if (mod == 2) {
    if (p + 4 > lim) return false;
    mDisp = load<u32>(p);
    p += 4;
  }
  mSeg = (segOvr >= 0 ? <u32>segOvr : seg) | (stack ? SEG_STACK_BASE : 0);
  return true;
}

// Immediates: false when they would run past lim. The value lands in `imm`.
let imm: u64 = 0;
function imm8s(): bool {
  if (p >= lim) return false;
  imm = <u64>(<i64>(<i8>load<u8>(p++)));
  return true;
}
function imm8u(): bool {
  if (p >= lim) return false;
  imm = <u64>load<u8>(p++);
  return true;
}
/** imm32 sign-extended to 64 bits (an Iz of a 64-bit operation; for 32-bit ones the low half is what counts). */
function imm32s(): bool {
  if (p + 4 > lim) return false;
  imm = <u64>(<i64>load<i32>(p));
  p += 4;
  return true;
}

/** Writes a fast entry: the memory operand fields (when not a register form) and the rest. */
function emit(e: u32, op: u32, g: u32, aux: u32): void {
  store<u16>(e, <u16>op, DCE_OP);
  store<u8>(e, <u8>g, DCE_G);
  if (mIsReg) {
    store<u8>(e, <u8>regOff(mRm), DCE_E);
  } else {
    store<u8>(e, <u8>mBase, DCE_E);
    store<u8>(e, <u8>mIndex, DCE_X);
    store<u8>(e, <u8>mScale, DCE_SCALE);
    store<u8>(e, <u8>mSeg, DCE_SEG);
    store<u32>(e, mDisp, DCE_DISP);
  }
  store<u32>(e, aux, DCE_AUX);
  store<u64>(e, imm, DCE_IMM);
}

/** As emit, for a register form whose E operand is a byte register. */
function emitByteE(e: u32, op: u32, g: u32, aux: u32): void {
  emit(e, op, g, aux);
  if (mIsReg) store<u8>(e, <u8>byteOff(mRm), DCE_E);
}

/**
 * The decode-cache lookup, at the start of an instruction (after beginInsn): returns the fast entry
 * with the fetch pointer moved past the instruction, or 0 when the byte decoder must run it (then
 * nothing was consumed) or when fetching its first byte faulted (then the fault is pending).
 */
@inline export function decodedEntry(): u32 {
  if (!fetchWindowReady()) return 0;
  const h = fetchCursor();
  const e = entryFor(h);
  const key = entryKey(h, modeKeyHi);
  if (load<u64>(e, DCE_KEY) != key) predecodeMiss(h, e, key);
  const len = <u32>load<u8>(e, DCE_LEN); // 0 for op 0
  // An entry decoded under another CS may run past this CS's limit: the byte decoder raises the #GP.
  if (len == 0 || h + len > fetchWindowEnd()) return 0;
  skipFetched(len);
  return e;
}
function predecodeMiss(h: u32, e: u32, key: u64): void {
  countMiss();
  predecode(h, fetchWindowEnd(), e, key);
}

/**
 * Pre-decodes the instruction at wasm offset `host` (bytes up to `limit` are fetchable) into entry `e`
 * under `key`. Always leaves a valid entry: a fast form, or op 0.
 */
export function predecode(host: u32, limit: u32, e: u32, key: u64): void {
  store<u64>(e, key, DCE_KEY);
  jitForget(e); // a block compiled from the entry this slot held must not run (cpu/jit.ts)
  store<u16>(e, <u16>OP_GENERIC, DCE_OP);
  store<u8>(e, 0, DCE_LEN);
  if (!mode64 && defSize != 4) return; // 16-bit code: the byte decoder
  const op = parse(host, limit, e);
  if (op == OP_GENERIC) { store<u16>(e, <u16>OP_GENERIC, DCE_OP); return; }
  if (!markCodeFrame(host)) { store<u16>(e, <u16>OP_GENERIC, DCE_OP); return; }
  store<u8>(e, <u8>(p - host), DCE_LEN);
}

/** Parses prefixes, opcode and operands; writes the entry's fields and returns its op (0: not a fast form). */
function parse(host: u32, limit: u32, e: u32): u32 {
  p = host;
  lim = limit;
  rex = 0;
  w = 0;
  segOvr = -1;
  imm = 0;
  mIsReg = true;
  mRm = 0;
  let b: u32 = 0;
  let op66 = false;
  // Segment overrides (the last one wins) and 66 (only the NOP forms take it, see below); any other
  // legacy prefix makes the form generic.
  for (let n = 0; ; n++) {
    if (p >= lim || n > 7) return OP_GENERIC;
    b = load<u8>(p);
    if (b == 0x66) op66 = true;
    else if (b == 0x26) { if (!mode64) segOvr = ES; } // 64-bit mode: CS DS ES SS are null prefixes (decode.ts)
    else if (b == 0x2e) { if (!mode64) segOvr = CS; }
    else if (b == 0x36) { if (!mode64) segOvr = SS; }
    else if (b == 0x3e) { if (!mode64) segOvr = DS; }
    else if (b == 0x64) segOvr = FS;
    else if (b == 0x65) segOvr = GS;
    else break;
    p++;
  }
  if (mode64 && (b & 0xf0) == 0x40) {
    rex = b;
    w = (b >> 3) & 1;
    p++;
    if (p >= lim) return OP_GENERIC;
    b = load<u8>(p);
    if ((b & 0xf0) == 0x40) return OP_GENERIC; // two REX prefixes
  }
  if (b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 || b == 0x2e ||
    b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65) return OP_GENERIC;
  p++;
  // Compilers pad with 66 (and segment) prefixed NOPs: 66 90 (XCHG AX,AX) and 66 [2E] 0F 1F /0
  // (NOP Ew), which fall into loops and so run often. A 66 prefix on anything else: byte decoder.
  if (op66) {
    if (b == 0x90 && (rex & 1) == 0) { emit(e, OP_NOP, 0, 0); return OP_NOP; }
    if (b != 0x0f || p >= lim || load<u8>(p) != 0x1f) return OP_GENERIC;
    p++;
    if (!parseModrm()) return OP_GENERIC;
    emit(e, OP_NOP, 0, 0);
    return OP_NOP;
  }
  if (b == 0x0f) return parse0F(e);
  if (b < 0x40) {
    if ((b & 7) >= 6) return OP_GENERIC; // segment pushes/pops, prefixes, BCD
    const alu = b >> 3;
    const form = b & 7;
    if (form == 4) { // AL, Ib
      if (!imm8u()) return OP_GENERIC;
      mRm = RAX;
      emitByteE(e, OP_ALU_RI8, 0, alu);
      return OP_ALU_RI8;
    }
    if (form == 5) { // rAX, Iz
      if (!imm32s()) return OP_GENERIC;
      mRm = RAX;
      const op = OP_ALU_RI + alu * 2 + w;
      emit(e, op, 0, alu);
      return op;
    }
    if (!parseModrm()) return OP_GENERIC;
    if (form == 0 || form == 2) { // Eb,Gb / Gb,Eb
      if (mIsReg) {
        // Normalise to "E = E op G": for Gb,Eb the destination is the reg field.
        const dst = form == 0 ? mRm : mReg;
        const src = form == 0 ? mReg : mRm;
        mRm = dst;
        emitByteE(e, OP_ALU_RR8, byteOff(src), alu);
        return OP_ALU_RR8;
      }
      const op = form == 0 ? OP_ALU_MR8 : OP_ALU_RM8;
      emit(e, op, byteOff(mReg), alu);
      return op;
    }
    // Ev,Gv / Gv,Ev
    if (mIsReg) {
      const dst = form == 1 ? mRm : mReg;
      const src = form == 1 ? mReg : mRm;
      mRm = dst;
      const op = OP_ALU_RR + alu * 2 + w;
      emit(e, op, regOff(src), alu);
      return op;
    }
    const op = (form == 1 ? OP_ALU_MR : OP_ALU_RM) + w;
    emit(e, op, regOff(mReg), alu);
    return op;
  }
  switch (b) {
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: {
      // INC/DEC Zv (not in 64-bit mode, where these are REX and were taken above).
      mRm = b & 7;
      emit(e, OP_INCDEC_R, 0, (b >> 3) & 1);
      return OP_INCDEC_R;
    }
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
      mRm = (b & 7) | ((rex & 1) << 3);
      emit(e, OP_PUSH_R, 0, 0);
      return OP_PUSH_R;
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
      mRm = (b & 7) | ((rex & 1) << 3);
      emit(e, OP_POP_R, 0, 0);
      return OP_POP_R;
    case 0x63: { // MOVSXD Gv, Ed with REX.W (ARPL outside 64-bit mode)
      if (!mode64 || w == 0 || !parseModrm()) return OP_GENERIC;
      const op = mIsReg ? OP_MOVSXD_RR : OP_MOVSXD_RM;
      emit(e, op, regOff(mReg), 0);
      return op;
    }
    case 0x68: case 0x6a: // PUSH Iz / PUSH Ib
      if (!(b == 0x6a ? imm8s() : imm32s())) return OP_GENERIC;
      emit(e, OP_PUSH_I, 0, 0);
      return OP_PUSH_I;
    case 0x69: case 0x6b: { // IMUL Gv, Ev, Iz / Ib
      if (!parseModrm()) return OP_GENERIC;
      if (!(b == 0x6b ? imm8s() : imm32s())) return OP_GENERIC;
      const op = (mIsReg ? OP_IMUL_RRI : OP_IMUL_RMI) + w;
      emit(e, op, regOff(mReg), 0);
      return op;
    }
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
      if (!imm8s()) return OP_GENERIC;
      emit(e, OP_JCC + (b & 15), 0, 0);
      return OP_JCC + (b & 15);
    case 0x80: case 0x81: case 0x83: { // Grp1 Eb,Ib / Ev,Iz / Ev,Ib
      if (!parseModrm()) return OP_GENERIC;
      if (!(b == 0x80 ? imm8u() : b == 0x81 ? imm32s() : imm8s())) return OP_GENERIC;
      if (b == 0x80) {
        const op = mIsReg ? OP_ALU_RI8 : OP_ALU_MI8;
        emitByteE(e, op, 0, mDigit);
        return op;
      }
      const op = mIsReg ? OP_ALU_RI + mDigit * 2 + w : OP_ALU_MI + w;
      emit(e, op, 0, mDigit);
      return op;
    }
    case 0x84: case 0x85: { // TEST Eb,Gb / Ev,Gv
      if (!parseModrm()) return OP_GENERIC;
      if (b == 0x84) {
        const op = mIsReg ? OP_TEST_RR8 : OP_TEST_MR8;
        emitByteE(e, op, byteOff(mReg), 0);
        return op;
      }
      const op = (mIsReg ? OP_TEST_RR : OP_TEST_MR) + w;
      emit(e, op, regOff(mReg), 0);
      return op;
    }
    case 0x88: case 0x89: case 0x8a: case 0x8b: { // MOV Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev
      if (!parseModrm()) return OP_GENERIC;
      const toReg = b >= 0x8a;
      if (b == 0x88 || b == 0x8a) {
        if (mIsReg) {
          const dst = toReg ? mReg : mRm;
          const src = toReg ? mRm : mReg;
          mRm = dst;
          emitByteE(e, OP_MOV_RR8, byteOff(src), 0);
          return OP_MOV_RR8;
        }
        const op = toReg ? OP_MOV_RM8 : OP_MOV_MR8;
        emit(e, op, byteOff(mReg), 0);
        return op;
      }
      if (mIsReg) {
        const dst = toReg ? mReg : mRm;
        const src = toReg ? mRm : mReg;
        mRm = dst;
        const op = OP_MOV_RR + w;
        emit(e, op, regOff(src), 0);
        return op;
      }
      const op = (toReg ? OP_MOV_RM : OP_MOV_MR) + w;
      emit(e, op, regOff(mReg), 0);
      return op;
    }
    case 0x8d: { // LEA Gv, M (the register form is #UD: byte decoder)
      if (!parseModrm() || mIsReg) return OP_GENERIC;
      const op = OP_LEA + w;
      emit(e, op, regOff(mReg), 0);
      return op;
    }
    case 0x90: // NOP (with REX.B it is XCHG r8, rAX)
      if ((rex & 1) != 0) return OP_GENERIC;
      emit(e, OP_NOP, 0, 0);
      return OP_NOP;
    case 0xa8: // TEST AL, Ib
      if (!imm8u()) return OP_GENERIC;
      mRm = RAX;
      emitByteE(e, OP_TEST_RI8, 0, 0);
      return OP_TEST_RI8;
    case 0xa9: { // TEST rAX, Iz
      if (!imm32s()) return OP_GENERIC;
      mRm = RAX;
      const op = OP_TEST_RI + w;
      emit(e, op, 0, 0);
      return op;
    }
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
      if (!imm8u()) return OP_GENERIC;
      mRm = (b & 7) | ((rex & 1) << 3);
      emitByteE(e, OP_MOV_RI8, 0, 0);
      return OP_MOV_RI8;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf: {
      if (w != 0) { // MOV r64, imm64
        if (p + 8 > lim) return OP_GENERIC;
        imm = load<u64>(p);
        p += 8;
      } else {
        if (p + 4 > lim) return OP_GENERIC;
        imm = <u64>load<u32>(p);
        p += 4;
      }
      mRm = (b & 7) | ((rex & 1) << 3);
      const op = OP_MOV_RI + w;
      emit(e, op, 0, 0);
      return op;
    }
    case 0xc0: case 0xc1: case 0xd1: case 0xd3: { // Grp2 Ev by Ib / 1 / CL (C0 is the byte form: generic)
      if (b == 0xc0 || !parseModrm()) return OP_GENERIC;
      let cl: u32 = 0;
      if (b == 0xc1) { if (!imm8u()) return OP_GENERIC; }
      else if (b == 0xd1) imm = 1;
      else cl = 1;
      const op = (mIsReg ? OP_SHIFT_R : OP_SHIFT_M) + w;
      emit(e, op, cl, mDigit);
      return op;
    }
    case 0xc3: // RET
      emit(e, OP_RET, 0, 0);
      return OP_RET;
    case 0xc6: case 0xc7: { // MOV Eb,Ib / Ev,Iz (Grp11 /0; other digits are XABORT/XBEGIN or #UD)
      if (!parseModrm() || mDigit != 0) return OP_GENERIC;
      if (!(b == 0xc6 ? imm8u() : imm32s())) return OP_GENERIC;
      if (b == 0xc6) {
        const op = mIsReg ? OP_MOV_RI8 : OP_MOV_MI8;
        emitByteE(e, op, 0, 0);
        return op;
      }
      if (w == 0) imm &= 0xffffffff;
      const op = (mIsReg ? OP_MOV_RI : OP_MOV_MI) + w;
      emit(e, op, 0, 0);
      return op;
    }
    case 0xe8: // CALL Jz
      if (!imm32s()) return OP_GENERIC;
      emit(e, OP_CALL, 0, 0);
      return OP_CALL;
    case 0xe9: // JMP Jz
      if (!imm32s()) return OP_GENERIC;
      emit(e, OP_JMP, 0, 0);
      return OP_JMP;
    case 0xeb: // JMP Jb
      if (!imm8s()) return OP_GENERIC;
      emit(e, OP_JMP, 0, 0);
      return OP_JMP;
    case 0xf6: case 0xf7: { // Grp3 /0: TEST E, imm (the other digits: byte decoder)
      if (!parseModrm() || mDigit != 0) return OP_GENERIC;
      if (!(b == 0xf6 ? imm8u() : imm32s())) return OP_GENERIC;
      if (b == 0xf6) {
        const op = mIsReg ? OP_TEST_RI8 : OP_TEST_MI8;
        emitByteE(e, op, 0, 0);
        return op;
      }
      const op = (mIsReg ? OP_TEST_RI : OP_TEST_MI) + w;
      emit(e, op, 0, 0);
      return op;
    }
    case 0xff: { // Grp5: INC DEC Ev, CALLN Ev, JMPN Ev (CALLF, JMPF, PUSH and /7: byte decoder)
      if (!parseModrm()) return OP_GENERIC;
      const d = mDigit;
      if (d == 0 || d == 1) {
        const op = (mIsReg ? OP_INCDEC_R : OP_INCDEC_M) + w;
        emit(e, op, 0, d);
        return op;
      }
      if (d == 2 || d == 4) {
        const op = d == 2 ? (mIsReg ? OP_CALL_R : OP_CALL_M) : (mIsReg ? OP_JMP_R : OP_JMP_M);
        emit(e, op, 0, 0);
        return op;
      }
      return OP_GENERIC;
    }
    default:
      return OP_GENERIC;
  }
}

/** The 0F map: Jcc Jz, SETcc, CMOVcc, IMUL Gv,Ev, MOVZX/MOVSX, NOP Ev. */
function parse0F(e: u32): u32 {
  if (p >= lim) return OP_GENERIC;
  const b = load<u8>(p++);
  if (b >= 0x80 && b <= 0x8f) {
    if (!imm32s()) return OP_GENERIC;
    emit(e, OP_JCC + (b & 15), 0, 0);
    return OP_JCC + (b & 15);
  }
  if (b >= 0x90 && b <= 0x9f) {
    if (!parseModrm()) return OP_GENERIC;
    const op = mIsReg ? OP_SETCC_R : OP_SETCC_M;
    emitByteE(e, op, 0, b & 15);
    return op;
  }
  if (b >= 0x40 && b <= 0x4f) {
    if (!parseModrm()) return OP_GENERIC;
    const op = (mIsReg ? OP_CMOV_RR : OP_CMOV_RM) + w;
    emit(e, op, regOff(mReg), b & 15);
    return op;
  }
  if (b == 0xaf) {
    if (!parseModrm()) return OP_GENERIC;
    const op = (mIsReg ? OP_IMUL_RR : OP_IMUL_RM) + w;
    emit(e, op, regOff(mReg), 0);
    return op;
  }
  if (b == 0xb6 || b == 0xb7 || b == 0xbe || b == 0xbf) {
    if (!parseModrm()) return OP_GENERIC;
    const src: u32 = (b & 1) != 0 ? 2 : 1;
    const aux = src | (b >= 0xbe ? 0x10 : 0);
    const op = (mIsReg ? OP_MOVX_RR : OP_MOVX_RM) + w;
    if (src == 1) emitByteE(e, op, regOff(mReg), aux);
    else emit(e, op, regOff(mReg), aux);
    return op;
  }
  if (b == 0x1f) { // NOP Ev: decodes its operand, touches nothing
    if (!parseModrm()) return OP_GENERIC;
    emit(e, OP_NOP, 0, 0);
    return OP_NOP;
  }
  return OP_GENERIC;
}
