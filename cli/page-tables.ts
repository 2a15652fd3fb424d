// Text forms of the emulated MMU's views for the CLI (`xenwasm run --page-tables VA[,N]`, `--audit`):
// one block per page with the guest's entries level by level, then the shadow and the TLB entry
// (workers/shadow-view.ts says where each comes from; rights read rwx/rwx, supervisor/user).
import type { PageTableView } from '../workers/api.ts';

const hex = (v: bigint | number, w = 0) => '0x' + v.toString(16).padStart(w, '0');

export function formatPageTables(view: PageTableView): string[] {
  const out = [`page tables of CR3 ${hex(view.cr3)} (${view.guestType}), shadow slot ${view.shadowSlot < 0 ? 'none (shadows off)' : view.shadowSlot}:`];
  for (const p of view.pages) {
    out.push(`  ${hex(p.va, view.guestType === 'pv64' ? 16 : 8)} -> ${p.guestMfn === null ? 'not mapped' : `mfn ${hex(p.guestMfn)}`}`);
    for (const g of p.guest) out.push(`    L${g.level} mfn ${hex(g.tableMfn)}[${g.index}] = ${hex(g.value, 16)}`);
    out.push(`    shadow ${p.shadow ? `mfn ${hex(p.shadow.mfn)} ${p.shadow.rights}` : '-'}`);
    out.push(`    TLB    ${p.tlb ? `mfn ${hex(p.tlb.mfn)} ${p.tlb.rights}` : '-'}`);
  }
  return out;
}
