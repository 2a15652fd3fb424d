// The host's view of the emulated MMU (assembly/mmu/shadow.ts, audit.ts, log-dirty.ts), read from the
// core's memory: for a range of virtual pages, the guest's page-table entries level by level, the
// current address space's shadow entry and the TLB entry, side by side (the page-table view of the
// UI and `xenwasm run --page-tables`); the audit report; the log-dirty bitmap as a list of PFNs.
// Entry formats follow mmu/paging.ts (PAE and 4-level, Intel SDM vol. 3 4.4-4.5) and mmu/tlb.ts.
import * as L from './layout.gen.ts';
import type { Core } from './core.ts';

/** TLB/shadow rights (mmu/tlb.ts RIGHT_*), as letters: r/w/x for supervisor then user. */
export function rightsString(rights: number): string {
  const bit = (n: number, c: string) => ((rights >> n) & 1 ? c : '-');
  return `${bit(0, 'r')}${bit(2, 'w')}${bit(4, 'x')}/${bit(1, 'r')}${bit(3, 'w')}${bit(5, 'x')}`;
}

export interface GuestEntry {
  /** 4 = L4 ... 1 = L1 (3 = the PAE PDPT for PV32). */
  level: number;
  /** Machine frame of the table and the entry's index in it. */
  tableMfn: number;
  index: number;
  value: bigint;
}

export interface CachedTranslation {
  /** Machine frame the entry maps to. */
  mfn: number;
  /** rights as in rightsString(). */
  rights: string;
}

export interface PageView {
  va: bigint;
  /** The guest's entries from the top level down to the one that decides (not present, large page, or L1). */
  guest: GuestEntry[];
  /** The machine frame the guest tables map `va` to, or null (not present). */
  guestMfn: number | null;
  /** The current address space's shadow entry, or null (none: shadows off, or not filled yet). */
  shadow: CachedTranslation | null;
  /** The TLB entry matching the current address space, or null. */
  tlb: CachedTranslation | null;
}

export interface PageTableView {
  cr3: bigint;
  guestType: string;
  /** Shadow slot of the current address space, or -1 with shadows off. */
  shadowSlot: number;
  pages: PageView[];
}

const PTE_FRAME = 0x000ffffffffff000n;

function canonical(va: bigint): bigint {
  return BigInt.asUintN(64, BigInt.asIntN(48, va));
}

function cached(core: Core, entry: number, va: bigint, tag: bigint): CachedTranslation | null {
  const t = core.u64(entry);
  if (t !== ((va & ~0xfffn) | tag)) return null;
  const host = core.view.getUint32(entry + 8, true);
  return { mfn: (host - L.GUEST_RAM_BASE) / L.PAGE_SIZE, rights: rightsString(core.view.getUint32(entry + 12, true)) };
}

/** Walks the guest tables of the current CR3 for `va`, without touching anything. */
function guestWalk(core: Core, cr3: bigint, va: bigint, pv64: boolean): { entries: GuestEntry[]; mfn: number | null } {
  const entries: GuestEntry[] = [];
  const levels = pv64 ? 4 : 3;
  let table = pv64 ? cr3 & PTE_FRAME : cr3 & 0xffffffe0n;
  for (let level = levels; level >= 1; level--) {
    const index = !pv64 && level === 3 ? Number((va >> 30n) & 3n) : Number((va >> BigInt(12 + 9 * (level - 1))) & 511n);
    const addr = table + BigInt(index * 8);
    if ((addr >> 12n) >= BigInt(core.domU32(L.DOM_TOTAL_FRAMES))) return { entries, mfn: null };
    const value = core.u64(L.GUEST_RAM_BASE + Number(addr));
    entries.push({ level, tableMfn: Number(table >> 12n), index, value });
    if ((value & 1n) === 0n) return { entries, mfn: null };
    const large = (level === 2 || (level === 3 && pv64)) && (value & 0x80n) !== 0n;
    if (level === 1 || large) {
      const size = 1n << BigInt(12 + 9 * (level - 1));
      const frame = (value & PTE_FRAME & ~(size - 1n)) + (va & (size - 1n) & ~0xfffn);
      return { entries, mfn: Number(frame >> 12n) };
    }
    table = value & PTE_FRAME;
  }
  return { entries, mfn: null };
}

/** Guest entries, shadow and TLB for `count` pages from `start` (at most 4096 pages). */
export function pageTableView(core: Core, start: bigint, count: number): PageTableView {
  if (!Number.isInteger(count) || count < 1 || count > 4096) throw new Error(`page count must be 1..4096, not ${count}`);
  const guestType = core.guestType();
  if (guestType !== 'pv32' && guestType !== 'pv64') throw new Error(`no page tables to show for a ${guestType} machine`);
  const pv64 = guestType === 'pv64';
  const cr3 = core.u64(L.CPU_BASE + L.CPU_CR3);
  const slot = core.exports.shadowCurrentSlot ? core.exports.shadowCurrentSlot() : -1;
  const tag = 1n | (slot >= 0 ? BigInt(slot + 1) << 1n : 0n);
  const pages: PageView[] = [];
  for (let i = 0; i < count; i++) {
    const va = pv64 ? canonical((start & ~0xfffn) + BigInt(i) * 0x1000n) : ((start & ~0xfffn) + BigInt(i) * 0x1000n) & 0xffffffffn;
    const { entries, mfn } = guestWalk(core, cr3, va, pv64);
    const vpn = Number((va >> 12n) & 0xffffffffn);
    const shadow = slot >= 0
      ? cached(core, L.SHADOW_BASE + slot * L.SHADOW_SLOT_BYTES + (vpn & (L.SHADOW_SLOT_ENTRIES - 1)) * L.TLB_ENTRY_SIZE, va, 1n)
      : null;
    // The TLB index is salted by the address space, as mmu/tlb.ts entryIn() does (salt = asid * 0x2f1).
    const salt = slot >= 0 ? Math.imul(slot + 1, 0x2f1) : 0;
    const tlb = cached(core, L.TLB_BASE + (((vpn ^ salt) >>> 0) & (L.TLB_ENTRIES - 1)) * L.TLB_ENTRY_SIZE, va, tag);
    pages.push({ va, guest: entries, guestMfn: mfn, shadow, tlb });
  }
  return { cr3, guestType, shadowSlot: slot, pages };
}

export interface AuditRecord {
  where: 'shadow' | 'tlb';
  /** Shadow slot, or the TLB's address-space tag (slot + 1; 0 = untagged). */
  slot: number;
  va: bigint;
  /** What the cached entry says, and what a walk of the guest tables says (mfn null = not mapped). */
  cached: { mfn: number | null; rights: string };
  guest: { mfn: number | null; rights: string };
}

export interface AuditReport {
  disagreements: number;
  /** The first ones (at most AUDIT_MAX). */
  records: AuditRecord[];
}

function hostRights(v: bigint): { mfn: number | null; rights: string } {
  const host = Number(v >> 32n);
  return { mfn: host === 0 ? null : (host - L.GUEST_RAM_BASE) / L.PAGE_SIZE, rights: rightsString(Number(v & 0xfffn)) };
}

/** Runs the core's audit() and decodes its report. */
export function runAudit(core: Core): AuditReport {
  if (!core.exports.shadowAudit) throw new Error('this core has no shadowAudit()');
  const n = core.exports.shadowAudit();
  const records: AuditRecord[] = [];
  for (let i = 0; i < Math.min(n, L.AUDIT_MAX); i++) {
    const r = L.AUDIT_BASE + L.AUDIT_RECORDS + i * L.AUDIT_RECORD_SIZE;
    records.push({
      where: core.view.getUint32(r, true) === 1 ? 'shadow' : 'tlb',
      slot: core.view.getUint32(r + 4, true),
      va: core.u64(r + 8),
      cached: hostRights(core.u64(r + 16)),
      guest: hostRights(core.u64(r + 24)),
    });
  }
  return { disagreements: n, records };
}

/** One line per disagreement, for test failures and the CLI. */
export function formatAudit(report: AuditReport): string {
  return report.records.map((r) =>
    `${r.where} slot ${r.slot} va 0x${r.va.toString(16)}: cached mfn ${r.cached.mfn ?? '-'} ${r.cached.rights}, guest tables mfn ${r.guest.mfn ?? '-'} ${r.guest.rights}`,
  ).join('\n');
}

/** The log-dirty bitmap: PFNs written since the last clean, ascending (guest RAM only). */
export function dirtyPfns(core: Core): number[] {
  const nr = core.domU32(L.DOM_NR_PAGES);
  const out: number[] = [];
  for (let byte = 0; byte < (nr + 7) >> 3; byte++) {
    const b = core.bytes[L.DIRTY_BASE + byte];
    if (b === 0) continue;
    for (let bit = 0; bit < 8; bit++) if ((b >> bit) & 1 && byte * 8 + bit < nr) out.push(byte * 8 + bit);
  }
  return out;
}
