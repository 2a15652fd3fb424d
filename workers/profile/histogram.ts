// The distribution of one cost (ns or instructions) for the profiler's percentiles and charts.
// Percentiles use the nearest-rank rule (the p-th percentile of n values is the ceil(p/100 * n)-th
// smallest): exact while at most EXACT_SAMPLES values were added, then read from a log-linear
// histogram whose buckets are 1 wide below 64 and 1/32 to 1/64 of their value above (the midpoint
// is reported, so the error is below 1/64 = 1.6 %). The chart buckets are 4 per doubling.
// Invariants: total keeps values as given (a measured interval less the calibrated overhead may be
// negative; summing them keeps the mean unbiased), while min, max, percentiles and buckets count a
// negative value as 0; non-finite values count as 0; min <= every percentile <= max.
import type { CostStats, HistogramBucket } from './types.ts';

/** Values kept exactly; beyond this many the percentiles come from the histogram. */
export const EXACT_SAMPLES = 4096;
const SUB = 32; // fine buckets per doubling (from 32 up)
const FINE_BUCKETS = 50 * SUB; // up to 2^53
const PER_DOUBLING = 4; // chart buckets per doubling
const CHART_BUCKETS = 54 * PER_DOUBLING; // up to 2^54

/** The fine bucket of v >= 0: [v] below 64, then 32 buckets per doubling (`log2v`: Math.log2(v)). */
export function fineIndex(v: number, log2v = Math.log2(v)): number {
  if (v < 2 * SUB) return Math.floor(v);
  const e = Math.min(Math.floor(log2v), 53);
  const width = 2 ** (e - 5);
  let m = Math.floor(v / width); // 32..63 (64 when log2 rounded down a value just below a power of two)
  if (m >= 2 * SUB) m = 2 * SUB - 1;
  return Math.min((e - 4) * SUB + (m - SUB), FINE_BUCKETS - 1);
}

/** The lower bound and width of fine bucket i. */
export function fineBounds(i: number): { lo: number; width: number } {
  if (i < 2 * SUB) return { lo: i, width: 1 };
  const e = Math.floor(i / SUB) + 4;
  const width = 2 ** (e - 5);
  return { lo: (SUB + (i % SUB)) * width, width };
}

/** CHART_LO[k] = 2^(k/4), the lower bound of chart bucket k. */
const CHART_LO = Float64Array.from({ length: CHART_BUCKETS + 1 }, (_, k) => 2 ** (k / PER_DOUBLING));

/** Chart bucket of v: -1 for [0, 1), k for [2^(k/4), 2^((k+1)/4)) (`log2v`: Math.log2(v)). */
function chartIndex(v: number, log2v = Math.log2(v)): number {
  if (v < 1) return -1;
  let k = Math.min(Math.floor(log2v * PER_DOUBLING), CHART_BUCKETS - 1);
  // log2 may round across a bucket edge: the table of edges decides.
  if (CHART_LO[k] > v) k--;
  else if (k < CHART_BUCKETS - 1 && CHART_LO[k + 1] <= v) k++;
  return k;
}

function chartLo(k: number): number {
  return k < 0 ? 0 : CHART_LO[k];
}

export class Distribution {
  count = 0;
  total = 0;
  min = Infinity;
  max = -Infinity;
  private exact: number[] = [];
  private sorted?: number[];
  private fine = new Float64Array(FINE_BUCKETS);
  /** Chart bucket k at index k + 1. */
  private chart = new Float64Array(CHART_BUCKETS + 1);

  add(value: number): void {
    const given = Number.isFinite(value) ? value : 0;
    const v = given > 0 ? given : 0;
    this.count++;
    this.total += given;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.exact.length < EXACT_SAMPLES) {
      this.exact.push(v);
      this.sorted = undefined;
    }
    const log2v = v >= 1 ? Math.log2(v) : 0;
    this.fine[fineIndex(v, log2v)]++;
    this.chart[chartIndex(v, log2v) + 1]++;
  }

  /** The mean of the values as given, never below 0. */
  get mean(): number {
    return this.count && this.total > 0 ? this.total / this.count : 0;
  }

  /** The nearest-rank p-th percentile (0 < p <= 100); 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    if (this.count <= EXACT_SAMPLES) {
      this.sorted ??= [...this.exact].sort((a, b) => a - b);
      return this.sorted[rank - 1];
    }
    let seen = 0;
    for (let i = 0; i < FINE_BUCKETS; i++) {
      seen += this.fine[i];
      if (seen >= rank) {
        const { lo, width } = fineBounds(i);
        const v = width === 1 ? lo : lo + width / 2;
        return Math.min(this.max, Math.max(this.min, v));
      }
    }
    return this.max;
  }

  /** Consecutive chart buckets from the one holding min to the one holding max. */
  buckets(): HistogramBucket[] {
    if (this.count === 0) return [];
    const out: HistogramBucket[] = [];
    for (let k = chartIndex(this.min); k <= chartIndex(this.max); k++) {
      out.push({ lo: chartLo(k), hi: chartLo(k + 1), count: this.chart[k + 1] });
    }
    return out;
  }

  stats(): CostStats {
    const empty = this.count === 0;
    return {
      total: Math.max(0, this.total),
      mean: this.mean,
      min: empty ? 0 : this.min,
      max: empty ? 0 : this.max,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      histogram: this.buckets(),
    };
  }
}
