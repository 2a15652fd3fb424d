// The whole-address-space summary of the page-table view (VmApi.addressSpace()): the guest's page
// tables under the current CR3 walked from the top level down (PV64: 4 levels, 48-bit canonical
// addresses; PV32: PAE, 4 PDPT entries), every present leaf collected, and neighbours merged into
// ranges when their virtual pages and machine frames are both consecutive and their effective rights
// agree (Intel SDM vol. 3, 4.6: RW and US are ANDed over the levels, XD is ORed). Read-only.
import type { Core } from './core.ts';
import * as L from './layout.gen.ts';

export interface MappedRange {
  /** First virtual address. */
  start: bigint;
  /** 4 KiB pages in the range. */
  pages: number;
  /** Machine frame of the first page; the range's frames are consecutive. */
  mfn: number;
  writable: boolean;
  user: boolean;
  noExecute: boolean;
  /** Size of the leaf entries: 4096, 2 MiB or 1 GiB. */
  pageSize: number;
}

export interface AddressSpaceView {
  cr3: bigint;
  guestType: string;
  /** Present 4 KiB pages in all (a large page counts as many). */
  mappedPages: number;
  ranges: MappedRange[];
  /** More ranges than MAX_RANGES: the list stops there (mappedPages still counts everything). */
  truncated: boolean;
}

export const MAX_RANGES = 2000;
const FRAME = 0x000ffffffffff000n;
const P = 1n, RW = 2n, US = 4n, PS = 0x80n, NX = 1n << 63n;

/** Every mapped range of the current address space. */
export function addressSpace(core: Core): AddressSpaceView {
  const guestType = core.guestType();
  if (guestType !== 'pv32' && guestType !== 'pv64') throw new Error(`no page tables to walk for a ${guestType} machine`);
  const pv64 = guestType === 'pv64';
  const cr3 = core.u64(L.CPU_BASE + L.CPU_CR3);
  const frames = core.domU32(L.DOM_TOTAL_FRAMES);
  const ranges: MappedRange[] = [];
  let mappedPages = 0;
  let truncated = false;
  let last: MappedRange | undefined;

  const entry = (table: bigint, index: number): bigint | undefined => {
    const addr = table + BigInt(index * 8);
    if (addr >> 12n >= BigInt(frames)) return undefined;
    return core.u64(L.GUEST_RAM_BASE + Number(addr));
  };

  const leaf = (va: bigint, value: bigint, pageSize: number, writable: boolean, user: boolean, noExecute: boolean) => {
    const pages = pageSize / L.PAGE_SIZE;
    const mfn = Number((value & FRAME & ~BigInt(pageSize - 1)) >> 12n);
    mappedPages += pages;
    if (last && last.start + BigInt(last.pages) * 4096n === va && last.mfn + last.pages === mfn && last.writable === writable &&
      last.user === user && last.noExecute === noExecute && last.pageSize === pageSize) {
      last.pages += pages;
      return;
    }
    if (ranges.length >= MAX_RANGES) {
      truncated = true;
      last = undefined;
      return;
    }
    last = { start: va, pages, mfn, writable, user, noExecute, pageSize };
    ranges.push(last);
  };

  /** Walks the table at machine address `table` of `level`, mapping from `base`, with the rights above it. */
  const walk = (table: bigint, level: number, base: bigint, rw: boolean, us: boolean, nx: boolean) => {
    const top = pv64 ? 4 : 3;
    const count = !pv64 && level === 3 ? 4 : 512;
    const shift = BigInt(12 + 9 * (level - 1));
    for (let i = 0; i < count; i++) {
      const value = entry(table, i);
      if (value === undefined || (value & P) === 0n) continue;
      let va = base + (BigInt(i) << shift);
      if (pv64 && level === top) va = BigInt.asUintN(64, BigInt.asIntN(48, va));
      // PAE's PDPT entries carry no RW/US/XD bits (SDM vol. 3, 4.4.1).
      const pdpt = !pv64 && level === 3;
      const w = rw && (pdpt || (value & RW) !== 0n);
      const u = us && (pdpt || (value & US) !== 0n);
      const x = nx || (!pdpt && (value & NX) !== 0n);
      const large = (level === 2 || (level === 3 && pv64)) && (value & PS) !== 0n;
      if (level === 1 || large) leaf(va, value, 1 << Number(shift), w, u, x);
      else walk(value & FRAME, level - 1, va, w, u, x);
    }
  };

  walk(pv64 ? cr3 & FRAME : cr3 & 0xffffffe0n, pv64 ? 4 : 3, 0n, true, true, false);
  return { cr3, guestType, mappedPages, ranges, truncated };
}
