// Percentiles as the bench reports them (the C reference's way: the value at rank floor(p * n)).

/** The p-quantile (0..1) of values already sorted ascending; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
