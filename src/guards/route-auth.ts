import type { Guard } from './guard.js'
import { guardFor, type Requirement } from './requirements.js'

/**
 * A route's declarative authentication setting (Fastify `config.auth`): `true` authenticates,
 * `'optional'` authenticates when a token is sent, a requirement authenticates and checks it.
 */
export type RouteAuth = true | 'optional' | Requirement

/** What a `RouteAuth` setting compiles to: how to authenticate, and the guard to run after. */
export interface CompiledRouteAuth<H> {
  /** Authenticate with `credentialsRequired: false`. */
  readonly optional: boolean
  /** The requirement as the adapter's guard hook; undefined for `true` and `'optional'`. */
  readonly guard: H | undefined
}

const AUTHENTICATE = Object.freeze({ optional: false, guard: undefined })
const OPTIONAL = Object.freeze({ optional: true, guard: undefined })

/**
 * Compiles route settings once each (remembered by the setting object), so an adapter can
 * validate them when a route is declared and read them again cheaply on each request. `wrap`
 * turns the requirement's guard into the adapter's hook.
 * @throws ConfigurationError for an invalid requirement.
 * @example const compile = createRouteAuth(authorize); compile({ scope: 'orders:read' })
 */
export function createRouteAuth<H>(
  wrap: (guard: Guard) => H,
): (auth: RouteAuth) => CompiledRouteAuth<H> {
  const compiled = new WeakMap<object, CompiledRouteAuth<H>>()
  return function compileRouteAuth(auth) {
    if (auth === true) return AUTHENTICATE
    if (auth === 'optional') return OPTIONAL
    let found = compiled.get(auth)
    if (found === undefined) {
      found = Object.freeze({ optional: false, guard: wrap(guardFor(auth)) })
      compiled.set(auth, found)
    }
    return found
  }
}
