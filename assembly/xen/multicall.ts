// multicall(entries*, nr) (xen-pv-abi.md 2.3; Xen common/multicall.c, pv/hypercall.c): entries
// {ulong op; ulong result; ulong args[6]} of 64 bytes [PV32: 32 bytes of u32], run in order through
// the same dispatcher as direct hypercalls with args[0..4]; each return value goes to `result`.
// Failures of individual calls do not stop the batch. A nested multicall is refused (-EINVAL); an
// iret ends the batch and its result becomes the multicall's own (RAX as the iret left it).
// Invariant: the in-multicall flag is always cleared on return.
import { isPv64 } from './domain';
import { guestReadLong, guestWriteLong, guestFault, beginGuestAccess } from './guest-mem';
import { guestRangeOk } from './mm';
import { dispatch, HYPERCALL_NO_RETURN } from './hypercall';
import { EINVAL, EFAULT, ENOSYS } from './errno';

const HYPERVISOR_iret: u64 = 23;
/** Hypercall numbers a multicall entry may name (Xen's table size). */
const HYPERCALL_TABLE_SIZE: u64 = 64;

let inMulticall: bool = false;

export function doMulticall(list: u64, nrArg: u64): i64 {
  if (inMulticall) return -EINVAL; // "multicall reentry is disallowed"
  const pv64 = isPv64();
  const w: u64 = pv64 ? 8 : 4;
  const size = w * 8;
  const nr = <u64>(<u32>nrArg);
  if (!guestRangeOk(list, nr * size)) return -EFAULT;
  inMulticall = true;
  let rc: i64 = 0;
  for (let i: u64 = 0; i < nr; i++) {
    const e = list + i * size;
    beginGuestAccess();
    const op = guestReadLong(e, pv64);
    const a0 = guestReadLong(e + 2 * w, pv64);
    const a1 = guestReadLong(e + 3 * w, pv64);
    const a2 = guestReadLong(e + 4 * w, pv64);
    const a3 = guestReadLong(e + 5 * w, pv64);
    const a4 = guestReadLong(e + 6 * w, pv64);
    if (guestFault) { rc = -EFAULT; break; }
    const result = op < HYPERCALL_TABLE_SIZE ? dispatch(op, a0, a1, a2, a3, a4) : -ENOSYS;
    if (result == HYPERCALL_NO_RETURN) { rc = result; break; } // the domain crashed: nothing more to do
    beginGuestAccess();
    if (!guestWriteLong(e + w, <u64>result, pv64)) { rc = -EFAULT; break; }
    if (op == HYPERVISOR_iret) { rc = result; break; }
  }
  beginGuestAccess();
  inMulticall = false;
  return rc;
}
