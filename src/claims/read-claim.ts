/**
 * Reads a claim by exact name first (claim names may contain dots, e.g. Auth0's
 * `https://example.com/roles`), then as a dot path into nested objects (`realm_access.roles`).
 */
export function readClaim(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name]
  if (!name.includes('.')) return undefined
  let value: unknown = claims
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

const EMPTY: readonly string[] = Object.freeze([])

/**
 * A claim as a list of strings: a list keeps its string members, a string is split on spaces
 * (RFC 6749 §3.3 scope syntax), anything else is empty.
 */
export function toStringList(value: unknown): readonly string[] {
  if (typeof value === 'string') {
    if (value === '') return EMPTY
    return value.split(' ').filter((item) => item !== '')
  }
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string')
  return EMPTY
}
