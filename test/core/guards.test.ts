import { describe, expect, it } from 'vitest'
import {
  allOf,
  anyOf,
  ConfigurationError,
  not,
  requireAnyGroup,
  requireAnyPermission,
  requireAnyRole,
  requireAnyScope,
  requireClaim,
  requireClaimMatches,
  requireGroup,
  requirePermission,
  requireRole,
  requireScope,
  requireTenant,
  type AuthRequest,
} from 'oidc-guard'
import { authContext } from '../helpers/context.js'

const context = authContext
const request: AuthRequest = { method: 'GET', headers: {}, params: { userId: 'user-1' } }

describe('requireScope()', () => {
  it('allows a token with every scope, reusing one frozen decision', () => {
    const guard = requireScope('orders:read', 'orders:write')
    const first = guard.evaluate(context(), request)
    expect(first).toEqual({
      allowed: true,
      guard: 'requireScope(orders:read, orders:write)',
      reason: 'token has every required scope',
    })
    expect(guard.evaluate(context(), request)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('denies with the missing scopes and every required scope for the challenge', () => {
    const decision = requireScope('orders:read', 'orders:delete').evaluate(context(), request)
    expect(decision).toEqual({
      allowed: false,
      guard: 'requireScope(orders:read, orders:delete)',
      reason: 'token lacks scope orders:delete',
      missing: ['orders:delete'],
      scope: ['orders:read', 'orders:delete'],
    })
  })

  it('never matches look-alike scopes', () => {
    const auth = context({ scopes: ['orders:read2', 'xorders:read', 'orders:read orders:write'] })
    expect(requireScope('orders:read').evaluate(auth, request).allowed).toBe(false)
  })

  it('throws at startup on empty, blank or spaced scopes (a guard never fails open)', () => {
    expect(() => requireScope()).toThrow(ConfigurationError)
    expect(() => requireScope('')).toThrow('each scope must be a non-empty string')
    expect(() => requireScope('a b')).toThrow(ConfigurationError)
    expect(() => requireScope(undefined as unknown as string)).toThrow(ConfigurationError)
  })

  it('is describable as plain data', () => {
    expect(requireScope('a', 'a', 'b').descriptor).toEqual({
      name: 'requireScope',
      args: ['a', 'b'],
    })
  })
})

describe('requireAnyScope()', () => {
  it('allows with one scope of the list and denies with none', () => {
    const guard = requireAnyScope('orders:admin', 'orders:write')
    expect(guard.evaluate(context(), request).allowed).toBe(true)
    const denied = guard.evaluate(context({ scopes: [] }), request)
    expect(denied).toMatchObject({
      allowed: false,
      missing: ['orders:admin', 'orders:write'],
      scope: ['orders:admin', 'orders:write'],
    })
  })
})

describe('requireRole() and requireAnyRole()', () => {
  it('check roles and never produce a scope attribute', () => {
    expect(requireRole('editor').evaluate(context(), request).allowed).toBe(true)
    const denied = requireRole('editor', 'admin').evaluate(context(), request)
    expect(denied).toMatchObject({
      allowed: false,
      reason: 'token lacks role admin',
      missing: ['admin'],
    })
    expect(denied.scope).toBeUndefined()
    expect(requireAnyRole('admin', 'editor').evaluate(context(), request).allowed).toBe(true)
    expect(requireAnyRole('admin').evaluate(context(), request).allowed).toBe(false)
    expect(() => requireRole()).toThrow('requireRole() needs at least one role')
  })
})

describe('requireClaim()', () => {
  it('matches a scalar, a member of a list-valued claim, or one of a list', () => {
    expect(requireClaim('tenant', 'acme').evaluate(context(), request).allowed).toBe(true)
    expect(requireClaim('tenant', 'other').evaluate(context(), request)).toMatchObject({
      allowed: false,
      guard: 'requireClaim(tenant, "other")',
      reason: 'claim tenant does not match',
      missing: ['tenant'],
    })
    expect(requireClaim('groups', 'b').evaluate(context(), request).allowed).toBe(true)
    expect(requireClaim('tenant', ['globex', 'acme']).evaluate(context(), request).allowed).toBe(
      true,
    )
    expect(requireClaim('level', 3).evaluate(context(), request).allowed).toBe(true)
  })

  it('does not coerce types', () => {
    expect(requireClaim('level', '3').evaluate(context(), request).allowed).toBe(false)
  })

  it('reads dot paths into nested claims', () => {
    expect(requireClaim('realm_access.roles', 'x').evaluate(context(), request).allowed).toBe(true)
    expect(requireClaim('realm_access.missing', 'x').evaluate(context(), request).allowed).toBe(
      false,
    )
    expect(requireClaim('tenant.x', 'x').evaluate(context(), request).allowed).toBe(false)
  })

  it('runs predicates with the context and request, for ownership checks', () => {
    const owner = requireClaim('sub', function isOwner(sub, _auth, req) {
      return sub === (req.params as { userId: string }).userId
    })
    expect(owner.description).toBe('requireClaim(sub, isOwner())')
    expect(owner.evaluate(context(), request).allowed).toBe(true)
    expect(owner.evaluate(context({}, { sub: 'user-2' }), request).allowed).toBe(false)
    expect(requireClaim('sub', () => true).descriptor).toEqual({
      name: 'requireClaim',
      args: ['sub', 'predicate'],
    })
  })

  it('denies when a predicate throws or returns a truthy non-boolean', () => {
    const throwing = requireClaim('sub', () => {
      throw new Error('boom')
    })
    expect(throwing.evaluate(context(), request).allowed).toBe(false)
    expect(requireClaim('sub', (() => 'yes') as never).evaluate(context(), request).allowed).toBe(
      false,
    )
  })

  it('throws at startup on a bad name or expectation', () => {
    expect(() => requireClaim('', 'x')).toThrow(ConfigurationError)
    expect(() => requireClaim('tenant', '')).toThrow(ConfigurationError)
    expect(() => requireClaim('tenant', [])).toThrow(ConfigurationError)
    expect(() => requireClaim('tenant', [{}] as never)).toThrow(ConfigurationError)
    expect(() => requireClaim('tenant', null as never)).toThrow(ConfigurationError)
  })
})

describe('allOf(), anyOf(), not()', () => {
  it('allOf() allows when all allow and explains the first denial', () => {
    const guard = allOf(requireScope('orders:read'), requireRole('admin'))
    expect(
      allOf(requireScope('orders:read'), requireRole('editor')).evaluate(context(), request)
        .allowed,
    ).toBe(true)
    expect(guard.evaluate(context(), request)).toEqual({
      allowed: false,
      guard: 'allOf(requireScope(orders:read), requireRole(admin))',
      reason: 'requireRole(admin) denied: token lacks role admin',
      missing: ['admin'],
      scope: undefined,
    })
  })

  it('anyOf() allows when one allows and lists every alternative on denial', () => {
    const guard = anyOf(requireScope('orders:admin'), requireRole('admin'))
    expect(
      anyOf(requireScope('orders:admin'), requireRole('editor')).evaluate(context(), request)
        .allowed,
    ).toBe(true)
    expect(guard.evaluate(context(), request)).toEqual({
      allowed: false,
      guard: 'anyOf(requireScope(orders:admin), requireRole(admin))',
      reason: 'no guard allowed: token lacks scope orders:admin; token lacks role admin',
      missing: ['orders:admin', 'admin'],
      scope: ['orders:admin'],
    })
    expect(
      anyOf(requireRole('a'), requireRole('b')).evaluate(context(), request).scope,
    ).toBeUndefined()
  })

  it('not() inverts', () => {
    expect(not(requireRole('suspended')).evaluate(context(), request).allowed).toBe(true)
    expect(not(requireRole('editor')).evaluate(context(), request)).toEqual({
      allowed: false,
      guard: 'not(requireRole(editor))',
      reason: 'requireRole(editor) allowed',
    })
  })

  it('nest and describe themselves as plain data', () => {
    const guard = anyOf(
      allOf(requireScope('a'), not(requireRole('b'))),
      requireClaim('tenant', 'acme'),
    )
    expect(JSON.parse(JSON.stringify(guard.descriptor))).toEqual({
      name: 'anyOf',
      args: [
        {
          name: 'allOf',
          args: [
            { name: 'requireScope', args: ['a'] },
            { name: 'not', args: [{ name: 'requireRole', args: ['b'] }] },
          ],
        },
        { name: 'requireClaim', args: ['tenant', 'acme'] },
      ],
    })
  })

  it('throw at startup without guards or with non-guards', () => {
    expect(() => allOf()).toThrow('allOf() needs at least one guard')
    expect(() => anyOf({} as never)).toThrow('anyOf() accepts only guards')
    expect(() => not(null as never)).toThrow(ConfigurationError)
  })
})

describe('combinators with guards that carry no missing list', () => {
  it('anyOf() over not() denials still explains itself', () => {
    const decision = anyOf(not(requireRole('editor')), not(requireScope('orders:read'))).evaluate(
      context(),
      request,
    )
    expect(decision).toMatchObject({ allowed: false, missing: [] })
    expect(decision.reason).toBe(
      'no guard allowed: requireRole(editor) allowed; requireScope(orders:read) allowed',
    )
  })
})

describe('requirePermission(), requireGroup() and their any- forms', () => {
  it('check permissions and groups, apart from scopes and roles', () => {
    expect(requirePermission('read:reports').evaluate(context(), request).allowed).toBe(true)
    expect(requirePermission('orders:read').evaluate(context(), request)).toMatchObject({
      allowed: false,
      reason: 'token lacks permission orders:read',
    })
    expect(requireAnyPermission('x', 'read:reports').evaluate(context(), request).allowed).toBe(
      true,
    )
    expect(requireGroup('staff').evaluate(context(), request).allowed).toBe(true)
    expect(requireAnyGroup('admins').evaluate(context(), request)).toMatchObject({
      allowed: false,
      reason: 'token lacks group admins',
    })
  })
})

describe('requireTenant() and requireClaimMatches()', () => {
  const at = (extra: Partial<AuthRequest>): AuthRequest => ({
    method: 'GET',
    headers: {},
    ...extra,
  })

  it('requireTenant() compares the token tenant with a route parameter, header, query or subdomain', () => {
    expect(
      requireTenant({ param: 'tenantId' }).evaluate(context(), at({ params: { tenantId: 'acme' } }))
        .allowed,
    ).toBe(true)
    expect(
      requireTenant({ param: 'tenantId' }).evaluate(
        context(),
        at({ params: { tenantId: 'globex' } }),
      ),
    ).toEqual({
      allowed: false,
      guard: 'requireTenant(param:tenantId)',
      reason: 'tenant does not match the request',
      missing: ['tenant'],
    })
    expect(
      requireTenant({ header: 'X-Tenant' }).evaluate(
        context(),
        at({ headers: { 'x-tenant': 'acme' } }),
      ).allowed,
    ).toBe(true)
    expect(
      requireTenant({ query: 't' }).evaluate(context(), at({ query: { t: 'acme' } })).allowed,
    ).toBe(true)
    expect(
      requireTenant({ host: 'subdomain' }).evaluate(
        context(),
        at({ headers: { host: 'acme.api.example.com:8443' } }),
      ).allowed,
    ).toBe(true)
    expect(
      requireTenant({ host: 'subdomain' }).evaluate(
        context(),
        at({ headers: { host: 'localhost' } }),
      ).allowed,
    ).toBe(false)
    expect(
      requireTenant((req) => req.method.toLowerCase()).evaluate(context({ tenant: 'get' }), at({}))
        .allowed,
    ).toBe(true)
  })

  it('never matches when either side is missing', () => {
    expect(
      requireTenant({ param: 'tenantId' }).evaluate(
        context({ tenant: undefined }),
        at({ params: {} }),
      ).allowed,
    ).toBe(false)
    expect(requireTenant({ param: 'tenantId' }).evaluate(context(), at({})).allowed).toBe(false)
    expect(
      requireTenant({ header: 'x-tenant' }).evaluate(
        context(),
        at({ headers: { 'x-tenant': ['acme', 'acme'] } }),
      ).allowed,
    ).toBe(false)
  })

  it('requireClaimMatches() checks ownership, comparing numbers as strings', () => {
    const owner = requireClaimMatches('sub', { param: 'userId' })
    expect(owner.evaluate(context(), at({ params: { userId: 'user-1' } })).allowed).toBe(true)
    expect(owner.evaluate(context(), at({ params: { userId: 'user-2' } })).reason).toBe(
      'claim sub does not match the request',
    )
    expect(
      requireClaimMatches('level', { param: 'n' }).evaluate(context(), at({ params: { n: '3' } }))
        .allowed,
    ).toBe(true)
    expect(
      requireClaimMatches('groups', { param: 'n' }).evaluate(context(), at({ params: { n: 'a' } }))
        .allowed,
    ).toBe(false)
    expect(owner.descriptor).toEqual({
      name: 'requireClaimMatches',
      args: ['sub', { param: 'userId' }],
    })
    expect(
      requireTenant(function fromPath() {
        return undefined
      }).descriptor,
    ).toEqual({ name: 'requireTenant', args: ['fromPath()'] })
  })

  it('throws at startup on a bad request value or claim', () => {
    expect(() => requireTenant({} as never)).toThrow(
      "requireTenant() needs { param }, { header }, { query }, { host: 'subdomain' } or a function",
    )
    expect(() => requireTenant({ param: '' })).toThrow(ConfigurationError)
    expect(() => requireTenant({ host: 'apex' } as never)).toThrow(ConfigurationError)
    expect(() => requireTenant({ param: 'a', header: 'b' } as never)).toThrow(ConfigurationError)
    expect(() => requireTenant(null as never)).toThrow(ConfigurationError)
    expect(() => requireClaimMatches('', { param: 'x' })).toThrow(ConfigurationError)
  })
})
