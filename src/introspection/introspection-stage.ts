import type { ResolvedAuthenticateOptions } from '../config/options.js'
import { DependencyUnavailableError, InvalidTokenError } from '../errors/errors.js'
import { DESCRIPTIONS } from '../errors/reasons.js'
import type { AuthContext } from '../verify/auth-context.js'
import { createIntrospector, type Introspector } from './introspector.js'

/** The introspection step of the verifier, for every issuer that configures it. */
export interface IntrospectionStage {
  /** An opaque token: asked of each introspecting issuer in order; the first active answer wins. */
  opaque(token: string, key: string): Promise<AuthContext>
  /** A verified JWT: also asked online when its issuer introspects JWTs (`tokens: 'all'`). */
  confirm(
    token: string,
    key: string,
    verified: AuthContext | Promise<AuthContext>,
  ): AuthContext | Promise<AuthContext>
  /** How long the verifier may remember a context, in milliseconds (Infinity: no own limit). */
  cacheLimit(auth: AuthContext): number
  clear(): void
}

/**
 * Builds the introspection step, or undefined when no issuer introspects (then an opaque token
 * is malformed, as before). Issuer templates cannot introspect: the options refuse it.
 */
export function createIntrospectors(
  options: ResolvedAuthenticateOptions,
): IntrospectionStage | undefined {
  const all: Introspector[] = []
  for (const issuer of options.issuers) {
    if (issuer.introspection !== undefined)
      all.push(createIntrospector(issuer, issuer.introspection, options))
  }
  if (all.length === 0) return undefined
  const forJwts = new Map(all.filter((one) => one.introspectsJwts).map((one) => [one.issuer, one]))
  // Contexts that came from (or were confirmed by) an introspection answer, with its reuse limit.
  const limits = new WeakMap<AuthContext, number>()

  function mark(auth: AuthContext, limit: number): AuthContext {
    limits.set(auth, limit)
    return auth
  }

  async function opaque(token: string, key: string): Promise<AuthContext> {
    let refusal: unknown = new InvalidTokenError(DESCRIPTIONS.inactive, { realm: options.realm })
    let outage: unknown
    for (const introspector of all) {
      try {
        return mark(await introspector.introspect(token, key), introspector.cacheMaxAge)
      } catch (error) {
        // Another issuer may know the token. If none accepts it and one could not answer, the
        // answer is that outage (503), not a refusal we cannot be sure of.
        if (error instanceof InvalidTokenError) refusal = error
        else outage ??= error
      }
    }
    throw outage ?? refusal
  }

  function online(
    token: string,
    key: string,
    verified: AuthContext,
  ): AuthContext | Promise<AuthContext> {
    const introspector = forJwts.get(verified.issuer)
    if (introspector === undefined) return verified
    return introspector.introspect(token, key, verified).then(
      (auth) => mark(auth, introspector.cacheMaxAge),
      (error: unknown) => {
        if (!introspector.failOpen || !(error instanceof DependencyUnavailableError)) throw error
        // Fail open, by choice: the JWT passed local verification; ask again soon.
        return mark(verified, introspector.negativeCacheTtl)
      },
    )
  }

  return {
    opaque,
    confirm(token, key, verified) {
      if (forJwts.size === 0) return verified
      return verified instanceof Promise
        ? verified.then((auth) => online(token, key, auth))
        : online(token, key, verified)
    },
    cacheLimit: (auth) => limits.get(auth) ?? Infinity,
    clear() {
      for (const introspector of all) introspector.clear()
    },
  }
}
