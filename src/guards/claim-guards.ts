import { readClaim } from '../claims/read-claim.js'
import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import type { Decision } from '../errors/decision.js'
import { ConfigurationError } from '../errors/errors.js'
import { allowed, type Guard } from './guard.js'

/** A value `requireClaim` compares with: a scalar, or a list of acceptable scalars. */
export type ClaimValue = string | number | boolean

/** A custom claim check; it also sees the whole context and the request (ownership, tenant, IP). */
export type ClaimPredicate = (value: unknown, auth: AuthContext, request: AuthRequest) => boolean

function isClaimValue(value: unknown): value is ClaimValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

// A list-valued claim (e.g. groups) matches when it contains the expected value.
function claimMatches(actual: unknown, expected: ClaimValue): boolean {
  return actual === expected || (Array.isArray(actual) && actual.includes(expected))
}

/**
 * Allows a token whose claim `name` (exact name, else dot path) equals `expected`, equals one of
 * a list, or satisfies a predicate. A list-valued claim matches when it contains the value.
 * Does not coerce types: `'1'` does not match `1`.
 * @example requireClaim('tenant', 'acme')
 * @example requireClaim('sub', (sub, _auth, req) => sub === req.params.userId)
 */
export function requireClaim(
  name: string,
  expected: ClaimValue | readonly ClaimValue[] | ClaimPredicate,
): Guard {
  if (typeof name !== 'string' || name === '') {
    throw new ConfigurationError('requireClaim() needs a non-empty claim name')
  }
  let test: (value: unknown, auth: AuthContext, request: AuthRequest) => boolean
  let shown: string
  if (typeof expected === 'function') {
    test = expected
    shown = expected.name ? `${expected.name}()` : 'predicate'
  } else if (Array.isArray(expected)) {
    if (expected.length === 0 || !expected.every(isClaimValue)) {
      throw new ConfigurationError(
        `requireClaim(${name}) needs a non-empty list of strings, numbers or booleans`,
      )
    }
    const list = [...expected]
    test = (value) => list.some((item) => claimMatches(value, item))
    shown = `[${list.map((item) => JSON.stringify(item)).join(', ')}]`
  } else if (isClaimValue(expected) && expected !== '') {
    const value = expected as ClaimValue
    test = (actual) => claimMatches(actual, value)
    shown = JSON.stringify(value)
  } else {
    throw new ConfigurationError(
      `requireClaim(${name}) needs a non-empty string, number, boolean, list or predicate`,
    )
  }
  const description = `requireClaim(${name}, ${shown})`
  const allow = allowed(description, `claim ${name} matches`)
  const deny: Decision = Object.freeze({
    allowed: false,
    guard: description,
    reason: `claim ${name} does not match`,
    missing: Object.freeze([name]),
  })
  return Object.freeze({
    description,
    descriptor: Object.freeze({
      name: 'requireClaim',
      args: Object.freeze([name, typeof expected === 'function' ? shown : expected]),
    }),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      // A throwing predicate denies: a guard never fails open.
      let ok = false
      try {
        ok = test(readClaim(auth.claims, name), auth, request) === true
      } catch {
        ok = false
      }
      return ok ? allow : deny
    },
  })
}
