// The interpreter's entry points (execute, step, refreshMode, loadSegment, invalidateCodeCaches,
// translationsChanged) and the one-byte opcode map (Intel SDM vol. 2, appendix A, table A-2), one
// case per opcode value so it compiles to a single br_table. Prefixes are cases that loop back for
// the next byte. With the decode cache on (options.ts), pre-decoded instructions run in fast-ops.ts,
// in runs of consecutive decoded instructions (runDecoded, docs/how-it-works.md "The decode cache").
// Fault protocol (cpu/fault.ts): a faulting instruction returns early; the loop puts RIP back on it
// and calls platform.deliverFault(); otherwise RIP moves past it unless the instruction wrote RIP.
import {
  CNT_BASE, CNT_INSTRUCTIONS, MODE_PROT32, MODE_PROT16, MODE_COMPAT, MODE_LONG64, FAULT_NONE,
  TRACE_KIND_INSN, JIT_BASE, JIT_EXIT_KIND, JIT_EXIT_H, JIT_EXIT_RIP, JIT_EXIT_FAULT, JIT_EXIT_JUMP, JIT_EXIT_NEXT,
  JIT_COMPILED,
} from '../layout';
import {
  getRip, setRip, getCr0, getEfer, segAttr, segSel, segBase, segLimit, setMode, setCpl, getMode,
  CS, SS, ES, DS, FS, GS, ATTR_L, ATTR_DB, CR0_PE, EFER_LMA,
} from './state';
import { faultVector, raiseUD } from './fault';
import { stopRequested } from '../exit';
import { deliverFault } from '../platform';
import { traceInstructions, traceEvent, traceHead, traceSetHead, traceInsnAt } from '../debug/trace';
import { profiling, profNoteMode, profSetRetired } from '../debug/profile';
import { transNoteMode } from '../debug/transitions';
import {
  beginInsn, endInsn, fetch8, setModeCache, invalidateFetchCache, ipStart, mode64, opSize, ripWritten,
  fetchCursor, skipFetched, ipDelta, ipMaskNow, fetchPageEnd, faultedAt, modeKeyHi,
  lockPfx, rex, prefixOpSize, prefixAdSize, prefixSeg, prefixRep, prefixLock, prefixRex,
} from './decode';
import { setRepLimit } from './string';
import { updateAlignCheck, alignCheck } from './flags';
import { REP_CHUNK, optDecodeCache, optDecodedRuns, optCodePageCache } from './options';
import { decodedEntry } from './predecode';
import {
  DCE_KEY, DCE_LEN, entryFor, entryAfter, keyHigh, invalidateAll as invalidateDecodeCache,
} from './decode-cache';
import { tlbGeneration } from '../mmu/tlb';
import { execDecoded, execDecodedOnce } from './fast-ops';
import { optJit, jitSlot, jitSeen, jitRun } from './jit';
import { nearJump } from './control';
import {
  ALU_EbGb, ALU_EvGv, ALU_GbEb, ALU_GvEv, ALU_ALIb, ALU_eAXIz, GRP1_EbIb, GRP1_EvIz, GRP1_EvIb,
  TEST_EG, TEST_AI, INCDEC_reg, ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
} from './alu';
import { GRP2_Eb1, GRP2_Ev1, GRP2_EbCL, GRP2_EvCL, GRP2_EbIb, GRP2_EvIb } from './shift';
import { IMUL_GvEvI } from './muldiv';
import { PUSH_r, POP_r, PUSH_I, POP_Ev, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE } from './stack';
import { JCC_Jb, JMP_Jb, JMP_Jz, CALL_Jz, RET_near, LOOP_Jb, JRCXZ_Jb } from './control';
import { STRING, STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS, IN_port, OUT_port } from './string';
import {
  MOV_EG, MOV_GE, MOV_EI, MOV_rI, MOV_moffs, LEA, XCHG_EG, XCHG_rAX, NOP_90, CBW, CWD, LAHF, SAHF,
  FLAGOP, FLAGOP_CLC, FLAGOP_STC, FLAGOP_CMC, FLAGOP_CLD, FLAGOP_STD, XLAT, MOVSXD_or_ARPL, GRP3, GRP4, GRP5,
} from './misc';
import { DAA, DAS, AAA, AAS, AAM, AAD, SALC, BOUND } from './bcd';
import { PUSH_seg, POP_seg, MOV_EwSw, MOV_SwEw, loadSegmentChecked } from './segments';
import { CALLF_Ap, JMPF_Ap, RETF, IRET } from './far';
import { INT_Ib, INT3, INTO, INT1, HLT, CLI, STI } from './system';
import { VEX_or_LxS } from './vex';
import { X87_ESC, FWAIT } from './x87';
import { dispatch0F } from './ops0f';
import { unimplemented } from './unimplemented';
import { raiseDecodedUD } from './length';

// ---- Mode ----

/**
 * Recomputes CPU_MODE and CPL from CR0.PE, EFER.LMA and the CS cache (L, D, RPL), and refreshes the
 * interpreter's cached copies (code-segment base/limit, default sizes, stack size).
 */
export function refreshMode(): void {
  const attr = segAttr(CS);
  let mode: u32;
  if ((getEfer() & EFER_LMA) != 0 && (attr & ATTR_L) != 0) mode = MODE_LONG64;
  else if ((getEfer() & EFER_LMA) != 0) mode = MODE_COMPAT;
  else if ((getCr0() & CR0_PE) == 0) mode = MODE_PROT16; // real mode is not a goal: run it as 16-bit code
  else mode = (attr & ATTR_DB) != 0 ? MODE_PROT32 : MODE_PROT16;
  setMode(mode);
  setCpl(segSel(CS) & 3);
  syncModeCache();
  updateAlignCheck();
  if (profiling()) profNoteMode();
  transNoteMode(ipStart);
}

/** Reloads the interpreter's cached view of CPU_MODE / CS / SS without recomputing CPU_MODE. */
function syncModeCache(): void {
  const mode = getMode();
  const m64 = mode == MODE_LONG64;
  const def: u32 = m64 || mode == MODE_PROT32 || mode == MODE_COMPAT ? 4 : 2;
  setModeCache(m64, def, segBase(CS), segLimit(CS), (segAttr(SS) & ATTR_DB) != 0);
}

/** Drops every cache derived from guest code bytes or translations (the host wrote guest memory). */
export function invalidateCodeCaches(): void {
  invalidateFetchCache();
  invalidateDecodeCache();
}

/**
 * Drops what depends on translations only (CR0, CR3, CR4, INVLPG): the fetch page. Decoded
 * instructions are keyed by machine address, so they stay valid.
 */
export function translationsChanged(): void {
  invalidateFetchCache();
}

/** Loads segment register `seg` with `selector` with every protected-mode check (cpu/segments.ts). */
export function loadSegment(seg: i32, selector: u32): bool {
  return loadSegmentChecked(seg, selector);
}

// ---- Run loop ----

/** Executes up to `budget` instructions; returns how many retired (a faulting one does not count). */
export function execute(budget: u32): u32 {
  refreshMode();
  setRepLimit(REP_CHUNK);
  // One loop per setting of the decode cache, so neither pays for the other's test.
  const n = optDecodeCache ? runLoop(budget, true) : runLoop(budget, false);
  store<u64>(CNT_BASE + CNT_INSTRUCTIONS, load<u64>(CNT_BASE + CNT_INSTRUCTIONS) + <u64>n);
  return n;
}

@inline function runLoop(budget: u32, cached: bool): u32 {
  if (cached) return runLoopCached(budget);
  let n: u32 = 0;
  while (n < budget) {
    stepInsn(false);
    n = finishInsn(n);
    if (stopRequested) break;
  }
  return n;
}

/**
 * After one instruction through beginInsn()/endInsn(): records it in the trace ring, then delivers
 * its fault (RIP back on it) or counts it. Returns the new retired count.
 */
@inline function finishInsn(retired: u32): u32 {
  if (traceInstructions) traceEvent(TRACE_KIND_INSN, ipStart, 0);
  if (faultVector == FAULT_NONE) return retired + 1;
  setRip(ipStart);
  deliverFault();
  refreshMode();
  return retired;
}

/**
 * The run loop with the decode cache on: an instruction that has a decoded entry starts a run of
 * decoded instructions (runDecoded); anything else goes through the byte decoder as in runLoop.
 */
@inline function runLoopCached(budget: u32): u32 {
  let n: u32 = 0;
  while (n < budget) {
    beginInsn();
    const e = decodedEntry();
    if (e != 0) {
      n = runDecoded(e, n, budget);
    } else {
      if (faultVector == FAULT_NONE) dispatch();
      endInsn(faultVector == FAULT_NONE);
      n = finishInsn(n);
    }
    if (stopRequested) break;
  }
  return n;
}

/**
 * Runs decoded entry `first` (beginInsn() and decodedEntry() have set it up) and then, while each
 * next instruction continues in the same fetch page and has a fast entry, that one, without the
 * per-instruction bookkeeping of beginInsn()/endInsn(): RIP and ipStart are not stored while the run
 * lasts (no fast op reads them: they use ipNow(), jumpTo() and branchInPage()); they are set when it
 * ends, at a fault (RIP = the faulting instruction), a jump out of the page (RIP = its target, set by
 * jumpTo), or a fall-through (RIP = the next instruction). Returns the new retired count.
 * What fast ops cannot change is read once: the page end, the decode key's high bits, the IP delta
 * and mask, the trace head (published before anything else may trace). The TLB generation is compared
 * per instruction. The budget is a countdown (`left`); the page-end test is folded into the length
 * test (a fall-through or an in-page branch never leaves h past the end, so `len - 1 >= end - h`
 * unsigned catches len 0, a page crossing and a CS-limit cut at once).
 * Fast ops never request a stop (only the byte decoder's instructions and fault delivery do).
 */
@inline function runDecoded(first: u32, retired: u32, budget: u32): u32 {
  let e = first;
  let len = <u32>load<u8>(e, DCE_LEN);
  let h = fetchCursor() - len;
  const end = fetchPageEnd();
  const gen = tlbGeneration;
  const keyHi = keyHigh(modeKeyHi);
  const tracing = traceInstructions;
  const delta = ipDelta();
  const mask = ipMaskNow();
  // The retired count the run stops at (runs of one with either switch off), and how many more
  // instructions it may retire after the current one.
  const stop = optDecodedRuns && optCodePageCache ? budget : retired + 1;
  let left: u32 = stop - retired - 1;
  let th = tracing ? traceHead() : 0;
  // Compiled blocks (cpu/jit.ts) are looked up at the run's first instruction and at branch targets;
  // they record their instructions in the trace ring themselves (compiled for the trace setting).
  const jitOn = optJit && left != 0 && !alignCheck; // blocks access memory without alignment checks
  let probe = jitOn;
  while (true) {
    let ran = false;
    if (probe) {
      let v = load<u32>(jitSlot(e));
      if (v < JIT_COMPILED) v = jitSeen(e, h, end);
      if (v >= JIT_COMPILED) {
        if (tracing) traceSetHead(th); // a block records its instructions itself
        const r = jitRun(v & ~JIT_COMPILED, delta, left + 1, end);
        if (tracing) th = traceHead();
        if (r != 0xffffffff) {
          ran = true;
          const kind = load<u32>(JIT_BASE + JIT_EXIT_KIND);
          const at = load<u32>(JIT_BASE + JIT_EXIT_H);
          if (kind == JIT_EXIT_FAULT || kind == JIT_EXIT_JUMP) {
            left -= r; // the instruction at `at` is the current one
            if (kind == JIT_EXIT_JUMP) nearJump(load<u64>(JIT_BASE + JIT_EXIT_RIP));
            if (faultVector != FAULT_NONE) {
              if (tracing) traceSetHead(th);
              runFaulted(at);
              return stop - left - 1;
            }
            break; // RIP = the jump's target (the trace head is published after the loop)
          }
          left = left + 1 - r; // as if the last instruction of the block were the current one
          if (kind == JIT_EXIT_NEXT) skipFetched(at - fetchCursor());
          // JIT_EXIT_HELPER: the fast op that ended the block set RIP or the cursor itself.
        }
      }
    }
    if (!ran) {
      execDecoded(e);
      if (tracing) traceInsnAt(th++, (<u64>h + delta) & mask);
      if (faultVector != FAULT_NONE) {
        if (tracing) traceSetHead(th);
        runFaulted(h);
        return stop - left - 1;
      }
    }
    if (ripWritten || left == 0) break; // a jump out of the page: RIP is its target
    const next = fetchCursor(); // <= end: a fall-through stays in the page, branchInPage() too
    if (tlbGeneration != gen) break;
    const fell = next == h + len;
    probe = jitOn && (ran || !fell);
    e = fell ? entryAfter(e, len) : entryFor(next);
    h = next;
    if (load<u64>(e, DCE_KEY) != (<u64>h | keyHi)) break; // not decoded yet: decodedEntry() will
    len = <u32>load<u8>(e, DCE_LEN);
    // len 0: the byte decoder's; h + len > end: past the page or cut by the CS limit (#GP there).
    if (len - 1 >= end - h) break;
    skipFetched(len);
    left--;
  }
  if (tracing) traceSetHead(th);
  endInsn(true);
  return stop - left;
}

/** A run's instruction at wasm offset h faulted: RIP back on it, and the fault delivered. */
@inline function runFaulted(h: u32): void {
  endInsn(false);
  faultedAt(h);
  setRip(ipStart);
  deliverFault();
  refreshMode();
}

/**
 * execute() while the profiler records (debug/profile.ts): also keeps the profiler's count of
 * instructions retired in the slice. It runs each instruction through stepOne(), the copy of the
 * interpreter step() uses, so the core holds no third copy of the decoded-op switch: one more copy
 * changes how Binaryen inlines the fast-op helpers into execute() and slowed it by 9 % (measured).
 */
export function executeProfiled(budget: u32): u32 {
  refreshMode();
  setRepLimit(REP_CHUNK);
  let n: u32 = 0;
  while (n < budget) {
    profSetRetired(n);
    if (stepOne()) n++;
    if (stopRequested) break;
  }
  store<u64>(CNT_BASE + CNT_INSTRUCTIONS, load<u64>(CNT_BASE + CNT_INSTRUCTIONS) + <u64>n);
  profSetRetired(0);
  return n;
}

/** Executes exactly one instruction (one iteration of a REP string instruction). */
export function step(): void {
  refreshMode();
  setRepLimit(1);
  if (stepOne()) store<u64>(CNT_BASE + CNT_INSTRUCTIONS, load<u64>(CNT_BASE + CNT_INSTRUCTIONS) + 1);
  setRepLimit(REP_CHUNK);
}

/** One instruction at the current REP limit: true when it retired, false when it faulted (delivered). */
function stepOne(): bool {
  stepInsn(optDecodeCache);
  return finishInsn(0) != 0;
}

/**
 * Decodes and executes one instruction; commits RIP unless it faulted or wrote RIP itself. With the
 * decode cache on, a pre-decoded entry runs it (cpu/fast-ops.ts), else the byte decoder below.
 */
@inline function stepInsn(cached: bool): void {
  beginInsn();
  if (cached) {
    const e = decodedEntry();
    if (e != 0) execDecodedOnce(e);
    else if (faultVector == FAULT_NONE) dispatch();
  } else {
    dispatch();
  }
  endInsn(faultVector == FAULT_NONE);
}

/** Lockable one-byte opcodes (LOCK is #UD on anything else): 00 01 08 09 ... 30 31, 80..83, 86 87, F6 F7 FE FF. */
@inline function lockableOneByte(b: u32): bool {
  if (b < 0x40) return ((<u64>0x0003030303030303 >> <u64>b) & 1) != 0;
  if (b >= 0x80 && b < 0xc0) return ((<u64>0xcf >> <u64>(b - 0x80)) & 1) != 0;
  if (b >= 0xc0) return ((<u64>0xc0c0000000000000 >> <u64>(b - 0xc0)) & 1) != 0;
  return false;
}

/** The one-byte map. Each case is one row of the SDM table (operands in the manual's notation). */
function dispatch(): void {
  for (let prefixes = 0; ; prefixes++) {
    const b = fetch8();
    if (faultVector != FAULT_NONE) return;
    if (lockPfx && b != 0x0f && !isPrefix(b) && !lockableOneByte(b)) { raiseDecodedUD(); return; }
    switch (b) {
      case 0x00: ALU_EbGb(ALU_ADD); return; // ADD Eb,Gb
      case 0x01: ALU_EvGv(ALU_ADD); return; // ADD Ev,Gv
      case 0x02: ALU_GbEb(ALU_ADD); return; // ADD Gb,Eb
      case 0x03: ALU_GvEv(ALU_ADD); return; // ADD Gv,Ev
      case 0x04: ALU_ALIb(ALU_ADD); return; // ADD AL,Ib
      case 0x05: ALU_eAXIz(ALU_ADD); return; // ADD rAX,Iz
      case 0x06: if (inv64()) return; PUSH_seg(ES); return; // PUSH ES (i64)
      case 0x07: if (inv64()) return; POP_seg(ES); return; // POP ES (i64)
      case 0x08: ALU_EbGb(ALU_OR); return; // OR Eb,Gb
      case 0x09: ALU_EvGv(ALU_OR); return; // OR Ev,Gv
      case 0x0a: ALU_GbEb(ALU_OR); return; // OR Gb,Eb
      case 0x0b: ALU_GvEv(ALU_OR); return; // OR Gv,Ev
      case 0x0c: ALU_ALIb(ALU_OR); return; // OR AL,Ib
      case 0x0d: ALU_eAXIz(ALU_OR); return; // OR rAX,Iz
      case 0x0e: if (inv64()) return; PUSH_seg(CS); return; // PUSH CS (i64)
      case 0x0f: dispatch0F(); return; // two-byte escape
      case 0x10: ALU_EbGb(ALU_ADC); return; // ADC Eb,Gb
      case 0x11: ALU_EvGv(ALU_ADC); return; // ADC Ev,Gv
      case 0x12: ALU_GbEb(ALU_ADC); return; // ADC Gb,Eb
      case 0x13: ALU_GvEv(ALU_ADC); return; // ADC Gv,Ev
      case 0x14: ALU_ALIb(ALU_ADC); return; // ADC AL,Ib
      case 0x15: ALU_eAXIz(ALU_ADC); return; // ADC rAX,Iz
      case 0x16: if (inv64()) return; PUSH_seg(SS); return; // PUSH SS (i64)
      case 0x17: if (inv64()) return; POP_seg(SS); return; // POP SS (i64)
      case 0x18: ALU_EbGb(ALU_SBB); return; // SBB Eb,Gb
      case 0x19: ALU_EvGv(ALU_SBB); return; // SBB Ev,Gv
      case 0x1a: ALU_GbEb(ALU_SBB); return; // SBB Gb,Eb
      case 0x1b: ALU_GvEv(ALU_SBB); return; // SBB Gv,Ev
      case 0x1c: ALU_ALIb(ALU_SBB); return; // SBB AL,Ib
      case 0x1d: ALU_eAXIz(ALU_SBB); return; // SBB rAX,Iz
      case 0x1e: if (inv64()) return; PUSH_seg(DS); return; // PUSH DS (i64)
      case 0x1f: if (inv64()) return; POP_seg(DS); return; // POP DS (i64)
      case 0x20: ALU_EbGb(ALU_AND); return; // AND Eb,Gb
      case 0x21: ALU_EvGv(ALU_AND); return; // AND Ev,Gv
      case 0x22: ALU_GbEb(ALU_AND); return; // AND Gb,Eb
      case 0x23: ALU_GvEv(ALU_AND); return; // AND Gv,Ev
      case 0x24: ALU_ALIb(ALU_AND); return; // AND AL,Ib
      case 0x25: ALU_eAXIz(ALU_AND); return; // AND rAX,Iz
      case 0x26: prefixSeg(ES); continue; // ES: (null prefix in 64-bit mode)
      case 0x27: if (inv64()) return; DAA(); return; // DAA (i64)
      case 0x28: ALU_EbGb(ALU_SUB); return; // SUB Eb,Gb
      case 0x29: ALU_EvGv(ALU_SUB); return; // SUB Ev,Gv
      case 0x2a: ALU_GbEb(ALU_SUB); return; // SUB Gb,Eb
      case 0x2b: ALU_GvEv(ALU_SUB); return; // SUB Gv,Ev
      case 0x2c: ALU_ALIb(ALU_SUB); return; // SUB AL,Ib
      case 0x2d: ALU_eAXIz(ALU_SUB); return; // SUB rAX,Iz
      case 0x2e: prefixSeg(CS); continue; // CS: (null prefix in 64-bit mode)
      case 0x2f: if (inv64()) return; DAS(); return; // DAS (i64)
      case 0x30: ALU_EbGb(ALU_XOR); return; // XOR Eb,Gb
      case 0x31: ALU_EvGv(ALU_XOR); return; // XOR Ev,Gv
      case 0x32: ALU_GbEb(ALU_XOR); return; // XOR Gb,Eb
      case 0x33: ALU_GvEv(ALU_XOR); return; // XOR Gv,Ev
      case 0x34: ALU_ALIb(ALU_XOR); return; // XOR AL,Ib
      case 0x35: ALU_eAXIz(ALU_XOR); return; // XOR rAX,Iz
      case 0x36: prefixSeg(SS); continue; // SS: (null prefix in 64-bit mode)
      case 0x37: if (inv64()) return; AAA(); return; // AAA (i64)
      case 0x38: ALU_EbGb(ALU_CMP); return; // CMP Eb,Gb
      case 0x39: ALU_EvGv(ALU_CMP); return; // CMP Ev,Gv
      case 0x3a: ALU_GbEb(ALU_CMP); return; // CMP Gb,Eb
      case 0x3b: ALU_GvEv(ALU_CMP); return; // CMP Gv,Ev
      case 0x3c: ALU_ALIb(ALU_CMP); return; // CMP AL,Ib
      case 0x3d: ALU_eAXIz(ALU_CMP); return; // CMP rAX,Iz
      case 0x3e: prefixSeg(DS); continue; // DS: (null prefix in 64-bit mode)
      case 0x3f: if (inv64()) return; AAS(); return; // AAS (i64)
      case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
        if (mode64) { prefixRex(b); continue; } // REX
        INCDEC_reg(<i32>(b & 7), false); return; // INC Zv (o64: REX)
      case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
        if (mode64) { prefixRex(b); continue; } // REX.W
        INCDEC_reg(<i32>(b & 7), true); return; // DEC Zv (o64: REX)
      case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
        PUSH_r(rexB(b)); return; // PUSH Zv (d64)
      case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
        POP_r(rexB(b)); return; // POP Zv (d64)
      case 0x60: if (inv64()) return; PUSHA(); return; // PUSHA/PUSHAD (i64)
      case 0x61: if (inv64()) return; POPA(); return; // POPA/POPAD (i64)
      case 0x62: if (inv64()) return; BOUND(); return; // BOUND Gv,Ma (i64; EVEX in 64-bit mode)
      case 0x63: MOVSXD_or_ARPL(); return; // ARPL Ew,Gw / MOVSXD Gv,Ed (o64)
      case 0x64: prefixSeg(FS); continue; // FS:
      case 0x65: prefixSeg(GS); continue; // GS:
      case 0x66: prefixOpSize(); continue; // operand size
      case 0x67: prefixAdSize(); continue; // address size
      case 0x68: PUSH_I(false); return; // PUSH Iz (d64)
      case 0x69: IMUL_GvEvI(false); return; // IMUL Gv,Ev,Iz
      case 0x6a: PUSH_I(true); return; // PUSH Ib (d64)
      case 0x6b: IMUL_GvEvI(true); return; // IMUL Gv,Ev,Ib
      case 0x6c: STRING(STR_INS, 1); return; // INS Yb,DX
      case 0x6d: STRING(STR_INS, opSize == 2 ? 2 : 4); return; // INS Yz,DX
      case 0x6e: STRING(STR_OUTS, 1); return; // OUTS DX,Xb
      case 0x6f: STRING(STR_OUTS, opSize == 2 ? 2 : 4); return; // OUTS DX,Xz
      case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
      case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
        JCC_Jb(b & 15); return; // Jcc Jb (f64)
      case 0x80: GRP1_EbIb(); return; // Grp1 Eb,Ib
      case 0x81: GRP1_EvIz(); return; // Grp1 Ev,Iz
      case 0x82: if (inv64()) return; GRP1_EbIb(); return; // Grp1 Eb,Ib (i64)
      case 0x83: GRP1_EvIb(); return; // Grp1 Ev,Ib
      case 0x84: TEST_EG(1); return; // TEST Eb,Gb
      case 0x85: TEST_EG(opSize); return; // TEST Ev,Gv
      case 0x86: XCHG_EG(1); return; // XCHG Eb,Gb
      case 0x87: XCHG_EG(opSize); return; // XCHG Ev,Gv
      case 0x88: MOV_EG(1); return; // MOV Eb,Gb
      case 0x89: MOV_EG(opSize); return; // MOV Ev,Gv
      case 0x8a: MOV_GE(1); return; // MOV Gb,Eb
      case 0x8b: MOV_GE(opSize); return; // MOV Gv,Ev
      case 0x8c: MOV_EwSw(); return; // MOV Ev,Sw
      case 0x8d: LEA(); return; // LEA Gv,M
      case 0x8e: MOV_SwEw(); return; // MOV Sw,Ew
      case 0x8f: POP_Ev(); return; // Grp1A: POP Ev (d64)
      case 0x90: NOP_90(); return; // NOP / PAUSE (F3) / XCHG r8,rAX (REX.B)
      case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
        XCHG_rAX(rexB(b)); return; // XCHG Zv,rAX
      case 0x98: CBW(); return; // CBW/CWDE/CDQE
      case 0x99: CWD(); return; // CWD/CDQ/CQO
      case 0x9a: if (inv64()) return; CALLF_Ap(); return; // CALLF Ap (i64)
      case 0x9b: FWAIT(); return; // FWAIT/WAIT
      case 0x9c: PUSHF(); return; // PUSHF/D/Q Fv (d64)
      case 0x9d: POPF(); return; // POPF/D/Q Fv (d64)
      case 0x9e: SAHF(); return; // SAHF
      case 0x9f: LAHF(); return; // LAHF
      case 0xa0: MOV_moffs(true, 1); return; // MOV AL,Ob
      case 0xa1: MOV_moffs(true, opSize); return; // MOV rAX,Ov
      case 0xa2: MOV_moffs(false, 1); return; // MOV Ob,AL
      case 0xa3: MOV_moffs(false, opSize); return; // MOV Ov,rAX
      case 0xa4: STRING(STR_MOVS, 1); return; // MOVS Yb,Xb
      case 0xa5: STRING(STR_MOVS, opSize); return; // MOVS Yv,Xv
      case 0xa6: STRING(STR_CMPS, 1); return; // CMPS Xb,Yb
      case 0xa7: STRING(STR_CMPS, opSize); return; // CMPS Xv,Yv
      case 0xa8: TEST_AI(1); return; // TEST AL,Ib
      case 0xa9: TEST_AI(opSize); return; // TEST rAX,Iz
      case 0xaa: STRING(STR_STOS, 1); return; // STOS Yb,AL
      case 0xab: STRING(STR_STOS, opSize); return; // STOS Yv,rAX
      case 0xac: STRING(STR_LODS, 1); return; // LODS AL,Xb
      case 0xad: STRING(STR_LODS, opSize); return; // LODS rAX,Xv
      case 0xae: STRING(STR_SCAS, 1); return; // SCAS AL,Yb
      case 0xaf: STRING(STR_SCAS, opSize); return; // SCAS rAX,Yv
      case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
        MOV_rI(rexB(b), 1); return; // MOV Zb,Ib
      case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
        MOV_rI(rexB(b), opSize); return; // MOV Zv,Iv
      case 0xc0: GRP2_EbIb(); return; // Grp2 Eb,Ib
      case 0xc1: GRP2_EvIb(); return; // Grp2 Ev,Ib
      case 0xc2: RET_near(true); return; // RET Iw (f64)
      case 0xc3: RET_near(false); return; // RET (f64)
      case 0xc4: VEX_or_LxS(ES, true); return; // LES Gz,Mp (i64) / VEX3 (BMI1)
      case 0xc5: VEX_or_LxS(DS, false); return; // LDS Gz,Mp (i64) / VEX2
      case 0xc6: MOV_EI(1); return; // Grp11: MOV Eb,Ib
      case 0xc7: MOV_EI(opSize); return; // Grp11: MOV Ev,Iz
      case 0xc8: ENTER(); return; // ENTER Iw,Ib
      case 0xc9: LEAVE(); return; // LEAVE (d64)
      case 0xca: RETF(true); return; // RETF Iw
      case 0xcb: RETF(false); return; // RETF
      case 0xcc: INT3(); return; // INT3
      case 0xcd: INT_Ib(); return; // INT Ib
      case 0xce: if (inv64()) return; INTO(); return; // INTO (i64)
      case 0xcf: IRET(); return; // IRET/D/Q
      case 0xd0: GRP2_Eb1(); return; // Grp2 Eb,1
      case 0xd1: GRP2_Ev1(); return; // Grp2 Ev,1
      case 0xd2: GRP2_EbCL(); return; // Grp2 Eb,CL
      case 0xd3: GRP2_EvCL(); return; // Grp2 Ev,CL
      case 0xd4: if (inv64()) return; AAM(); return; // AAM Ib (i64)
      case 0xd5: if (inv64()) return; AAD(); return; // AAD Ib (i64)
      case 0xd6: if (inv64()) return; SALC(); return; // SALC (undocumented, i64)
      case 0xd7: XLAT(); return; // XLAT
      case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
        X87_ESC(b); return; // x87 escape
      case 0xe0: LOOP_Jb(0); return; // LOOPNE Jb (f64)
      case 0xe1: LOOP_Jb(1); return; // LOOPE Jb (f64)
      case 0xe2: LOOP_Jb(2); return; // LOOP Jb (f64)
      case 0xe3: JRCXZ_Jb(); return; // JrCXZ Jb (f64)
      case 0xe4: IN_port(1, true); return; // IN AL,Ib
      case 0xe5: IN_port(opSize == 2 ? 2 : 4, true); return; // IN eAX,Ib
      case 0xe6: OUT_port(true); return; // OUT Ib,AL
      case 0xe7: OUT_port(true); return; // OUT Ib,eAX
      case 0xe8: CALL_Jz(); return; // CALL Jz (f64)
      case 0xe9: JMP_Jz(); return; // JMP Jz (f64)
      case 0xea: if (inv64()) return; JMPF_Ap(); return; // JMPF Ap (i64)
      case 0xeb: JMP_Jb(); return; // JMP Jb (f64)
      case 0xec: IN_port(1, false); return; // IN AL,DX
      case 0xed: IN_port(opSize == 2 ? 2 : 4, false); return; // IN eAX,DX
      case 0xee: OUT_port(false); return; // OUT DX,AL
      case 0xef: OUT_port(false); return; // OUT DX,eAX
      case 0xf0: prefixLock(); continue; // LOCK
      case 0xf1: INT1(); return; // INT1 (ICEBP)
      case 0xf2: prefixRep(0xf2); continue; // REPNE
      case 0xf3: prefixRep(0xf3); continue; // REP/REPE
      case 0xf4: HLT(); return; // HLT
      case 0xf5: FLAGOP(FLAGOP_CMC); return; // CMC
      case 0xf6: GRP3(1); return; // Grp3 Eb
      case 0xf7: GRP3(opSize); return; // Grp3 Ev
      case 0xf8: FLAGOP(FLAGOP_CLC); return; // CLC
      case 0xf9: FLAGOP(FLAGOP_STC); return; // STC
      case 0xfa: CLI(); return; // CLI
      case 0xfb: STI(); return; // STI
      case 0xfc: FLAGOP(FLAGOP_CLD); return; // CLD
      case 0xfd: FLAGOP(FLAGOP_STD); return; // STD
      case 0xfe: GRP4(); return; // Grp4: INC/DEC Eb
      case 0xff: GRP5(); return; // Grp5: INC DEC CALLN CALLF JMPN JMPF PUSH
      default: unimplemented(1); return;
    }
  }
}

@inline function isPrefix(b: u32): bool {
  return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 ||
    b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || (mode64 && (b & 0xf0) == 0x40);
}

/** Register number from the low 3 opcode bits extended by REX.B. */
@inline function rexB(b: u32): i32 {
  return <i32>((b & 7) | ((rex & 1) << 3));
}

/** Invalid in 64-bit mode: raises #UD and returns true there. */
@inline function inv64(): bool {
  if (mode64) { raiseUD(); return true; }
  return false;
}

