// xen_version (xen-pv-abi.md 2.3): we present ourselves as Xen 4.17 with the feature bits a PV domU
// gets. Linux 6.1 refuses to boot without bits 5 (mmu_pt_update_preserve_ad) and 7
// (gnttab_map_avail_bits); the list below must only name features this hypervisor implements.
import { guestWrite32, guestRead32, guestWriteString, guestProbeWrite, guestWrite8, guestWriteLong, guestFault } from './guest-mem';
import { isPv64 } from './domain';
import { EFAULT, EINVAL, ENOSYS } from './errno';
import { DOM_BASE, DOM_VM_ASSIST } from '../layout';

export const XEN_MAJOR: u32 = 4;
export const XEN_MINOR: u32 = 17;
export const XENVER_version: u32 = 0;
export const XENVER_extraversion: u32 = 1;
export const XENVER_compile_info: u32 = 2;
export const XENVER_capabilities: u32 = 3;
export const XENVER_changeset: u32 = 4;
export const XENVER_platform_parameters: u32 = 5;
export const XENVER_get_features: u32 = 6;
export const XENVER_pagesize: u32 = 7;
export const XENVER_guest_handle: u32 = 8;
export const XENVER_commandline: u32 = 9;

// XENFEAT_* bits (public/features.h) a PV domU sees.
export const XENFEAT_writable_page_tables: u32 = 0;
export const XENFEAT_pae_pgdir_above_4gb: u32 = 4;
export const XENFEAT_mmu_pt_update_preserve_ad: u32 = 5;
export const XENFEAT_highmem_assist: u32 = 6;
export const XENFEAT_gnttab_map_avail_bits: u32 = 7;
export const VMASST_pae_extended_cr3: u32 = 3;

export function featureBits(): u32 {
  let f: u32 = (1 << XENFEAT_mmu_pt_update_preserve_ad) | (1 << XENFEAT_highmem_assist) | (1 << XENFEAT_gnttab_map_avail_bits);
  if ((load<u32>(DOM_BASE + DOM_VM_ASSIST) & (1 << VMASST_pae_extended_cr3)) != 0) f |= 1 << XENFEAT_pae_pgdir_above_4gb;
  return f;
}

export function doXenVersion(cmd: u64, arg: u64): i64 {
  switch (<u32>cmd) {
    case XENVER_version: return <i64>((XEN_MAJOR << 16) | XEN_MINOR);
    case XENVER_extraversion: return guestWriteString(arg, '-xenwasm', 16) ? 0 : -EFAULT;
    case XENVER_compile_info: {
      if (!guestProbeWrite(arg, 144)) return -EFAULT;
      guestWriteString(arg, 'AssemblyScript', 64);
      guestWriteString(arg + 64, 'xenwasm', 16);
      guestWriteString(arg + 80, 'xenwasm.local', 32);
      guestWriteString(arg + 112, 'unknown', 32);
      return 0;
    }
    case XENVER_capabilities:
      return guestWriteString(arg, 'xen-3.0-x86_64 xen-3.0-x86_32p', 1024) ? 0 : -EFAULT;
    case XENVER_changeset: return guestWriteString(arg, 'xenwasm', 64) ? 0 : -EFAULT;
    case XENVER_platform_parameters: {
      const start: u64 = isPv64() ? 0xffff800000000000 : 0xf5800000;
      return guestWriteLong(arg, start, isPv64()) ? 0 : -EFAULT;
    }
    case XENVER_get_features: {
      const idx = guestRead32(arg);
      if (guestFault) return -EFAULT;
      if (idx != 0) return -EINVAL;
      return guestWrite32(arg + 4, featureBits()) ? 0 : -EFAULT;
    }
    case XENVER_pagesize: return 4096;
    case XENVER_guest_handle: {
      if (!guestProbeWrite(arg, 16)) return -EFAULT;
      for (let i: u32 = 0; i < 16; i++) guestWrite8(arg + i, 0);
      return 0;
    }
    case XENVER_commandline: return guestWriteString(arg, '', 1024) ? 0 : -EFAULT;
    default: return -ENOSYS;
  }
}
