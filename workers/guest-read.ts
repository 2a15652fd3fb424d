// Reading guest memory by virtual address, as the vCPU sees it now: each page is translated through
// the guest's own page tables under the current CR3 (workers/shadow-view.ts walks them without
// touching the TLB or the shadows), then read from machine memory. For the step view's disassembly
// and the privilege view. Invariant: read-only; an unmapped page ends the bytes returned.
import type { Core } from './core.ts';
import * as L from './layout.gen.ts';
import { pageTableView } from './shadow-view.ts';

/** Up to `length` bytes from virtual address `va`; fewer when a page on the way is not mapped. */
export function readVirtual(core: Core, va: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  const wide = core.guestType() === 'pv64';
  while (done < length) {
    const at = wide ? BigInt.asUintN(64, va + BigInt(done)) : (va + BigInt(done)) & 0xffffffffn;
    const mfn = pageTableView(core, at, 1).pages[0].guestMfn;
    if (mfn === null || mfn >= core.domU32(L.DOM_TOTAL_FRAMES)) break;
    const offset = Number(at & 0xfffn);
    const n = Math.min(length - done, L.PAGE_SIZE - offset);
    const host = L.GUEST_RAM_BASE + mfn * L.PAGE_SIZE + offset;
    out.set(core.bytes.subarray(host, host + n), done);
    done += n;
  }
  return out.slice(0, done);
}

/** The instruction width the vCPU decodes with now: 64 in a 64-bit code segment, else 32. */
export function codeBits(core: Core): 32 | 64 {
  return core.u32(L.CPU_BASE + L.CPU_MODE) === L.MODE_LONG64 ? 64 : 32;
}
