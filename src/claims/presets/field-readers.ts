import type { TokenClaims } from '../../verify/auth-context.js'
import { readClaim } from '../read-claim.js'
import type { MappedClaims } from '../claim-mapping.js'

/** A normalized field: how to read it from a verified claims set. */
export type Field = keyof Omit<MappedClaims, 'emailVerified'>
export type Resolved = Record<Field, (claims: TokenClaims) => unknown>

/** Reads the first of several claims that is present. */
export const first =
  (...paths: string[]) =>
  (claims: TokenClaims): unknown => {
    for (const path of paths) {
      const value = readClaim(claims, path)
      if (value !== undefined) return value
    }
    return undefined
  }
