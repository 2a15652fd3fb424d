// How the educator views print x86 page-table entries and addresses: the entry's flags by their manual
// names (Intel SDM vol. 3, tables 4-14 to 4-20: P, RW, US, PWT, PCD, A, D, PS, G, NX), hex in the
// guest's width, and what one level of a walk is called for each guest type (PV64: L4..L1; PV32 PAE:
// the PDPT, then L2 and L1).

/** Flag bits in the order the views list them, with the level rule for PS (only above L1). */
const FLAGS: [bigint, string, string][] = [
  [1n, 'P', 'present'],
  [2n, 'RW', 'writable'],
  [4n, 'US', 'user-accessible'],
  [8n, 'PWT', 'write-through'],
  [0x10n, 'PCD', 'cache disabled'],
  [0x20n, 'A', 'accessed'],
  [0x40n, 'D', 'dirty'],
  [0x80n, 'PS', 'large page'],
  [0x100n, 'G', 'global'],
  [1n << 63n, 'NX', 'no execute'],
];

/** The set flags of entry `value` at `level` (PS means PAT at L1, and PAE's PDPT has no RW/US/A/D/NX). */
export function pteFlags(value: bigint, level: number, pv64: boolean): { name: string; title: string }[] {
  const out: { name: string; title: string }[] = [];
  for (const [bit, name, title] of FLAGS) {
    if ((value & bit) === 0n) continue;
    if (name === 'PS' && level === 1) {
      out.push({ name: 'PAT', title: 'page attribute table' });
      continue;
    }
    if (!pv64 && level === 3 && name !== 'P' && name !== 'PWT' && name !== 'PCD') continue;
    out.push({ name, title });
  }
  return out;
}

/** The machine frame an entry points at (bits 12-51). */
export function pteFrame(value: bigint): bigint {
  return (value & 0x000ffffffffff000n) >> 12n;
}

export function hex(v: bigint | number, digits = 0): string {
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

/** A virtual address in the guest's width: 16 hex digits for PV64, 8 for PV32. */
export function vaText(va: bigint, pv64: boolean): string {
  return hex(va, pv64 ? 16 : 8);
}

/** Column names of the walk levels, top first. */
export function levelNames(pv64: boolean): { level: number; name: string; title: string }[] {
  return pv64
    ? [
      { level: 4, name: 'L4', title: 'PML4 entry (bits 47-39 of the address)' },
      { level: 3, name: 'L3', title: 'page-directory-pointer entry (bits 38-30)' },
      { level: 2, name: 'L2', title: 'page-directory entry (bits 29-21)' },
      { level: 1, name: 'L1', title: 'page-table entry (bits 20-12)' },
    ]
    : [
      { level: 3, name: 'L3 (PDPT)', title: 'PAE page-directory-pointer entry (bits 31-30)' },
      { level: 2, name: 'L2', title: 'page-directory entry (bits 29-21)' },
      { level: 1, name: 'L1', title: 'page-table entry (bits 20-12)' },
    ];
}

/** Parses a hex address typed by the user ("ffffffff81000000", "0x1000", "1000_0000"); undefined if it is not one. */
export function parseAddress(text: string): bigint | undefined {
  const t = text.trim().replace(/_/g, '').replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,16}$/i.test(t)) return undefined;
  return BigInt(`0x${t}`);
}

/** A size in bytes as 4 KiB, 2 MiB, 1.5 GiB. */
export function sizeText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
