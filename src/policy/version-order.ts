const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' })

/**
 * Orders policy versions: integers numerically, strings with numeric awareness
 * (`2026.10` after `2026.9`, `v10` after `v9`). Negative when `a` is older.
 */
export function compareVersions(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return collator.compare(String(a), String(b))
}
