import type { KeySetFailure, OidcGuardErrorCode } from '../errors/errors.js'
import type { TokenSummary } from '../verify/token-summary.js'

/**
 * One authentication or guard decision, as plain data: log it, audit it, replay it.
 * Pass a pino-style logger method straight through: `onDecision: (event) => logger.info(event)`.
 */
export interface DecisionEvent {
  /** `authenticate`: the token was checked. `authorize`: a guard was evaluated. */
  readonly type: 'authenticate' | 'authorize'
  readonly allowed: boolean
  /** The guard's description, for `authorize` events. */
  readonly guard?: string
  /** Why, in one sentence (our own words; never the token). */
  readonly reason: string
  /** The error code on denial. */
  readonly code?: OidcGuardErrorCode
  /** The HTTP status the denial answers with. */
  readonly status?: number
  /**
   * Why the keys could not be had, on a 503 caused by a failed JWKS or discovery fetch: e.g.
   * `{ kind: 'status', resource: 'jwks', url, status: 404 }` or `{ kind: 'timeout', … }`.
   */
  readonly cause?: KeySetFailure
  /**
   * What a refused token claimed, unverified (`iss`, `aud`, `kid`, `alg`; never the token), on
   * 401 and 503 answers for a token that could be parsed.
   */
  readonly unverified?: TokenSummary
  /** What the token lacked, on a guard denial. */
  readonly missing?: readonly string[]
  readonly subject?: string
  readonly issuer?: string
  readonly clientId?: string
  readonly method: string
  readonly path?: string
  /** Time spent deciding, in milliseconds. */
  readonly durationMs: number
  /** When the decision was made, in milliseconds since the epoch. */
  readonly timestamp: number
}
