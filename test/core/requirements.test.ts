import { describe, expect, it } from 'vitest'
import { ConfigurationError, guardFor, type AuthRequest } from 'oidc-guard'
import { authContext } from '../helpers/context.js'

const auth = authContext({ scopes: ['orders:read'], claims: { department: 'sales', level: 2 } })
const request: AuthRequest = { method: 'GET', headers: {} }

describe('guardFor()', () => {
  it('turns each key into its guard and combines keys with AND', () => {
    const guard = guardFor({
      scope: 'orders:read',
      anyRole: ['admin', 'editor'],
      claims: { department: 'sales', level: [1, 2] },
    })
    expect(guard.description).toBe(
      'allOf(requireScope(orders:read), requireAnyRole(admin, editor), requireClaim(department, "sales"), requireClaim(level, [1, 2]))',
    )
    expect(guard.evaluate(auth, request).allowed).toBe(true)
    expect(
      guardFor({ scope: ['orders:read', 'orders:write'] }).evaluate(auth, request).allowed,
    ).toBe(false)
  })

  it('a single key is its guard, without a wrapper', () => {
    expect(guardFor({ role: 'editor' }).description).toBe('requireRole(editor)')
    expect(guardFor({ anyScope: ['a', 'orders:read'] }).description).toBe(
      'requireAnyScope(a, orders:read)',
    )
  })

  it('covers permissions, groups, tenant and ownership as data', () => {
    const guard = guardFor({
      permission: 'read:reports',
      anyPermission: ['x', 'read:reports'],
      group: 'staff',
      anyGroup: ['staff', 'y'],
      tenant: { param: 'tenantId' },
      claimMatches: { sub: { param: 'userId' } },
    })
    const req: AuthRequest = {
      method: 'GET',
      headers: {},
      params: { tenantId: 'acme', userId: 'user-1' },
    }
    expect(guard.evaluate(authContext(), req).allowed).toBe(true)
    expect(
      guard.evaluate(authContext(), { ...req, params: { tenantId: 'globex', userId: 'user-1' } })
        .reason,
    ).toContain('tenant does not match')
    expect(() => guardFor({ tenant: { cookie: 'x' } } as never)).toThrow(
      '"tenant.cookie": unknown option; expected one of "param", "header", "query", "host"',
    )
  })

  it('nests allOf, anyOf and not', () => {
    const guard = guardFor({
      anyOf: [
        { role: 'admin' },
        { allOf: [{ scope: 'orders:read' }, { not: { role: 'suspended' } }] },
      ],
    })
    expect(guard.description).toBe(
      'anyOf(requireRole(admin), allOf(requireScope(orders:read), not(requireRole(suspended))))',
    )
    expect(guard.evaluate(auth, request).allowed).toBe(true)
    expect(guard.evaluate({ ...auth, roles: ['suspended'] }, request).allowed).toBe(false)
  })

  it('rejects unknown keys, empty requirements and empty values at startup, naming the field', () => {
    const message = (input: unknown) => {
      try {
        guardFor(input as never)
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError)
        return (error as Error).message
      }
      throw new Error('expected a ConfigurationError')
    }
    expect(message({ scopes: 'x' })).toContain('"scopes": unknown option')
    expect(message({})).toContain('Expected at least one requirement')
    expect(message({ role: [] })).toContain('"role"')
    expect(message({ anyOf: [] })).toContain('"anyOf"')
    expect(message({ not: { roles: 'x' } })).toContain('"not.roles": unknown option')
    expect(message({ claims: { level: {} } })).toContain('"claims.level"')
    expect(() => guardFor({ scope: '' })).toThrow(ConfigurationError)
  })
})
