// Guest entry points other than the trap table (xen-pv-abi.md 2.3 set_callbacks, callback_op):
// the event upcall, the failsafe callback, and PV64's syscall/syscall32/sysenter entries.
// Invariant: an address of 0 means "not registered"; CALLBACKF_mask_events is kept per type.
import {
  PV_EVENT_CS, PV_EVENT_IP, PV_FAILSAFE_CS, PV_FAILSAFE_IP, PV_SYSCALL_IP, PV_SYSCALL32_IP, PV_SYSENTER_IP,
  PV_CALLBACK_FLAGS,
} from '../layout';
import { guestRead16, guestRead32, guestRead64, guestFault } from './guest-mem';
import { isPv64 } from './domain';
import { pvSet32, pvSet64, pvGet32 } from './vcpu';
import { EFAULT, EINVAL, ENOSYS } from './errno';

export const CALLBACKTYPE_event: u32 = 0;
export const CALLBACKTYPE_failsafe: u32 = 1;
export const CALLBACKTYPE_syscall: u32 = 2;
export const CALLBACKTYPE_sysenter_deprecated: u32 = 3;
export const CALLBACKTYPE_nmi: u32 = 4;
export const CALLBACKTYPE_sysenter: u32 = 5;
export const CALLBACKTYPE_syscall32: u32 = 7;
export const CALLBACKF_mask_events: u32 = 1;
export const CALLBACKOP_register: u32 = 0;
export const CALLBACKOP_unregister: u32 = 1;

export function callbackMasksEvents(type: u32): bool { return (pvGet32(PV_CALLBACK_FLAGS) & (1 << type)) != 0; }

function register(type: u32, flags: u32, cs: u32, ip: u64): i64 {
  const pv64 = isPv64();
  switch (type) {
    case CALLBACKTYPE_event: pvSet32(PV_EVENT_CS, cs); pvSet64(PV_EVENT_IP, ip); break;
    case CALLBACKTYPE_failsafe: pvSet32(PV_FAILSAFE_CS, cs); pvSet64(PV_FAILSAFE_IP, ip); break;
    case CALLBACKTYPE_syscall: if (!pv64) return -EINVAL; pvSet64(PV_SYSCALL_IP, ip); break;
    case CALLBACKTYPE_syscall32: if (!pv64) return -EINVAL; pvSet64(PV_SYSCALL32_IP, ip); break;
    case CALLBACKTYPE_sysenter: case CALLBACKTYPE_sysenter_deprecated: pvSet64(PV_SYSENTER_IP, ip); break;
    case CALLBACKTYPE_nmi: break; // no NMIs are ever sent to a domU here; accepted like Xen does
    default: return -EINVAL;
  }
  let f = pvGet32(PV_CALLBACK_FLAGS) & ~(1 << type);
  if ((flags & CALLBACKF_mask_events) != 0) f |= 1 << type;
  pvSet32(PV_CALLBACK_FLAGS, f);
  return 0;
}

export function doCallbackOp(cmd: u64, arg: u64): i64 {
  if (<u32>cmd == CALLBACKOP_register) {
    const type = guestRead16(arg);
    const flags = guestRead16(arg + 2);
    let cs: u32 = 0, ip: u64;
    if (isPv64()) ip = guestRead64(arg + 8);
    else { cs = guestRead32(arg + 4); ip = <u64>guestRead32(arg + 8); }
    if (guestFault) return -EFAULT;
    return register(type, flags, cs, ip);
  }
  if (<u32>cmd == CALLBACKOP_unregister) {
    const type = guestRead16(arg);
    if (guestFault) return -EFAULT;
    return type == CALLBACKTYPE_nmi ? 0 : -EINVAL; // only NMI may be unregistered
  }
  return -ENOSYS;
}

/** set_callbacks: PV64 (event_rip, failsafe_rip, syscall_rip); PV32 (event_cs, event_eip, failsafe_cs, failsafe_eip). */
export function doSetCallbacks(a1: u64, a2: u64, a3: u64, a4: u64): i64 {
  if (isPv64()) {
    register(CALLBACKTYPE_event, CALLBACKF_mask_events, 0, a1);
    register(CALLBACKTYPE_failsafe, 0, 0, a2);
    register(CALLBACKTYPE_syscall, 0, 0, a3);
  } else {
    register(CALLBACKTYPE_event, CALLBACKF_mask_events, <u32>a1, a2);
    register(CALLBACKTYPE_failsafe, 0, <u32>a3, a4);
  }
  return 0;
}
