/**
 * Reads a claim by a name from configuration (`rolesClaim`, a custom mapping, `requireClaim`).
 * A name without a dot is an exact member name. A name with dots is either an exact member name
 * (Auth0's `https://example.com/roles`) or a dot path into nested objects
 * (`realm_access.roles`): when a token holds BOTH readings, the name is ambiguous and reads as
 * absent, so a flat claim spelt like a path can never stand in for the nested one (or the
 * reverse). Presets never go through this: they read exact names and segment paths
 * (`readPath`).
 */
export function readClaim(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  const exact = Object.hasOwn(claims, name)
  if (!name.includes('.')) return exact ? claims[name] : undefined
  const nested = readPath(claims, name.split('.'))
  if (!exact) return nested
  // Ambiguous: the exact member and the path both exist. Fail closed.
  return nested === undefined ? claims[name] : undefined
}

/** Reads a nested claim by its segments (`['realm_access', 'roles']`); never by a dotted name. */
export function readPath(
  claims: Readonly<Record<string, unknown>>,
  path: readonly string[],
): unknown {
  let value: unknown = claims
  for (const part of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

const EMPTY: readonly string[] = Object.freeze([])

/**
 * A claim as a list of strings: a list keeps its string members, a string is split on spaces
 * (RFC 6749 §3.3 scope syntax), anything else is empty. The default profile's tolerant reading.
 */
export function toStringList(value: unknown): readonly string[] {
  if (typeof value === 'string') return spaceDelimited(value)
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string')
  return EMPTY
}

/** Strict: only a space-delimited string is a scope value (RFC 9068 §2.2.3, RFC 8693 §4.2). */
export function spaceDelimited(value: unknown): readonly string[] {
  if (typeof value !== 'string' || value === '') return EMPTY
  return value.split(' ').filter((item) => item !== '')
}

/** Strict: only a JSON array is a list of roles or groups (RFC 9068 §2.2.3.1, RFC 7643). */
export function stringArray(value: unknown): readonly string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : EMPTY
}
