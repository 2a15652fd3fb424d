// console_io (xen-pv-abi.md 2.3): CONSOLEIO_write copies guest bytes to the hypervisor console, a
// ring the host drains (layout.ts HVC_*). Release Xen refuses it to unprivileged domUs (-EPERM);
// xenwasm allows it, as debug builds do, because it is every tiny kernel's first output path.
// Invariant: the host drains the ring after every slice; if one slice writes more than it holds
// (32 KiB), the oldest undrained bytes are dropped, never the guest stalled. Returns 0 like Xen.
import { HVC_BASE, HVC_PROD, HVC_CONS, HVC_DATA, HVC_DATA_SIZE } from '../layout';
import { guestRead8, guestFault } from './guest-mem';
import { EFAULT, ENOSYS, EINVAL } from './errno';

export const CONSOLEIO_write: u32 = 0;
export const CONSOLEIO_read: u32 = 1;
const MAX_WRITE: u32 = 16384;

/** Bytes free in the hypervisor console ring. */
export function hvcFree(): u32 {
  return HVC_DATA_SIZE - (load<u32>(HVC_BASE + HVC_PROD) - load<u32>(HVC_BASE + HVC_CONS));
}

export function hvcPut(b: u32): void {
  const prod = load<u32>(HVC_BASE + HVC_PROD);
  store<u8>(HVC_BASE + HVC_DATA + (prod & (HVC_DATA_SIZE - 1)), <u8>b);
  store<u32>(HVC_BASE + HVC_PROD, prod + 1);
}

export function doConsoleIo(cmd: u64, count: u64, buf: u64): i64 {
  if (<u32>cmd == CONSOLEIO_read) return 0; // no hypervisor serial input for domUs: 0 bytes
  if (<u32>cmd != CONSOLEIO_write) return -ENOSYS;
  if (count > <u64>MAX_WRITE) return -EINVAL;
  const n = <u32>count;
  for (let i: u32 = 0; i < n; i++) {
    const b = guestRead8(buf + i);
    if (guestFault) return -EFAULT;
    if (hvcFree() == 0) store<u32>(HVC_BASE + HVC_CONS, load<u32>(HVC_BASE + HVC_CONS) + 1);
    hvcPut(b);
  }
  return 0;
}
