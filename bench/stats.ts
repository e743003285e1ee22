/** The median of a list of measurements (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** The arithmetic mean of a non-empty list. */
export const mean = (values: number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length

// Student's t, two-sided 95%, by degrees of freedom (1–30). Beyond 30 the last entry is used:
// slightly wider than the exact value (1.96 at the limit), so an interval errs on the safe side.
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
]

/**
 * The mean of independent measurements and the half-width of its 95% confidence interval
 * (Student's t); the half-width is NaN for fewer than two.
 */
export function meanInterval(values: number[]): { mean: number; halfWidth: number } {
  const n = values.length
  const average = mean(values)
  if (n < 2) return { mean: average, halfWidth: Number.NaN }
  const variance = values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (n - 1)
  return {
    mean: average,
    halfWidth: (T95[Math.min(n - 1, T95.length) - 1] as number) * Math.sqrt(variance / n),
  }
}
