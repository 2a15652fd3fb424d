// From a benchmark session (bench/model.ts) to the table everyone reads: guest MIPS of the integer
// workload per target, ns per hypervisor operation, the native references, and the ratios
// xenwasm/v86, xenwasm/QEMU, xenwasm/native. One section model feeds three renderers: plain text
// (the terminal), Markdown (README) and the page's HTML table (web/bench.ts).
// Invariants: every figure is a median over the timed runs with its min and max; a target that did
// not run shows its reason instead of numbers; a ratio whose inputs are missing says so.
import type { BenchId, Measurement, Session } from './model.ts';
import { spreadPercent, summarize, type Summary } from './stats.ts';

/** Which measurement lends its instruction count to targets without a counter (same code). */
const COUNT_DONOR: Record<string, string[]> = {
  qemu: ['xenwasm-pv32', 'v86'],
  'native-i686': ['xenwasm-pv32', 'v86'],
  'native-x86_64': ['xenwasm-pv64'],
};

const OPERATION: Record<Exclude<BenchId, 'int'>, string> = {
  hypercall: 'null hypercall (xen_version)',
  event: 'event round trip (send, upcall, send back)',
  ctxswitch: 'context switch (NEW_BASEPTR + touch 9 pages)',
  ptupdate: 'page-table update (mmu_update + read)',
  getppid: 'native system call (getppid)',
};

export interface Section {
  title: string;
  head: string[];
  rows: string[][];
  notes: string[];
}

export function find(session: Session, bench: BenchId, target: string): Measurement | undefined {
  return session.measurements.find((m) => m.bench === bench && m.target === target);
}

const usable = (m: Measurement | undefined): m is Measurement & { ops: number } =>
  !!m && m.status === 'ok' && m.samples.length > 0 && !!m.ops;

/** Nanoseconds per operation over the timed runs. */
export function nsPerOp(m: Measurement | undefined): Summary | undefined {
  if (!usable(m)) return undefined;
  return summarize(m.samples.map((s) => (s.seconds * 1e9) / m.ops));
}

/** Guest instructions per operation counted by the target itself (median over runs). */
export function countedPerOp(m: Measurement | undefined): number | undefined {
  if (!usable(m) || m.samples.some((s) => s.instructions === undefined)) return undefined;
  return summarize(m.samples.map((s) => s.instructions! / m.ops)).median;
}

/** Instructions per pass of the integer workload for a target: its own count, or a donor's (same code). */
export function instructionsPerPass(session: Session, target: string): { value: number; from?: string } | undefined {
  const own = countedPerOp(find(session, 'int', target));
  if (own !== undefined) return { value: own };
  for (const donor of COUNT_DONOR[target] ?? []) {
    const v = countedPerOp(find(session, 'int', donor));
    if (v !== undefined) return { value: v, from: donor };
  }
  return undefined;
}

/** Guest MIPS of the integer workload: instructions per second of the timed region, per run. */
export function guestMips(session: Session, target: string): Summary | undefined {
  const m = find(session, 'int', target);
  if (!usable(m)) return undefined;
  const perPass = instructionsPerPass(session, target);
  if (!perPass) return undefined;
  return summarize(m.samples.map((s) => (s.instructions ?? perPass.value * m.ops) / s.seconds / 1e6));
}

export interface Ratio {
  name: string;
  value?: number;
  /** What the ratio compares, or why it is missing. */
  detail: string;
}

function ratioOf(name: string, peer: string, a: Summary | undefined, b: Summary | undefined, what: string, missing: string,
  higherIsBetter: boolean): Ratio {
  if (!a || !b) return { name, detail: missing };
  const value = a.median / b.median;
  const xenwasmWins = higherIsBetter ? value >= 1 : value <= 1;
  const factor = value >= 1 ? value : 1 / value;
  return { name, value, detail: `${what}: ${xenwasmWins ? 'xenwasm' : peer} is ${fmt(factor)}x ${higherIsBetter ? 'faster' : 'cheaper'}` };
}

function why(session: Session, bench: BenchId, target: string): string {
  const m = find(session, bench, target);
  if (!m) return `${target} was not measured`;
  return m.status === 'ok' ? `${m.label}: no usable runs` : `${m.label}: ${m.reason ?? m.status}`;
}

/** The ratios the issue asks for: guest MIPS of xenwasm over the peer's (above 1: xenwasm is faster), and
 *  ns per hypercall over ns per native system call (below 1: the hypercall is cheaper). */
export function ratios(session: Session): Ratio[] {
  const x32 = guestMips(session, 'xenwasm-pv32');
  const x64 = guestMips(session, 'xenwasm-pv64');
  const same = 'guest MIPS on the same i686 code';
  return [
    ratioOf('xenwasm/v86', 'v86', x32, guestMips(session, 'v86'), same, why(session, 'int', 'v86'), true),
    ratioOf('xenwasm/QEMU', 'QEMU', x32, guestMips(session, 'qemu'), same, why(session, 'int', 'qemu'), true),
    ratioOf('xenwasm/native', 'native', x32, guestMips(session, 'native-i686'), same, why(session, 'int', 'native-i686'), true),
    ratioOf('xenwasm/native (x86-64)', 'native', x64, guestMips(session, 'native-x86_64'), 'guest MIPS on the same x86-64 code',
      why(session, 'int', 'native-x86_64'), true),
    // Costs: lower is better; the ratio is xenwasm's time over the native one.
    ratioOf('hypercall/getppid (x86-64)', 'getppid', nsPerOp(find(session, 'hypercall', 'xenwasm-pv64')),
      nsPerOp(find(session, 'getppid', 'native-x86_64')), 'ns per PV64 null hypercall over ns per native x86-64 getppid (both syscall)',
      why(session, 'getppid', 'native-x86_64'), false),
    ratioOf('hypercall/getppid (i386)', 'getppid', nsPerOp(find(session, 'hypercall', 'xenwasm-pv32')),
      nsPerOp(find(session, 'getppid', 'native-i686')), 'ns per PV32 null hypercall (int $0x82) over ns per native i386 getppid (int $0x80)',
      why(session, 'getppid', 'native-i686'), false),
  ];
}

export interface Figure {
  bench: BenchId;
  target: string;
  label: string;
  status: Measurement['status'];
  reason?: string;
  metric?: 'guest MIPS' | 'ns per op';
  median?: number;
  min?: number;
  max?: number;
  spreadPercent?: number;
  instructionsPerOp?: number;
  instructionsFrom?: string;
}

/** The headline figure of every measurement, as stored in the JSON file next to the raw runs. */
export function figures(session: Session): Figure[] {
  return session.measurements.map((m) => {
    const f: Figure = { bench: m.bench, target: m.target, label: m.label, status: m.status };
    if (m.reason) f.reason = m.reason;
    const s = m.bench === 'int' ? guestMips(session, m.target) : nsPerOp(m);
    if (s) Object.assign(f, { metric: m.bench === 'int' ? 'guest MIPS' : 'ns per op', median: s.median, min: s.min, max: s.max,
      spreadPercent: spreadPercent(s) });
    const count = m.bench === 'int' ? instructionsPerPass(session, m.target) : countedPerOp(m) === undefined ? undefined : { value: countedPerOp(m)! };
    if (count) {
      f.instructionsPerOp = count.value;
      if ('from' in count && count.from) f.instructionsFrom = count.from;
    }
    return f;
  });
}

// ---- number formatting -----------------------------------------------------------------------

/** About 3 significant digits, thousands grouped with a space: 0.0123, 1.23, 123, 12 300. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return whole(v);
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : 4;
  const s = v.toFixed(digits);
  const [int, frac] = s.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return frac ? `${grouped}.${frac}` : grouped;
}

/** A whole number with its thousands grouped: 1 234 567. */
export function whole(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

const range = (s: Summary) => `${fmt(s.min)} – ${fmt(s.max)}`;
const spread = (s: Summary) => `${spreadPercent(s).toFixed(1)}%`;

// ---- sections --------------------------------------------------------------------------------

const INT_ORDER = ['xenwasm-pv32', 'xenwasm-pv64', 'v86', 'qemu', 'native-i686', 'native-x86_64'];

export function sections(session: Session): Section[] {
  const out: Section[] = [];

  // 1. The integer workload.
  const intRows: string[][] = [];
  const intNotes: string[] = [];
  let borrowed = false;
  for (const target of INT_ORDER) {
    const m = find(session, 'int', target);
    if (!m) continue;
    const mips = guestMips(session, target);
    const pass = nsPerOp(m);
    const perPass = instructionsPerPass(session, target);
    if (!mips || !pass) {
      intRows.push([m.label, '–', '–', '–', '–', '–', m.status === 'ok' ? 'no instruction count' : `${m.status}: ${m.reason}`]);
      continue;
    }
    borrowed ||= !!perPass?.from;
    const count = perPass ? `${fmt(perPass.value)}${perPass.from ? ` (${labelOf(session, perPass.from)}'s count)` : ''}` : '–';
    intRows.push([m.label, fmt(mips.median), range(mips), spread(mips), fmt(pass.median / 1000), count, `${whole(m.ops ?? 0)} passes, ${m.result ?? ''}`.trim()]);
  }
  const vx = find(session, 'int', 'xenwasm-pv32')?.verify;
  const vv = find(session, 'int', 'v86')?.verify;
  if (vx?.instructions !== undefined && vv?.instructions !== undefined && vx.passes === vv.passes) {
    const d = vv.instructions - vx.instructions;
    intNotes.push(`Two instruction counters on the same ${vx.passes} passes of the same i686 code: xenwasm ` +
      `${whole(vx.instructions)}, v86 ${whole(vv.instructions)} (difference ${d}, ${((d / vx.instructions) * 100).toFixed(4)}%; ` +
      'v86 is read at the serial markers, xenwasm by subtraction).');
  }
  const verified = session.measurements.filter((x) => x.bench === 'int' && x.verify);
  const checksums = new Set(verified.map((x) => `${x.verify!.passes}:${x.verify!.result}`));
  if (verified.length > 1 && checksums.size === 1) {
    intNotes.push(`Checksum of ${verified[0].verify!.passes} passes: ${verified[0].verify!.result} on every target ` +
      `(${verified.map((x) => x.label).join(', ')}).`);
  } else if (checksums.size > 1) {
    intNotes.push(`CHECKSUMS DIFFER: ${verified.map((x) => `${x.label} ${x.verify!.result} (${x.verify!.passes} passes)`).join(', ')}.`);
  }
  if (borrowed) {
    intNotes.push('QEMU and native code have no instruction counter here: their MIPS use the count of the same machine code ' +
      'from the target named in the column.');
  }
  out.push({
    title: 'Integer workload (guests/bench/workload.c: sort, hash, strings, tree, bytecode, arithmetic)',
    head: ['target', 'guest MIPS', 'min – max', 'spread', 'µs per pass', 'instructions per pass', 'run'],
    rows: intRows,
    notes: intNotes,
  });

  // 2. Hypervisor paths and the native system call.
  const opRows: string[][] = [];
  for (const bench of ['hypercall', 'event', 'ctxswitch', 'ptupdate', 'getppid'] as const) {
    for (const m of session.measurements.filter((x) => x.bench === bench)) {
      const ns = nsPerOp(m);
      if (!ns) {
        opRows.push([OPERATION[bench], m.label, '–', '–', '–', '–', `${m.status}: ${m.reason ?? 'no runs'}`]);
        continue;
      }
      const instr = countedPerOp(m);
      opRows.push([OPERATION[bench], m.label, fmt(ns.median), range(ns), spread(ns), instr === undefined ? '–' : fmt(instr),
        `${whole(m.ops ?? 0)} ops, result ${m.result ?? '–'}`]);
    }
  }
  out.push({
    title: 'Hypervisor paths (ns per operation)',
    head: ['operation', 'target', 'ns per op', 'min – max', 'spread', 'guest instructions per op', 'run'],
    rows: opRows,
    notes: ['Guest instructions per op count only what the guest executes; the hypervisor\'s own work inside the core is not a guest instruction.'],
  });

  // 3. Ratios.
  out.push({
    title: 'Ratios (xenwasm over the peer)',
    head: ['ratio', 'value', 'what'],
    rows: ratios(session).map((r) => [r.name, r.value === undefined ? 'n/a' : fmt(r.value), r.detail]),
    notes: [],
  });
  return out;
}

function labelOf(session: Session, target: string): string {
  return session.measurements.find((m) => m.target === target)?.label ?? target;
}

/** The lines above the tables: when, where, how many runs. */
export function header(session: Session): string[] {
  const m = session.machine;
  const peers = [m.v86 && `v86 ${m.v86}`, m.qemu && `QEMU ${m.qemu}`, m.gcc && `gcc ${m.gcc}`].filter(Boolean).join(', ');
  return [
    `xenwasm benchmarks, ${session.date}`,
    `machine: ${m.cpu}, ${m.nproc} cores, ${m.os}; ${m.host === 'node' ? `Node ${m.node}` : m.host}${peers ? `; ${peers}` : ''}`,
    `each figure: median of ${session.runs} timed runs of about ${session.seconds} s, with min – max and spread ((max - min) / median)`,
  ];
}

// ---- renderers -------------------------------------------------------------------------------

export function renderText(session: Session): string {
  const lines = [...header(session), ''];
  for (const s of sections(session)) {
    lines.push(s.title);
    const widths = s.head.map((h, i) => Math.max(h.length, ...s.rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
    lines.push(line(s.head));
    lines.push('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of s.rows) lines.push(line(r));
    for (const n of s.notes) lines.push(`  ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function renderMarkdown(session: Session): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const lines = header(session).map((l) => `${l}  `);
  lines.push('');
  for (const s of sections(session)) {
    lines.push(`**${s.title}**`, '');
    lines.push(`| ${s.head.map(esc).join(' | ')} |`);
    lines.push(`|${s.head.map(() => '---').join('|')}|`);
    for (const r of s.rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
    lines.push('');
    for (const n of s.notes) lines.push(`${n}  `);
    if (s.notes.length) lines.push('');
  }
  return lines.join('\n');
}
