// Near control transfers: Jcc, JMP, CALL, RET (with imm16), LOOP/LOOPE/LOOPNE, JCXZ/JECXZ/JRCXZ
// (Intel SDM vol. 2). The target is masked to the operand size (16, 32, 64); in 64-bit mode near
// branches use 64-bit operands (AMD: 66h gives 16, see options.ts). The branch itself raises #GP(0)
// for a target beyond the CS limit (32-bit modes) or a non-canonical target (64-bit mode).
// Invariant: RIP and rSP change only when the whole transfer succeeds.
import { raiseGP, faulted } from './fault';
import { getReg64, setReg64, setReg32, setReg16, RCX, RSP, SS } from './state';
import { opSize, adSize, repPfx, mode64, csLimit, ipNow, jumpTo, fetchS8, fetchSImm, fetch16, spMask } from './decode';
import { VENDOR_AMD } from './options';
import { readE, probeWriteSeg } from './modrm';
import { testCond, getZF } from './flags';
import { push, stackPeek, spAdd } from './stack';

/** Operand size of near branches. */
@inline export function branchSize(): u32 {
  if (mode64) return VENDOR_AMD && opSize == 2 ? 2 : 8;
  return opSize;
}
@inline function maskTarget(t: u64, size: u32): u64 {
  if (size == 8) return t;
  return size == 4 ? t & 0xffffffff : t & 0xffff;
}
/** A near-branch target the CPU accepts: canonical (64-bit mode), within the CS limit (32-bit modes). */
@inline function targetValid(t: u64): bool {
  return mode64 ? ((t + 0x800000000000) >> 48) == 0 : t <= <u64>csLimit;
}
/** Checks a near-branch target; false with #GP(0) raised. */
@inline export function targetOk(t: u64): bool {
  if (targetValid(t)) return true;
  raiseGP(0);
  return false;
}
/** Jumps to the near target t (already masked); false with #GP(0) raised. */
@inline export function nearJump(t: u64): bool {
  if (!targetOk(t)) return false;
  jumpTo(t);
  return true;
}

/** Jcc rel8 (70..7F). */
export function JCC_Jb(cc: u32): void {
  const d = fetchS8();
  if (faulted()) return;
  if (testCond(cc)) nearJump(maskTarget(ipNow() + d, branchSize()));
}
/** Jcc rel16/32 (0F 80..8F). */
export function JCC_Jz(cc: u32): void {
  const size = branchSize();
  const d = fetchSImm(size == 2 ? 2 : 4);
  if (faulted()) return;
  if (testCond(cc)) nearJump(maskTarget(ipNow() + d, size));
}
/** JMP rel8 (EB). */
export function JMP_Jb(): void {
  const d = fetchS8();
  if (faulted()) return;
  nearJump(maskTarget(ipNow() + d, branchSize()));
}
/** JMP rel16/32 (E9). */
export function JMP_Jz(): void {
  const size = branchSize();
  const d = fetchSImm(size == 2 ? 2 : 4);
  if (faulted()) return;
  nearJump(maskTarget(ipNow() + d, size));
}
/** CALL rel16/32 (E8). */
export function CALL_Jz(): void {
  const size = branchSize();
  const d = fetchSImm(size == 2 ? 2 : 4);
  if (faulted()) return;
  const next = ipNow();
  const t = maskTarget(next + d, size);
  if (!targetOk(t)) return;
  if (!push(next, size)) return;
  jumpTo(t);
}
/** JMP Ev (FF /4), after decodeModrm. */
export function JMP_Ev(): void {
  const size = branchSize();
  const t = readE(size, false);
  if (faulted()) return;
  nearJump(t);
}
/** CALL Ev (FF /2), after decodeModrm. */
export function CALL_Ev(): void {
  const size = branchSize();
  const t = readE(size, false);
  if (faulted()) return;
  callAbsolute(t, size);
}
/** The rest of an indirect CALL to t: the return address's slot is checked (#SS #PF #AC) before the
 *  target (#GP), as on the reference CPU; then the push and the jump. */
export function callAbsolute(t: u64, size: u32): void {
  if (!targetValid(t)) { // rare: only then is the slot checked on its own, without the push
    if (probeWriteSeg(SS, (getReg64(RSP) - <u64>size) & spMask, size, true)) raiseGP(0);
    return;
  }
  if (!push(ipNow(), size)) return;
  jumpTo(t);
}
/** RET (C3) and RET imm16 (C2). */
export function RET_near(withImm: bool): void {
  let extra: u64 = 0;
  if (withImm) {
    extra = <u64>fetch16();
    if (faulted()) return;
  }
  const size = branchSize();
  const t = stackPeek(0, size);
  if (faulted()) return;
  if (!targetOk(t)) return;
  spAdd(<u64>size + extra);
  jumpTo(t);
}

// ---- LOOP family: the counter is CX, ECX or RCX by address size ----
@inline function getCount(): u64 {
  const c = getReg64(RCX);
  return adSize == 8 ? c : (adSize == 4 ? c & 0xffffffff : c & 0xffff);
}
@inline function setCount(v: u64): void {
  if (adSize == 8) setReg64(RCX, v);
  else if (adSize == 4) setReg32(RCX, <u32>v);
  else setReg16(RCX, <u32>v);
}
/**
 * LOOPNE (E0) kind 0, LOOPE (E1) kind 1, LOOP (E2) kind 2. On the reference (AMD) CPU an F3 or F2
 * prefix on E0/E1 selects the condition itself: F3 tests ZF = 1 and F2 ZF = 0, whatever the opcode.
 */
export function LOOP_Jb(kind: u32): void {
  if (VENDOR_AMD && kind < 2 && repPfx != 0) kind = repPfx == 0xf3 ? 1 : 0;
  const d = fetchS8();
  if (faulted()) return;
  const size = branchSize();
  const count = (getCount() - 1) & (adSize == 8 ? <u64>0xffffffffffffffff : (adSize == 4 ? <u64>0xffffffff : <u64>0xffff));
  let take = count != 0;
  if (kind == 0) take = take && !getZF();
  else if (kind == 1) take = take && getZF();
  if (take) {
    const t = maskTarget(ipNow() + d, size);
    if (!targetOk(t)) return;
    setCount(count);
    jumpTo(t);
  } else {
    setCount(count);
  }
}
/** JCXZ / JECXZ / JRCXZ (E3). */
export function JRCXZ_Jb(): void {
  const d = fetchS8();
  if (faulted()) return;
  if (getCount() == 0) nearJump(maskTarget(ipNow() + d, branchSize()));
}

