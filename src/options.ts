import { z } from 'zod'
import type { DecisionEvent } from './events.js'
import { ConfigurationError } from './errors.js'

/** Asymmetric JWS algorithms accepted by default (RFC 8725 §3.1: an explicit allowlist). */
export const ASYMMETRIC_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const)

/** Symmetric algorithms; usable only with a configured `secret`. */
export const SYMMETRIC_ALGORITHMS = Object.freeze(['HS256', 'HS384', 'HS512'] as const)

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]
export type SymmetricAlgorithm = (typeof SYMMETRIC_ALGORITHMS)[number]
export type Algorithm = AsymmetricAlgorithm | SymmetricAlgorithm

/** Where a bearer token may be read from (RFC 6750 §2). */
export type TokenLocation = 'header' | 'query' | 'body'

/**
 * Options of `createAuthenticator()` and of every adapter's `authenticate()`.
 * Checked once at startup: a bad or unknown option throws a `ConfigurationError` naming it.
 */
export interface AuthenticateOptions {
  /** Expected `iss`, exactly. Discovery starts from here unless `jwksUri` is given. */
  issuer: string
  /** Expected `aud`; the token must contain at least one of these. Required. */
  audience: string | string[]
  /**
   * The issuer's JWKS URL. Default: discovered from `{issuer}/.well-known/openid-configuration`,
   * falling back to RFC 8414 `/.well-known/oauth-authorization-server`.
   */
  jwksUri?: string
  /** Accepted JWS algorithms. Default: the asymmetric list; with `secret`, HS256/384/512. `none` never. */
  algorithms?: Algorithm[]
  /** Shared secret for HS* tokens, at least 32 bytes (RFC 7518 §3.2). Default: none (HS* refused). */
  secret?: string | Uint8Array
  /** Allowed clock skew, in seconds. Default 5. */
  clockTolerance?: number
  /** Refuse tokens issued (`iat`) more than this many seconds ago. Default: no limit. */
  maxTokenAge?: number
  /** Claims that must be present, beyond `exp` (always required) and the profile's. */
  requiredClaims?: string[]
  /**
   * `default` accepts `typ` `at+jwt`, `application/at+jwt`, `JWT` or none. `strict` follows
   * RFC 9068 to the letter: `typ` must be `at+jwt`, and `sub`, `iat`, `jti`, `client_id` are
   * required. Default `default`.
   */
  profile?: 'default' | 'strict'
  /** Claim (exact name or dot path) holding roles. Default `roles`. */
  rolesClaim?: string
  /** Where tokens are read from. Default `['header']`; `query`/`body` are RFC 6750 §2.2/§2.3 opt-ins. */
  tokenLocations?: TokenLocation[]
  /** When false, a request without a token passes with no auth context. Default true. */
  credentialsRequired?: boolean
  /** `realm` of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string
  /** Longest accepted token, in characters. Default 8192. */
  maxTokenLength?: number
  /** JWKS/discovery fetch timeout, in milliseconds. Default 5000. */
  timeoutDuration?: number
  /** Minimum time between two fetches of the key set, in milliseconds. Default 30000. */
  cooldownDuration?: number
  /** Longest time keys are used before a background refresh, in milliseconds. Default 600000. */
  cacheMaxAge?: number
  /** How long cached keys keep serving while the JWKS endpoint fails, in milliseconds. Default 86400000. */
  maxStaleAge?: number
  /** Largest JWKS or discovery response accepted, in bytes. Default 262144. */
  maxResponseSize?: number
  /** Most keys accepted from one JWKS. Default 100. */
  maxKeys?: number
  /** Verified tokens remembered so a repeat skips the signature check, in entries; 0 disables. Default 10000. */
  tokenCacheSize?: number
  /** Longest a verified token is remembered, in milliseconds (never past its `exp`). Default 300000. */
  tokenCacheMaxAge?: number
  /** The `fetch` used for discovery and JWKS. Default: the global `fetch`. */
  fetch?: typeof fetch
  /** Receives every authentication and guard decision, allowed or not. */
  onDecision?: (event: DecisionEvent) => void
  /**
   * Adapters only: hand errors to the framework's error pipeline (`next(err)`, a thrown error,
   * Fastify's error handler) instead of answering them directly. Default false.
   */
  forwardErrors?: boolean
}

const isFunction = (value: unknown) => typeof value === 'function'
const httpUrl = z.url({ protocol: /^https?$/, error: 'Expected an http(s) URL' })
const positiveInt = z.number().int().positive()
const nonNegativeInt = z.number().int().nonnegative()
const algorithm = z.enum([...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS], {
  error: `Expected one of ${[...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS].join(', ')}`,
})

const optionsSchema = z
  .strictObject({
    issuer: httpUrl,
    audience: z.union([
      z.string().min(1),
      z.array(z.string().min(1)).min(1, 'Expected at least one audience'),
    ]),
    jwksUri: httpUrl.optional(),
    algorithms: z.array(algorithm).min(1, 'Expected at least one algorithm').optional(),
    secret: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
    clockTolerance: z.number().nonnegative().max(300).default(5),
    maxTokenAge: z.number().positive().optional(),
    requiredClaims: z.array(z.string().min(1)).default([]),
    profile: z.enum(['default', 'strict']).default('default'),
    rolesClaim: z.string().min(1).default('roles'),
    tokenLocations: z
      .array(z.enum(['header', 'query', 'body']))
      .min(1)
      .default(['header']),
    credentialsRequired: z.boolean().default(true),
    realm: z.string().min(1).default('api'),
    maxTokenLength: positiveInt.default(8192),
    timeoutDuration: positiveInt.default(5000),
    cooldownDuration: nonNegativeInt.default(30_000),
    cacheMaxAge: positiveInt.default(600_000),
    maxStaleAge: nonNegativeInt.default(86_400_000),
    maxResponseSize: positiveInt.default(262_144),
    maxKeys: positiveInt.default(100),
    tokenCacheSize: nonNegativeInt.default(10_000),
    tokenCacheMaxAge: nonNegativeInt.default(300_000),
    fetch: z.custom<typeof fetch>(isFunction, 'Expected a function').optional(),
    onDecision: z
      .custom<(event: DecisionEvent) => void>(isFunction, 'Expected a function')
      .optional(),
    forwardErrors: z.boolean().default(false),
  })
  .superRefine((options, ctx) => {
    const secretBytes =
      typeof options.secret === 'string'
        ? Buffer.byteLength(options.secret)
        : options.secret?.byteLength
    if (secretBytes !== undefined && secretBytes < 32) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'Expected at least 32 bytes (RFC 7518 §3.2)',
      })
    }
    const symmetric = options.algorithms?.filter((alg) => alg.startsWith('HS')) ?? []
    if (symmetric.length > 0 && options.secret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: `${symmetric.join(', ')} need a configured secret`,
      })
    }
    if (options.profile === 'strict' && options.tokenLocations.includes('query')) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokenLocations'],
        message: 'The strict profile does not allow query tokens (RFC 9068 §5, RFC 6750 §5.3)',
      })
    }
  })

type ParsedOptions = z.output<typeof optionsSchema>

/** Options after validation and defaults: what the core runs on. */
export interface ResolvedAuthenticateOptions
  extends Readonly<Omit<ParsedOptions, 'algorithms' | 'secret' | 'audience' | 'requiredClaims'>> {
  readonly audience: readonly string[]
  readonly algorithms: readonly Algorithm[]
  readonly secret: Uint8Array | undefined
  /** Every claim that must be present: `exp`, the profile's, and `requiredClaims`. */
  readonly requiredClaims: readonly string[]
}

function describePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(options)' : path.map(String).join('.')
}

/** Formats zod issues as one message naming every bad field. */
export function formatIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `${issue.keys.map((key) => `"${key}"`).join(', ')}: unknown option`
      : `"${describePath(issue.path)}": ${issue.message}`,
  )
  return `${prefix}\n  - ${lines.join('\n  - ')}`
}

const STRICT_CLAIMS = ['sub', 'iat', 'jti', 'client_id']

/**
 * Validates options and applies defaults. Throws a `ConfigurationError` naming every bad or
 * unknown field; never called per request.
 */
export function resolveOptions(input: unknown): ResolvedAuthenticateOptions {
  const parsed = optionsSchema.safeParse(input)
  if (!parsed.success) {
    throw new ConfigurationError(formatIssues('Invalid oidc-guard options:', parsed.error.issues))
  }
  const options = parsed.data
  const secret =
    typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret
  const algorithms =
    options.algorithms ?? (secret ? [...SYMMETRIC_ALGORITHMS] : [...ASYMMETRIC_ALGORITHMS])
  const requiredClaims = new Set(['exp', ...options.requiredClaims])
  if (options.profile === 'strict') for (const claim of STRICT_CLAIMS) requiredClaims.add(claim)
  return Object.freeze({
    ...options,
    audience: Object.freeze(typeof options.audience === 'string' ? [options.audience] : [...options.audience]),
    algorithms: Object.freeze(algorithms),
    secret,
    requiredClaims: Object.freeze([...requiredClaims]),
  })
}
