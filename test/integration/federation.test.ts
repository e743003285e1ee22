import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthenticateOptions } from 'oidc-guard'
import {
  DEFAULT_CLIENTS,
  RESOURCE,
  startProvider,
  type TestClient,
  type TestProvider,
} from '../helpers/provider.js'
import {
  buildApp,
  FRAMEWORK_NAMES,
  type RouteSpec,
  type RunningApp,
} from '../helpers/route-apps.js'

// Clients whose tokens oidc-provider shapes like each provider's (through extra token claims).
const PRESET_CLIENTS: TestClient[] = [
  ...DEFAULT_CLIENTS,
  {
    clientId: 'keycloak-client',
    scopes: 'orders:read',
    extraClaims: {
      azp: 'orders-web',
      realm_access: { roles: ['staff'] },
      resource_access: { 'orders-api': { roles: ['admin'] } },
    },
  },
  {
    clientId: 'auth0-client',
    scopes: 'orders:read',
    extraClaims: {
      permissions: ['read:orders', 'delete:orders'],
      'https://example.com/roles': ['admin'],
      org_id: 'org_42',
    },
  },
  {
    clientId: 'okta-client',
    scopes: 'orders:read',
    extraClaims: { scp: ['orders:read', 'profile'], groups: ['Sales'], cid: '0oa-okta' },
  },
  {
    clientId: 'entra-client',
    scopes: 'orders:read',
    extraClaims: {
      scp: 'Orders.Read Orders.Write',
      tid: 'tid-123',
      appid: 'app-9',
      azp: undefined,
    },
  },
  {
    clientId: 'cognito-client',
    scopes: 'orders:read',
    extraClaims: { 'cognito:groups': ['admins'], token_use: 'access' },
  },
  { clientId: 'cognito-id', scopes: 'orders:read', extraClaims: { token_use: 'id' } },
  {
    clientId: 'google-client',
    scopes: 'orders:read',
    extraClaims: { email: 'ada@acme.example', email_verified: true, hd: 'acme.example' },
  },
]

let a: TestProvider
let b: TestProvider
let stranger: TestProvider
let tenants: TestProvider
const B_AUDIENCE = 'https://b.example.com'

beforeAll(async () => {
  ;[a, b, stranger, tenants] = await Promise.all([
    startProvider({ clients: PRESET_CLIENTS }),
    startProvider(),
    startProvider(),
    startProvider({ tenants: ['acme', 'globex'] }),
  ])
})
afterAll(async () => {
  await Promise.all([a, b, stranger, tenants].map((provider) => provider.close()))
})

const preset = (claims: AuthenticateOptions['claims'], audience = RESOURCE): AuthenticateOptions =>
  ({ issuer: a.issuer, audience, claims }) as AuthenticateOptions

function routes(): RouteSpec[] {
  const multi = {
    issuers: [
      { issuer: a.issuer, audience: RESOURCE },
      { issuer: b.issuer, audience: B_AUDIENCE, claims: 'okta' as const },
    ],
  }
  const template = {
    issuer: tenants.issuer.replace('/realms/acme', '/realms/{tenant}'),
    audience: RESOURCE,
    tenants: ['acme', 'globex'],
    claims: 'keycloak' as const,
  }
  return [
    { path: '/multi', options: multi },
    {
      path: '/tenants/:tenantId/orders',
      options: template,
      guards: (g) => [g.requireTenant({ param: 'tenantId' })],
    },
    {
      path: '/tenants/:tenantId/declared',
      options: template,
      guards: (g) => [g.guard({ tenant: { param: 'tenantId' }, scope: 'orders:read' })],
    },
    {
      path: '/users/:userId',
      options: multi,
      guards: (g) => [g.requireClaimMatches('sub', { param: 'userId' })],
    },
    {
      path: '/presets/keycloak',
      options: preset({ preset: 'keycloak', clientRoles: 'orders-api' }),
      guards: (g) => [g.requireRole('admin')],
    },
    {
      path: '/presets/auth0',
      options: preset({ preset: 'auth0', namespace: 'https://example.com/' }),
      guards: (g) => [g.requirePermission('read:orders')],
    },
    {
      path: '/presets/auth0-delete-all',
      options: preset('auth0'),
      guards: (g) => [g.requirePermission('delete:all')],
    },
    { path: '/presets/okta', options: preset('okta'), guards: (g) => [g.requireGroup('Sales')] },
    {
      path: '/presets/entra',
      options: preset('entra'),
      guards: (g) => [g.requireScope('Orders.Write')],
    },
    {
      path: '/presets/cognito',
      options: preset('cognito', 'cognito-client'),
      guards: (g) => [g.requireRole('admins')],
    },
    { path: '/presets/cognito-id', options: preset('cognito', 'cognito-id') },
    {
      path: '/presets/google',
      options: preset('google'),
      guards: (g) => [g.requireClaim('email_verified', true)],
    },
  ]
}

describe.each(FRAMEWORK_NAMES)('federation on %s', (framework) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await buildApp(framework, routes())
  })
  afterAll(() => app.close())

  const get = (path: string, token?: string) => {
    const call = request(app.server).get(path)
    return token ? call.set('Authorization', `Bearer ${token}`) : call
  }

  it('accepts tokens of both configured issuers, each mapped by its own preset', async () => {
    const fromA = await get('/multi', await a.token('writer'))
    expect(fromA.status).toBe(200)
    expect(fromA.body).toMatchObject({
      issuer: a.issuer,
      scopes: ['orders:read', 'orders:write'],
      tenant: 'acme',
    })
    const fromB = await get('/multi', await b.token('reader', undefined, B_AUDIENCE))
    expect(fromB.status).toBe(200)
    expect(fromB.body).toMatchObject({ issuer: b.issuer, clientId: 'reader' })
  })

  it("refuses issuer B's token made out to issuer A's audience (cross-issuer replay)", async () => {
    const response = await get('/multi', await b.token('reader'))
    expect(response.status).toBe(401)
    expect(response.body.error_description).toBe('The access token is not meant for this audience')
  })

  it('refuses a token of an issuer that is not configured', async () => {
    const response = await get('/multi', await stranger.token('reader'))
    expect(response.status).toBe(401)
    expect(response.body.error_description).toBe('The access token was issued by another issuer')
  })

  it('isolates tenants: a tenant reaches its own routes only', async () => {
    const acme = await tenants.token('reader', undefined, RESOURCE, 'acme')
    const own = await get('/tenants/acme/orders', acme)
    expect(own.status).toBe(200)
    expect(own.body).toMatchObject({ tenant: 'acme', issuer: tenants.issuerFor('acme') })
    const other = await get('/tenants/globex/orders', acme)
    expect(other.status).toBe(403)
    expect(other.headers['www-authenticate']).toContain('error="insufficient_scope"')
    expect((await get('/tenants/globex/declared', acme)).status).toBe(403)
    expect((await get('/tenants/acme/declared', acme)).status).toBe(200)
    const globex = await tenants.token('reader', undefined, RESOURCE, 'globex')
    expect((await get('/tenants/globex/orders', globex)).body).toMatchObject({ tenant: 'globex' })
  })

  it('checks ownership with requireClaimMatches', async () => {
    const token = await a.token('reader')
    expect((await get('/users/reader', token)).status).toBe(200)
    expect((await get('/users/writer', token)).status).toBe(403)
  })

  it.each([
    [
      'keycloak',
      'keycloak-client',
      { roles: ['staff', 'admin'], clientId: 'orders-web', scopes: ['orders:read'] },
    ],
    [
      'auth0',
      'auth0-client',
      {
        permissions: ['read:orders', 'delete:orders'],
        roles: ['admin'],
        tenant: 'org_42',
        scopes: ['orders:read'],
      },
    ],
    [
      'okta',
      'okta-client',
      { scopes: ['orders:read', 'profile'], groups: ['Sales'], clientId: '0oa-okta' },
    ],
    [
      'entra',
      'entra-client',
      { scopes: ['Orders.Read', 'Orders.Write'], tenant: 'tid-123', clientId: 'app-9' },
    ],
    [
      'cognito',
      'cognito-client',
      { roles: ['admins'], groups: ['admins'], clientId: 'cognito-client' },
    ],
    [
      'google',
      'google-client',
      { email: 'ada@acme.example', emailVerified: true, tenant: 'acme.example' },
    ],
  ])('maps %s-shaped tokens from the real provider', async (name, client, expected) => {
    const response = await get(`/presets/${name}`, await a.token(client))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject(expected)
  })

  it('denies by the mapped model: a permission the Auth0 token lacks, a Cognito ID token', async () => {
    expect((await get('/presets/auth0-delete-all', await a.token('auth0-client'))).status).toBe(403)
    const idToken = await get('/presets/cognito-id', await a.token('cognito-id'))
    expect(idToken.status).toBe(401)
    expect(idToken.body.error_description).toBe('The token is not an access token')
  })
})

describe('federation under partial outage', () => {
  it("one issuer's JWKS down does not affect the other", async () => {
    const app = await buildApp('express', [
      {
        path: '/multi',
        options: {
          issuers: [
            { issuer: a.issuer, audience: RESOURCE },
            { issuer: b.issuer, audience: B_AUDIENCE },
          ],
        },
      },
    ])
    try {
      b.setJwksAvailable(false)
      await request(app.server)
        .get('/multi')
        .set('Authorization', `Bearer ${await a.token('reader')}`)
        .expect(200)
      const down = await request(app.server)
        .get('/multi')
        .set('Authorization', `Bearer ${await b.token('reader', undefined, B_AUDIENCE)}`)
      expect(down.status).toBe(503)
      await request(app.server)
        .get('/multi')
        .set('Authorization', `Bearer ${await a.token('writer')}`)
        .expect(200)
    } finally {
      b.setJwksAvailable(true)
      await app.close()
    }
  })
})
