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
}
