import { requireClaim } from './claim-guards.js'
import { allOf, anyOf, not } from './combinators.js'
import type { Guard } from './guard.js'
import {
  requireAnyGroup,
  requireAnyPermission,
  requireAnyRole,
  requireAnyScope,
  requireGroup,
  requirePermission,
  requireRole,
  requireScope,
} from './list-guards.js'
import { requireClaimMatches, requireTenant } from './match-guards.js'
import { guardFor } from './requirements.js'
import { requireAcr, requireAuthTime, requireDpop } from './step-up-guards.js'
import { createActionGuard, createPolicyGuard } from '../policy/policy-guard.js'

/**
 * Every guard builder under its public name: the one record the adapters' factories, their
 * types and the type test of their exports follow. A new guard is added here once; each adapter
 * then lists the name in its `export const { … }` (ES modules need static export names), and the
 * type test fails until all three do.
 */
export const GUARD_BUILDERS = Object.freeze({
  /** The {@link requireScope} builder. */
  requireScope,
  /** The {@link requireAnyScope} builder. */
  requireAnyScope,
  /** The {@link requireRole} builder. */
  requireRole,
  /** The {@link requireAnyRole} builder. */
  requireAnyRole,
  /** The {@link requirePermission} builder. */
  requirePermission,
  /** The {@link requireAnyPermission} builder. */
  requireAnyPermission,
  /** The {@link requireGroup} builder. */
  requireGroup,
  /** The {@link requireAnyGroup} builder. */
  requireAnyGroup,
  /** The {@link requireClaim} builder. */
  requireClaim,
  /** The {@link requireTenant} builder. */
  requireTenant,
  /** The {@link requireClaimMatches} builder. */
  requireClaimMatches,
  /** The {@link requireAcr} builder. */
  requireAcr,
  /** The {@link requireAuthTime} builder. */
  requireAuthTime,
  /** The {@link requireDpop} builder. */
  requireDpop,
  /** The {@link allOf} builder. */
  allOf,
  /** The {@link anyOf} builder. */
  anyOf,
  /** The {@link not} builder. */
  not,
  /** From a requirement object, e.g. `guard({ scope: 'orders:write', role: 'admin' })`. */
  guard: guardFor,
  /** The {@link createPolicyGuard} builder: the policy's route bindings decide. */
  enforcePolicy: createPolicyGuard,
  /** The {@link createActionGuard} builder: the policy's named action decides. */
  requireAction: createActionGuard,
})

/** The names of every guard builder an adapter exports. */
export type GuardName = keyof typeof GUARD_BUILDERS

/** The guard builders every adapter exports, each returning that framework's middleware. */
export type GuardFactories<M> = {
  readonly [K in GuardName]: (...args: Parameters<(typeof GUARD_BUILDERS)[K]>) => M
}

/**
 * Binds every guard builder to an adapter's `authorize`, so the adapters export the same names
 * with the same checks and switching frameworks changes one import.
 */
export function createGuardFactories<M>(authorize: (guard: Guard) => M): GuardFactories<M> {
  const factories: Record<string, (...args: never[]) => M> = {}
  for (const [name, build] of Object.entries(GUARD_BUILDERS)) {
    const factory = (...args: never[]) => authorize((build as (...a: never[]) => Guard)(...args))
    // Named after the builder, so stack traces and devtools show `requireScope`, not `factory`.
    factories[name] = Object.defineProperty(factory, 'name', { value: name })
  }
  return Object.freeze(factories) as GuardFactories<M>
}

/**
 * Makes framework middleware a guard too (description, descriptor, evaluate), so adapter
 * guards compose with `allOf`/`anyOf`/`not` as they are.
 */
export function asGuard<F extends object>(middleware: F, guard: Guard): F & Guard {
  return Object.assign(middleware, {
    description: guard.description,
    descriptor: guard.descriptor,
    evaluate: guard.evaluate,
  })
}
