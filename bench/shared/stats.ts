/** Nearest-rank percentile (`p` in 0..100) of unsorted values; NaN for no values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

export function max(values: ArrayLike<number>): number {
  let result = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) result = Math.max(result, values[i] ?? result);
  return result;
}

export function min(values: ArrayLike<number>): number {
  let result = Number.POSITIVE_INFINITY;
  for (let i = 0; i < values.length; i++) result = Math.min(result, values[i] ?? result);
  return result;
}
