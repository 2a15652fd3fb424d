// The registers of a crashed domain as the fault box shows them: general registers four to a line
// (e-names for 32-bit guests), then rip, rflags, CPL, the segment selectors and the control registers,
// in the hex widths of the guest type (Intel SDM vol. 1, 3.4 "Basic program execution registers").
import type { Registers } from '../workers/api.ts';

export function formatRegisters(r: Registers): string {
  const wide = !r.guestType.endsWith('32');
  const hex = (v: bigint, digits = wide ? 16 : 8) => v.toString(16).padStart(digits, '0');
  const name = (n: string) => (wide ? n : n.replace(/^r/, 'e'));
  const gprs: [string, bigint][] = [
    ['rax', r.rax], ['rbx', r.rbx], ['rcx', r.rcx], ['rdx', r.rdx],
    ['rsi', r.rsi], ['rdi', r.rdi], ['rbp', r.rbp], ['rsp', r.rsp],
  ];
  if (wide) {
    gprs.push(['r8', r.r8], ['r9', r.r9], ['r10', r.r10], ['r11', r.r11], ['r12', r.r12], ['r13', r.r13], ['r14', r.r14], ['r15', r.r15]);
  }
  const lines: string[] = [];
  for (let i = 0; i < gprs.length; i += 4) {
    lines.push(gprs.slice(i, i + 4).map(([n, v]) => `${(wide ? n : name(n)).padStart(3)}=${hex(v)}`).join('  '));
  }
  lines.push(`${name('rip').padStart(3)}=${hex(r.rip)}  ${name('rflags')}=${hex(r.rflags, 8)}  cpl=${r.cpl}  ${r.guestType}`);
  const sel = (n: string, v: number) => `${n}=${v.toString(16).padStart(4, '0')}`;
  lines.push([sel('cs', r.cs), sel('ss', r.ss), sel('ds', r.ds), sel('es', r.es), sel('fs', r.fs), sel('gs', r.gs)].join('  '));
  lines.push(`cr0=${hex(r.cr0, 8)}  cr2=${hex(r.cr2)}  cr3=${hex(r.cr3)}  cr4=${hex(r.cr4, 8)}`);
  return lines.join('\n');
}
