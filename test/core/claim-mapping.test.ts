import { describe, expect, it } from 'vitest'
import type { TokenClaims } from 'oidc-guard'
import { createClaimRules } from '../../src/claims/claim-mapping.js'
import { providerProfile } from '../../src/verify/provider-profiles.js'

// Realistic access-token payloads, as each provider documents them (values shortened).
const KEYCLOAK: TokenClaims = {
  iss: 'https://idp.example.com/realms/acme',
  aud: ['orders-api', 'account'],
  sub: 'f1c3a0e2-7d8e-4b5a-9a43-1b0e2c3d4e5f',
  typ: 'Bearer',
  azp: 'orders-web',
  scope: 'openid profile orders:read',
  realm_access: { roles: ['offline_access', 'uma_authorization', 'staff'] },
  resource_access: { 'orders-api': { roles: ['admin'] }, account: { roles: ['manage-account'] } },
  email: 'ada@acme.example',
  email_verified: true,
  name: 'Ada Lovelace',
  groups: ['/sales'],
}
const AUTH0: TokenClaims = {
  iss: 'https://acme.eu.auth0.com/',
  sub: 'auth0|64f1c0ffee',
  aud: ['https://orders.example.com', 'https://acme.eu.auth0.com/userinfo'],
  azp: 'V1c3...clientid',
  scope: 'openid profile orders:read',
  permissions: ['read:orders', 'delete:orders'],
  org_id: 'org_9a8b7c',
  'https://example.com/roles': ['admin'],
  'https://example.com/email': 'ada@acme.example',
}
const OKTA: TokenClaims = {
  ver: 1,
  jti: 'AT.x',
  iss: 'https://acme.okta.com/oauth2/default',
  aud: 'api://orders',
  cid: '0oa1b2c3d4',
  uid: '00u1a2b3c4',
  scp: ['openid', 'orders:read'],
  sub: 'ada@acme.example',
  groups: ['Everyone', 'Sales'],
}
const ENTRA_DELEGATED: TokenClaims = {
  aud: 'api://orders',
  iss: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
  azp: '5e3ce6c0-2b1f-4285-8d4b-75ee78787346',
  name: 'Ada Lovelace',
  oid: '00000000-0000-0000-66f3-3332eca7ea81',
  scp: 'Orders.Read Orders.Write',
  sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
  tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  ver: '2.0',
}
const ENTRA_APP_V1: TokenClaims = {
  aud: 'api://orders',
  iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
  appid: 'a8b2c1d0-0000-4000-8000-000000000001',
  roles: ['Orders.ReadAll'],
  oid: '11111111-2222-3333-4444-555555555555',
  sub: '11111111-2222-3333-4444-555555555555',
  tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  ver: '1.0',
}
const COGNITO: TokenClaims = {
  sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  'cognito:groups': ['admins', 'sales'],
  iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
  client_id: '1example23456789',
  token_use: 'access',
  scope: 'orders/read aws.cognito.signin.user.admin',
  username: 'ada',
}
const GOOGLE: TokenClaims = {
  iss: 'https://accounts.google.com',
  azp: '1234987819200.apps.googleusercontent.com',
  aud: '1234987819200.apps.googleusercontent.com',
  sub: '10769150350006150715113082367',
  hd: 'acme.example',
  email: 'ada@acme.example',
  email_verified: true,
  name: 'Ada Lovelace',
}

describe('claim presets map each provider into one model', () => {
  it('keycloak: realm roles, client roles (merged or namespaced), scope, azp; no tenant claim', () => {
    // The realm becomes the tenant in the verifier, from the issuer template (never a claim).
    expect(createClaimRules('keycloak').map(KEYCLOAK)).toEqual({
      scopes: ['openid', 'profile', 'orders:read'],
      roles: ['offline_access', 'uma_authorization', 'staff'],
      groups: ['/sales'],
      permissions: [],
      tenant: undefined,
      clientId: 'orders-web',
      email: 'ada@acme.example',
      emailVerified: true,
      name: 'Ada Lovelace',
    })
    expect(
      createClaimRules({ preset: 'keycloak', clientRoles: 'orders-api' }).map(KEYCLOAK).roles,
    ).toEqual(['offline_access', 'uma_authorization', 'staff', 'admin'])
    const namespaced = createClaimRules({
      preset: 'keycloak',
      clientRoles: 'orders-api',
      namespacedClientRoles: true,
    })
    expect(namespaced.map(KEYCLOAK).roles).toContain('orders-api:admin')
    expect(
      createClaimRules({ preset: 'keycloak', clientRoles: 'missing' }).map(KEYCLOAK).roles,
    ).toHaveLength(3)
  })

  it('auth0: permissions kept apart from scopes, namespaced roles, org_id as tenant', () => {
    const mapped = createClaimRules({ preset: 'auth0', namespace: 'https://example.com/' }).map(
      AUTH0,
    )
    expect(mapped).toMatchObject({
      scopes: ['openid', 'profile', 'orders:read'],
      permissions: ['read:orders', 'delete:orders'],
      roles: ['admin'],
      tenant: 'org_9a8b7c',
      clientId: 'V1c3...clientid',
      email: 'ada@acme.example',
    })
    const merged = createClaimRules({ preset: 'auth0', permissionsAsScopes: true }).map(AUTH0)
    expect(merged.scopes).toEqual([
      'openid',
      'profile',
      'orders:read',
      'read:orders',
      'delete:orders',
    ])
    expect(merged.roles).toEqual([])
  })

  it('okta: scp list, groups, cid', () => {
    expect(createClaimRules('okta').map(OKTA)).toMatchObject({
      scopes: ['openid', 'orders:read'],
      groups: ['Everyone', 'Sales'],
      clientId: '0oa1b2c3d4',
      tenant: undefined,
    })
  })

  it('entra: delegated scp as scopes, app roles as roles, tid as tenant, azp or appid', () => {
    expect(createClaimRules('entra').map(ENTRA_DELEGATED)).toMatchObject({
      scopes: ['Orders.Read', 'Orders.Write'],
      roles: [],
      tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      clientId: '5e3ce6c0-2b1f-4285-8d4b-75ee78787346',
      name: 'Ada Lovelace',
    })
    expect(createClaimRules('entra').map(ENTRA_APP_V1)).toMatchObject({
      scopes: [],
      roles: ['Orders.ReadAll'],
      clientId: 'a8b2c1d0-0000-4000-8000-000000000001',
    })
  })

  it('cognito: groups as roles, client_id, audience from client_id, only access tokens', () => {
    const rules = createClaimRules('cognito')
    const profile = providerProfile('cognito')
    expect(profile.audienceFromClientId).toBe(true)
    expect(rules.map(COGNITO)).toMatchObject({
      scopes: ['orders/read', 'aws.cognito.signin.user.admin'],
      roles: ['admins', 'sales'],
      groups: ['admins', 'sales'],
      clientId: '1example23456789',
    })
    expect(profile.tokenKind(COGNITO, undefined)).toBeUndefined()
    expect(profile.tokenKind({ ...COGNITO, token_use: 'id' }, undefined)).toBe(
      'The token is not an access token',
    )
    // Every profile refuses a token that says it is an ID token.
    expect(providerProfile('generic').tokenKind({ token_use: 'id' }, undefined)).toBe(
      'The token is not an access token',
    )
  })

  it('google: email, email_verified, hd as tenant', () => {
    expect(createClaimRules('google').map(GOOGLE)).toMatchObject({
      email: 'ada@acme.example',
      emailVerified: true,
      tenant: 'acme.example',
      clientId: '1234987819200.apps.googleusercontent.com',
    })
    expect(
      createClaimRules('google').map({ ...GOOGLE, email_verified: undefined }).emailVerified,
    ).toBe(false)
  })

  it('generic: scope or scp, roles, groups, permissions, tenant or tid, client_id or azp', () => {
    expect(createClaimRules().map({ scp: 'a b', tid: 't', azp: 'c', roles: 'x y' })).toMatchObject({
      scopes: ['a', 'b'],
      roles: ['x', 'y'],
      tenant: 't',
      clientId: 'c',
      emailVerified: undefined,
    })
  })

  it('custom mappings: claim paths, merged paths and functions; rolesClaim overrides', () => {
    const rules = createClaimRules(
      {
        scopes: 'authz.scopes',
        roles: ['realm_access.roles', 'app_roles'],
        tenant: (claims) => (claims.org as { id?: string } | undefined)?.id,
        email: 'mail',
      },
      undefined,
    )
    expect(
      rules.map({
        authz: { scopes: ['s1'] },
        realm_access: { roles: ['r1'] },
        app_roles: 'r2 r3',
        org: { id: 'o1' },
        mail: 'm@x',
      }),
    ).toMatchObject({ scopes: ['s1'], roles: ['r1', 'r2', 'r3'], tenant: 'o1', email: 'm@x' })
    expect(
      createClaimRules('keycloak', 'custom.roles').map({ custom: { roles: ['z'] } }).roles,
    ).toEqual(['z'])
  })
})
