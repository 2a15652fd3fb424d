// What `xenwasm run --profile` prints at exit: a table of hypercalls (count, mean, p50, p99, total,
// share of the time inside the core), one of deliveries and guest handlers (with their guest
// instructions), where the vCPU's time went, and what the clock's readings are worth.
// Columns are separated by at least two spaces and names never hold two, so the table parses.
import type { ProfileRow, ProfileSnapshot } from '../workers/profile/types.ts';
import { VCPU_STATES } from '../workers/profile/accounting.ts';

/** A duration in ns, in the unit that keeps 3 significant digits ("212 ns", "3.41 µs", "12.0 ms"). */
export function formatNs(ns: number): string {
  if (ns === 0) return '0 ns';
  const units: [number, string][] = [[1e9, 's'], [1e6, 'ms'], [1e3, 'µs'], [1, 'ns']];
  for (const [scale, unit] of units) {
    if (ns >= scale || unit === 'ns') {
      const v = ns / scale;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
    }
  }
  return `${ns} ns`;
}

const percent = (x: number) => `${(100 * x).toFixed(x >= 0.0995 ? 1 : 2)}%`;
const int = (n: number) => n.toLocaleString('en-US');
const mean = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** Left-aligns the first column and right-aligns the rest, two spaces apart. */
function layout(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
}

function costCells(r: ProfileRow): string[] {
  return [int(r.count), formatNs(r.time.mean), formatNs(r.time.p50), formatNs(r.time.p99), formatNs(r.time.total), percent(r.share)];
}

/** The --profile report, one string per line. */
export function formatProfile(p: ProfileSnapshot): string[] {
  const lines: string[] = [];
  const clockName = p.clock === 'host' ? 'host time' : 'guest time';
  lines.push(`xenwasm profile (${clockName}): ${int(p.hypercalls)} hypercalls, ${int(p.instructions)} guest instructions, ` +
    `${formatNs(p.coreNs)} inside the core`);
  const hypercalls = p.rows.filter((r) => r.kind === 'hypercall');
  const table = [['hypercall', 'count', 'mean', 'p50', 'p99', 'total', 'share']];
  for (const r of hypercalls) table.push([r.name, ...costCells(r)]);
  const total = hypercalls.reduce((s, r) => s + r.time.total, 0);
  table.push(['total', int(p.hypercalls), '', '', '', formatNs(total), percent(p.coreNs > 0 ? total / p.coreNs : 0)]);
  lines.push('', ...layout(table));

  const others = p.rows.filter((r) => r.kind !== 'hypercall');
  if (others.length) {
    const t2 = [['delivery / guest handler', 'count', 'mean', 'p50', 'p99', 'total', 'share', 'instructions (mean)']];
    for (const r of others) t2.push([r.name, ...costCells(r), mean(r.instructions.mean)]);
    lines.push('', ...layout(t2));
  }

  const all = VCPU_STATES.reduce((s, k) => s + p.states[k].ns, 0);
  lines.push('', `vCPU 0: ${VCPU_STATES.map((k) => `${k} ${percent(all > 0 ? p.states[k].ns / all : 0)}`).join(', ')} ` +
    `of ${formatNs(all)}; page-table updates ${int(p.ptUpdates)}, events set pending ${int(p.eventsPending)}, timer expiries ${int(p.timers)}`);
  if (p.clock === 'host') {
    lines.push(`clock: performance.now(), steps of ${formatNs(p.clockInfo.resolutionNs)}; ${formatNs(p.clockInfo.overheadNs)} ` +
      `subtracted per interval (the profiler's own cost), error about ±${formatNs(Math.max(p.clockInfo.jitterNs, p.clockInfo.resolutionNs))} per call (docs/profiler.md)`);
  } else {
    lines.push('clock: guest time (virtual TSC): the hypervisor\'s own work takes none of it (docs/profiler.md)');
  }
  if (p.lostRecords > 0) lines.push(`note: the core dropped ${int(p.lostRecords)} records (its buffer was full); counts above may be short`);
  return lines;
}
