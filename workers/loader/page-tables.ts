// The bootstrap page tables of a PV domain (libxenguest setup_pgtables_x86; xen-pv-abi.md 1.4, 4.1),
// PV64 4-level or PV32 PAE 3-level, filled top level first for every mapping the layout planned.
// Flags: L1 P|RW|A, RW cleared where the target frame holds a page table of any mapping; L2..L4
// P|RW|A|D|U; PV32 L3 = P only (a PAE PDPTE allows no more; Xen adds RW|U itself). PV64 also gets U
// on L1, as Xen forces U on all PV64 entries (4.1). Identity P2M: an entry's MFN is the PFN.

import type { BootLayout } from './boot-layout.ts';
import type { MachineMemory } from './machine-memory.ts';

export const PTE_P = 0x001n;
export const PTE_RW = 0x002n;
export const PTE_US = 0x004n;
export const PTE_A = 0x020n;
export const PTE_D = 0x040n;

const L1_PROT = PTE_P | PTE_RW | PTE_A;
const UPPER_PROT = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_US;
const PAE_L3_PROT = PTE_P;

/** Flags per level (index 0 = L1) before the read-only rule. */
export function levelFlags(guestType: 'pv32' | 'pv64'): bigint[] {
  return guestType === 'pv64'
    ? [L1_PROT | PTE_US, UPPER_PROT, UPPER_PROT, UPPER_PROT]
    : [L1_PROT, UPPER_PROT, PAE_L3_PROT];
}

export interface PageTableFrame {
  mfn: number;
  /** 1 = L1 ... 4 = L4 (PV32 top level = 3). */
  level: number;
}

/** PFN ranges holding page tables, per mapping: [first, first + area.pgtables). */
function tableRanges(layout: BootLayout): [number, number][] {
  const top = layout.paging.levels - 1;
  return layout.mappings.map((m) => [m.lvls[top].pfn, m.lvls[top].pfn + m.area.pgtables]);
}

/** Writes all bootstrap tables into guest frames (already zeroed); returns the table frames by MFN. */
export function writePageTables(mem: MachineMemory, layout: BootLayout): PageTableFrame[] {
  const levels = layout.paging.levels;
  const flags = levelFlags(layout.guestType);
  const ro = tableRanges(layout);
  const isTable = (pfn: number) => ro.some(([a, b]) => pfn >= a && pfn < b);
  const frames: PageTableFrame[] = [];

  for (let l = levels - 1; l >= 0; l--) {
    const shift = BigInt(12 + 9 * l);
    for (const m1 of layout.mappings) {
      const own = m1.lvls[l];
      if (own.pgtables === 0) continue;
      for (let i = 0; i < own.pgtables; i++) frames.push({ mfn: own.pfn + i, level: l + 1 });
      const { from, to } = own;
      // Entries of this level's table pages point at the next level down (or, for L1, the area).
      for (const m2 of layout.mappings) {
        const lvl = l > 0 ? m2.lvls[l - 1] : m2.area;
        if (l > 0 && lvl.pgtables === 0) continue;
        if (lvl.from >= to || lvl.to <= from) continue;
        const lo = lvl.from > from ? lvl.from : from;
        const hi = lvl.to < to ? lvl.to : to;
        const pS = Number((lo - from) >> shift);
        const pE = Number((hi - from) >> shift);
        let pfn = Number((lo - lvl.from) >> shift) + lvl.pfn;
        const tableBase = mem.ma(own.pfn);
        for (let p = pS; p <= pE; p++, pfn++) {
          let f = flags[l];
          if (l === 0 && isTable(pfn)) f &= ~PTE_RW;
          mem.u64(tableBase + p * 8, (BigInt(pfn) << 12n) | f);
        }
      }
    }
  }
  return frames.sort((a, b) => a.mfn - b.mfn);
}

