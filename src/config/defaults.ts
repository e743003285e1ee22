import { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS, type Algorithm } from '../jose/algorithms.js'
import type { CommonOptions } from './option-types.js'

/**
 * Every default of `authenticate()`'s options, in one table. The schema applies them (an
 * option left out, or set to `undefined`, takes its default here) and the TSDoc
 * `@defaultValue` of each option is checked against it by test/core/options.test.ts.
 * Verification defaults apply at the top level; an issuer's own setting overrides them.
 */
export const DEFAULTS = Object.freeze({
  clockTolerance: 5,
  profile: 'default',
  claims: 'generic',
  tokenLocations: Object.freeze(['header'] as const),
  credentialsRequired: true,
  realm: 'api',
  maxTokenLength: 8192,
  timeoutDuration: 5000,
  cooldownDuration: 30_000,
  cacheMaxAge: 600_000,
  maxStaleAge: 86_400_000,
  maxResponseSize: 262_144,
  maxKeys: 100,
  tokenCacheSize: 10_000,
  tokenCacheMaxAge: 300_000,
  maxTenants: 100,
  unknownTenantCacheSize: 10_000,
  unknownTenantTtl: 300_000,
  resolvedTenantTtl: 300_000,
  allowInsecureRequests: false,
  forwardErrors: false,
} as const satisfies { readonly [K in keyof CommonOptions]?: Readonly<CommonOptions[K]> })

/** The one default that depends on another option: HS* with a `secret`, asymmetric otherwise. */
export function defaultAlgorithms(hasSecret: boolean): readonly Algorithm[] {
  return hasSecret ? SYMMETRIC_ALGORITHMS : ASYMMETRIC_ALGORITHMS
}

/** Claims the strict profile requires on top of `exp` (RFC 9068 §2.2). */
export const STRICT_REQUIRED_CLAIMS = Object.freeze(['sub', 'iat', 'jti', 'client_id'] as const)
