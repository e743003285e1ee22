import type { JWK } from 'jose'
import { z } from 'zod'

/** How the API authenticates to the introspection endpoint (RFC 7662 §2.1, OIDC Core §9). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'

/**
 * RFC 7662 token introspection for one issuer: opaque access tokens (any token that is not a
 * JWS) are sent to the issuer's introspection endpoint, and the answer is checked like a JWT
 * (`active`, `iss`, `aud`, `exp`, `nbf`, the required claims) before it becomes the same
 * `AuthContext`.
 * @example
 * introspection: { clientId: 'orders-api', clientSecret: process.env.INTROSPECTION_SECRET }
 * @see https://www.rfc-editor.org/rfc/rfc7662 RFC 7662, and RFC 9701 for `jwtResponse`
 */
export interface IntrospectionOptions {
  /** The endpoint URL. Default: the discovery document's `introspection_endpoint`. */
  endpoint?: string | undefined
  /** This API's client id at the provider. */
  clientId: string
  /** Needed by `client_secret_basic` and `client_secret_post`. */
  clientSecret?: string | undefined
  /** A private JWK (with `alg`, default RS256) for `private_key_jwt`. */
  privateKey?: JWK | undefined
  /** Default `client_secret_basic`, or `private_key_jwt` when `privateKey` is given. */
  clientAuthMethod?: ClientAuthMethod | undefined
  /** Sent as `token_type_hint` (RFC 7662 §2.1); `false` sends none. Default `access_token`. */
  tokenTypeHint?: string | false | undefined
  /**
   * `opaque` (default): only tokens that are not JWTs are introspected. `all`: JWTs are also
   * introspected after local verification, an online check that sees revocations at the
   * provider (for APIs that want it: give those routes their own `authenticate()`).
   */
  tokens?: 'opaque' | 'all' | undefined
  /**
   * With `tokens: 'all'`: when the endpoint cannot answer, accept a JWT that passed local
   * verification (only the online check is skipped, and retried after `negativeCacheTtl`)
   * instead of refusing it with 503. Opaque tokens always fail closed: without an answer there
   * are no claims to trust. Per route: give those routes their own `authenticate()`.
   * Default false (fail closed).
   */
  failOpen?: boolean | undefined
  /**
   * Longest reuse of an `active` answer, in milliseconds (never past `exp`): the delay before a
   * revocation at the provider is seen. Default 60000.
   */
  cacheMaxAge?: number | undefined
  /** How long an inactive or invalid answer is remembered, in milliseconds. Default 5000. */
  negativeCacheTtl?: number | undefined
  /** Inactive tokens remembered, in entries. Default 10000. */
  negativeCacheSize?: number | undefined
  /** Ask for, and require, a signed JWT answer (RFC 9701), verified with the issuer's keys. Default false. */
  jwtResponse?: boolean | undefined
}

const url = z.string().refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
  message: 'Expected an http(s) URL',
})

/** @internal The zod fragment of an issuer's `introspection` option. */
export const introspectionOptionSchema = z
  .strictObject({
    endpoint: url.optional(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    privateKey: z
      .custom<JWK>(
        (value) => typeof value === 'object' && value !== null && 'd' in value,
        'Expected a private JWK',
      )
      .optional(),
    clientAuthMethod: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
      .optional(),
    tokenTypeHint: z.union([z.string().min(1), z.literal(false)]).optional(),
    tokens: z.enum(['opaque', 'all']).optional(),
    failOpen: z.boolean().optional(),
    cacheMaxAge: z.number().int().nonnegative().optional(),
    negativeCacheTtl: z.number().int().nonnegative().optional(),
    negativeCacheSize: z.number().int().positive().optional(),
    jwtResponse: z.boolean().optional(),
  })
  .superRefine((options, ctx) => {
    const method =
      options.clientAuthMethod ?? (options.privateKey ? 'private_key_jwt' : 'client_secret_basic')
    if (method === 'private_key_jwt' && options.privateKey === undefined)
      ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'private_key_jwt needs it' })
    if (method !== 'private_key_jwt' && options.clientSecret === undefined)
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: `${method} needs it` })
    if (options.failOpen === true && options.tokens !== 'all')
      ctx.addIssue({
        code: 'custom',
        path: ['failOpen'],
        message: 'Only with tokens: "all" (an opaque token cannot be accepted unanswered)',
      })
  })

/** The per-issuer option group of RFC 7662 introspection. */
export interface IntrospectionGroup {
  /**
   * RFC 7662 introspection of this issuer's opaque tokens (and, with `tokens: 'all'`, of its
   * JWTs too). Not for issuer templates. Default: none (a token that is not a JWS is refused).
   * @see https://www.rfc-editor.org/rfc/rfc7662
   */
  introspection?: IntrospectionOptions | undefined
}

/** The zod fragment of {@link IntrospectionGroup}, spread into each issuer's schema. */
export const introspectionFields = { introspection: introspectionOptionSchema.optional() }
