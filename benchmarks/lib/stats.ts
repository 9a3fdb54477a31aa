/** Nearest-rank percentile of a sample (p in 0…100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function summarise(values: readonly number[]): { median: number; p95: number; n: number } {
  return { median: +median(values).toFixed(3), p95: +percentile(values, 95).toFixed(3), n: values.length };
}
