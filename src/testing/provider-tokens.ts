/** What a test token grants; any other member is put into the token as a claim. */
export interface TokenInput {
  /** Granted scopes: a list, or a space-delimited string (RFC 9068 §2.2.3). Default: none. */
  scope?: string | readonly string[]
  /** Roles, in the claim the provider uses for them. Default: none. */
  roles?: readonly string[]
  /** Any claim; `undefined` removes one the kit would set (e.g. `{ sub: undefined }`). */
  [claim: string]: unknown
}

/** The issuer a provider-shaped token is minted for. */
export interface TokenContext {
  readonly issuer: string
  readonly audience: string
  readonly clientId: string
  readonly subject: string
}

/** A provider's token shape: the `typ` header it sends and the claims it puts in. */
export interface TokenShape {
  readonly typ: string
  readonly claims: Record<string, unknown>
}

/** The provider shapes the kit mints, keyed like the `claims` presets that read them. */
export type ProviderName = 'keycloak' | 'entra' | 'auth0' | 'okta' | 'cognito'

const scopeList = (scope: TokenInput['scope']): string[] | undefined =>
  scope === undefined
    ? undefined
    : typeof scope === 'string'
      ? scope.split(' ').filter(Boolean)
      : [...scope]

const scopeString = (scope: TokenInput['scope']): string | undefined => scopeList(scope)?.join(' ')

/**
 * An RFC 9068 access token's claims (§2.2): `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`,
 * `jti`, and `scope` when scopes are granted. Lifetime five minutes.
 */
export function genericShape(input: TokenInput, context: TokenContext): TokenShape {
  const { scope, roles, ...claims } = input
  return {
    typ: 'at+jwt',
    claims: {
      aud: context.audience,
      sub: context.subject,
      client_id: context.clientId,
      scope: scopeString(scope),
      roles: roles === undefined ? undefined : [...roles],
      ...claims,
    },
  }
}

// Shapes as each provider documents its access tokens; only what the presets read, plus the
// claims that make a token recognisable in a debugger.
const SHAPES: Record<ProviderName, (input: TokenInput, context: TokenContext) => TokenShape> = {
  // Keycloak: realm roles under realm_access, the client in azp, `typ: Bearer` in the payload.
  keycloak: ({ scope, roles, ...claims }, context) => ({
    typ: 'JWT',
    claims: {
      aud: context.audience,
      sub: context.subject,
      typ: 'Bearer',
      azp: context.clientId,
      scope: scopeString(scope),
      realm_access: { roles: [...(roles ?? [])] },
      preferred_username: context.subject,
      ...claims,
    },
  }),
  // Entra ID v2: delegated scopes in `scp` (a string), app roles in `roles`, tenant in `tid`.
  entra: ({ scope, roles, ...claims }, context) => ({
    typ: 'JWT',
    claims: {
      aud: context.audience,
      sub: context.subject,
      oid: context.subject,
      tid: '00000000-0000-0000-0000-000000000001',
      azp: context.clientId,
      ver: '2.0',
      scp: scopeString(scope),
      roles: roles === undefined ? undefined : [...roles],
      ...claims,
    },
  }),
  // Auth0 with RBAC: granted scopes in `scope`, API permissions in `permissions`.
  auth0: ({ scope, roles, ...claims }, context) => ({
    typ: 'JWT',
    claims: {
      aud: context.audience,
      sub: `auth0|${context.subject}`,
      azp: context.clientId,
      scope: scopeString(scope),
      permissions: scopeList(scope) ?? [],
      roles: roles === undefined ? undefined : [...roles],
      ...claims,
    },
  }),
  // Okta: `scp` as a list, the client in `cid`, `ver: 1`.
  okta: ({ scope, roles, ...claims }, context) => ({
    typ: 'JWT',
    claims: {
      aud: context.audience,
      sub: context.subject,
      ver: 1,
      cid: context.clientId,
      uid: context.subject,
      scp: scopeList(scope),
      roles: roles === undefined ? undefined : [...roles],
      ...claims,
    },
  }),
  // Cognito: no `aud`; the app client in `client_id` is the audience; groups are the roles.
  cognito: ({ scope, roles, ...claims }, context) => ({
    typ: 'JWT',
    claims: {
      sub: context.subject,
      client_id: context.audience,
      token_use: 'access',
      username: context.subject,
      scope: scopeString(scope),
      'cognito:groups': roles === undefined ? undefined : [...roles],
      ...claims,
    },
  }),
}

export function providerShape(
  provider: ProviderName,
  input: TokenInput,
  context: TokenContext,
): TokenShape {
  return SHAPES[provider](input, context)
}

export const PROVIDER_NAMES = Object.keys(SHAPES) as ProviderName[]
