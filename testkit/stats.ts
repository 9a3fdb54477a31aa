/** Nearest-rank percentile of a sample (p in 0…100); NaN for no samples. */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted([...values].sort((a, b) => a - b), p);
}

/** The same, of a sample already sorted ascending: several percentiles of a large sample, one sort. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function summarise(values: readonly number[]): { median: number; p95: number; n: number } {
  return { median: round(median(values), 3), p95: round(percentile(values, 95), 3), n: values.length };
}
