// The profiler's recording side (docs/profiler.md): while switched on, every transition the
// hypervisor sees (hypercall entry and exit, exception/event/syscall delivery, guest user/kernel
// switches, page-table updates, timers, slices) appends one record to the PROF_* buffer of layout.ts,
// stamped with retired guest instructions, the virtual TSC and the host clock (an imported function,
// called only while profiling is on). The host drains the buffer after every slice.
// Invariants: off by default; when off each hook costs one global test; when the buffer reaches
// PROF_HIGH_WATER the slice ends (the host drains it), so records are lost only past PROF_CAPACITY.
import {
  PROF_BASE, PROF_COUNT, PROF_LOST, PROF_RECORDS, PROF_RECORD_SIZE, PROF_CAPACITY, PROF_HIGH_WATER,
  PROF_K_MODE, PROF_K_PT_UPDATE, PROF_K_EVENT_PENDING, CNT_BASE, CNT_INSTRUCTIONS, DOM_BASE, DOM_GUEST_TYPE,
  GUEST_PV32, GUEST_PV64, PV_KERNEL_MODE, PV_BLOCKED, DOM_VCPU, CPU_BASE, CPU_CPL, PROF_K_HCALL_ENTER,
  PROF_K_HCALL_EXIT, PROF_CALIBRATE,
} from '../layout';
import { requestSoftStop } from '../exit';
import { readVirtualTsc, isRealtime, NS_PER_INSTRUCTION } from '../xen/time';

/**
 * Compile-time switch: `asc --use XW_PROFILER=0` builds a core without any profiler hook (the
 * baseline the overhead of docs/profiler.md is measured against). On in every normal build.
 */
// @ts-ignore: XW_PROFILER exists only when given with --use
export const PROFILER: bool = isDefined(XW_PROFILER) ? XW_PROFILER != 0 : true;

/** The host's clock in nanoseconds (workers/core.ts supplies it as env.profNow). */
@external('env', 'profNow')
declare function profNow(): f64;

/** Run-time switch (setProfiling export): off by default. */
export let profOn: bool = false;
/** Instructions retired so far in the current slice (kept by the interpreter's profiling loop). */
let retiredInSlice: u32 = 0;
/** The guest mode last recorded (0 user, 1 kernel; 0xff unknown). */
let lastMode: u32 = 0xff;

@inline export function profiling(): bool { return PROFILER && profOn; }

@inline export function profSetRetired(n: u32): void { retiredInSlice = n; }

export function setProfiling(on: bool): void {
  profOn = on;
  lastMode = 0xff;
}

/** Empties the buffer (coreInit). */
export function profReset(): void {
  store<u32>(PROF_BASE + PROF_COUNT, 0);
  store<u64>(PROF_BASE + PROF_LOST, 0);
  retiredInSlice = 0;
  lastMode = 0xff;
}

/**
 * Appends one record. Instants (page-table updates, pending events) are dropped from PROF_HIGH_WATER
 * on, so the reserve above it always holds the hypercall and delivery records of the instruction in
 * progress; reaching PROF_HIGH_WATER ends the slice after that instruction.
 */
export function profRecord(kind: u32, a: u32, b: u32): void {
  if (!PROFILER) return;
  const n = load<u32>(PROF_BASE + PROF_COUNT);
  const instant = kind == PROF_K_PT_UPDATE || kind == PROF_K_EVENT_PENDING;
  if (n >= PROF_CAPACITY || (instant && n >= PROF_HIGH_WATER)) {
    store<u64>(PROF_BASE + PROF_LOST, load<u64>(PROF_BASE + PROF_LOST) + 1);
    return;
  }
  const e = PROF_BASE + PROF_RECORDS + n * PROF_RECORD_SIZE;
  store<u8>(e, <u8>kind);
  store<u8>(e, 0, 1); // vCPU 0
  store<u16>(e, <u16>a, 2);
  store<u32>(e, b, 4);
  store<u64>(e, load<u64>(CNT_BASE + CNT_INSTRUCTIONS) + <u64>retiredInSlice, 8);
  // The guest's TSC moves at slice boundaries; inside a slice the deterministic clock's rule (10 ns
  // per retired instruction) places the record, so records of one slice keep their order in time.
  store<u64>(e, readVirtualTsc() + (isRealtime() ? 0 : <u64>retiredInSlice * NS_PER_INSTRUCTION), 16);
  store<f64>(e, profNow(), 24);
  store<u32>(PROF_BASE + PROF_COUNT, n + 1);
  if (n + 1 == PROF_HIGH_WATER) requestSoftStop();
}

/** A page-table entry was written (xen/mm.ts countPtUpdate). */
@inline export function profPtUpdate(): void {
  if (profiling()) profRecord(PROF_K_PT_UPDATE, 0, 0);
}

/** 1 when the vCPU runs its guest kernel, 0 in guest user mode (PV64: the virtual flag; PV32: ring 1). */
export function profGuestMode(): u32 {
  const type = load<u32>(DOM_BASE + DOM_GUEST_TYPE);
  if (type == GUEST_PV64) return load<u32>(DOM_BASE + DOM_VCPU + PV_KERNEL_MODE) != 0 ? 1 : 0;
  if (type == GUEST_PV32) return load<u32>(CPU_BASE + CPU_CPL) == 1 ? 1 : 0;
  return load<u32>(CPU_BASE + CPU_CPL) == 3 ? 0 : 1; // bare machines: CPL 3 is user
}

/** Called where the CPU mode may have changed (cpu/interp.ts refreshMode): records a user/kernel switch. */
export function profNoteMode(): void {
  const m = profGuestMode();
  if (m == lastMode) return;
  lastMode = m;
  profRecord(PROF_K_MODE, m, 0);
}

/**
 * SLICE_BEGIN's a: the mode the slice starts in (bit 0: 1 kernel), and bit 1 set while the vCPU is
 * blocked (sched_op block or poll), so the next user/kernel switch is measured from here.
 */
export function profSliceMode(): u32 {
  lastMode = profGuestMode();
  return lastMode | (load<u32>(DOM_BASE + DOM_VCPU + PV_BLOCKED) != 0 ? 2 : 0);
}

/**
 * Calibration of the host clock as the core uses it: appends `n` pairs of HCALL_ENTER/HCALL_EXIT
 * records for the pseudo-hypercall PROF_CALIBRATE with nothing between them (at most what the
 * buffer holds); the host reads what an empty interval measures, then empties the buffer.
 * Returns the number of pairs written.
 */
export function profCalibrate(n: u32): u32 {
  let done: u32 = 0;
  while (done < n && load<u32>(PROF_BASE + PROF_COUNT) + 2 < PROF_HIGH_WATER) {
    profRecord(PROF_K_HCALL_ENTER, PROF_CALIBRATE, 0);
    profRecord(PROF_K_HCALL_EXIT, PROF_CALIBRATE, 0);
    done++;
  }
  return done;
}
