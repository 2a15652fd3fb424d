// Compiled blocks (design.md "The CPU": an interpreter first, designed so a JIT to wasm can be added).
// A block is a straight run of decoded entries in one code page, from a start the run loop saw
// jitThreshold times (a branch target or the first instruction of a run) to the first control
// transfer, non-fast instruction, page end or JIT_MAX_BLOCK instructions. The host compiles it to a
// small wasm module over the same memory (workers/jit/compile.ts): register-only forms inline, the
// rest through jitExec (the same fast ops the run loop uses). The run loop (interp.ts runDecoded)
// calls a compiled block through the function table and reads its exit record (layout.ts JIT_*).
// Invariants: (1) a block is entered only at its start entry while the map slot says JIT_COMPILED,
// and every writer of an entry's slot resets it (predecode, dropFrame, invalidateAll), so a block
// never runs after any of its entries changed; (2) a block retires instructions exactly as the run
// loop would (same state after each, same faults, same budget); (3) with the switch off nothing here
// runs.
import {
  JIT_BASE, JIT_MAP, JIT_LIST, JIT_MAX_BLOCK, JIT_COMPILED, JIT_NEVER, DCACHE_BASE, CNT_BASE,
  CNT_JIT_BLOCKS, CNT_JIT_ENTRIES, CNT_JIT_FAILURES, FAULT_NONE,
} from '../layout';
import { faultVector } from './fault';
import { traceInstructions } from '../debug/trace';
import { tlbGeneration } from '../mmu/tlb';
import { fetchCursor, skipFetched, ripWritten, mode64, modeKeyHi } from './decode';
import { DC_ENTRIES, DCE_KEY, DCE_LEN, DCE_OP, entryAfter, codeEpoch, keyHigh } from './decode-cache';
import { execDecodedOnce } from './fast-ops';
import { getCF, testCond } from './flags';
import { OP_JCC, OP_JMP, OP_CALL, OP_RET, OP_CALL_R, OP_JMP_R, OP_CALL_M, OP_JMP_M, OP_GENERIC } from './predecode';

// The host's compiler (workers/jit/host.ts): compiles the `n` entries listed at JIT_LIST, the first
// at wasm offset h0, for 64-bit (1) or 32-bit (0) code, recording each instruction in the trace ring
// when `tracing` (the switch's setting now: changing it forgets every block); returns the
// function-table index or -1.
@external('env', 'jitCompile')
declare function hostCompile(n: u32, h0: u32, m64: u32, tracing: u32): i32;

/** One switch per optimisation (design.md); off = the run loop never enters or compiles a block. */
export let optJit: bool = true;
/** Times a block start is seen before it is compiled. */
export let jitThreshold: u32 = 1024;

export function setOptJit(on: bool): void {
  optJit = on;
  jitForgetAll();
}
export function setJitThreshold(n: u32): void { jitThreshold = n < 1 ? 1 : n > 0xffff ? 0xffff : n; }

/** The map slot of decode-cache entry `e`. */
@inline export function jitSlot(e: u32): u32 { return JIT_BASE + JIT_MAP + ((e - DCACHE_BASE) >> 3); }
/** Entry `e` was (re)written: whatever was compiled from it must not run. */
@inline export function jitForget(e: u32): void { store<u32>(jitSlot(e), 0); }
/** Every entry changed (a new decode-cache generation, a switch): forget every block. */
export function jitForgetAll(): void { memory.fill(JIT_BASE + JIT_MAP, 0, DC_ENTRIES * 4); }

@inline function bump(counter: u32): void {
  store<u64>(CNT_BASE + counter, load<u64>(CNT_BASE + counter) + 1);
}

/** A control transfer ends a block (it is the block's last instruction). */
@inline function endsBlock(op: u32): bool {
  return (op >= OP_JCC && op <= OP_RET) || op == OP_CALL_R || op == OP_JMP_R || op == OP_CALL_M || op == OP_JMP_M;
}

/**
 * The start entry `e` (at wasm offset h, fetchable up to `end`) was seen once more: counts it, and at
 * the threshold lists the block's entries and asks the host to compile them. Returns the slot's value.
 */
export function jitSeen(e: u32, h: u32, end: u32): u32 {
  const slot = jitSlot(e);
  const v = load<u32>(slot);
  if (v < jitThreshold) { store<u32>(slot, v + 1); return v + 1; }
  if (v != jitThreshold) return v;
  // List the entries: decoded fast entries that follow each other in the page.
  const keyHi = load<u64>(e, DCE_KEY) & ~(<u64>0xffffffff);
  let n: u32 = 0;
  let x = e;
  let at = h;
  while (n < JIT_MAX_BLOCK) {
    const op = <u32>load<u16>(x, DCE_OP);
    const len = <u32>load<u8>(x, DCE_LEN);
    if (op == OP_GENERIC || len == 0 || at + len > end || load<u64>(x, DCE_KEY) != (<u64>at | keyHi)) break;
    store<u32>(JIT_BASE + JIT_LIST + n * 4, x);
    n++;
    if (endsBlock(op)) break;
    x = entryAfter(x, len);
    at += len;
  }
  if (n < 2) { store<u32>(slot, JIT_NEVER); return JIT_NEVER; }
  const idx = hostCompile(n, h, mode64 ? 1 : 0, traceInstructions ? 1 : 0);
  if (idx < 0) { bump(CNT_JIT_FAILURES); store<u32>(slot, JIT_NEVER); return JIT_NEVER; }
  bump(CNT_JIT_BLOCKS);
  store<u32>(slot, JIT_COMPILED | <u32>idx);
  return JIT_COMPILED | <u32>idx;
}

/** Calls compiled block `idx`; returns the instructions it retired, or -1 (0xffffffff) if it did not run. */
@inline export function jitRun(idx: u32, delta: u64, avail: u32, pageEnd: u32): u32 {
  bump(CNT_JIT_ENTRIES);
  return call_indirect<u32>(idx, delta, avail, pageEnd);
}

// ---- What compiled blocks call (exported by index.ts) ----

/** Status codes of jitExec. */
export const JX_CONTINUE: u32 = 0;
export const JX_FAULT: u32 = 1;
export const JX_EXIT: u32 = 2; // retired, but the block must stop: RIP written, cursor moved, TLB or code changed
export const JX_STALE: u32 = 3; // not run: the slot holds another instruction now (the run loop decodes it again)

/**
 * Runs decoded entry `e`, the instruction at wasm offset h ending at hNext, as the run loop would, for a
 * block. The entry is read now, so it must still be this instruction's: a slot another instruction
 * took since the block was compiled is JX_STALE (the block compiled only what it inlines). The fetch
 * cursor is put at hNext first, so ipNow() and in-page branches see what they would in the run loop.
 */
export function jitExec(e: u32, h: u32, hNext: u32): u32 {
  if (load<u64>(e, DCE_KEY) != (<u64>h | keyHigh(modeKeyHi))) return JX_STALE;
  skipFetched(hNext - fetchCursor());
  const gen = tlbGeneration;
  const epoch = codeEpoch;
  execDecodedOnce(e);
  if (faultVector != FAULT_NONE) return JX_FAULT;
  if (ripWritten || fetchCursor() != hNext || tlbGeneration != gen || codeEpoch != epoch) return JX_EXIT;
  return JX_CONTINUE;
}
/** CF of the lazy flags (INC/DEC keep it). */
export function jitCF(): u32 { return getCF() ? 1 : 0; }
/** Condition `cc` (Jcc's low nibble) of the lazy flags. */
export function jitCond(cc: u32): u32 { return testCond(cc) ? 1 : 0; }
