// The benchmark harness's arithmetic and parsing (bench/): medians and spread, calibration of the
// operation count, the guests' result lines, the serial markers, and the table's derived figures
// and ratios, on made-up sessions whose right answers are known.
import { describe, expect, it } from 'vitest';
import { calibrate, measure, type TimedRun } from '../../bench/measure.ts';
import type { Measurement, Session } from '../../bench/model.ts';
import { MarkerClock } from '../../bench/peers/markers.ts';
import { parseNativeLine } from '../../bench/peers/native.ts';
import { fmt, guestMips, instructionsPerPass, nsPerOp, ratios, renderMarkdown, renderText, sections } from '../../bench/report.ts';
import { spreadPercent, summarize } from '../../bench/stats.ts';
import { emulatorWarmup, WORKLOAD_PERIOD } from '../../bench/workload.ts';
import { parseGuestReport } from '../../bench/xenwasm.ts';

describe('summaries of repeated runs', () => {
  it('takes the middle value of an odd count as the median, with min and max', () => {
    expect(summarize([5, 1, 3, 9, 7])).toEqual({ median: 5, min: 1, max: 9, n: 5 });
  });

  it('takes the mean of the two middle values of an even count', () => {
    expect(summarize([4, 1, 3, 10]).median).toBe(3.5);
  });

  it('gives the spread as (max - min) / median in percent', () => {
    expect(spreadPercent(summarize([90, 100, 110]))).toBeCloseTo(20, 10);
  });

  it('refuses an empty list and non-finite values', () => {
    expect(() => summarize([])).toThrow(/no values/);
    expect(() => summarize([1, Number.NaN])).toThrow(/finite/);
  });
});

/** A target that takes `perOp` seconds per operation and returns a fixed result. */
const linear = (perOp: number, result = '0x00000000') => async (ops: number): Promise<TimedRun> =>
  ({ ops, seconds: ops * perOp, result });

describe('calibration', () => {
  it('grows the count until a run is long enough to extrapolate, then aims at the target seconds', async () => {
    const seen: number[] = [];
    const run = linear(1e-6);
    const ops = await calibrate(async (n) => (seen.push(n), run(n)), { start: 10, seconds: 1, runs: 5 });
    expect(ops).toBe(1_000_000);
    expect(seen[0]).toBe(10);
    expect(seen.length).toBeGreaterThan(1);
  });

  it('extrapolates again from a run of the first estimate, so a JIT\'s warm-up does not shrink the count', async () => {
    let calls = 0;
    // The first run is 5 times slower per operation (cold JIT); later runs take 1 ms per operation.
    const jit = async (ops: number): Promise<TimedRun> => ({ ops, seconds: ops * (calls++ === 0 ? 5e-3 : 1e-3), result: '0x0' });
    expect(await calibrate(jit, { start: 100, seconds: 1, runs: 5 })).toBe(1000);
    expect(calls).toBe(2);
  });

  it('rounds the count to a multiple of the workload period', async () => {
    const ops = await calibrate(linear(3.3e-3), { start: 16, seconds: 1, runs: 5, multipleOf: WORKLOAD_PERIOD });
    expect(ops % WORKLOAD_PERIOD).toBe(0);
    expect(Math.abs(ops * 3.3e-3 - 1)).toBeLessThan(WORKLOAD_PERIOD * 3.3e-3);
  });

  it('never asks for more than the target accepts', async () => {
    expect(await calibrate(linear(1e-12), { start: 1, seconds: 1, runs: 1, maxOps: 5000 })).toBe(5000);
  });

  it('keeps every timed run at one count and returns their seconds and instructions', async () => {
    const m = await measure(async (n) => ({ ops: n, seconds: n * 1e-3, instructions: n * 7, result: '0x1' }),
      { start: 100, seconds: 0.5, runs: 5 });
    expect(m.ops).toBe(500);
    expect(m.samples).toHaveLength(5);
    expect(m.samples.every((s) => s.seconds === 0.5 && s.instructions === 3500)).toBe(true);
  });

  it('fails when the guest reports another result for the same count', async () => {
    let call = 0;
    const flaky = async (n: number): Promise<TimedRun> => ({ ops: n, seconds: n * 1e-3, result: call++ > 3 ? '0x2' : '0x1' });
    await expect(measure(flaky, { start: 1000, seconds: 1, runs: 5 })).rejects.toThrow(/result changed/);
  });

  it('fails when the guest did another number of operations than asked', async () => {
    const lazy = async (n: number): Promise<TimedRun> => ({ ops: n - 1, seconds: n * 1e-3, result: '0x1' });
    await expect(measure(lazy, { start: 1000, seconds: 1, runs: 1 })).rejects.toThrow(/reported 999 operations/);
  });

  it('gives emulators half the timed passes as warm-up, in whole periods, at least one', () => {
    expect(emulatorWarmup(1)).toBe(WORKLOAD_PERIOD);
    expect(emulatorWarmup(1600)).toBe(800);
    expect(emulatorWarmup(1000) % WORKLOAD_PERIOD).toBe(0);
  });
});

describe('what the benchmark programs print', () => {
  it('reads a guest\'s result lines (ring text with CR LF)', () => {
    const text = 'xenwasm bench int (pv32)\r\nbench int: ops 64 result 0x94d8eb3e\r\nBench result: SUCCESS\r\n';
    expect(parseGuestReport(text)).toEqual({ bench: 'int', ops: 64, result: '0x94d8eb3e', failure: null });
  });

  it('reads a guest\'s failure reason', () => {
    const text = 'bench ptupdate: ops 10 result 0x00000003\nBench result: FAILURE: a read through the window saw the wrong page\n';
    expect(parseGuestReport(text)?.failure).toBe('a read through the window saw the wrong page');
  });

  it('has no report for output without both result lines', () => {
    expect(parseGuestReport('bench int: ops 1 result 0x00000001\n')).toBeUndefined();
  });

  it('reads the native program\'s line with its own timing', () => {
    expect(parseNativeLine('bench getppid: ops 1000 result 0x00000000 time 1.000200300\n'))
      .toEqual({ what: 'getppid', ops: 1000, result: '0x00000000', seconds: 1.0002003 });
  });

  it('stamps the serial markers: after the newline of @begin, at the @ of @end', () => {
    const clock = new MarkerClock();
    let counter = 100;
    clock.feed('xenwasm bench int (multiboot)\n@begi', 1, () => counter);
    clock.feed('n', 2, () => counter);
    clock.feed('\n', 3, () => counter);
    counter = 5100;
    clock.feed('@', 503, () => counter);
    clock.feed('end\nbench int: ops 1 result 0x00000001\n', 504, () => counter + 9);
    expect(clock.seconds).toBeCloseTo(0.5, 12);
    expect(clock.instructions).toBe(5000);
  });

  it('has no timed region until both markers arrived', () => {
    const clock = new MarkerClock();
    clock.feed('@begin\n', 1);
    expect(clock.seconds).toBeUndefined();
  });
});

function m(bench: Measurement['bench'], target: string, label: string, ops: number, seconds: number[], instructions?: number[]): Measurement {
  return {
    bench, target, label, status: 'ok', ops, result: '0x00000000',
    samples: seconds.map((s, i) => (instructions ? { seconds: s, instructions: instructions[i] } : { seconds: s })),
  };
}

function session(measurements: Measurement[]): Session {
  return {
    date: '2026-01-01T00:00:00.000Z',
    machine: { cpu: 'Test CPU', nproc: 2, os: 'Test OS', node: '20', host: 'node' },
    runs: 3,
    seconds: 1,
    measurements,
  };
}

describe('the table', () => {
  const s = session([
    // 100 passes of 200 000 instructions: 20 M instructions in 0.4 / 0.5 / 0.6 s.
    m('int', 'xenwasm-pv32', 'xenwasm PV32', 100, [0.5, 0.4, 0.6], [20e6, 20e6, 20e6]),
    m('int', 'v86', 'v86', 1000, [0.25, 0.2, 0.3], [200e6, 200e6, 200e6]),
    m('int', 'native-i686', 'native i686', 10_000, [0.1, 0.1, 0.1]),
    { bench: 'int', target: 'qemu', label: 'QEMU TCG', status: 'unavailable', reason: 'qemu-system-i386 not found', samples: [] },
    m('hypercall', 'xenwasm-pv64', 'xenwasm PV64', 1_000_000, [0.2, 0.25, 0.3], [13e6, 13e6, 13e6]),
    m('getppid', 'native-x86_64', 'native x86-64 (syscall)', 1_000_000, [0.1, 0.1, 0.1]),
  ]);

  it('gives guest MIPS from the target\'s own counter', () => {
    expect(guestMips(s, 'xenwasm-pv32')).toEqual({ median: 40, min: 20e6 / 0.6 / 1e6, max: 50, n: 3 });
  });

  it('borrows the instruction count of the same code for a target without a counter', () => {
    expect(instructionsPerPass(s, 'native-i686')).toEqual({ value: 200_000, from: 'xenwasm-pv32' });
    expect(guestMips(s, 'native-i686')?.median).toBeCloseTo(20_000, 6);
  });

  it('gives nanoseconds per operation', () => {
    expect(nsPerOp(s.measurements[4])?.median).toBeCloseTo(250, 9);
  });

  it('computes xenwasm/v86 and xenwasm/native as ratios of guest MIPS', () => {
    const r = ratios(s);
    expect(r.find((x) => x.name === 'xenwasm/v86')?.value).toBeCloseTo(40 / 800, 12);
    expect(r.find((x) => x.name === 'xenwasm/native')?.value).toBeCloseTo(40 / 20_000, 12);
    expect(r.find((x) => x.name === 'xenwasm/v86')?.detail).toMatch(/v86 is 20x faster/);
  });

  it('compares the null hypercall with the native system call as a ratio of costs', () => {
    const r = ratios(s).find((x) => x.name === 'hypercall/getppid (x86-64)');
    expect(r?.value).toBeCloseTo(2.5, 12);
    expect(r?.detail).toMatch(/getppid is 2\.50x cheaper/);
  });

  it('says why a ratio is missing instead of a number', () => {
    const r = ratios(s).find((x) => x.name === 'xenwasm/QEMU');
    expect(r?.value).toBeUndefined();
    expect(r?.detail).toBe('QEMU TCG: qemu-system-i386 not found');
  });

  it('shows a target that did not run with its reason in place of numbers', () => {
    const row = sections(s)[0].rows.find((r) => r[0] === 'QEMU TCG');
    expect(row?.slice(1, 6)).toEqual(['–', '–', '–', '–', '–']);
    expect(row?.[6]).toBe('unavailable: qemu-system-i386 not found');
  });

  it('prints every section as text and as Markdown', () => {
    const text = renderText(s);
    const md = renderMarkdown(s);
    for (const title of ['Integer workload', 'Hypervisor paths', 'Ratios']) {
      expect(text).toContain(title);
      expect(md).toContain(title);
    }
    expect(text).toContain('median of 3 timed runs');
    expect(md).toMatch(/^\| target \| guest MIPS \|/m);
  });

  it('formats numbers with about three significant digits and grouped thousands', () => {
    expect([fmt(0.01234), fmt(1.234), fmt(12.34), fmt(1234.5), fmt(13), fmt(1_234_567)])
      .toEqual(['0.0123', '1.23', '12.3', '1 235', '13', '1 234 567']);
  });
});
