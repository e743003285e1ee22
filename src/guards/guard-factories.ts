import { allOf, anyOf, not } from './combinators.js'
import { requireClaim, type ClaimPredicate, type ClaimValue } from './claim-guards.js'
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
import type { RequestValue } from '../http/request-value.js'
import { guardFor, type Requirement } from './requirements.js'
import {
  createActionGuard,
  createPolicyGuard,
  type EnforcePolicyOptions,
} from '../policy/policy-guard.js'

/** The guard builders every adapter exports, each returning that framework's middleware. */
export interface GuardFactories<M> {
  requireScope(...scopes: string[]): M
  requireAnyScope(...scopes: string[]): M
  requireRole(...roles: string[]): M
  requireAnyRole(...roles: string[]): M
  requirePermission(...permissions: string[]): M
  requireAnyPermission(...permissions: string[]): M
  requireGroup(...groups: string[]): M
  requireAnyGroup(...groups: string[]): M
  requireClaim(name: string, expected: ClaimValue | readonly ClaimValue[] | ClaimPredicate): M
  requireTenant(from: RequestValue): M
  requireClaimMatches(claim: string, from: RequestValue): M
  allOf(...guards: Guard[]): M
  anyOf(...guards: Guard[]): M
  not(guard: Guard): M
  /** From a requirement object, e.g. `guard({ scope: 'orders:write', role: 'admin' })`. */
  guard(requirement: Requirement): M
  /** The policy's route bindings decide (see `authenticate({ policy })`). 403 "no rule" when unbound. */
  enforcePolicy(options?: EnforcePolicyOptions): M
  /** The policy's named action decides, e.g. `requireAction('orders.refund')`. */
  requireAction(action: string): M
}

/**
 * Binds every guard builder to an adapter's `authorize`, so the adapters export the same names
 * with the same checks and switching frameworks changes one import.
 */
export function createGuardFactories<M>(authorize: (guard: Guard) => M): GuardFactories<M> {
  return {
    requireScope: (...scopes) => authorize(requireScope(...scopes)),
    requireAnyScope: (...scopes) => authorize(requireAnyScope(...scopes)),
    requireRole: (...roles) => authorize(requireRole(...roles)),
    requireAnyRole: (...roles) => authorize(requireAnyRole(...roles)),
    requirePermission: (...permissions) => authorize(requirePermission(...permissions)),
    requireAnyPermission: (...permissions) => authorize(requireAnyPermission(...permissions)),
    requireGroup: (...groups) => authorize(requireGroup(...groups)),
    requireAnyGroup: (...groups) => authorize(requireAnyGroup(...groups)),
    requireClaim: (name, expected) => authorize(requireClaim(name, expected)),
    requireTenant: (from) => authorize(requireTenant(from)),
    requireClaimMatches: (claim, from) => authorize(requireClaimMatches(claim, from)),
    allOf: (...guards) => authorize(allOf(...guards)),
    anyOf: (...guards) => authorize(anyOf(...guards)),
    not: (guard) => authorize(not(guard)),
    guard: (requirement) => authorize(guardFor(requirement)),
    enforcePolicy: (options) => authorize(createPolicyGuard(options)),
    requireAction: (action) => authorize(createActionGuard(action)),
  }
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
