// The core's exports: one wasm instance runs one domain. The host (workers/core.ts) creates the
// memory, calls coreInit, lets the domain builder write the start-of-day state, calls domainStart,
// then run() in slices. Every other exchange goes through linear memory (layout.ts).
// Invariants: no allocation on the run() path; run() always returns with no fault pending.
import { setOptJit, setJitThreshold as setJitThresholdValue, jitForgetAll } from './cpu/jit';
import {
  AS_RESERVED_SIZE, CPU_BASE, VCPU_STRIDE, DOM_BASE, DOM_SIZE, CNT_BASE, CNT_SIZE, EXIT_BASE, EXIT_SIZE,
  HVC_BASE, HVC_SIZE, TRACE_BASE, TRACE_SIZE, TLB_BASE, TLB_SIZE, FRAME_TYPE_BASE, FRAME_TYPE_SIZE, M2P_BASE,
  M2P_SIZE, MAX_FRAMES, DOM_NR_PAGES, DOM_TOTAL_FRAMES, DOM_GUEST_TYPE, DOM_STATE, DOM_VCPU, PV_BLOCKED,
  GUEST_PV32, GUEST_PV64, GUEST_BARE32, GUEST_BARE64, DOMSTATE_RUNNING, DOMSTATE_BUILT, DOM_SHARED_INFO_MFN,
  EXIT_BUDGET, EXIT_BLOCKED, EXIT_CRASH, EXIT_SHUTDOWN, DOMSTATE_SHUTDOWN, DOMSTATE_CRASHED, CNT_SLICES,
  CNT_INSTRUCTIONS, PROF_K_SLICE_BEGIN, PROF_K_SLICE_END, TRANS_K_EVENT, TRANS_NO_SUB,
  CPU_CR3, FAULT_NONE, CPU_FAULT_VEC, PV_TIMER_DEADLINE, CPU_MXCSR, CPU_FPU_CW, PAGE_SIZE,
} from './layout';
import {
  setCr0, setCr4, setEfer, setSegCache, segSel, CR0_PE, CR0_MP, CR0_ET, CR0_NE, CR0_WP, CR0_AM, CR0_PG, CR4_PAE,
  CR4_OSFXSR, CR4_OSXMMEXCPT, EFER_LME, EFER_LMA, EFER_NXE, EFER_SCE, ES, CS, SS, DS, FS, GS,
} from './cpu/state';
import { clearFault } from './cpu/fault';
import { getFlags } from './cpu/flags';
import { setOptCodePageCache, setOptFastRepString, setOptDecodeCache, setOptDecodedRuns } from './cpu/options';
import { execute, executeProfiled, refreshMode, invalidateCodeCaches } from './cpu/interp';
import { setMachineSize, frameHost } from './mmu/machine';
import { tlbFlushAll, tlbSetEnabled } from './mmu/tlb';
import { shadowDomainStart, shadowSetEnabled, shadowActive, shadowSlot } from './mmu/shadow';
import { audit, setAuditAfterPtOps } from './mmu/audit';
import { logDirtyEnable, logDirtyClean } from './mmu/log-dirty';
import { beginSlice, requestStop, setExitMessage, stopRequested, exitReason } from './exit';
import { xenReadDescriptor } from './xen/descriptors';
import { loadCache } from './cpu/segments';
import { setPending, vcpuInfoHost } from './xen/evtchn';
import { setClock as timeSetClock, resetTime, writeVcpuTimeInfo, systemTimeNs, skipTo } from './xen/time';
import { crashDomain } from './xen/domain';
import { setTraceInstructions } from './debug/trace';
import { profiling, profRecord, profReset, profSliceMode, setProfiling as profSetOn } from './debug/profile';
import { checkTimers, nextDeadline, timerReset, takePollExpired, cancelPollTimeout } from './xen/timer';
import { BLOCKED_POLL, takePollWoken } from './xen/sched';
import { checkEvents } from './xen/upcall';
import { transEnter, transLeave, transReset, setTransitions } from './debug/transitions';
import { runstateChange, refreshTimeAreas, vcpuOpReset, RUNSTATE_running } from './xen/vcpu-op';
import { grantTableReset } from './xen/grant-table';
import { isRealtime } from './xen/time';
import { dispatch } from './xen/hypercall';

export { bareInit, bareRun, bareCodeHost, bareDataHost, bareResetRegisters } from './bare';
export { testMachine, testLoadSegment, testCodeWritten } from './testing'; // test-only: system-level test machines

/** Clears every core region and sizes machine memory. Returns 0, or 1 if the map does not fit. */
export function coreInit(nrPages: u32, extraFrames: u32): u32 {
  if (__heap_base > AS_RESERVED_SIZE) return 1;
  if (nrPages + extraFrames > MAX_FRAMES) return 1;
  memory.fill(CPU_BASE, 0, VCPU_STRIDE);
  memory.fill(DOM_BASE, 0, DOM_SIZE);
  memory.fill(CNT_BASE, 0, CNT_SIZE);
  memory.fill(EXIT_BASE, 0, EXIT_SIZE);
  memory.fill(HVC_BASE, 0, HVC_SIZE);
  memory.fill(TRACE_BASE, 0, TRACE_SIZE);
  transReset();
  memory.fill(TLB_BASE, 0, TLB_SIZE);
  memory.fill(FRAME_TYPE_BASE, 0, FRAME_TYPE_SIZE);
  memory.fill(M2P_BASE, 0xff, M2P_SIZE);
  store<u32>(CPU_BASE + CPU_FAULT_VEC, FAULT_NONE);
  store<u32>(CPU_BASE + CPU_MXCSR, 0x1f80);
  store<u16>(CPU_BASE + CPU_FPU_CW, 0x37f);
  store<u32>(DOM_BASE + DOM_NR_PAGES, nrPages);
  store<u32>(DOM_BASE + DOM_TOTAL_FRAMES, nrPages + extraFrames);
  setMachineSize(nrPages, nrPages + extraFrames);
  clearFault();
  resetTime();
  vcpuOpReset();
  grantTableReset();
  profReset();
  tlbFlushAll();
  shadowDomainStart(false);
  logDirtyEnable(false);
  setAuditAfterPtOps(false);
  invalidateCodeCaches();
  return 0;
}

/** Loads a segment cache at start of day from Xen's descriptor tables (no checks: the builder's selectors). */
function startSegment(seg: i32): void {
  const sel = segSel(seg);
  if ((sel & 0xfffc) == 0) { setSegCache(seg, sel, 0, 0, 0); return; }
  loadCache(seg, sel, xenReadDescriptor(sel));
}

/**
 * Completes the domain after the builder wrote it: CPU mode for the guest type, segment caches from
 * the selectors, pvclock. Returns 0, or 1 with the exit message saying what is wrong.
 */
export function domainStart(): u32 {
  const type = load<u32>(DOM_BASE + DOM_GUEST_TYPE);
  if (type != GUEST_PV32 && type != GUEST_PV64) {
    setExitMessage('domainStart: unknown guest type ' + type.toString());
    return 1;
  }
  // Xen runs guests with CR0.AM set (its boot CR0): a guest that sets RFLAGS.AC at CPL 3 gets #AC.
  setCr0(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG);
  setCr4(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT);
  setEfer(type == GUEST_PV64 ? EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE : EFER_NXE);
  for (let s = ES; s <= GS; s++) startSegment(s);
  refreshMode();
  tlbFlushAll();
  shadowDomainStart(true); // selects the slot of the CR3 the builder loaded
  invalidateCodeCaches();
  const si = frameHost(<u64>load<u32>(DOM_BASE + DOM_SHARED_INFO_MFN));
  if (si == 0) { setExitMessage('domainStart: shared_info frame is outside machine memory'); return 1; }
  writeVcpuTimeInfo(vcpuInfoHost() + 32);
  timerReset();
  store<u32>(DOM_BASE + DOM_STATE, DOMSTATE_RUNNING);
  return 0;
}

/** Runs at most `budget` instructions; returns an EXIT_* code (layout.ts). */
export function run(budget: u32): u32 {
  if (!profiling()) return runSlice(budget);
  beginSlice(); // a record may end the slice early (profiler buffer full): that request must survive
  profRecord(PROF_K_SLICE_BEGIN, profSliceMode(), budget);
  const before = load<u64>(CNT_BASE + CNT_INSTRUCTIONS);
  const exit = runSlice(budget);
  profRecord(PROF_K_SLICE_END, exit, <u32>(load<u64>(CNT_BASE + CNT_INSTRUCTIONS) - before));
  return exit;
}

function runSlice(budget: u32): u32 {
  if (!profiling()) beginSlice();
  const state = load<u32>(DOM_BASE + DOM_STATE);
  if (state == DOMSTATE_SHUTDOWN) { requestStop(EXIT_SHUTDOWN, 0); return EXIT_SHUTDOWN; }
  if (state == DOMSTATE_CRASHED) { requestStop(EXIT_CRASH, 0); return EXIT_CRASH; }
  store<u64>(CNT_BASE + CNT_SLICES, load<u64>(CNT_BASE + CNT_SLICES) + 1);
  checkTimers();
  if (stopRequested) return exitReason(); // a watchdog expired
  const blocked = DOM_BASE + DOM_VCPU + PV_BLOCKED;
  if (load<u32>(blocked) != 0) {
    const pollWake = load<u32>(blocked) == BLOCKED_POLL && takePollWoken();
    if (load<u8>(vcpuInfoHost()) == 0 && !pollWake && !isRealtime()) {
      // Deterministic clock: nothing else can happen while every vCPU sleeps, so jump to the next timer.
      const d = nextDeadline();
      if (d != 0) { skipTo(d); checkTimers(); }
      if (stopRequested) return exitReason();
    }
    const pollTimedOut = load<u32>(blocked) == BLOCKED_POLL && takePollExpired();
    if (load<u8>(vcpuInfoHost()) == 0 && !pollTimedOut && !pollWake) return EXIT_BLOCKED; // nothing pending: stay blocked
    store<u32>(blocked, 0);
    cancelPollTimeout();
    runstateChange(RUNSTATE_running);
  }
  refreshTimeAreas();
  transEnter(TRANS_K_EVENT, 0, TRANS_NO_SUB, 0); // recorded only if an upcall is delivered
  checkEvents();
  transLeave();
  if (stopRequested) return exitReason();
  if (profiling()) executeProfiled(budget);
  else execute(budget);
  return stopRequested ? exitReason() : EXIT_BUDGET;
}

/** The host raises an event on `port` (console input, a xenstore reply): 2-level set-pending. */
export function sendEvent(port: u32): void {
  setPending(port);
}

export function setClock(realtime: u32, hostNs: f64): void {
  timeSetClock(realtime, hostNs);
}

/** Guest system time of the next armed timer in ns, or -1 when none is armed. */
export function nextTimerNs(): f64 {
  const d = nextDeadline();
  return d == 0 ? -1 : <f64>d;
}

/** RFLAGS with the lazy arithmetic flags folded in. */
export function readRflags(): u64 { return getFlags(); }

export function currentTimeNs(): f64 { return <f64>systemTimeNs(); }

// ---- Switches (design.md: every optimisation can be turned off to bisect a wrong result) ----
export function setTlbEnabled(on: u32): void { tlbSetEnabled(on != 0); }
export function setInstructionTrace(on: u32): void {
  setTraceInstructions(on != 0);
  jitForgetAll(); // compiled blocks record instructions or not as the switch was when they were compiled
}
export function setCodePageCache(on: u32): void { setOptCodePageCache(on != 0); }
export function setFastRepString(on: u32): void { setOptFastRepString(on != 0); }
export function setDecodeCache(on: u32): void { setOptDecodeCache(on != 0); }
/** Runs of decoded instructions (cpu/interp.ts runDecoded); 0 runs each decoded instruction on its own. */
export function setDecodedRuns(on: u32): void { setOptDecodedRuns(on != 0); }
/** Compiled blocks (cpu/jit.ts): 0 interprets everything; the threshold is how often a start is seen first. */
export function setJit(on: u32): void { setOptJit(on != 0); }
export function setJitThreshold(n: u32): void { setJitThresholdValue(n); }
/** What compiled blocks call (workers/jit/compile.ts imports them). */
export { jitExec, jitCF, jitCond } from './cpu/jit';
/** The transitions ring for the page's privilege view (debug/transitions.ts): off by default. */
export function setTransitionsRecording(on: u32): void { setTransitions(on != 0); }

/** The profiler (debug/profile.ts, docs/profiler.md): records transitions while on; off by default. */
export function setProfiling(on: u32): void { profSetOn(on != 0); }
export { profCalibrate } from './debug/profile';
export function setShadowPageTables(on: u32): void {
  const type = load<u32>(DOM_BASE + DOM_GUEST_TYPE);
  shadowSetEnabled(on != 0, type == GUEST_PV32 || type == GUEST_PV64);
}

// ---- Shadow page tables, audit and log-dirty (mmu/shadow.ts, audit.ts, log-dirty.ts) ----
/** Compares every shadow and TLB entry with the guest's tables; the count (details at AUDIT_BASE). */
export function shadowAudit(): u32 { return audit(); }
/** Tests: audit after every hypercall, emulated page-table store and CR3 load (CNT_AUDIT_ERRORS sums). */
export function setShadowAuditAfterPtOps(on: u32): void { setAuditAfterPtOps(on != 0); }
/** Log-dirty mode on (empty bitmap) or off; the bitmap is at DIRTY_BASE, one bit per PFN. */
export function setLogDirty(on: u32): void { logDirtyEnable(on != 0); }
/** After the host read the bitmap: clear it and write-protect every page again. */
export function logDirtyCleanBitmap(): void { logDirtyClean(); }
/** The current address space's shadow slot (its TLB tag is slot + 1), or -1 (shadows off). */
export function shadowCurrentSlot(): i32 { return shadowActive ? shadowSlot : -1; }
export { decodeCacheStat } from './cpu/decode-cache';

/** Test entry: runs hypercall `nr` as if the current vCPU's guest kernel had made it; returns RAX. */
export function debugHypercall(nr: u32, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64): i64 {
  return dispatch(<u64>nr, a1, a2, a3, a4, a5);
}

/** Domain builder: validates and pins the bootstrap page tables (top level at `topMfn`), loads CR3. 0 or an errno. */
export { pinBootstrapTables as pinInitialTables } from './xen/mm';

/** Host backends ("dom0"): grant frames in use, and the references a grant mapping holds (xen/grant-host.ts). */
export { grantHostFrames, grantHostPin, grantHostUnpin } from './xen/grant-host';
