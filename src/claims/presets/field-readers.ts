import type { TokenClaims } from '../../verify/auth-context.js'
import { readPath } from '../read-claim.js'
import type { MappedClaims } from '../claim-mapping.js'

/** A normalized field: how to read it from a verified claims set. */
export type Field = keyof Omit<MappedClaims, 'emailVerified'>
export type Resolved = Record<Field, (claims: TokenClaims) => unknown>

/** A claim a preset reads: an exact member name, or the segments of a nested path. */
export type PresetClaim = string | readonly string[]

/**
 * Reads the first of several claims that is present. A string is always an exact member name
 * (never split on dots), so a preset cannot be fooled by a flat claim spelt like a path.
 */
export const first =
  (...claimsToTry: PresetClaim[]) =>
  (claims: TokenClaims): unknown => {
    for (const claim of claimsToTry) {
      const value =
        typeof claim === 'string'
          ? Object.hasOwn(claims, claim)
            ? claims[claim]
            : undefined
          : readPath(claims, claim)
      if (value !== undefined) return value
    }
    return undefined
  }
