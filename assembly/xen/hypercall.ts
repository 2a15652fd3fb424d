// Hypercall entry and dispatch (xen-pv-abi.md 2.1-2.2). PV32 enters through `int $0x82` from ring 1
// with arguments in EBX ECX EDX ESI EDI; PV64 through `syscall` in guest-kernel mode with RDI RSI
// RDX R10 R8. The result goes to RAX; unimplemented numbers return -ENOSYS (the coverage matrix
// is workers/hypercalls.ts, checked against this switch by test/unit/hypercall-table.test.ts).
// Invariant: a handler never leaves a fault pending (guest-mem.ts swallows bad pointers).
import { audit, auditAfterPtOps } from '../mmu/audit';
import {
  CNT_BASE, CNT_HYPERCALLS_TOTAL, CNT_HYPERCALL, CNT_HYPERCALL_MAX, TRACE_KIND_HYPERCALL,
  PROF_K_HCALL_ENTER, PROF_K_HCALL_EXIT, PROF_CALIBRATE,
} from '../layout';
import { getReg64, setReg64, getRip, RAX, RBX, RCX, RDX, RSI, RDI, RSP } from '../cpu/state';
import { traceEvent } from '../debug/trace';
import { profiling, profRecord } from '../debug/profile';
import { hypercallSubop } from './hypercall-subop';
import { isPv64 } from './domain';
import { beginGuestAccess } from './guest-mem';
import { doConsoleIo } from './console';
import { doXenVersion } from './version';
import { doSchedOp, doSchedOpCompat } from './sched';
import { doEventChannelOp } from './evtchn';
import { doSetTrapTable } from './traps';
import { doCallbackOp, doSetCallbacks } from './callbacks';
import { doIret } from './iret';
import { doStackSwitch, doFpuTaskswitch, doSetSegmentBase, doVmAssist } from './misc';
import { crashDomain } from './domain';
import { guestFault } from './guest-mem';
import { hex } from '../exit';
import { doEventChannelOpCompat } from './evtchn';
import { doVcpuOp, doSetTimerOp } from './vcpu-op';
import { doPhysdevOp, doPhysdevOpCompat } from './physdev';
import { doGrantTableOp } from './grant-table';
import { doMmuUpdate } from './mmu-update';
import { doMmuextOp } from './mmuext';
import { doUpdateVaMapping } from './va-mapping';
import { doSetGdt, doUpdateDescriptor } from './gdt';
import { doMemoryOp } from './memory-op';
import { doMulticall } from './multicall';
import { ENOSYS } from './errno';

export const HYPERVISOR_set_trap_table: u32 = 0;
export const HYPERVISOR_mmu_update: u32 = 1;
export const HYPERVISOR_set_gdt: u32 = 2;
export const HYPERVISOR_update_descriptor: u32 = 10;
export const HYPERVISOR_memory_op: u32 = 12;
export const HYPERVISOR_multicall: u32 = 13;
export const HYPERVISOR_update_va_mapping: u32 = 14;
export const HYPERVISOR_mmuext_op: u32 = 26;
export const HYPERVISOR_stack_switch: u32 = 3;
export const HYPERVISOR_set_callbacks: u32 = 4;
export const HYPERVISOR_fpu_taskswitch: u32 = 5;
export const HYPERVISOR_sched_op_compat: u32 = 6;
export const HYPERVISOR_vm_assist: u32 = 21;
export const HYPERVISOR_iret: u32 = 23;
export const HYPERVISOR_set_segment_base: u32 = 25;
export const HYPERVISOR_callback_op: u32 = 30;
export const HYPERVISOR_set_timer_op: u32 = 15;
export const HYPERVISOR_event_channel_op_compat: u32 = 16;
export const HYPERVISOR_xen_version: u32 = 17;
export const HYPERVISOR_physdev_op_compat: u32 = 19;
export const HYPERVISOR_grant_table_op: u32 = 20;
export const HYPERVISOR_vcpu_op: u32 = 24;
export const HYPERVISOR_physdev_op: u32 = 33;
export const HYPERVISOR_console_io: u32 = 18;
export const HYPERVISOR_sched_op: u32 = 29;
export const HYPERVISOR_event_channel_op: u32 = 32;

const R8: i32 = 8, R10: i32 = 10;

/** Runs hypercall number RAX for the current vCPU; RIP already points past the entry instruction. */
export function hypercall(): void {
  const pv64 = isPv64();
  const nr = pv64 ? getReg64(RAX) : getReg64(RAX) & 0xffffffff;
  let a1: u64, a2: u64, a3: u64, a4: u64, a5: u64;
  if (pv64) {
    a1 = getReg64(RDI); a2 = getReg64(RSI); a3 = getReg64(RDX); a4 = getReg64(R10); a5 = getReg64(R8);
  } else {
    a1 = getReg64(RBX) & 0xffffffff; a2 = getReg64(RCX) & 0xffffffff; a3 = getReg64(RDX) & 0xffffffff;
    a4 = getReg64(RSI) & 0xffffffff; a5 = getReg64(RDI) & 0xffffffff;
  }
  store<u64>(CNT_BASE + CNT_HYPERCALLS_TOTAL, load<u64>(CNT_BASE + CNT_HYPERCALLS_TOTAL) + 1);
  if (nr < <u64>CNT_HYPERCALL_MAX) {
    const c = CNT_BASE + CNT_HYPERCALL + <u32>nr * 8;
    store<u64>(c, load<u64>(c) + 1);
  }
  traceEvent(TRACE_KIND_HYPERCALL, getRip(), <u32>nr);
  if (profiling()) profRecord(PROF_K_HCALL_ENTER, profTag(nr), hypercallSubop(nr, a1));
  const ret = dispatch(nr, a1, a2, a3, a4, a5);
  if (profiling()) profRecord(PROF_K_HCALL_EXIT, profTag(nr), <u32>ret);
  if (auditAfterPtOps) audit(); // tests: shadows and TLB checked against the guest tables after every call
  if (ret == HYPERCALL_NO_RETURN) return;
  if (pv64) setReg64(RAX, <u64>ret);
  else setReg64(RAX, <u64>(<u32>ret));
}

/** The profiler's 16-bit name of hypercall `nr` (0xfffe is its calibration pseudo-call, layout.ts). */
@inline function profTag(nr: u64): u32 { return nr < <u64>PROF_CALIBRATE ? <u32>nr : 0xffff; }

/** A dispatch result meaning "do not write RAX" (the domain crashed, or the call does not return). */
export const HYPERCALL_NO_RETURN: i64 = i64.MIN_VALUE;

/**
 * Runs hypercall `nr` with its arguments; returns the value for RAX. Also used by multicall and by
 * the debugHypercall test export.
 */
export function dispatch(nr: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64): i64 {
  beginGuestAccess();
  if (nr >= <u64>CNT_HYPERCALL_MAX) return -ENOSYS; // also keeps a PV64 RAX of 0x1_0000_0001 from meaning 1
  let ret: i64;
  switch (<u32>nr) {
    case HYPERVISOR_set_trap_table: ret = doSetTrapTable(a1); break;
    case HYPERVISOR_mmu_update: ret = doMmuUpdate(a1, a2, a3, a4); break;
    case HYPERVISOR_set_gdt: ret = doSetGdt(a1, a2); break;
    case HYPERVISOR_update_descriptor: ret = doUpdateDescriptor(a1, a2, a3, a4); break;
    case HYPERVISOR_memory_op: ret = doMemoryOp(a1, a2); break;
    case HYPERVISOR_multicall: ret = doMulticall(a1, a2); break;
    case HYPERVISOR_update_va_mapping: ret = doUpdateVaMapping(a1, a2, a3, a4); break;
    case HYPERVISOR_mmuext_op: ret = doMmuextOp(a1, a2, a3, a4); break;
    case HYPERVISOR_stack_switch: ret = doStackSwitch(a1, a2); break;
    case HYPERVISOR_set_callbacks: ret = doSetCallbacks(a1, a2, a3, a4); break;
    case HYPERVISOR_fpu_taskswitch: ret = doFpuTaskswitch(a1); break;
    case HYPERVISOR_vm_assist: ret = doVmAssist(a1, a2); break;
    case HYPERVISOR_iret: {
      const sp = getReg64(RSP);
      ret = doIret();
      if (guestFault) { crashDomain('iret hypercall: the frame at ' + hex(sp) + ' is not readable'); return HYPERCALL_NO_RETURN; }
      break;
    }
    case HYPERVISOR_set_segment_base: ret = doSetSegmentBase(a1, a2); break;
    case HYPERVISOR_callback_op: ret = doCallbackOp(a1, a2); break;
    case HYPERVISOR_set_timer_op: ret = doSetTimerOp(a1, a2); break;
    case HYPERVISOR_event_channel_op_compat: ret = doEventChannelOpCompat(a1); break;
    case HYPERVISOR_physdev_op_compat: ret = doPhysdevOpCompat(a1); break;
    case HYPERVISOR_grant_table_op: ret = doGrantTableOp(a1, a2, a3); break;
    case HYPERVISOR_vcpu_op: ret = doVcpuOp(a1, a2, a3); break;
    case HYPERVISOR_physdev_op: ret = doPhysdevOp(a1, a2); break;
    case HYPERVISOR_sched_op_compat: ret = doSchedOpCompat(a1, a2); break;
    case HYPERVISOR_xen_version: ret = doXenVersion(a1, a2); break;
    case HYPERVISOR_console_io: ret = doConsoleIo(a1, a2, a3); break;
    case HYPERVISOR_sched_op: ret = doSchedOp(a1, a2); break;
    case HYPERVISOR_event_channel_op: ret = doEventChannelOp(a1, a2); break;
    default: ret = -ENOSYS;
  }
  return ret;
}
