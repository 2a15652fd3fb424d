// What the CLI prints about a stopped domain: registers and trace for crash reports (stderr), and
// the one-line JSON of --stats (stdout). 32-bit guests show e-registers with 8 hex digits.
import type { DomainStats, Registers } from '../workers/api.ts';

const hex = (v: bigint | number, digits: number) => '0x' + v.toString(16).padStart(digits, '0');

/** Registers as a few aligned lines, as a crash dump shows them. */
export function formatRegisters(r: Registers): string[] {
  const wide = r.guestType.endsWith('64');
  const d = wide ? 16 : 8;
  const gpr = (name: keyof Registers) => `${wide ? name : 'e' + String(name).slice(1)}=${hex(r[name] as bigint, d)}`;
  const lines = [
    `guest ${r.guestType}, cpl ${r.cpl}`,
    [gpr('rax'), gpr('rbx'), gpr('rcx'), gpr('rdx')].join(' '),
    [gpr('rsi'), gpr('rdi'), gpr('rbp'), gpr('rsp')].join(' '),
  ];
  if (wide) {
    lines.push(`r8=${hex(r.r8, d)} r9=${hex(r.r9, d)} r10=${hex(r.r10, d)} r11=${hex(r.r11, d)}`);
    lines.push(`r12=${hex(r.r12, d)} r13=${hex(r.r13, d)} r14=${hex(r.r14, d)} r15=${hex(r.r15, d)}`);
  }
  lines.push(`${wide ? 'rip' : 'eip'}=${hex(r.rip, d)} ${wide ? 'rflags' : 'eflags'}=${hex(r.rflags, 8)}`);
  lines.push(`cs=${hex(r.cs, 4)} ss=${hex(r.ss, 4)} ds=${hex(r.ds, 4)} es=${hex(r.es, 4)} fs=${hex(r.fs, 4)} gs=${hex(r.gs, 4)}`);
  lines.push(`cr0=${hex(r.cr0, 8)} cr2=${hex(r.cr2, d)} cr3=${hex(r.cr3, d)} cr4=${hex(r.cr4, 8)}`);
  return lines;
}

/** The --stats line: instructions, wall_ms, mips, hypercalls by name, exceptions by vector, the MMU counters. */
export function statsLine(s: DomainStats): string {
  return JSON.stringify({
    instructions: s.instructions,
    wall_ms: s.wall_ms,
    mips: s.mips,
    hypercalls_total: s.hypercalls_total,
    hypercalls: s.hypercalls,
    exceptions: s.exceptions,
    events_delivered: s.events_delivered,
    mmu: {
      tlb_hits: s.tlb_hits, tlb_misses: s.tlb_misses, tlb_flushes: s.tlb_flushes, page_walks: s.page_walks,
      shadow_hits: s.shadow_hits, shadow_misses: s.shadow_misses, shadow_fills: s.shadow_fills,
      shadow_invalidations: s.shadow_invalidations, shadow_switches: s.shadow_switches, shadow_new: s.shadow_new,
      shadow_resets: s.shadow_resets, pt_updates: s.pt_updates, ptwr_emulations: s.ptwr_emulations,
      logdirty_marks: s.logdirty_marks, audits: s.audits, audit_errors: s.audit_errors,
    },
  });
}
