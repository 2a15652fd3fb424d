// Start-of-day layout of a PV domain, computed without touching memory (xen-pv-abi.md 1.4, the
// order of libxenguest's xc_dom_build_image): sequential page allocation from VIRT_BASE (PFN 0) for
// kernel, mapped initrd, P2M list, start_info, xenstore and console rings, bootstrap page tables
// (sized by the alloc_pgtables/count_pgtables fixed point), boot stack, padding to the 4 MiB-aligned
// end of the initial mapping; then the unmapped initrd and the INIT_P2M list with its own tables.
// Invariants: PFN n <-> VA VIRT_BASE + n*4096 in the initial mapping; nothing is allocated twice.

import { LoadError, hex } from './errors.ts';

export const PAGE = 4096;
const PAGE_N = 4096n;
const PAGE_SHIFT = 12n;
const LEVEL_SHIFT = 9n;
/** Pages kept mapped and free after the boot stack: 512 KiB (alloc_pgtables). */
const SLACK_PAGES = (512 * 1024) / PAGE;
/** The initial mapping ends on a 4 MiB boundary: try_virt_end = x | (4 MiB - 1). */
const MASK_4M = (1n << 22n) - 1n;

export interface PagingShape {
  levels: 3 | 4;
  vaddrMask: bigint;
}
export const PV64_PAGING: PagingShape = { levels: 4, vaddrMask: (1n << 48n) - 1n };
export const PV32_PAGING: PagingShape = { levels: 3, vaddrMask: (1n << 32n) - 1n };

/** A VA range [from, to] (inclusive) covered by `pgtables` table pages starting at `pfn`. */
export interface MapLevel {
  from: bigint;
  to: bigint;
  pfn: number;
  pgtables: number;
}
/** One mapping of xc_dom_image_x86: the mapped area (with its first PFN) and the tables per level (0 = L1). */
export interface Mapping {
  area: MapLevel;
  lvls: MapLevel[];
}

export interface Segment {
  pfn: number;
  pages: number;
  vstart: bigint;
  vend: bigint;
}

export interface LayoutRequest {
  guestType: 'pv32' | 'pv64';
  virtBase: bigint;
  /** VA range of the ELF image, [virtKstart, virtKend). */
  virtKstart: bigint;
  virtKend: bigint;
  nrPages: number;
  /** Ramdisk size in bytes (0: none). */
  initrdSize: number;
  /** The kernel accepts an unmapped initrd (MOD_START_PFN). */
  modStartPfn: boolean;
  /** INIT_P2M VA from the kernel, if any. */
  initP2m?: bigint;
}

export interface BootLayout {
  guestType: 'pv32' | 'pv64';
  paging: PagingShape;
  virtBase: bigint;
  nrPages: number;
  kernel: Segment;
  /** The initrd, mapped (inside the initial mapping, `vstart` valid) or not (only `pfn`). */
  initrd?: Segment & { mapped: boolean };
  /** The P2M list; with INIT_P2M its segment also holds that mapping's page tables. */
  p2m: Segment;
  /** INIT_P2M in use: the list is mapped at p2m.vstart by its own tables. */
  p2mOutside: boolean;
  startInfo: Segment;
  xenstore: Segment;
  console: Segment;
  pageTables: Segment;
  stack: Segment;
  /** First VA past the initial mapping (4 MiB aligned). */
  virtPgtabEnd: bigint;
  /** Mapping 0 = the initial mapping, mapping 1 = the INIT_P2M list. */
  mappings: Mapping[];
  nrPtFrames: number;
  /** PFNs allocated by the builder: [0, framesUsed). */
  framesUsed: number;
}

/** Thrown while planning when memory runs out; the caller turns it into a user-facing message. */
export class OutOfGuestMemory extends Error {
  constructor(public readonly what: string, public readonly framesNeeded: number) {
    super(`not enough guest memory for ${what}`);
  }
}

const roundPage = (n: bigint) => (n + PAGE_N - 1n) & ~(PAGE_N - 1n);
const bitsToMask = (bits: bigint) => (1n << bits) - 1n;
const emptyLevel = (): MapLevel => ({ from: 0n, to: 0n, pfn: 0, pgtables: 0 });

class Planner {
  pfnAllocEnd = 0;
  virtAllocEnd: bigint;
  mappings: Mapping[] = [];

  constructor(private readonly req: LayoutRequest, private readonly paging: PagingShape) {
    this.virtAllocEnd = req.virtBase;
  }

  private check(pages: number, what: string): void {
    if (pages > this.req.nrPages - this.pfnAllocEnd) throw new OutOfGuestMemory(what, this.pfnAllocEnd + pages);
  }

  /** xc_dom_alloc_pad: allocate RAM pages up to a VA boundary. */
  pad(boundary: bigint, what: string): void {
    if (boundary < this.virtAllocEnd) {
      throw new LoadError(`${what} at ${hex(boundary)} would lie below already allocated memory (${hex(this.virtAllocEnd)})`);
    }
    const pages = Number((boundary - this.virtAllocEnd) >> PAGE_SHIFT);
    this.check(pages, what);
    this.pfnAllocEnd += pages;
    this.virtAllocEnd = boundary;
  }

  /** xc_dom_alloc_segment: `size` bytes of whole pages at the allocation point (padding up to `start`). */
  segment(what: string, size: bigint, start?: bigint): Segment {
    if (start !== undefined) this.pad(start, what);
    const pages = Number(roundPage(size) >> PAGE_SHIFT);
    this.check(pages, what);
    const seg = { pfn: this.pfnAllocEnd, pages, vstart: this.virtAllocEnd, vend: this.virtAllocEnd + BigInt(pages) * PAGE_N };
    this.pfnAllocEnd += pages;
    this.virtAllocEnd = seg.vend;
    return seg;
  }

  /**
   * count_pgtables: the table pages needed to map [from, to] (inclusive) at PFN `pfn`, as the next
   * mapping. Levels already covered by an earlier mapping are shared, the top level is shared
   * always; the PV32 initial mapping also gets the L2 under L3 slot 3 (xen-pv-abi.md 4.1).
   */
  countPgtables(from: bigint, to: bigint, pfn: number): Mapping {
    const { levels, vaddrMask } = this.paging;
    const pfnEnd = pfn + Number((to - from) >> PAGE_SHIFT);
    if (pfnEnd >= this.req.nrPages) throw new OutOfGuestMemory('the initial mapping', pfnEnd + 1);
    const map: Mapping = { area: emptyLevel(), lvls: Array.from({ length: levels }, emptyLevel) };
    map.area.from = from & vaddrMask;
    map.area.to = to & vaddrMask;
    for (const other of this.mappings) {
      if (map.area.from <= other.area.to && map.area.to >= other.area.from) {
        throw new LoadError(`INIT_P2M area ${hex(from)}-${hex(to)} overlaps the initial mapping`);
      }
    }
    for (let l = levels - 1; l >= 0; l--) {
      const lvl = map.lvls[l];
      lvl.pfn = this.pfnAllocEnd + map.area.pgtables;
      if (l === levels - 1) {
        if (this.mappings.length === 0) {
          lvl.from = 0n;
          lvl.to = vaddrMask;
          lvl.pgtables = 1;
          map.area.pgtables++;
        }
        continue;
      }
      const bits = PAGE_SHIFT + BigInt(l + 1) * LEVEL_SHIFT;
      const mask = bitsToMask(bits);
      lvl.from = map.area.from & ~mask;
      lvl.to = map.area.to | mask;
      if (levels === 3 && this.mappings.length === 0 && to < 0xc0000000n && l === 1) lvl.to = vaddrMask;
      for (const cmp of this.mappings) {
        const c = cmp.lvls[l];
        if (c.from === c.to) continue;
        if (lvl.from >= c.from && lvl.to <= c.to) {
          lvl.from = 0n;
          lvl.to = 0n;
          break;
        }
        if (lvl.from >= c.from && lvl.from <= c.to) lvl.from = c.to + 1n;
        if (lvl.to >= c.from && lvl.to <= c.to) lvl.to = c.from - 1n;
      }
      if (lvl.from < lvl.to) lvl.pgtables = Number((lvl.to - lvl.from) >> bits) + 1;
      map.area.pgtables += lvl.pgtables;
    }
    return map;
  }

  /** alloc_pgtables: grow the mapping until it also covers its own tables, the stack and 512 KiB. */
  allocPgtables(): { seg: Segment; virtPgtabEnd: bigint } {
    const extra = 1 + SLACK_PAGES;
    let pages = extra;
    let tryEnd: bigint;
    let map: Mapping;
    for (;;) {
      tryEnd = (this.virtAllocEnd + BigInt(pages) * PAGE_N) | MASK_4M;
      map = this.countPgtables(this.req.virtBase, tryEnd, 0);
      pages = map.area.pgtables + extra;
      if (this.virtAllocEnd + BigInt(pages) * PAGE_N <= tryEnd + 1n) break;
    }
    map.area.pfn = 0;
    this.mappings.push(map);
    const seg = this.segment('the bootstrap page tables', BigInt(map.area.pgtables) * PAGE_N);
    return { seg, virtPgtabEnd: tryEnd + 1n };
  }

  /** alloc_p2m_list_x86_64 with INIT_P2M: the list, then the tables mapping it at `base`. */
  allocP2mOutside(base: bigint, size: bigint): Segment {
    const map = this.countPgtables(base, base + size - 1n, this.pfnAllocEnd);
    const listPages = Number(size >> PAGE_SHIFT);
    map.area.pfn = this.pfnAllocEnd;
    for (const lvl of map.lvls) lvl.pfn += listPages;
    this.mappings.push(map);
    const seg = this.segment('the INIT_P2M list', size + BigInt(map.area.pgtables) * PAGE_N);
    seg.vstart = base;
    seg.vend = base + size;
    return seg;
  }
}

/** Whether Xen honours INIT_P2M for this guest (xc_dom_build_image: PV64 only, below VIRT_BASE, page aligned). */
export function initP2mApplies(req: Pick<LayoutRequest, 'guestType' | 'virtBase' | 'initP2m'>): boolean {
  const b = req.initP2m;
  return req.guestType === 'pv64' && b !== undefined && b < req.virtBase && (b & (PAGE_N - 1n)) === 0n;
}

/** Plans the boot layout; throws OutOfGuestMemory when `nrPages` is too small, LoadError on bad addresses. */
export function planLayout(req: LayoutRequest): BootLayout {
  const paging = req.guestType === 'pv64' ? PV64_PAGING : PV32_PAGING;
  const pl = new Planner(req, paging);
  const p2mOutside = initP2mApplies(req);
  const p2mSize = roundPage(BigInt(req.nrPages) * (req.guestType === 'pv64' ? 8n : 4n));
  const unmapped = req.initrdSize > 0 && req.modStartPfn;

  const kstart = req.virtKstart & ~(PAGE_N - 1n);
  const kernel = pl.segment('the kernel image', req.virtKend - kstart, kstart);
  let initrd: BootLayout['initrd'];
  if (req.initrdSize > 0 && !unmapped) initrd = { ...pl.segment('the ramdisk', BigInt(req.initrdSize)), mapped: true };
  let p2m = p2mOutside ? undefined : pl.segment('the P2M list', p2mSize);
  const startInfo = pl.segment('start_info', PAGE_N);
  const xenstore = pl.segment('the xenstore ring', PAGE_N);
  const console = pl.segment('the console ring', PAGE_N);
  const { seg: pageTables, virtPgtabEnd } = pl.allocPgtables();
  const stack = pl.segment('the boot stack', PAGE_N);
  pl.pad(virtPgtabEnd, 'the initial mapping');
  if (unmapped) initrd = { ...pl.segment('the ramdisk', BigInt(req.initrdSize)), mapped: false };
  if (p2mOutside) p2m = pl.allocP2mOutside(req.initP2m!, p2mSize);

  return {
    guestType: req.guestType,
    paging,
    virtBase: req.virtBase,
    nrPages: req.nrPages,
    kernel,
    initrd,
    p2m: p2m!,
    p2mOutside,
    startInfo,
    xenstore,
    console,
    pageTables,
    stack,
    virtPgtabEnd,
    mappings: pl.mappings,
    nrPtFrames: pl.mappings[0].area.pgtables,
    framesUsed: pl.pfnAllocEnd,
  };
}
