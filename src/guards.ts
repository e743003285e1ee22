import { readClaim } from './claims.js'
import type { Decision } from './decision.js'
import { ConfigurationError } from './errors.js'
import {
  createRequestValueReader,
  describeRequestValue,
  type RequestValue,
} from './request-value.js'
import type { AuthContext, AuthRequest } from './types.js'

/** A guard as plain data: its name and arguments (a policy document can hold it). */
export interface GuardDescriptor {
  readonly name: string
  readonly args: readonly unknown[]
}

/**
 * A framework-neutral authorization rule. Build guards at startup (arguments are checked then,
 * so a guard never fails open) and evaluate them per request; each adapter turns one into route
 * middleware.
 */
export interface Guard {
  /** Readable form, e.g. `requireScope(orders:write)`; it names the guard in decisions. */
  readonly description: string
  /** Plain-data form: name and arguments. */
  readonly descriptor: GuardDescriptor
  evaluate(auth: AuthContext, request: AuthRequest): Decision
}

/** A value `requireClaim` compares with: a scalar, or a list of acceptable scalars. */
export type ClaimValue = string | number | boolean

/** A custom claim check; it also sees the whole context and the request (ownership, tenant, IP). */
export type ClaimPredicate = (value: unknown, auth: AuthContext, request: AuthRequest) => boolean

// A scope token per RFC 6749 §3.3: printable ASCII except space, `"` and `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

function checkNames(guardName: string, kind: string, names: readonly unknown[]): string[] {
  if (names.length === 0) {
    throw new ConfigurationError(`${guardName}() needs at least one ${kind}`)
  }
  for (const name of names) {
    if (typeof name !== 'string' || !SCOPE_TOKEN.test(name)) {
      throw new ConfigurationError(
        `${guardName}() got ${JSON.stringify(name) ?? String(name)}: each ${kind} must be a non-empty string without spaces or quotes`,
      )
    }
  }
  return [...new Set(names as string[])]
}

function allowed(guard: string, reason: string): Decision {
  return Object.freeze({ allowed: true, guard, reason })
}

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

function isClaimValue(value: unknown): value is ClaimValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

// A list-valued claim (e.g. groups) matches when it contains the expected value.
function claimMatches(actual: unknown, expected: ClaimValue): boolean {
  return actual === expected || (Array.isArray(actual) && actual.includes(expected))
}

/**
 * Allows a token whose claim `name` (exact name, else dot path) equals `expected`, equals one of
 * a list, or satisfies a predicate. A list-valued claim matches when it contains the value.
 * Does not coerce types: `'1'` does not match `1`.
 * @example requireClaim('tenant', 'acme')
 * @example requireClaim('sub', (sub, _auth, req) => sub === req.params.userId)
 */
export function requireClaim(
  name: string,
  expected: ClaimValue | readonly ClaimValue[] | ClaimPredicate,
): Guard {
  if (typeof name !== 'string' || name === '') {
    throw new ConfigurationError('requireClaim() needs a non-empty claim name')
  }
  let test: (value: unknown, auth: AuthContext, request: AuthRequest) => boolean
  let shown: string
  if (typeof expected === 'function') {
    test = expected
    shown = expected.name ? `${expected.name}()` : 'predicate'
  } else if (Array.isArray(expected)) {
    if (expected.length === 0 || !expected.every(isClaimValue)) {
      throw new ConfigurationError(
        `requireClaim(${name}) needs a non-empty list of strings, numbers or booleans`,
      )
    }
    const list = [...expected]
    test = (value) => list.some((item) => claimMatches(value, item))
    shown = `[${list.map((item) => JSON.stringify(item)).join(', ')}]`
  } else if (isClaimValue(expected) && expected !== '') {
    const value = expected as ClaimValue
    test = (actual) => claimMatches(actual, value)
    shown = JSON.stringify(value)
  } else {
    throw new ConfigurationError(
      `requireClaim(${name}) needs a non-empty string, number, boolean, list or predicate`,
    )
  }
  const description = `requireClaim(${name}, ${shown})`
  const allow = allowed(description, `claim ${name} matches`)
  const deny: Decision = Object.freeze({
    allowed: false,
    guard: description,
    reason: `claim ${name} does not match`,
    missing: Object.freeze([name]),
  })
  return Object.freeze({
    description,
    descriptor: Object.freeze({
      name: 'requireClaim',
      args: Object.freeze([name, typeof expected === 'function' ? shown : expected]),
    }),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      // A throwing predicate denies: a guard never fails open.
      let ok = false
      try {
        ok = test(readClaim(auth.claims, name), auth, request) === true
      } catch {
        ok = false
      }
      return ok ? allow : deny
    },
  })
}

function checkGuards(name: string, guards: readonly unknown[]): Guard[] {
  if (guards.length === 0) throw new ConfigurationError(`${name}() needs at least one guard`)
  for (const guard of guards) {
    // Adapter guards are middleware functions that are guards too.
    if (
      guard === null ||
      (typeof guard !== 'object' && typeof guard !== 'function') ||
      typeof (guard as Guard).evaluate !== 'function'
    ) {
      throw new ConfigurationError(`${name}() accepts only guards`)
    }
  }
  return [...(guards as Guard[])]
}

function combinatorDescriptor(name: string, guards: readonly Guard[]): GuardDescriptor {
  return Object.freeze({ name, args: Object.freeze(guards.map((guard) => guard.descriptor)) })
}

/** Allows when every guard allows; the first denial explains the decision. */
export function allOf(...guards: Guard[]): Guard {
  const members = checkGuards('allOf', guards)
  const description = `allOf(${members.map((guard) => guard.description).join(', ')})`
  const allow = allowed(description, 'every guard allowed')
  return Object.freeze({
    description,
    descriptor: combinatorDescriptor('allOf', members),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      for (const guard of members) {
        const decision = guard.evaluate(auth, request)
        if (!decision.allowed) {
          return {
            allowed: false,
            guard: description,
            reason: `${decision.guard} denied: ${decision.reason}`,
            missing: decision.missing,
            scope: decision.scope,
          }
        }
      }
      return allow
    },
  })
}

/** Allows when at least one guard allows; a denial lists what each alternative lacked. */
export function anyOf(...guards: Guard[]): Guard {
  const members = checkGuards('anyOf', guards)
  const description = `anyOf(${members.map((guard) => guard.description).join(', ')})`
  const allow = allowed(description, 'a guard allowed')
  return Object.freeze({
    description,
    descriptor: combinatorDescriptor('anyOf', members),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      const denials: Decision[] = []
      for (const guard of members) {
        const decision = guard.evaluate(auth, request)
        if (decision.allowed) return allow
        denials.push(decision)
      }
      const missing = [...new Set(denials.flatMap((decision) => decision.missing ?? []))]
      const scope = [...new Set(denials.flatMap((decision) => decision.scope ?? []))]
      return {
        allowed: false,
        guard: description,
        reason: `no guard allowed: ${denials.map((decision) => decision.reason).join('; ')}`,
        missing,
        scope: scope.length > 0 ? scope : undefined,
      }
    },
  })
}

/** Allows when the guard denies. Useful for exclusions, e.g. `not(requireRole('suspended'))`. */
export function not(guard: Guard): Guard {
  const [inner] = checkGuards('not', [guard]) as [Guard]
  const description = `not(${inner.description})`
  const allow = allowed(description, `${inner.description} denied`)
  const deny: Decision = Object.freeze({
    allowed: false,
    guard: description,
    reason: `${inner.description} allowed`,
  })
  return Object.freeze({
    description,
    descriptor: combinatorDescriptor('not', [inner]),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      return inner.evaluate(auth, request).allowed ? deny : allow
    },
  })
}

function createMatchGuard(
  name: string,
  leadingArgs: readonly string[],
  tokenValue: (auth: AuthContext) => string | undefined,
  from: RequestValue,
  what: string,
): Guard {
  const read = createRequestValueReader(from, name)
  const shownFrom = describeRequestValue(from)
  const description = `${name}(${[...leadingArgs, shownFrom].join(', ')})`
  const allow = allowed(description, `${what} matches the request`)
  const deny: Decision = Object.freeze({
    allowed: false,
    guard: description,
    reason: `${what} does not match the request`,
    missing: Object.freeze([what]),
  })
  return Object.freeze({
    description,
    descriptor: Object.freeze({
      name,
      args: Object.freeze([...leadingArgs, typeof from === 'function' ? shownFrom : from]),
    }),
    evaluate(auth: AuthContext, request: AuthRequest): Decision {
      const expected = read(request)
      const actual = tokenValue(auth)
      // Both must be present: an absent tenant never matches an absent route parameter.
      return expected !== undefined && actual !== undefined && actual === expected ? allow : deny
    },
  })
}

/**
 * Tenant isolation: the token's tenant (see `claims` presets) must equal the tenant the request
 * addresses. Denial: 403.
 * @example router.get('/tenants/:tenantId/orders', requireTenant({ param: 'tenantId' }), list)
 */
export function requireTenant(from: RequestValue): Guard {
  return createMatchGuard('requireTenant', [], (auth) => auth.tenant, from, 'tenant')
}

/**
 * Ownership: a claim must equal a value of the request (a number claim is compared as its
 * decimal string, since URL parameters are strings).
 * @example requireClaimMatches('sub', { param: 'userId' })
 */
export function requireClaimMatches(claim: string, from: RequestValue): Guard {
  if (typeof claim !== 'string' || claim === '') {
    throw new ConfigurationError('requireClaimMatches() needs a non-empty claim name')
  }
  return createMatchGuard(
    'requireClaimMatches',
    [claim],
    (auth) => {
      const value = readClaim(auth.claims, claim)
      return typeof value === 'string'
        ? value
        : typeof value === 'number'
          ? String(value)
          : undefined
    },
    from,
    `claim ${claim}`,
  )
}
