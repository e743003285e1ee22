import { closest } from '../config/suggest.js'
import { ConfigurationError } from '../errors/errors.js'
import type { Guard } from '../guards/guard.js'
import { guardFor, type Requirement } from '../guards/requirements.js'

/**
 * A requirement object as route configuration. `length?: never` is never set: it only makes a
 * misspelt string (`auth: 'optinal'`) a compile error where a framework infers the route
 * config from its value (Fastify does), since no string can have a `length` of type `never`.
 */
export type RouteRequirement = Requirement & { length?: never }

/**
 * What a route declares about authentication: `true` authenticate, `'optional'` authenticate
 * when a token is sent, `false` explicitly public (nothing runs; `auth` stays undefined), or a
 * requirement object: authenticate, then check it (403 on denial).
 * @example app.get('/orders', { config: { auth: { scope: 'orders:read' } } }, handler)
 */
export type RouteAuth = boolean | 'optional' | RouteRequirement

/** What an adapter runs for a route, decided once at registration by {@link planRouteAuth}. */
export interface RouteAuthPlan {
  /** `'none'`: a public route (no `auth`, or `auth: false`). */
  readonly authenticate: 'required' | 'optional' | 'none'
  /** The requirement's guard, when the route declared one. */
  readonly guard: Guard | undefined
}

const NONE: RouteAuthPlan = Object.freeze({ authenticate: 'none', guard: undefined })
const REQUIRED: RouteAuthPlan = Object.freeze({ authenticate: 'required', guard: undefined })
const OPTIONAL: RouteAuthPlan = Object.freeze({ authenticate: 'optional', guard: undefined })
const ALLOWED = 'true, false, "optional" or a requirement object such as { scope: "orders:read" }'

/**
 * How a route is named in errors: a name such as `GET /orders`, or the framework's route
 * options (`method`, `url`), named only when an error needs it, so a request that finds its
 * route's plan compiled builds no string.
 */
export type RouteName = string | { readonly method?: unknown; readonly url?: unknown }

const describeRoute = (route: RouteName): string =>
  typeof route === 'string' ? route : `${String(route.method)} ${String(route.url)}`

/**
 * Reads a route's `auth` declaration at registration, so a bad one fails startup with a
 * message naming the route, the allowed values and the one probably meant.
 * @param route how the route is named in errors, e.g. `GET /orders`
 * @throws ConfigurationError for anything but a {@link RouteAuth}
 * @example planRouteAuth({ scope: 'orders:read' }, 'GET /orders') // authenticate + guard
 */
export function planRouteAuth(auth: unknown, route: RouteName): RouteAuthPlan {
  if (auth === undefined || auth === false) return NONE
  if (auth === true) return REQUIRED
  if (auth === 'optional') return OPTIONAL
  if (typeof auth === 'object' && auth !== null && !Array.isArray(auth)) {
    try {
      return { authenticate: 'required', guard: guardFor(auth as Requirement) }
    } catch (error) {
      // guardFor throws only ConfigurationErrors: name the route in front of its message.
      throw new ConfigurationError(
        `Route ${describeRoute(route)}: ${(error as ConfigurationError).message}`,
      )
    }
  }
  const guess = typeof auth === 'string' ? closest(auth, ['optional']) : undefined
  const got = typeof auth === 'string' ? JSON.stringify(auth.slice(0, 64)) : typeof auth
  throw new ConfigurationError(
    `Route ${describeRoute(route)}: invalid "auth": ${got} is not one of ${ALLOWED}` +
      (guess ? `; did you mean "${guess}"?` : ''),
  )
}

/** A route's plan with its guard already turned into the adapter's hook. */
export interface CompiledRouteAuth<H> {
  readonly authenticate: RouteAuthPlan['authenticate']
  /** The requirement as the adapter's guard hook; undefined without a requirement. */
  readonly guard: H | undefined
}

/**
 * Plans route settings once each (remembered by the setting object), so an adapter can check
 * them when a route is declared and read them again on each request for next to nothing: the
 * way to honour a declaration whatever the order in which routes and the plugin were registered.
 * `wrap` turns the requirement's guard into the adapter's hook.
 * @throws ConfigurationError for an invalid setting, as {@link planRouteAuth}.
 * @example const compile = createRouteAuth(authorize); compile({ scope: 'orders:read' }, 'GET /')
 */
export function createRouteAuth<H>(
  wrap: (guard: Guard) => H,
): (auth: unknown, route: RouteName) => CompiledRouteAuth<H> {
  const compiled = new WeakMap<object, CompiledRouteAuth<H>>()
  return function compileRouteAuth(auth, route) {
    if (typeof auth !== 'object' || auth === null) return planRouteAuth(auth, route) as NoGuard
    let found = compiled.get(auth)
    if (found === undefined) {
      const plan = planRouteAuth(auth, route)
      found = Object.freeze({
        authenticate: plan.authenticate,
        guard: plan.guard && wrap(plan.guard),
      })
      compiled.set(auth, found)
    }
    return found
  }
}

type NoGuard = CompiledRouteAuth<never>
