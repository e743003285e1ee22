import type { AuthRequest } from '../http/auth-request.js'
import type { AuthContext } from '../verify/auth-context.js'
import type { Decision } from '../errors/decision.js'
import { ConfigurationError } from '../errors/errors.js'
import { allowed, checkNames, type Guard } from './guard.js'

/** What a step-up guard (RFC 9470) is made of: the claim it reads and what it asks for. */
interface StepUpSpec {
  readonly name: string
  readonly args: readonly unknown[]
  readonly description: string
  readonly allowReason: string
  readonly denyReason: string
  /** The claim a denial names as missing. */
  readonly claim: string
  /** What the 401 challenge asks the client to obtain (`acr_values`, `max_age`). */
  readonly stepUp: NonNullable<Decision['stepUp']>
  passes(auth: AuthContext): boolean
}

// Both decisions are built once, frozen: evaluating allocates nothing, allowed or not.
function stepUpGuard(spec: StepUpSpec): Guard {
  const { description, passes } = spec
  const allow = allowed(description, spec.allowReason)
  const deny: Decision = Object.freeze({
    allowed: false,
    guard: description,
    reason: spec.denyReason,
    missing: Object.freeze([spec.claim]),
    stepUp: Object.freeze(spec.stepUp),
  })
  return Object.freeze({
    description,
    descriptor: Object.freeze({ name: spec.name, args: spec.args }),
    evaluate: (auth: AuthContext): Decision => (passes(auth) ? allow : deny),
  })
}

/**
 * Allows a token whose `acr` (authentication context class reference) is one of `values`;
 * otherwise the request is refused with 401 `insufficient_user_authentication` and
 * `acr_values="…"`, so the client can ask for a stronger login (RFC 9470 §3, §4).
 * Does not check: that the `acr` values are ordered by strength (list every acceptable one).
 * @example requireAcr('urn:example:mfa', 'phr')
 * @see https://www.rfc-editor.org/rfc/rfc9470#section-3
 */
export function requireAcr(...values: string[]): Guard {
  const accepted = Object.freeze(checkNames('requireAcr', 'acr value', values))
  return stepUpGuard({
    name: 'requireAcr',
    args: accepted,
    description: `requireAcr(${accepted.join(', ')})`,
    allowReason: 'acr accepted',
    denyReason: 'the authentication context class is not accepted',
    claim: 'acr',
    stepUp: { acrValues: accepted },
    passes(auth) {
      const acr = auth.claims.acr
      return typeof acr === 'string' && accepted.includes(acr)
    },
  })
}

/** Options of `requireAuthTime`. */
export interface AuthTimeOptions {
  /** Longest accepted time since the user authenticated (`auth_time`), in seconds. */
  maxAge: number
}

/**
 * Allows a token whose `auth_time` is at most `maxAge` seconds ago; otherwise (too old, or no
 * `auth_time`) the request is refused with 401 `insufficient_user_authentication` and
 * `max_age="…"`, so the client can ask for a fresh login (RFC 9470 §3, §4).
 * @example requireAuthTime({ maxAge: 300 })
 * @see https://www.rfc-editor.org/rfc/rfc9470#section-3
 */
export function requireAuthTime(options: AuthTimeOptions): Guard {
  const maxAge = (options as Partial<AuthTimeOptions> | undefined)?.maxAge
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0) {
    throw new ConfigurationError('requireAuthTime() needs { maxAge } in whole seconds, 0 or more')
  }
  return stepUpGuard({
    name: 'requireAuthTime',
    args: Object.freeze([{ maxAge }]),
    description: `requireAuthTime(maxAge=${maxAge})`,
    allowReason: 'authentication recent enough',
    denyReason: 'the authentication is too old or has no auth_time',
    claim: 'auth_time',
    stepUp: { maxAge },
    passes(auth) {
      const authTime = auth.claims.auth_time
      return typeof authTime === 'number' && Date.now() / 1000 - authTime <= maxAge
    },
  })
}

/**
 * Allows only DPoP-bound tokens (`cnf.jkt`). The binding step has already refused a bound
 * token sent without its proof, so a bound token here came with a valid DPoP proof. Otherwise
 * 401 `invalid_token` with a `DPoP` challenge (RFC 9449 §7.1). Needs `dpop` in the options.
 * @example app.post('/payments', requireDpop(), pay)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 */
export function requireDpop(): Guard {
  const description = 'requireDpop()'
  const allow = allowed(description, 'DPoP-bound token')
  const deny: Decision = Object.freeze({
    allowed: false,
    guard: description,
    reason: 'the access token is not DPoP-bound',
    missing: Object.freeze(['cnf.jkt']),
    dpopRequired: true,
  })
  return Object.freeze({
    description,
    descriptor: Object.freeze({ name: 'requireDpop', args: Object.freeze([]) }),
    evaluate(auth: AuthContext, _request: AuthRequest): Decision {
      const cnf = auth.claims.cnf as { jkt?: unknown } | undefined
      return typeof cnf?.jkt === 'string' ? allow : deny
    },
  })
}
