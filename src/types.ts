import type { JWTPayload } from 'jose'

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
}

/** Header values as Node gives them. */
export type HeaderValue = string | string[] | undefined

/**
 * The parts of an HTTP request the core reads. Every framework's request object already has
 * this shape or is mapped to it by its adapter; the core never imports a framework.
 */
export interface AuthRequest {
  readonly method: string
  /** The path, for decision events only. */
  readonly path?: string
  readonly headers: Readonly<Record<string, HeaderValue>>
  /**
   * Node's `rawHeaders`. Node keeps only the first of duplicated `Authorization` headers in
   * `headers`; the raw list lets us refuse a request that sends two (RFC 6750 §2).
   */
  readonly rawHeaders?: readonly string[]
  /** Parsed query string; read only when `tokenLocations` includes `query`. */
  readonly query?: unknown
  /** Parsed form body; read only when `tokenLocations` includes `body`. */
  readonly body?: unknown
  /** Route parameters, for guards that compare them with claims. */
  readonly params?: unknown
}
