// The profiler's percentile maths (workers/profile/histogram.ts): nearest-rank percentiles, exact up
// to EXACT_SAMPLES values and within the histogram's 1/64 after; the fine buckets tile the numbers;
// the chart buckets cover min..max, four per doubling, and count every value once.
import { describe, expect, it } from 'vitest';
import { Distribution, EXACT_SAMPLES, fineBounds, fineIndex } from '../../workers/profile/histogram.ts';

const of = (values: number[]) => {
  const d = new Distribution();
  for (const v of values) d.add(v);
  return d;
};

/** The nearest-rank percentile computed the slow, obvious way. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

describe('percentiles (nearest rank)', () => {
  it('gives the k-th smallest value with k = ceil(p/100 * n)', () => {
    const d = of(Array.from({ length: 100 }, (_, i) => 100 - i)); // 100 .. 1, added out of order
    expect(d.percentile(50)).toBe(50);
    expect(d.percentile(90)).toBe(90);
    expect(d.percentile(99)).toBe(99);
    expect(d.percentile(100)).toBe(100);
    expect(d.percentile(0.5)).toBe(1);
  });

  it('rounds the rank up, so p50 of four values is the second', () => {
    expect(of([10, 20, 30, 40]).percentile(50)).toBe(20);
    expect(of([10, 20, 30, 40]).percentile(51)).toBe(30);
  });

  it('answers with the value itself for one value, and 0 when empty', () => {
    expect(of([123.5]).stats()).toMatchObject({ p50: 123.5, p90: 123.5, p99: 123.5, min: 123.5, max: 123.5, mean: 123.5, total: 123.5 });
    expect(new Distribution().stats()).toMatchObject({ p50: 0, p99: 0, min: 0, max: 0, mean: 0, total: 0, histogram: [] });
  });

  it('keeps negative values in the total (unbiased means) but counts them as 0 everywhere else', () => {
    const d = of([-5, 7, 10]);
    expect(d.total).toBe(12);
    expect(d.mean).toBe(4);
    expect(d.stats()).toMatchObject({ min: 0, max: 10, p50: 7 });
    expect(d.stats().histogram[0]).toEqual({ lo: 0, hi: 1, count: 1 });
  });

  it('never reports a negative total or mean', () => {
    expect(of([-5, 2]).stats()).toMatchObject({ total: 0, mean: 0, min: 0, max: 2 });
  });

  it('counts non-finite values as 0', () => {
    const d = of([Number.NaN, Infinity, 7]);
    expect(d.count).toBe(3);
    expect(d.stats()).toMatchObject({ total: 7, min: 0, max: 7 });
  });

  it('keeps count, total, mean, min and max exact', () => {
    const d = of([3, 1, 4, 1, 5, 9, 2, 6]);
    expect(d.stats()).toMatchObject({ total: 31, mean: 31 / 8, min: 1, max: 9 });
  });

  it(`is exact up to ${EXACT_SAMPLES} values`, () => {
    const values = Array.from({ length: EXACT_SAMPLES }, (_, i) => ((i * 7919) % 10007) + 0.25);
    const d = of(values);
    for (const p of [1, 10, 50, 90, 99, 99.9]) expect(d.percentile(p), `p${p}`).toBe(nearestRank(values, p));
  });

  it('stays within 1/64 of the exact answer beyond that, from the histogram', () => {
    // A long-tailed distribution over six decades, as hypercall costs are.
    let x = 12345;
    const values = Array.from({ length: 50_000 }, () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return 50 * Math.exp((x / 2 ** 31) * 12);
    });
    const d = of(values);
    for (const p of [50, 90, 99]) {
      const exact = nearestRank(values, p);
      expect(Math.abs(d.percentile(p) - exact) / exact, `p${p}`).toBeLessThanOrEqual(1 / 64);
    }
  });

  it('never answers outside min..max', () => {
    const d = of(Array.from({ length: EXACT_SAMPLES + 10 }, () => 1000.5));
    expect(d.percentile(50)).toBe(1000.5);
    expect(d.percentile(99)).toBe(1000.5);
  });
});

describe('fine buckets', () => {
  it('are 1 wide below 64 and 1/32..1/64 of their value above, each value inside its own', () => {
    for (const v of [0, 0.5, 1, 31.9, 63.99, 64, 65, 100, 1000, 12345.678, 2 ** 40 + 3]) {
      const { lo, width } = fineBounds(fineIndex(v));
      expect(v, `v ${v}`).toBeGreaterThanOrEqual(lo);
      expect(v, `v ${v}`).toBeLessThan(lo + width);
      if (v >= 64) expect(width / lo).toBeLessThanOrEqual(1 / 32);
    }
  });

  it('follow each other without gaps', () => {
    for (let i = 0; i < 600; i++) {
      const a = fineBounds(i);
      expect(fineBounds(i + 1).lo, `bucket ${i}`).toBe(a.lo + a.width);
    }
  });
});

describe('chart buckets', () => {
  it('run from the bucket of min to the bucket of max, four per doubling, and count every value once', () => {
    const d = of([1.5, 3, 100, 100, 250]);
    const b = d.stats().histogram;
    expect(b[0].lo).toBeLessThanOrEqual(1.5);
    expect(b[b.length - 1].hi).toBeGreaterThan(250);
    for (let i = 1; i < b.length; i++) expect(b[i].lo).toBe(b[i - 1].hi);
    for (const bucket of b) expect(bucket.hi / bucket.lo).toBeCloseTo(2 ** 0.25, 10);
    expect(b.reduce((s, x) => s + x.count, 0)).toBe(5);
    expect(b.find((x) => x.lo <= 100 && 100 < x.hi)!.count).toBe(2);
  });

  it('put values below 1 in one bucket [0, 1)', () => {
    const b = of([0, 0.2, 0.9]).stats().histogram;
    expect(b).toEqual([{ lo: 0, hi: 1, count: 3 }]);
  });

  it('place exact powers of two at the start of their bucket', () => {
    for (const v of [1, 2, 4, 1024, 2 ** 20]) {
      const b = of([v]).stats().histogram;
      expect(b).toHaveLength(1);
      expect(b[0].lo).toBe(v);
    }
  });
});
