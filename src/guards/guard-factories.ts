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

/** The guard builders every adapter exports, each returning that framework's middleware. */
export interface GuardFactories<M> {
  /**
   * Allows when the token has every scope (`scope`, or `scp`). Denial: 403 with `scope="…"` (RFC 6750 §3.1).
   * @example requireScope('orders:read', 'orders:write')
   */
  requireScope(...scopes: string[]): M
  /**
   * Allows when the token has at least one of the scopes. Denial: 403 naming them.
   * @example requireAnyScope('orders:read', 'orders:admin')
   */
  requireAnyScope(...scopes: string[]): M
  /**
   * Allows when the token has every role (the preset's roles claim, or `rolesClaim`).
   * @example requireRole('admin')
   */
  requireRole(...roles: string[]): M
  /**
   * Allows when the token has at least one of the roles.
   * @example requireAnyRole('admin', 'editor')
   */
  requireAnyRole(...roles: string[]): M
  /**
   * Allows when the token has every permission (Auth0 RBAC `permissions`, kept apart from scopes).
   * @example requirePermission('read:orders')
   */
  requirePermission(...permissions: string[]): M
  /**
   * Allows when the token has at least one of the permissions.
   * @example requireAnyPermission('read:orders', 'admin:orders')
   */
  requireAnyPermission(...permissions: string[]): M
  /**
   * Allows when the token has every group (`groups`, Cognito `cognito:groups`).
   * @example requireGroup('finance')
   */
  requireGroup(...groups: string[]): M
  /**
   * Allows when the token has at least one of the groups.
   * @example requireAnyGroup('finance', 'audit')
   */
  requireAnyGroup(...groups: string[]): M
  /**
   * Allows when the claim (exact name, else dot path) equals the value, one of the list, or the
   * predicate `(value, auth, request) => boolean` returns true. No type coercion; a throwing predicate denies.
   * @example requireClaim('department', ['sales', 'support'])
   */
  requireClaim(name: string, expected: ClaimValue | readonly ClaimValue[] | ClaimPredicate): M
  /**
   * Allows when the token's tenant equals the tenant the request addresses.
   * @example requireTenant({ param: 'tenantId' })
   */
  requireTenant(from: RequestValue): M
  /**
   * Allows when a claim equals a value of the request (ownership checks).
   * @example requireClaimMatches('sub', { param: 'userId' })
   */
  requireClaimMatches(claim: string, from: RequestValue): M
  /**
   * Allows when every guard allows; explained by the first denial.
   * @example allOf(requireScope('orders:write'), requireRole('editor'))
   */
  allOf(...guards: Guard[]): M
  /**
   * Allows when at least one guard allows.
   * @example anyOf(requireRole('admin'), requireScope('orders:admin'))
   */
  anyOf(...guards: Guard[]): M
  /**
   * Allows when the guard denies.
   * @example not(requireRole('suspended'))
   */
  not(guard: Guard): M
  /** From a requirement object, e.g. `guard({ scope: 'orders:write', role: 'admin' })`. */
  guard(requirement: Requirement): M
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
