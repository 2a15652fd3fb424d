// Small per-vCPU hypercalls (xen-pv-abi.md 2.3): stack_switch, fpu_taskswitch, set_segment_base
// (PV64 only) and vm_assist. Each validates its arguments as Xen does and returns Xen's error codes.
import { DOM_BASE, DOM_VM_ASSIST, PV_KERNEL_SS, PV_KERNEL_SP, PV_VIRTUAL_TS, PV_GS_BASE_USER } from '../layout';
import { getCr0, setCr0, setSegBase, setSegCache, FS, GS, CR0_TS } from '../cpu/state';
import { isPv64 } from './domain';
import { pvSet32, pvSet64, inGuestKernel } from './vcpu';
import { xenLoadSegment, xenReadDescriptor } from './descriptors';
import { descBase } from '../cpu/segments';
import { EINVAL, ENOSYS } from './errno';

export function doStackSwitch(ss: u64, sp: u64): i64 {
  pvSet32(PV_KERNEL_SS, <u32>ss & 0xffff);
  pvSet64(PV_KERNEL_SP, sp);
  return 0;
}

export function doFpuTaskswitch(set: u64): i64 {
  const ts = set != 0;
  pvSet32(PV_VIRTUAL_TS, ts ? 1 : 0);
  setCr0(ts ? getCr0() | CR0_TS : getCr0() & ~CR0_TS);
  return 0;
}

export const SEGBASE_FS: u32 = 0;
export const SEGBASE_GS_USER: u32 = 1;
export const SEGBASE_GS_KERNEL: u32 = 2;
export const SEGBASE_GS_USER_SEL: u32 = 3;

function canonical(v: u64): bool { return (<i64>(v << 16) >> 16) == <i64>v; }

export function doSetSegmentBase(which: u64, value: u64): i64 {
  if (!isPv64()) return -ENOSYS;
  switch (<u32>which) {
    case SEGBASE_FS: if (!canonical(value)) return -EINVAL; setSegBase(FS, value); return 0;
    case SEGBASE_GS_USER:
      if (!canonical(value)) return -EINVAL;
      if (inGuestKernel()) pvSet64(PV_GS_BASE_USER, value); else setSegBase(GS, value);
      return 0;
    case SEGBASE_GS_KERNEL:
      if (!canonical(value)) return -EINVAL;
      if (inGuestKernel()) setSegBase(GS, value); else pvSet64(PV_GS_BASE_USER, value);
      return 0;
    case SEGBASE_GS_USER_SEL: {
      // Load the user %gs selector (RPL forced to 3) and refresh the user GS base from its descriptor.
      const sel = (<u32>value & 0xffff) | ((<u32>value & 0xfffc) != 0 ? 3 : 0);
      let base: u64 = 0;
      if ((sel & 0xfffc) != 0) {
        const d = xenReadDescriptor(sel);
        base = descBase(d);
      }
      if (inGuestKernel()) pvSet64(PV_GS_BASE_USER, base);
      else if (!xenLoadSegment(GS, sel)) return -EINVAL;
      return 0;
    }
    default: return -EINVAL;
  }
}

export const VMASST_CMD_enable: u32 = 0;
export const VMASST_CMD_disable: u32 = 1;

export function doVmAssist(cmd: u64, type: u64): i64 {
  const t = <u32>type;
  const valid = t <= 5 || (t == 32 && isPv64());
  if (!valid || cmd > 1) return -EINVAL;
  const bit: u32 = 1 << (t == 32 ? 31 : t);
  const v = load<u32>(DOM_BASE + DOM_VM_ASSIST);
  store<u32>(DOM_BASE + DOM_VM_ASSIST, <u32>cmd == VMASST_CMD_enable ? v | bit : v & ~bit);
  return 0;
}
