import type { TokenClaims } from '../../verify/auth-context.js'
import type { MappedClaims } from '../claim-mapping.js'

/** A normalized field: how to read it from a verified claims set. */
export type Field = keyof Omit<MappedClaims, 'emailVerified'>
export type Resolved = Record<Field, (claims: TokenClaims) => unknown>

/**
 * Reads the first of several claims that is present. Names are exact member names, never split
 * on dots, so a preset cannot be fooled by a flat claim spelt like a path (nested claims are
 * read with `readPath` and their segments).
 */
export const first =
  (...names: string[]) =>
  (claims: TokenClaims): unknown => {
    for (const name of names) {
      if (Object.hasOwn(claims, name) && claims[name] !== undefined) return claims[name]
    }
    return undefined
  }
