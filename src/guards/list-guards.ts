import type { AuthContext } from '../verify/auth-context.js'
import type { Decision } from '../errors/decision.js'
import { allowed, checkNames, type Guard } from './guard.js'

type ListOf = 'scopes' | 'roles' | 'permissions' | 'groups'
const KIND: Record<ListOf, string> = {
  scopes: 'scope',
  roles: 'role',
  permissions: 'permission',
  groups: 'group',
}

function createListGuard(name: string, list: ListOf, needAll: boolean, input: unknown[]): Guard {
  const kind = KIND[list]
  const required = Object.freeze(checkNames(name, kind, input))
  const description = `${name}(${required.join(', ')})`
  const allow = allowed(description, `token has ${needAll ? 'every' : 'a'} required ${kind}`)
  const scope = list === 'scopes' ? required : undefined
  const descriptor = Object.freeze({ name, args: required })
  return Object.freeze({
    description,
    descriptor,
    evaluate(auth: AuthContext): Decision {
      const held = auth[list]
      if (needAll) {
        // A loop, not filter(): the allow path must not allocate.
        let ok = true
        for (const item of required) if (!held.includes(item)) ok = false
        if (ok) return allow
      } else {
        for (const item of required) if (held.includes(item)) return allow
      }
      const missing = required.filter((item) => !held.includes(item))
      return {
        allowed: false,
        guard: description,
        reason: `token lacks ${kind} ${missing.join(', ')}`,
        missing,
        scope,
      }
    },
  })
}

/**
 * Allows a token that holds every listed scope (`scope` or `scp`).
 * Denial: 403 `insufficient_scope` with `scope="…"` naming them.
 * @example app.post('/orders', requireScope('orders:write'), handler)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function requireScope(...scopes: string[]): Guard {
  return createListGuard('requireScope', 'scopes', true, scopes)
}

/** Allows a token that holds at least one of the listed scopes. */
export function requireAnyScope(...scopes: string[]): Guard {
  return createListGuard('requireAnyScope', 'scopes', false, scopes)
}

/** Allows a token whose roles (see `rolesClaim`) include every listed role. Denial: 403. */
export function requireRole(...roles: string[]): Guard {
  return createListGuard('requireRole', 'roles', true, roles)
}

/** Allows a token whose roles include at least one of the listed roles. Denial: 403. */
export function requireAnyRole(...roles: string[]): Guard {
  return createListGuard('requireAnyRole', 'roles', false, roles)
}

/**
 * Allows a token holding every listed permission (Auth0 RBAC `permissions`, kept apart from
 * scopes). Denial: 403.
 */
export function requirePermission(...permissions: string[]): Guard {
  return createListGuard('requirePermission', 'permissions', true, permissions)
}

/** Allows a token holding at least one of the listed permissions. */
export function requireAnyPermission(...permissions: string[]): Guard {
  return createListGuard('requireAnyPermission', 'permissions', false, permissions)
}

/** Allows a token whose groups (`groups`, Cognito `cognito:groups`) include every listed group. */
export function requireGroup(...groups: string[]): Guard {
  return createListGuard('requireGroup', 'groups', true, groups)
}

/** Allows a token whose groups include at least one of the listed groups. */
export function requireAnyGroup(...groups: string[]): Guard {
  return createListGuard('requireAnyGroup', 'groups', false, groups)
}
