import { readClaim } from '../claims/read-claim.js'
import { ConfigurationError } from '../errors/errors.js'
import type { AuthRequest } from '../http/auth-request.js'
import {
  createRequestValueReader,
  describeRequestValue,
  type RequestValue,
} from '../http/request-value.js'
import type { AuthContext } from '../verify/auth-context.js'
import type { Decision } from '../errors/decision.js'
import { allowed, type Guard } from './guard.js'

function createMatchGuard(
  name: string,
  leadingArgs: readonly string[],
  tokenValue: (auth: AuthContext) => string | undefined,
  from: RequestValue,
  what: string,
): Guard {
  const read = createRequestValueReader(from, name)
  const shownFrom = describeRequestValue(from)
  const description = `${name}(${[...leadingArgs, shownFrom].join(', ')})`
  const allow = allowed(description, `${what} matches the request`)
  const deny: Decision = Object.freeze({
    allowed: false,
    guard: description,
    reason: `${what} does not match the request`,
    missing: Object.freeze([what]),
  })
  return Object.freeze({
    description,
    descriptor: Object.freeze({
      name,
      args: Object.freeze([...leadingArgs, typeof from === 'function' ? shownFrom : from]),
    }),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      const expected = read(request)
      const actual = tokenValue(auth)
      // Both must be present: an absent tenant never matches an absent route parameter.
      return expected !== undefined && actual !== undefined && actual === expected ? allow : deny
    },
  })
}

/**
 * Tenant isolation: the token's tenant (see `claims` presets) must equal the tenant the request
 * addresses. Denial: 403.
 * @example router.get('/tenants/:tenantId/orders', requireTenant({ param: 'tenantId' }), list)
 */
export function requireTenant(from: RequestValue): Guard {
  return createMatchGuard('requireTenant', [], (auth) => auth.tenant, from, 'tenant')
}

/**
 * Ownership: a claim must equal a value of the request (an integer claim is compared as its
 * decimal string, since URL parameters are strings; an integer beyond ±2^53 − 1, which JSON
 * parsing may have rounded, and a fractional number never match).
 * @example requireClaimMatches('sub', { param: 'userId' })
 */
export function requireClaimMatches(claim: string, from: RequestValue): Guard {
  if (typeof claim !== 'string' || claim === '') {
    throw new ConfigurationError('requireClaimMatches() needs a non-empty claim name')
  }
  return createMatchGuard(
    'requireClaimMatches',
    [claim],
    (auth) => {
      const value = readClaim(auth.claims, claim)
      // JSON numbers past 2^53 were rounded when the token was parsed: 9007199254740993 reads
      // as …992, so only safe integers are compared (a larger id must be a string claim).
      return typeof value === 'string'
        ? value
        : Number.isSafeInteger(value)
          ? String(value)
          : undefined
    },
    from,
    `claim ${claim}`,
  )
}
