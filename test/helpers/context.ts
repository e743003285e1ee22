import type { AuthContext } from 'oidc-guard'

/** An AuthContext for guard unit tests, overridable field by field. */
export function authContext(
  overrides: Partial<AuthContext> = {},
  claims: Record<string, unknown> = {},
): AuthContext {
  return {
    token: 't',
    subject: 'user-1',
    issuer: 'https://idp',
    audience: ['api'],
    clientId: 'c',
    scopes: ['orders:read', 'orders:write'],
    roles: ['editor'],
    groups: ['staff'],
    permissions: ['read:reports'],
    tenant: 'acme',
    email: undefined,
    emailVerified: undefined,
    name: undefined,
    expiresAt: 0,
    claims: {
      sub: 'user-1',
      tenant: 'acme',
      groups: ['a', 'b'],
      level: 3,
      realm_access: { roles: ['x'] },
      ...claims,
    },
    ...overrides,
  }
}
