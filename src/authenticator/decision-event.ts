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
  /** Policy decisions: the version of the document that decided. */
  readonly policyVersion?: string | number
  /** Policy decisions: the action decided (undefined when no route binding matched). */
  readonly action?: string
  /** Policy decisions: the rule that decided; absent for "no rule". */
  readonly rule?: string
  /** Policy decisions via `enforcePolicy()`: the route binding, e.g. `GET /orders/:id`. */
  readonly route?: string
  /**
   * Policy decisions: every input the action's rules read (`claims.amr`, `request.ip`,
   * `auth.roles`, …) and its value (`null` when absent), minus redacted ones. Enough for
   * `oidc-guard replay` to re-decide under another version.
   */
  readonly inputs?: Readonly<Record<string, unknown>>
  /** Policy decisions: inputs that were read but left out by redaction. */
  readonly redacted?: readonly string[]
}
