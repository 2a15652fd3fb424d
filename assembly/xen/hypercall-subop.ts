// Which sub-operation a multiplexed hypercall asks for, for the profiler (debug/profile.ts): the
// command is the first argument (sched_op, event_channel_op, memory_op, vcpu_op, ...) or the first
// u32 of the structure it points at (mmuext_op's cmd, the *_compat forms). Follows xen-pv-abi.md
// 2.3; workers/profile/subops.ts names the numbers. Invariant: leaves no fault pending (a bad
// pointer gives PROF_NO_SUB; dispatch() starts a fresh guest access afterwards).
import { PROF_NO_SUB } from '../layout';
import { guestRead32, guestFault, beginGuestAccess } from './guest-mem';

/** The sub-op of hypercall `nr` called with first argument `a1`, or PROF_NO_SUB. */
export function hypercallSubop(nr: u64, a1: u64): u32 {
  if (nr >= 64) return PROF_NO_SUB;
  switch (<u32>nr) {
    case 6: // sched_op_compat(cmd, arg)
    case 17: // xen_version(cmd, arg)
    case 18: // console_io(cmd, count, buf)
    case 20: // grant_table_op(cmd, uop, count)
    case 21: // vm_assist(cmd, type)
    case 24: // vcpu_op(cmd, vcpu, arg)
    case 25: // set_segment_base(which, value)
    case 29: // sched_op(cmd, arg)
    case 30: // callback_op(cmd, arg)
    case 32: // event_channel_op(cmd, arg)
    case 33: // physdev_op(cmd, arg)
      return <u32>a1;
    case 12: // memory_op(cmd, arg): the low 6 bits (the rest is continuation progress)
      return <u32>a1 & 0x3f;
    case 16: // event_channel_op_compat({u32 cmd; union})
    case 19: // physdev_op_compat({u32 cmd; union})
    case 26: { // mmuext_op(ops, count, ...): the first op's cmd
      beginGuestAccess();
      const cmd = guestRead32(a1);
      const bad = guestFault;
      beginGuestAccess();
      return bad ? PROF_NO_SUB : cmd;
    }
    default:
      return PROF_NO_SUB;
  }
}
