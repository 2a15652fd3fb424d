// Summary statistics of repeated runs: median, min, max and spread ((max - min) / median). The
// median of an even count is the mean of the two middle values. Inputs must be finite numbers;
// an empty list has no summary.
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Number of runs summarised. */
  n: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: no values');
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`summarize: not a finite number in [${values.join(', ')}]`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** (max - min) / median, as a percentage; 0 for a single run. */
export function spreadPercent(s: Summary): number {
  return s.median === 0 ? 0 : ((s.max - s.min) / Math.abs(s.median)) * 100;
}

