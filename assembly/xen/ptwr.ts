// Writable page tables (xen-pv-abi.md 3.4, 4.1; Xen pv/ro-page-fault.c): a guest-kernel store that
// faults on a present, read-only mapping of a frame in use as an L1 table is emulated as a validated
// L1 update, if the domain enabled VMASST_TYPE_writable_pagetables. A narrow decoder covers the forms
// kernels use on PTEs: MOV Eb/Ev,Gb/Gv (88/89), MOV Eb/Ev,imm (C6/C7 /0), XCHG (86/87), CMPXCHG
// (0F B0/B1), CMPXCHG8B (0F C7 /1), OR/AND with a memory destination (08/09, 20/21, 80/81/83 /1 /4)
// and BTS/BTR/BTC Ev,imm8 (0F BA /5-/7), with LOCK, 66, REX and segment prefixes.
// Only naturally aligned writes inside the faulting page qualify; 1/2/4-byte writes are merged into
// the 8-byte entry. Anything else returns false and the #PF goes to the guest unchanged.
// Invariant: on false nothing changed (no register, entry or RIP); no fault is left pending.
import { shadowEntryChanged } from '../mmu/shadow';
import { logDirtyMark } from '../mmu/log-dirty';
import { audit, auditAfterPtOps } from '../mmu/audit';
import {
  DOM_BASE, DOM_VM_ASSIST, CNT_BASE, CNT_PTWR_EMULATIONS, MODE_LONG64, MODE_PROT32, MODE_COMPAT,
} from '../layout';
import {
  getRip, setRip, getCpl, getMode, segBase, getReg64, setReg64, getReg32, setReg32, getReg16, setReg16,
  getReg8Low, setReg8Low, getReg8Legacy, setReg8Legacy, RAX, RCX, RDX, RBX, ES, CS, SS, DS, FS, GS, FLAG_CF, FLAG_ZF,
} from '../cpu/state';
import { faulted, clearFault, PFEC_P, PFEC_W, PFEC_RSVD, PFEC_I } from '../cpu/fault';
import { setCC, setFlagBits, CC_SUB, CC_LOGIC, maskOfSize } from '../cpu/flags';
import { read8As } from '../mmu/access';
import { totalFrames, frameHost } from '../mmu/machine';
import { codeWrittenHost } from '../cpu/decode-cache';
import { inGuestKernel } from './vcpu';
import {
  findL1e, isL1InUse, pteMfn, getL1eRef, putL1eRef, adjustL1, requestFlush, flushIfPending, resetFailure,
  countPtUpdate, guestAddrOk, isPv32, PTE_P, PTE_RW,
} from './mm';

export const VMASST_TYPE_writable_pagetables: u32 = 2;

// ---- State of the emulation in progress ----
let l1Mfn: u32 = 0; // the L1 table being written
let faultAddr: u64 = 0; // CR2
let insnIp: u64 = 0; // linear address of the instruction
let insnLen: u32 = 0;
let fetchOk: bool = true;
let rex: u32 = 0;
/** Set by update() when a CMPXCHG found another value: that value (of the access size). */
let cmpxchgSeen: u64 = 0;

const UPDATE_OK: i32 = 0;
const UPDATE_CMPXCHG_FAILED: i32 = 1;
const UPDATE_UNHANDLED: i32 = -1;

/**
 * Called for a #PF with P and W set in guest-kernel mode. True when the store was emulated (the entry
 * updated, registers and flags written, RIP past the instruction); false to deliver the #PF.
 */
export function ptwrEmulate(err: u32, cr2: u64): bool {
  if ((err & (PFEC_P | PFEC_W | PFEC_RSVD | PFEC_I)) != (PFEC_P | PFEC_W)) return false;
  if (!inGuestKernel()) return false;
  if ((load<u32>(DOM_BASE + DOM_VM_ASSIST) & (1 << VMASST_TYPE_writable_pagetables)) == 0) return false;
  if (!guestAddrOk(cr2)) return false;
  const pteHost = findL1e(cr2);
  if (pteHost == 0) return false;
  const pte = load<u64>(pteHost);
  if ((pte & (PTE_P | PTE_RW)) != PTE_P) return false; // only read-only mappings
  const target = pteMfn(pte);
  if (target >= <u64>totalFrames || !isL1InUse(<u32>target)) return false;
  l1Mfn = <u32>target;
  faultAddr = cr2;
  resetFailure();
  const ok = emulate();
  flushIfPending();
  if (faulted()) clearFault();
  if (ok) store<u64>(CNT_BASE + CNT_PTWR_EMULATIONS, load<u64>(CNT_BASE + CNT_PTWR_EMULATIONS) + 1);
  if (auditAfterPtOps) audit();
  return ok;
}

// ---- Instruction bytes ----

function fetch8(): u32 {
  if (insnLen >= 15) { fetchOk = false; return 0; }
  const b = read8As(insnIp + insnLen, getCpl() == 3);
  if (faulted()) { clearFault(); fetchOk = false; return 0; }
  insnLen++;
  return b;
}
function fetchN(n: u32): u64 {
  let v: u64 = 0;
  for (let i: u32 = 0; i < n; i++) v |= <u64>fetch8() << (i * 8);
  return v;
}
@inline function sext(v: u64, bytes: u32): u64 {
  const sh = 64 - bytes * 8;
  return <u64>((<i64>(v << sh)) >> sh);
}

// ---- Registers by operand size (8-bit registers follow REX: SPL..DIL with it, AH..BH without) ----

function regGet(r: i32, size: u32): u64 {
  if (size == 1) return <u64>(rex != 0 ? getReg8Low(r) : getReg8Legacy(r));
  if (size == 2) return <u64>getReg16(r);
  if (size == 4) return <u64>getReg32(r);
  return getReg64(r);
}
function regSet(r: i32, size: u32, v: u64): void {
  if (size == 1) { if (rex != 0) setReg8Low(r, <u32>v); else setReg8Legacy(r, <u32>v); }
  else if (size == 2) setReg16(r, <u32>v);
  else if (size == 4) setReg32(r, <u32>v);
  else setReg64(r, v);
}

// ---- The decoder and the operations ----

function emulate(): bool {
  const mode = getMode();
  if (mode != MODE_LONG64 && mode != MODE_PROT32 && mode != MODE_COMPAT) return false;
  const m64 = mode == MODE_LONG64;
  insnIp = m64 ? getRip() : (segBase(CS) + getRip()) & 0xffffffff;
  insnLen = 0;
  fetchOk = true;
  rex = 0;
  let opsize16 = false, addr16or32 = false, lock = false;
  let seg: i32 = -1;
  let b = fetch8();
  for (;;) {
    if (!fetchOk) return false;
    if (b == 0x66) opsize16 = true;
    else if (b == 0x67) addr16or32 = true;
    else if (b == 0xf0) lock = true;
    else if (b == 0xf2 || b == 0xf3) { /* XACQUIRE/XRELEASE hints: no effect here */ }
    else if (b == 0x26) seg = ES;
    else if (b == 0x2e) seg = CS;
    else if (b == 0x36) seg = SS;
    else if (b == 0x3e) seg = DS;
    else if (b == 0x64) seg = FS;
    else if (b == 0x65) seg = GS;
    else if (m64 && (b & 0xf0) == 0x40) { rex = b; b = fetch8(); continue; }
    else break;
    rex = 0; // a REX prefix counts only right before the opcode
    b = fetch8();
  }
  let opcode = b;
  if (b == 0x0f) opcode = 0x100 | fetch8();
  if (!fetchOk) return false;

  // Which forms are ours, and their operand size.
  const opSize: u32 = (rex & 8) != 0 ? 8 : opsize16 ? 2 : 4;
  let size: u32;
  switch (opcode) {
    case 0x88: case 0xc6: case 0x86: case 0x1b0: case 0x08: case 0x20: case 0x80: size = 1; break;
    case 0x89: case 0xc7: case 0x87: case 0x1b1: case 0x09: case 0x21: case 0x81: case 0x83: case 0x1ba: size = opSize; break;
    case 0x1c7: size = 8; break;
    case 0xa2: size = 1; break; // MOV moffs8, AL
    case 0xa3: size = opSize; break; // MOV moffs, eAX (gcc's form for stores to globals)
    default: return false;
  }
  if (opcode == 0xa2 || opcode == 0xa3) {
    // No ModRM: the absolute offset has the address size (8 bytes in 64-bit mode, 4 with 67h).
    const offSize: u32 = m64 ? (addr16or32 ? 4 : 8) : (addr16or32 ? 2 : 4);
    if (offSize == 2) return false; // 16-bit addressing: not a PTE store any kernel makes
    const off = fetchN(offSize);
    if (!fetchOk) return false;
    const s = seg >= 0 ? seg : DS;
    const a: u64 = m64 ? (s == FS || s == GS ? segBase(s) + off : off) : (segBase(s) + off) & 0xffffffff;
    if (((a ^ faultAddr) & ~(<u64>0xfff)) != 0 || (a & <u64>(size - 1)) != 0) return false;
    if (update(a, size, regGet(RAX, size), false, 0) != UPDATE_OK) return false;
    const next = getRip() + insnLen;
    setRip(m64 ? next : next & 0xffffffff);
    return true;
  }

  // ModRM, SIB and displacement (32/64-bit addressing only).
  const modrm = fetch8();
  if (!fetchOk) return false;
  const mod = modrm >> 6;
  const regField = (modrm >> 3) & 7;
  const reg = <i32>(regField | ((rex & 4) << 1));
  if (mod == 3) return false; // a register destination cannot fault on a page
  if (!m64 && addr16or32) return false; // 16-bit addressing: not a PTE store any kernel makes
  const addrSize: u32 = m64 ? (addr16or32 ? 4 : 8) : 4;
  const rm = modrm & 7;
  let ea: u64 = 0;
  let defSeg: i32 = DS;
  let ripRelative = false;
  if (rm == 4) {
    const sib = fetch8();
    const scale = sib >> 6;
    const index = <i32>(((sib >> 3) & 7) | ((rex & 2) << 2));
    const base = <i32>((sib & 7) | ((rex & 1) << 3));
    if (index != 4) ea += addrReg(index, addrSize) << scale;
    if ((base & 7) == 5 && mod == 0) ea += sext(fetchN(4), 4);
    else {
      ea += addrReg(base, addrSize);
      if ((base & 7) == 4 || (base & 7) == 5) defSeg = SS;
    }
  } else if (rm == 5 && mod == 0) {
    ea = sext(fetchN(4), 4);
    ripRelative = m64;
  } else {
    ea = addrReg(<i32>(rm | ((rex & 1) << 3)), addrSize);
    if (rm == 5) defSeg = SS;
  }
  if (mod == 1) ea += sext(fetchN(1), 1);
  else if (mod == 2) ea += sext(fetchN(4), 4);

  // Immediates and the sub-operation.
  let imm: u64 = 0;
  let aluOr = false;
  let btOp: u32 = 0;
  switch (opcode) {
    case 0xc6: if (regField != 0) return false; imm = fetchN(1); break;
    case 0xc7: if (regField != 0) return false; imm = size == 2 ? fetchN(2) : sext(fetchN(4), 4); break;
    case 0x80: case 0x81: case 0x83:
      if (regField != 1 && regField != 4) return false;
      aluOr = regField == 1;
      imm = opcode == 0x81 ? (size == 2 ? fetchN(2) : sext(fetchN(4), 4)) : sext(fetchN(1), 1);
      break;
    case 0x1ba:
      if (regField < 5) return false;
      btOp = regField;
      imm = fetchN(1) & (size * 8 - 1);
      break;
    case 0x1c7: if (regField != 1 || (rex & 8) != 0) return false; break; // CMPXCHG16B is not a PTE store
    case 0x88: case 0x89: case 0xc6: if (lock) return false; break; // LOCK MOV is #UD
    default: break;
  }
  if (!fetchOk) return false;
  const nextRip = getRip() + insnLen;
  if (ripRelative) ea += m64 ? nextRip : 0;
  if (addrSize == 4) ea &= 0xffffffff;
  const s = seg >= 0 ? seg : defSeg;
  let addr: u64;
  if (m64) addr = s == FS || s == GS ? segBase(s) + ea : ea;
  else addr = (segBase(s) + ea) & 0xffffffff;

  // Only naturally aligned accesses within the page that faulted.
  if (((addr ^ faultAddr) & ~(<u64>0xfff)) != 0 || (addr & <u64>(size - 1)) != 0) return false;
  const cur = current(addr, size);
  const mask = maskOfSize(size);
  let rc: i32;
  switch (opcode) {
    case 0x88: case 0x89:
      rc = update(addr, size, regGet(reg, size), false, 0);
      break;
    case 0xc6: case 0xc7:
      rc = update(addr, size, imm & mask, false, 0);
      break;
    case 0x86: case 0x87:
      rc = update(addr, size, regGet(reg, size), false, 0);
      if (rc == UPDATE_OK) regSet(reg, size, cur);
      break;
    case 0x1b0: case 0x1b1: {
      const acc = regGet(RAX, size);
      rc = update(addr, size, regGet(reg, size), true, acc);
      if (rc == UPDATE_UNHANDLED) break;
      const seen = rc == UPDATE_OK ? acc : cmpxchgSeen;
      setCC(CC_SUB, size, (acc - seen) & mask, seen); // flags of CMP accumulator, destination
      if (rc == UPDATE_CMPXCHG_FAILED) regSet(RAX, size, seen);
      rc = UPDATE_OK;
      break;
    }
    case 0x1c7: {
      const expect = (<u64>getReg32(RDX) << 32) | <u64>getReg32(RAX);
      const repl = (<u64>getReg32(RCX) << 32) | <u64>getReg32(RBX);
      rc = update(addr, 8, repl, true, expect);
      if (rc == UPDATE_UNHANDLED) break;
      setFlagBits(FLAG_ZF, rc == UPDATE_OK);
      if (rc == UPDATE_CMPXCHG_FAILED) { setReg32(RAX, <u32>cmpxchgSeen); setReg32(RDX, <u32>(cmpxchgSeen >> 32)); }
      rc = UPDATE_OK;
      break;
    }
    case 0x08: case 0x09: case 0x20: case 0x21: case 0x80: case 0x81: case 0x83: {
      const or = opcode == 0x08 || opcode == 0x09 || aluOr;
      const src = opcode >= 0x80 ? imm & mask : regGet(reg, size);
      const res = or ? cur | src : cur & src;
      rc = update(addr, size, res, false, 0);
      if (rc == UPDATE_OK) setCC(CC_LOGIC, size, res, 0);
      break;
    }
    default: { // BTS / BTR / BTC with an immediate bit number
      const bit = <u64>1 << imm;
      const res = btOp == 5 ? cur | bit : btOp == 6 ? cur & ~bit : cur ^ bit;
      rc = update(addr, size, res, false, 0);
      if (rc == UPDATE_OK) setFlagBits(FLAG_CF, (cur & bit) != 0);
    }
  }
  if (rc != UPDATE_OK) return false;
  setRip(m64 ? nextRip : nextRip & 0xffffffff);
  return true;
}

/** A register used in an address, truncated to the address size. */
function addrReg(r: i32, addrSize: u32): u64 {
  return addrSize == 8 ? getReg64(r) : <u64>getReg32(r);
}

/** The value at `addr` in the L1 table (the mapping is read-only, the frame is ours to read). */
function current(addr: u64, size: u32): u64 {
  const h = frameHost(<u64>l1Mfn) + (<u32>addr & 0xfff);
  if (size == 1) return <u64>load<u8>(h);
  if (size == 2) return <u64>load<u16>(h);
  if (size == 4) return <u64>load<u32>(h);
  return load<u64>(h);
}

/**
 * Xen's ptwr_emulated_update: merges a 1/2/4-byte write into its 8-byte entry, validates the entry
 * like an L1 update and stores it (or, for a compare-exchange, only if the entry still holds `old`).
 */
function update(addr: u64, size: u32, val: u64, isCmpxchg: bool, old: u64): i32 {
  const shift = <u64>(<u32>addr & 7) * 8;
  const host = frameHost(<u64>l1Mfn) + (<u32>addr & 0xff8);
  const full = load<u64>(host);
  let nl1e = val;
  let expect = old;
  if (size != 8) {
    const m = maskOfSize(size) << shift;
    nl1e = (full & ~m) | ((val << shift) & m);
    expect = (full & ~m) | ((old << shift) & m);
  }
  if ((nl1e & PTE_P) != 0 && getL1eRef(nl1e, false) != 0) {
    // A PV32 guest writing the upper half of a PAE entry first: assume the lower half follows and
    // store the entry as not present (Xen's fix-up); anything else is the guest's #PF.
    if (!(isPv32() && size == 4 && (addr & 4) != 0 && !isCmpxchg)) return UPDATE_UNHANDLED;
    nl1e &= ~PTE_P;
  }
  nl1e = adjustL1(nl1e);
  if (isCmpxchg) {
    const now = load<u64>(host);
    if (now != expect) {
      putL1eRef(nl1e);
      cmpxchgSeen = (now >> shift) & maskOfSize(size);
      return UPDATE_CMPXCHG_FAILED;
    }
  }
  codeWrittenHost(host);
  store<u64>(host, nl1e);
  shadowEntryChanged(l1Mfn, (<u32>addr & 0xff8) >> 3, full);
  logDirtyMark(<u64>l1Mfn);
  putL1eRef(full);
  if ((full & PTE_P) != 0 && full != nl1e) requestFlush();
  countPtUpdate();
  return UPDATE_OK;
}
