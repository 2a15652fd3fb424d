// The x87 register stack, tags, status word and exception bookkeeping (Intel SDM vol. 1, 8.1-8.5).
// Registers are kept in stack order in CPU_ST (slot i = ST(i), 10 bytes of 16, as FXSAVE stores
// them), so a push or pop rotates the slots: the physical registers keep their contents, as FNSAVE
// shows. The abridged tag word (CPU_FPU_TW, FXSAVE format) has one valid bit per *physical*
// register, physical = (TOP + i) & 7. The status word lives in CPU_FPU_SW without TOP (CPU_FPU_TOP).
// The last-instruction pointers (FIP/FCS/FOP/FDP/FDS) are module state: layout.ts has no field
// for them yet. Invariant: every instruction commits its exception flags through commitExc().
import { CPU_BASE, CPU_FPU_CW, CPU_FPU_SW, CPU_FPU_TW, CPU_FPU_TOP, CPU_ST } from '../layout';
import { unpack80, aCls } from './fp/softfloat';

export const P_CW: u32 = CPU_BASE + CPU_FPU_CW;
export const P_SW: u32 = CPU_BASE + CPU_FPU_SW;
export const P_TW: u32 = CPU_BASE + CPU_FPU_TW;
export const P_TOP: u32 = CPU_BASE + CPU_FPU_TOP;
export const P_ST: u32 = CPU_BASE + CPU_ST;

// Status word bits.
export const SW_SF: u32 = 1 << 6; // stack fault
export const SW_ES: u32 = 1 << 7; // error summary
export const SW_C0: u32 = 1 << 8;
export const SW_C1: u32 = 1 << 9;
export const SW_C2: u32 = 1 << 10;
export const SW_C3: u32 = 1 << 14;
export const SW_B: u32 = 1 << 15;
export const SW_CC: u32 = SW_C0 | SW_C1 | SW_C2 | SW_C3;

/** The real indefinite (default NaN) of the extended format. */
export const INDEF_SIG: u64 = 0xc000000000000000;
export const INDEF_SE: u32 = 0xffff;

// ---- Last instruction and data pointers (what FNSTENV/FNSAVE store) ----
// layout.ts has no fields for them yet: they use the free bytes after CPU_ST (0x390..0x3a8 of the
// vCPU region, inside CPU_STATE_END), so they travel with the vCPU state and reset with it.
const P_FIP: u32 = CPU_BASE + CPU_ST + 128; // u64
const P_FDP: u32 = P_FIP + 8; // u64
const P_FCS: u32 = P_FIP + 16; // u16
const P_FDS: u32 = P_FIP + 18; // u16
const P_FOP: u32 = P_FIP + 20; // u16 (11 bits)
@inline export function fpuIp(): u64 { return load<u64>(P_FIP); }
@inline export function fpuCs(): u32 { return load<u16>(P_FCS); }
@inline export function fpuOp(): u32 { return load<u16>(P_FOP); }
@inline export function fpuDp(): u64 { return load<u64>(P_FDP); }
@inline export function fpuDs(): u32 { return load<u16>(P_FDS); }
export function setFpuIp(ip: u64, cs: u32, op: u32): void {
  store<u64>(P_FIP, ip);
  store<u16>(P_FCS, <u16>cs);
  store<u16>(P_FOP, <u16>(op & 0x7ff));
}
export function setFpuDp(dp: u64, ds: u32): void { store<u64>(P_FDP, dp); store<u16>(P_FDS, <u16>ds); }
export function clearFpuPointers(): void { memory.fill(P_FIP, 0, 24); }

// ---- Control and status words ----
@inline export function getCw(): u32 { return load<u16>(P_CW); }
/** Loads the control word: bits 15:13 and 7 are reserved (read as 0), bit 6 reads as 1. */
@inline export function setCw(v: u32): void { store<u16>(P_CW, <u16>((v & 0x1f3f) | 0x40)); }
@inline export function getTop(): u32 { return load<u32>(P_TOP) & 7; }
/** The status word as FNSTSW gives it (TOP in bits 13:11). */
@inline export function getSw(): u32 { return (<u32>load<u16>(P_SW) & ~(<u32>0x3800)) | (getTop() << 11); }
/** Sets the status word (TOP taken from bits 13:11; the physical registers keep their contents). */
export function setSw(v: u32): void {
  store<u16>(P_SW, <u16>(v & ~(<u32>0x3800)));
  setTop((v >> 11) & 7);
}
/** Moves TOP to `t`, rotating the stack-ordered slots so that each physical register keeps its value. */
export function setTop(t: u32): void {
  while (getTop() != (t & 7)) decTop();
}
/** Replaces the condition codes C3 C2 C1 C0 (bits given at their SW positions). */
@inline export function setCC(cc: u32): void {
  store<u16>(P_SW, <u16>((<u32>load<u16>(P_SW) & ~SW_CC) | (cc & SW_CC)));
}
@inline export function setC1(on: bool): void {
  const sw = <u32>load<u16>(P_SW);
  store<u16>(P_SW, <u16>(on ? sw | SW_C1 : sw & ~SW_C1));
}
/** Precision control: significand bits of arithmetic results (24, 53 or 64). */
@inline export function precisionBits(): i32 {
  const pc = (getCw() >> 8) & 3;
  return pc == 0 ? 24 : pc == 2 ? 53 : 64;
}
@inline export function roundingControl(): u32 { return (getCw() >> 10) & 3; }

/**
 * Records the exception flags `f` (IE DE ZE OE UE PE, SF) in the status word; an unmasked one also
 * sets ES and B, so that the next waiting x87 instruction raises #MF.
 */
export function commitExc(f: u32): void {
  if (f == 0) return;
  let sw = <u32>load<u16>(P_SW) | (f & 0x7f);
  if ((f & ~getCw() & 0x3f) != 0) sw |= SW_ES | SW_B;
  store<u16>(P_SW, <u16>sw);
}
/** Whether a pre-computation condition in `f` (IE DE ZE) is unmasked: the result is then not delivered. */
@inline export function unmaskedPre(f: u32): bool { return (f & ~getCw() & 0x7) != 0; }
@inline export function masked(bit: u32): bool { return (getCw() & bit) != 0; }

// ---- Registers ----
@inline export function phys(i: u32): u32 { return (getTop() + i) & 7; }
@inline export function isEmpty(i: u32): bool { return (load<u16>(P_TW) & (1 << phys(i))) == 0; }
@inline export function stSig(i: u32): u64 { return load<u64>(P_ST + (i << 4)); }
@inline export function stSe(i: u32): u32 { return load<u16>(P_ST + (i << 4) + 8); }
/** Writes ST(i) and marks it valid. */
export function setSt(i: u32, sig: u64, se: u32): void {
  store<u64>(P_ST + (i << 4), sig);
  store<u64>(P_ST + (i << 4) + 8, <u64>(se & 0xffff));
  store<u16>(P_TW, <u16>(<u32>load<u16>(P_TW) | (<u32>1 << phys(i))));
}
export function setEmpty(i: u32): void {
  store<u16>(P_TW, <u16>(<u32>load<u16>(P_TW) & ~(<u32>1 << phys(i))));
}

/** TOP - 1: slot 0 becomes the physical register below the old ST(0) (its old contents kept). */
export function decTop(): void {
  const lo = load<u64>(P_ST + 112), hi = load<u64>(P_ST + 120);
  memory.copy(P_ST + 16, P_ST, 112);
  store<u64>(P_ST, lo);
  store<u64>(P_ST + 8, hi);
  store<u32>(P_TOP, (getTop() - 1) & 7);
}
/** TOP + 1: the old ST(0) moves to slot 7. */
export function incTop(): void {
  const lo = load<u64>(P_ST), hi = load<u64>(P_ST + 8);
  memory.copy(P_ST, P_ST + 16, 112);
  store<u64>(P_ST + 112, lo);
  store<u64>(P_ST + 120, hi);
  store<u32>(P_TOP, (getTop() + 1) & 7);
}
/** Pops: ST(0) becomes empty, TOP + 1. */
export function pop(): void {
  setEmpty(0);
  incTop();
}
/** Pushes a value (the caller checked for stack overflow). */
export function push(sig: u64, se: u32): void {
  decTop();
  setSt(0, sig, se);
}

/**
 * Pushes with the stack-overflow check: a full ST(7) slot is #IS (IE, SF, C1 = 1); masked, the real
 * indefinite is pushed. Returns false when nothing was pushed (unmasked).
 */
export function pushChecked(sig: u64, se: u32): bool {
  if (!isEmpty(7)) {
    setC1(true);
    commitExc(1 | SW_SF);
    if (!masked(1)) return false;
    push(INDEF_SIG, INDEF_SE);
    return true;
  }
  push(sig, se);
  return true;
}

/** The 2-bit tag of ST(i) as FNSTENV reports it: 0 valid, 1 zero, 2 special, 3 empty. */
export function fullTag(physReg: u32): u32 {
  if ((load<u16>(P_TW) & (1 << physReg)) == 0) return 3;
  const slot = (physReg - getTop()) & 7;
  const sig = stSig(slot), se = stSe(slot);
  const e = se & 0x7fff;
  if (e == 0x7fff) return 2;
  if (e == 0) return sig == 0 ? 1 : 2;
  return (sig >> 63) != 0 ? 0 : 2; // unnormal: special
}
/** The full tag word (physical register order). */
export function fullTagWord(): u32 {
  let tw: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) tw |= fullTag(p) << (2 * p);
  return tw;
}
/** Loads the abridged tags from a full tag word (11 = empty, anything else = valid). */
export function setFullTagWord(tw: u32): void {
  let t: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) != 3) t |= 1 << p;
  store<u16>(P_TW, <u16>t);
}

/** Class of ST(i) for FXAM-like decisions (unpacks it into slot A). */
export function classOf(i: u32): u32 {
  unpack80(stSig(i), stSe(i), 0);
  return aCls;
}
