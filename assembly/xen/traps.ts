// What Xen does when the CPU leaves guest context (xen-pv-abi.md 3.4): hypercall entry (`int $0x82`
// from ring 1 on PV32, `syscall` in guest-kernel mode on PV64), software interrupts through the
// guest's trap table, system calls from guest user mode, and faults. A fault goes, in order, to the
// emulators (privileged instructions, writable page tables: xen/emulate.ts), then to the guest's
// handler registered with set_trap_table (bounce frame), else the domain crashes with a report
// naming the exception, the address and why no handler took it.
import {
  DOM_BASE, DOM_TRAPS, TRAP_STRIDE, DOM_GUEST_TYPE, GUEST_PV32, CNT_BASE, CNT_EXCEPTIONS_TOTAL, CNT_EXCEPTION,
  TRACE_KIND_EXCEPTION, PV_SYSCALL_IP, PV_SYSCALL32_IP, PV_SYSENTER_IP, MODE_LONG64,
  PROF_K_DELIVER_BEGIN, PROF_K_DELIVER_END, PROF_D_FAULT, PROF_D_SOFTINT, PROF_D_SYSCALL, PROF_OUT_BOUNCED,
  PROF_OUT_EMULATED, PROF_OUT_FAILED,
} from '../layout';
import { getRip, setRip, getCpl, setReg64, getMode, RCX } from '../cpu/state';
import {
  faultVector, clearFault, pendingErrorCode, pendingHasErrorCode, pendingCr2, raiseGP, VEC_PF, VEC_BP, VEC_OF,
  VEC_DB, VEC_GP, VEC_UD, PFEC_U,
} from '../cpu/fault';
import { getFlags } from '../cpu/flags';
import { traceEvent } from '../debug/trace';
import { profiling, profRecord } from '../debug/profile';
import { hex } from '../exit';
import { hypercall } from './hypercall';
import { crashDomain, isPv64 } from './domain';
import { SOFTINT_INTN, SOFTINT_INT3, SOFTINT_INTO, SOFTINT_INT1 } from '../platform';
import { guestRead8, guestRead16, guestRead32, guestRead64, guestFault } from './guest-mem';
import { bounce, NO_ERROR_CODE } from './bounce';
import { vcpuInfoHost } from './evtchn';
import { inGuestKernel, pvGet64 } from './vcpu';
import { callbackMasksEvents, CALLBACKTYPE_syscall, CALLBACKTYPE_syscall32, CALLBACKTYPE_sysenter } from './callbacks';
import { emulateFault } from './emulate';
import { checkEvents } from './upcall';
import { EFAULT } from './errno';

const R11: i32 = 11;
export const TI_FLAG_DPL_MASK: u32 = 3;
export const TI_FLAG_MASK_EVENTS: u32 = 4; // interrupt-gate semantics

const VECTOR_NAMES: string[] = [
  '#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'vector 9', '#TS', '#NP', '#SS', '#GP', '#PF',
  'vector 15', '#MF', '#AC', '#MC', '#XM', '#VE', '#CP',
];

export function vectorName(v: u32): string {
  return v < <u32>VECTOR_NAMES.length ? VECTOR_NAMES[v] : 'vector ' + v.toString();
}

@inline function trapEntry(v: u32): u32 { return DOM_BASE + DOM_TRAPS + (v & 255) * TRAP_STRIDE; }
@inline function trapAddress(v: u32): u64 { return load<u64>(trapEntry(v), 8); }

function countException(vec: u32): void {
  store<u64>(CNT_BASE + CNT_EXCEPTIONS_TOTAL, load<u64>(CNT_BASE + CNT_EXCEPTIONS_TOTAL) + 1);
  if (vec < 32) {
    const c = CNT_BASE + CNT_EXCEPTION + vec * 8;
    store<u64>(c, load<u64>(c) + 1);
  }
}

/** set_trap_table(table): entries {u8 vector; u8 flags; u16 cs; ulong address} until address == 0. */
export function doSetTrapTable(table: u64): i64 {
  if (table == 0) {
    memory.fill(DOM_BASE + DOM_TRAPS, 0, 256 * TRAP_STRIDE);
    return 0;
  }
  const pv64 = isPv64();
  const size: u64 = pv64 ? 16 : 8;
  for (let i: u64 = 0; i < 256 + 1; i++) {
    const e = table + i * size;
    const vector = guestRead8(e);
    const flags = guestRead8(e + 1);
    let cs = guestRead16(e + 2);
    const address = pv64 ? guestRead64(e + 8) : <u64>guestRead32(e + 4);
    if (guestFault) return -EFAULT;
    if (address == 0) break;
    cs = (cs & ~3) | (pv64 ? 3 : 1); // RPL raised to the guest kernel's ring
    const t = trapEntry(vector);
    store<u8>(t, <u8>flags);
    store<u16>(t, <u16>cs, 2);
    store<u64>(t, address, 8);
  }
  return 0;
}

// Kinds of delivery, for crash messages only.
const KIND_EXCEPTION: u32 = 0;
const KIND_INT_N: u32 = 1;

/**
 * What a delivery was, in words, for crash messages. Strings are built only here, when the domain
 * crashes: the core's allocator never frees, so delivery paths must not allocate (a long-running
 * guest would otherwise grow the heap into the vCPU state).
 */
function describe(vec: u32, errorCode: i64, cr2: u64, kind: u32, note: string): string {
  let what = kind == KIND_INT_N ? 'int $' + hex(<u64>vec) : vectorName(vec);
  if (errorCode >= 0) what += ' (error code ' + hex(<u64>errorCode) + ')';
  if (vec == VEC_PF && kind == KIND_EXCEPTION) what += ' at address ' + hex(cr2);
  return what + note;
}

/** Bounces `vec` to the guest's trap-table handler; false (domain crashed) if there is none. */
function deliverTrap(vec: u32, errorCode: i64, returnRip: u64, cr2: u64, kind: u32, note: string = ''): bool {
  const address = trapAddress(vec);
  if (address == 0) {
    crashDomain('unhandled ' + describe(vec, errorCode, cr2, kind, note) + ' at rip ' + hex(getRip()) + ' in ' + modeName() +
      ': no guest trap handler is registered for it (set_trap_table)');
    return false;
  }
  const t = trapEntry(vec);
  traceEvent(TRACE_KIND_EXCEPTION, getRip(), vec);
  // bounce() names the delivery only if it crashes; a static string costs nothing.
  const what = kind == KIND_EXCEPTION && vec < <u32>VECTOR_NAMES.length ? VECTOR_NAMES[vec] : 'a software interrupt';
  const ok = bounce(<u32>load<u16>(t, 2), address, errorCode, returnRip, (load<u8>(t) & TI_FLAG_MASK_EVENTS) != 0, false, what);
  if (ok) checkEvents();
  return ok;
}

function modeName(): string {
  if (isPv64()) return inGuestKernel() ? 'guest kernel mode' : 'guest user mode';
  return 'ring ' + getCpl().toString();
}

// The profiler's records (debug/profile.ts) are written in place, one test of a global each when it
// is off: splitting these functions for it changed how Binaryen inlined them and cost 1-2 %.

/** A fault is pending after an instruction: emulate it, hand it to the guest, or crash the domain. */
export function deliverPendingFault(): void {
  const vec = faultVector;
  if (profiling()) profRecord(PROF_K_DELIVER_BEGIN, PROF_D_FAULT, vec);
  let err = pendingErrorCode();
  const hasErr = pendingHasErrorCode();
  const cr2 = pendingCr2();
  clearFault();
  if (emulateFault(vec, err, cr2)) {
    checkEvents();
    if (profiling()) profRecord(PROF_K_DELIVER_END, PROF_D_FAULT, PROF_OUT_EMULATED);
    return;
  }
  countException(vec);
  if (vec == VEC_PF) {
    // The guest reads CR2 from vcpu_info.arch.cr2; PV64's U bit tells guest user from guest kernel.
    const vi = vcpuInfoHost();
    if (isPv64()) {
      store<u64>(vi + 16, cr2);
      err = inGuestKernel() ? err & ~PFEC_U : err | PFEC_U;
    } else store<u32>(vi + 8, <u32>cr2);
  }
  const ok = deliverTrap(vec, hasErr ? <i64>err : NO_ERROR_CODE, getRip(), cr2, KIND_EXCEPTION);
  if (profiling()) profRecord(PROF_K_DELIVER_END, PROF_D_FAULT, ok ? PROF_OUT_BOUNCED : PROF_OUT_FAILED);
}

export function softwareInterrupt(vector: u32, nextRip: u64, kind: u32): void {
  const pv32 = load<u32>(DOM_BASE + DOM_GUEST_TYPE) == GUEST_PV32;
  if (kind == SOFTINT_INTN && vector == 0x82 && pv32 && getCpl() == 1) {
    setRip(nextRip); // Xen treats int $0x82 as a trap: the guest resumes after it
    hypercall();
    checkEvents();
    return;
  }
  // INT3, INTO and INT1 go through DPL-3 gates of Xen's IDT straight to the guest's handlers.
  const vec = kind == SOFTINT_INT3 ? VEC_BP : kind == SOFTINT_INTO ? VEC_OF : kind == SOFTINT_INT1 ? VEC_DB : vector;
  if (profiling()) profRecord(PROF_K_DELIVER_BEGIN, PROF_D_SOFTINT, vec);
  let ok = false;
  if (kind != SOFTINT_INTN) {
    countException(vec);
    ok = deliverTrap(vec, NO_ERROR_CODE, nextRip, 0, KIND_EXCEPTION);
  } else {
    // INT n: allowed when the trap-table entry's DPL admits the caller (kernel counts as 1), else #GP.
    const t = trapEntry(vector);
    const dpl = load<u8>(t) & TI_FLAG_DPL_MASK;
    const callerLevel: u32 = inGuestKernel() ? 1 : 3;
    if (trapAddress(vector) != 0 && dpl >= callerLevel) ok = deliverTrap(vector, NO_ERROR_CODE, nextRip, 0, KIND_INT_N);
    else raiseGP((vector << 3) | 2);
  }
  if (profiling()) profRecord(PROF_K_DELIVER_END, PROF_D_SOFTINT, ok ? PROF_OUT_BOUNCED : PROF_OUT_FAILED);
}

/** SYSCALL: a hypercall from guest-kernel mode (PV64), else a system call bounced to the guest kernel. */
export function syscallInstruction(nextRip: u64): void {
  // What the instruction itself does: RCX := next RIP, R11 := RFLAGS.
  setReg64(RCX, nextRip);
  setReg64(R11, <u64>getFlags());
  setRip(nextRip);
  if (isPv64() && inGuestKernel()) {
    hypercall();
    checkEvents();
    return;
  }
  if (profiling()) profRecord(PROF_K_DELIVER_BEGIN, PROF_D_SYSCALL, 0);
  const compat = getMode() != MODE_LONG64;
  const type = compat ? CALLBACKTYPE_syscall32 : CALLBACKTYPE_syscall;
  const ip = pvGet64(compat ? PV_SYSCALL32_IP : PV_SYSCALL_IP);
  let ok = false;
  if (!isPv64() || ip == 0) {
    // No syscall callback: Xen delivers #UD at the instruction.
    setRip(nextRip - 2);
    countException(VEC_UD);
    deliverTrap(VEC_UD, NO_ERROR_CODE, nextRip - 2, 0, KIND_EXCEPTION, ' (syscall without a registered syscall callback)');
  } else if (bounce(0, ip, NO_ERROR_CODE, nextRip, callbackMasksEvents(type), true, 'syscall')) {
    checkEvents();
    ok = true;
  }
  if (profiling()) profRecord(PROF_K_DELIVER_END, PROF_D_SYSCALL, ok ? PROF_OUT_BOUNCED : PROF_OUT_FAILED);
}

export function sysenterInstruction(nextRip: u64): void {
  if (profiling()) profRecord(PROF_K_DELIVER_BEGIN, PROF_D_SYSCALL, 1);
  const ip = pvGet64(PV_SYSENTER_IP);
  let ok = false;
  if (!isPv64() || ip == 0) {
    countException(VEC_GP);
    deliverTrap(VEC_GP, 0, getRip(), 0, KIND_EXCEPTION, ' (sysenter without a registered sysenter callback)');
  } else if (bounce(0, ip, NO_ERROR_CODE, nextRip, callbackMasksEvents(CALLBACKTYPE_sysenter), true, 'sysenter')) {
    checkEvents();
    ok = true;
  }
  if (profiling()) profRecord(PROF_K_DELIVER_END, PROF_D_SYSCALL, ok ? PROF_OUT_BOUNCED : PROF_OUT_FAILED);
}
