// multicall(entries*, nr) (xen-pv-abi.md 2.3; Xen common/multicall.c, pv/hypercall.c): entries
// {ulong op; ulong result; ulong args[6]} of 64 bytes [PV32: 32 bytes of u32], run in order through
// the same dispatcher as direct hypercalls with args[0..4]; each return value goes to `result`.
// Failures of individual calls do not stop the batch. A nested multicall is refused (-EINVAL); an
// iret ends the batch and its result becomes the multicall's own (RAX as the iret left it).
// Invariant: the in-multicall flag is always cleared on return.
import { isPv64 } from './domain';
import { guestReadLong, guestReadSpan, guestWriteLong, guestFault, beginGuestAccess } from './guest-mem';
import { guestRangeOk } from './mm';
import { dispatch, HYPERCALL_NO_RETURN } from './hypercall';
import { EINVAL, EFAULT, ENOSYS } from './errno';

const HYPERVISOR_iret: u64 = 23;
/** Hypercall numbers a multicall entry may name (Xen's table size). */
const HYPERCALL_TABLE_SIZE: u64 = 64;

let inMulticall: bool = false;

/** Field `i` (an unsigned long) of an entry at host address `h`. */
@inline function longAt(h: u32, i: u32, pv64: bool): u64 {
  return pv64 ? load<u64>(h + i * 8) : <u64>load<u32>(h + i * 4);
}

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
    let op: u64 = 0, a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0, a4: u64 = 0;
    const h = guestReadSpan(e, <u32>size); // the usual case: one translation for the whole entry
    if (h != 0) {
      op = longAt(h, 0, pv64);
      a0 = longAt(h, 2, pv64); a1 = longAt(h, 3, pv64); a2 = longAt(h, 4, pv64); a3 = longAt(h, 5, pv64); a4 = longAt(h, 6, pv64);
    } else if (!guestFault) { // it crosses a page: field by field
      op = guestReadLong(e, pv64);
      a0 = guestReadLong(e + 2 * w, pv64);
      a1 = guestReadLong(e + 3 * w, pv64);
      a2 = guestReadLong(e + 4 * w, pv64);
      a3 = guestReadLong(e + 5 * w, pv64);
      a4 = guestReadLong(e + 6 * w, pv64);
    }
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
