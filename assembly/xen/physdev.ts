// physdev_op (xen-pv-abi.md 2.3) for a domU without devices: set_iopl (the virtual IOPL that lets the
// kernel's in/out/cli/sti reach Xen's emulation) is real; PCI and pirq commands answer as Xen does
// for a domain without I/O rights. physdev_op_compat carries {u32 cmd; union} in one struct.
import { PV_IOPL } from '../layout';
import { guestRead32, guestFault } from './guest-mem';
import { pvSet32 } from './vcpu';
import { EFAULT, EPERM, ENOSYS } from './errno';

export const PHYSDEVOP_eoi: u32 = 12;
export const PHYSDEVOP_irq_status_query: u32 = 5;
export const PHYSDEVOP_set_iopl: u32 = 6;
export const PHYSDEVOP_set_iobitmap: u32 = 7;

export function doPhysdevOp(cmd: u64, arg: u64): i64 {
  switch (<u32>cmd) {
    case PHYSDEVOP_set_iopl: {
      const iopl = guestRead32(arg);
      if (guestFault) return -EFAULT;
      if (iopl > 3) return -22; // -EINVAL
      pvSet32(PV_IOPL, iopl);
      return 0;
    }
    case PHYSDEVOP_set_iobitmap: return -EPERM;
    default: return -ENOSYS; // pirq_eoi_gmfn (Linux tolerates the failure), PCI management, irq queries
  }
}

export function doPhysdevOpCompat(arg: u64): i64 {
  const cmd = guestRead32(arg);
  if (guestFault) return -EFAULT;
  return doPhysdevOp(<u64>cmd, arg + 4);
}
