import { DESCRIPTIONS } from '../errors/reasons.js'
import type { JWTPayload } from 'jose'
import type { MappedClaims } from '../claims/claim-mapping.js'
import { InvalidTokenError } from '../errors/errors.js'

/**
 * Claims your tokens carry beyond the registered ones. Augment it once and every `auth.claims`
 * in every adapter is typed:
 *
 * @example
 * declare module 'oidc-guard' {
 *   interface CustomClaims { tenant_id: string }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CustomClaims {}

/** The verified claims set: registered JWT claims plus your `CustomClaims`. */
export type TokenClaims = JWTPayload & CustomClaims & Record<string, unknown>

/** What a verified request carries: `req.auth`, `ctx.state.auth`, `request.auth`. */
export interface AuthContext {
  /** The raw access token, for forwarding downstream. */
  readonly token: string
  /** `sub`, or undefined when the token has none (possible outside the strict profile). */
  readonly subject: string | undefined
  /** `iss`, equal to the configured issuer. */
  readonly issuer: string
  /** `aud`, always as a list. */
  readonly audience: readonly string[]
  /** The client the token was issued to: `client_id` (RFC 9068) or `azp`, per the claim mapping. */
  readonly clientId: string | undefined
  /** Scopes granted (`scope` space-delimited, or `scp` string or list, per the claim mapping). */
  readonly scopes: readonly string[]
  /** Roles (`roles` by default; per preset, e.g. Keycloak `realm_access.roles`). */
  readonly roles: readonly string[]
  /** Groups (`groups`; Cognito `cognito:groups`). */
  readonly groups: readonly string[]
  /** Fine-grained permissions (Auth0 RBAC `permissions`), kept apart from scopes. */
  readonly permissions: readonly string[]
  /** The tenant (Entra `tid`, Auth0 `org_id`, Google `hd`, or the issuer template's tenant). */
  readonly tenant: string | undefined
  readonly email: string | undefined
  /** `email_verified`, when the token says. */
  readonly emailVerified: boolean | undefined
  readonly name: string | undefined
  /** `exp`, in seconds since the epoch. */
  readonly expiresAt: number
  /** The whole verified claims set. */
  readonly claims: Readonly<TokenClaims>
  /** What the `permissions` resolver returned as `attributes` (your user store's data). */
  readonly attributes?: Readonly<Record<string, unknown>>
}

const STRING_CLAIMS = ['iss', 'sub', 'jti', 'client_id', 'azp'] as const

// The claims are the token's own JSON, frozen all the way down: the context is cached and shared
// by every request carrying the token, so an edit made while serving one request (say to a
// nested `org.tier`) must not reach the guards of the next. Once per verified token. A value
// already frozen is not walked again, so a cycle (JSON has none) cannot loop.
function freezeDeep<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) freezeDeep(member)
  }
  return value
}

/**
 * Builds the AuthContext once per verified token: scopes, roles and the rest are mapped here,
 * never per guard. Registered claims of the wrong type make the token invalid rather than
 * being ignored.
 */
export function buildAuthContext(
  token: string,
  claims: TokenClaims,
  mapped: MappedClaims,
  realm: string,
): AuthContext {
  for (const name of STRING_CLAIMS) {
    const value = claims[name]
    if (value !== undefined && typeof value !== 'string') {
      throw new InvalidTokenError(DESCRIPTIONS.claimType(name), { realm })
    }
  }
  const aud = claims.aud
  return Object.freeze({
    token,
    subject: claims.sub,
    issuer: claims.iss as string,
    audience: Object.freeze(typeof aud === 'string' ? [aud] : Array.isArray(aud) ? [...aud] : []),
    clientId: mapped.clientId,
    scopes: Object.freeze(mapped.scopes),
    roles: Object.freeze(mapped.roles),
    groups: Object.freeze(mapped.groups),
    permissions: Object.freeze(mapped.permissions),
    tenant: mapped.tenant,
    email: mapped.email,
    emailVerified: mapped.emailVerified,
    name: mapped.name,
    expiresAt: claims.exp as number,
    claims: freezeDeep(claims),
  })
}
