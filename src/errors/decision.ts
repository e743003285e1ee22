/**
 * The outcome of one guard, explained: which guard, allowed or not, and why.
 * Allowed decisions are created once per guard and reused, so the allow path allocates nothing.
 */
export interface Decision {
  readonly allowed: boolean
  /** The guard's readable description, e.g. `requireScope(orders:write)`. */
  readonly guard: string
  /** Why, in one sentence. */
  readonly reason: string
  /** What the token lacked (scopes, roles, or the claim name), on denial. */
  readonly missing?: readonly string[]
  /** Scopes that would satisfy the guard, for the RFC 6750 `scope` attribute. */
  readonly scope?: readonly string[]
  /**
   * On a step-up denial (RFC 9470): what a new login must satisfy. The request is then refused
   * with 401 `insufficient_user_authentication` instead of 403.
   */
  readonly stepUp?: StepUp
  /** On a `requireDpop()` denial: the request is refused with 401 and a `DPoP` challenge. */
  readonly dpopRequired?: boolean
}

/** What a stronger or fresher authentication must satisfy (RFC 9470 §3). */
export interface StepUp {
  /** Acceptable `acr` values, any one of them. */
  readonly acrValues?: readonly string[]
  /** Longest accepted age of the authentication, in seconds. */
  readonly maxAge?: number
}
