import { z } from 'zod'
import { CLAIM_PRESETS, type ClaimsOption } from '../claims/claim-mapping.js'
import { ConfigurationError } from '../errors/errors.js'
import type { DecisionEvent } from '../authenticator/decision-event.js'
import type { Instrumentation } from '../authenticator/instrumentation.js'

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

/** What a tenant resolver may return: unknown (`false`), known (`true`), or known with overrides. */
export type TenantResolution = boolean | { audience?: string | string[]; jwksUri?: string }

/** How a token is verified; set per issuer, or once at the top level as every issuer's default. */
export interface VerificationOptions {
  /** Accepted JWS algorithms. Default: the asymmetric list; with `secret`, HS256/384/512. `none` never. */
  algorithms?: Algorithm[]
  /** Allowed clock skew, in seconds. Default 5. */
  clockTolerance?: number
  /** Refuse tokens issued (`iat`) more than this many seconds ago. Default: no limit. */
  maxTokenAge?: number
  /** Refuse tokens whose lifetime (`exp` − `iat`, or `exp` − now) exceeds this, in seconds. Default: no limit. */
  maxTokenLifetime?: number
  /** Claims that must be present, beyond `exp` (always required) and the profile's. */
  requiredClaims?: string[]
  /**
   * `default` accepts `typ` `at+jwt`, `application/at+jwt`, `JWT` or none. `strict` follows
   * RFC 9068 to the letter: `typ` must be `at+jwt`, and `sub`, `iat`, `jti`, `client_id` are
   * required. Default `default`.
   */
  profile?: 'default' | 'strict'
  /** Claim (exact name or dot path) holding roles; overrides the preset's. */
  rolesClaim?: string
  /**
   * How tokens are normalized into scopes, roles, groups, permissions, tenant, clientId, email
   * and name: `'generic'` (default), `'keycloak'`, `'auth0'`, `'okta'`, `'entra'`, `'cognito'`,
   * `'google'`, `{ preset, …settings }`, or a custom mapping of claim paths or functions.
   */
  claims?: ClaimsOption
}

/** One trusted issuer. */
export interface IssuerOptions extends VerificationOptions {
  /**
   * Expected `iss`, exactly. May be a template with one `{tenant}` placeholder, e.g.
   * `https://login.microsoftonline.com/{tenant}/v2.0`; then `tenants` or `resolveTenant` says
   * which tenants exist.
   */
  issuer: string
  /** Expected `aud`; the token must contain at least one of these. */
  audience: string | string[]
  /** The JWKS URL (may contain `{tenant}`). Default: discovered from the issuer. */
  jwksUri?: string
  /** Shared secret for HS* tokens, at least 32 bytes (RFC 7518 §3.2). Default: none (HS* refused). */
  secret?: string | Uint8Array
  /** Known tenants of an issuer template. */
  tenants?: string[]
  /** Decides whether a tenant of an issuer template exists (e.g. from your database). Cached. */
  resolveTenant?: (tenant: string) => TenantResolution | Promise<TenantResolution>
}

/** Settings shared by every issuer: token extraction, key fetching, caches and hooks. */
export interface CommonOptions extends VerificationOptions {
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
  /** Minimum time between two fetches of one key set, in milliseconds. Default 30000. */
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
  /** Tenants of issuer templates whose keys are kept at once, in entries. Default 100. */
  maxTenants?: number
  /** Unknown tenants remembered so a flood of made-up ones costs nothing, in entries. Default 10000. */
  unknownTenantCacheSize?: number
  /** How long an unknown tenant is remembered, in milliseconds. Default 300000. */
  unknownTenantTtl?: number
  /** The `fetch` used for discovery and JWKS. Default: the global `fetch`. */
  fetch?: typeof fetch
  /** Receives every authentication and guard decision, allowed or not. */
  onDecision?: (event: DecisionEvent) => void
  /**
   * Metrics and traces hooks, e.g. `createTelemetry()` from `oidc-guard/otel`. Default: none
   * (no cost). See `Instrumentation`.
   */
  instrumentation?: Instrumentation
  /**
   * Adapters only: hand errors to the framework's error pipeline (`next(err)`, a thrown error,
   * Fastify's error handler) instead of answering them directly. Default false.
   */
  forwardErrors?: boolean
}

/** One issuer, configured at the top level. */
export interface SingleIssuerOptions extends CommonOptions, IssuerOptions {
  issuers?: undefined
}

/** Several issuers; top-level verification settings are each issuer's defaults. */
export interface MultiIssuerOptions extends CommonOptions {
  issuers: IssuerOptions[]
  issuer?: undefined
  audience?: undefined
}

/**
 * Options of `createAuthenticator()` and of every adapter's `authenticate()`.
 * Checked once at startup: a bad or unknown option throws a `ConfigurationError` naming it.
 */
export type AuthenticateOptions = SingleIssuerOptions | MultiIssuerOptions

const isFunction = (value: unknown) => typeof value === 'function'
const fn = <T>() => z.custom<T>(isFunction, 'Expected a function')
const httpUrl = z
  .string()
  .refine(
    (value) => /^https?:\/\//.test(value) && URL.canParse(value.replaceAll('{tenant}', 'tenant')),
    'Expected an http(s) URL',
  )
const positiveInt = z.number().int().positive()
const nonNegativeInt = z.number().int().nonnegative()
const algorithm = z.enum([...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS], {
  error: `Expected one of ${[...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS].join(', ')}`,
})
const audience = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1, 'Expected at least one audience'),
])
const claimSource = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
  fn<() => unknown>(),
])
const claimsOption = z.union([
  z.enum(CLAIM_PRESETS),
  z.strictObject({
    preset: z.enum(CLAIM_PRESETS),
    clientRoles: z.string().min(1).optional(),
    namespacedClientRoles: z.boolean().optional(),
    namespace: z.string().min(1).optional(),
    permissionsAsScopes: z.boolean().optional(),
  }),
  z.strictObject({
    scopes: claimSource.optional(),
    roles: claimSource.optional(),
    groups: claimSource.optional(),
    permissions: claimSource.optional(),
    tenant: claimSource.optional(),
    clientId: claimSource.optional(),
    email: claimSource.optional(),
    name: claimSource.optional(),
  }),
])

const verificationFields = {
  algorithms: z.array(algorithm).min(1, 'Expected at least one algorithm').optional(),
  clockTolerance: z.number().nonnegative().max(300).optional(),
  maxTokenAge: z.number().positive().optional(),
  maxTokenLifetime: z.number().positive().optional(),
  requiredClaims: z.array(z.string().min(1)).optional(),
  profile: z.enum(['default', 'strict']).optional(),
  rolesClaim: z.string().min(1).optional(),
  claims: claimsOption.optional(),
}

const issuerFields = {
  issuer: httpUrl,
  audience,
  jwksUri: httpUrl.optional(),
  secret: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
  tenants: z
    .array(z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'Expected a tenant id'))
    .min(1)
    .optional(),
  resolveTenant: fn<IssuerOptions['resolveTenant']>().optional(),
}

const issuerSchema = z.strictObject({ ...verificationFields, ...issuerFields })

const optionsSchema = z
  .strictObject({
    ...verificationFields,
    ...issuerFields,
    issuer: issuerFields.issuer.optional(),
    audience: audience.optional(),
    issuers: z.array(issuerSchema).min(1, 'Expected at least one issuer').optional(),
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
    maxTenants: positiveInt.default(100),
    unknownTenantCacheSize: positiveInt.default(10_000),
    unknownTenantTtl: positiveInt.default(300_000),
    fetch: fn<typeof fetch>().optional(),
    onDecision: fn<(event: DecisionEvent) => void>().optional(),
    instrumentation: z
      .custom<Instrumentation>(
        (value) => typeof value === 'object' && value !== null,
        'Expected an instrumentation object',
      )
      .optional(),
    forwardErrors: z.boolean().default(false),
  })
  .superRefine((options, ctx) => {
    const issue = (path: PropertyKey[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message })
    if (options.issuers) {
      for (const key of [
        'issuer',
        'audience',
        'jwksUri',
        'secret',
        'tenants',
        'resolveTenant',
      ] as const) {
        if (options[key] !== undefined)
          issue([key], 'Set it on each entry of "issuers", not next to it')
      }
    } else {
      if (options.issuer === undefined) issue(['issuer'], 'Required (or give "issuers")')
      if (options.audience === undefined) issue(['audience'], 'Required')
    }
    const entries = options.issuers?.map((entry, index) => ({
      entry,
      path: ['issuers', index] as PropertyKey[],
    })) ?? [{ entry: options, path: [] }]
    const seen = new Set<string>()
    for (const { entry, path } of entries) {
      if (entry.issuer === undefined) continue
      if (seen.has(entry.issuer)) issue([...path, 'issuer'], 'Duplicate issuer')
      seen.add(entry.issuer)
      checkIssuer(entry as Partial<IssuerOptions> & VerificationOptions, options, path, issue)
    }
  })

function checkIssuer(
  entry: Partial<IssuerOptions>,
  defaults: VerificationOptions & { tokenLocations: TokenLocation[] },
  path: PropertyKey[],
  issue: (path: PropertyKey[], message: string) => void,
): void {
  const secret = entry.secret
  const secretBytes = typeof secret === 'string' ? Buffer.byteLength(secret) : secret?.byteLength
  if (secretBytes !== undefined && secretBytes < 32) {
    issue([...path, 'secret'], 'Expected at least 32 bytes (RFC 7518 §3.2)')
  }
  const algorithms = entry.algorithms ?? defaults.algorithms
  const symmetric = algorithms?.filter((alg) => alg.startsWith('HS')) ?? []
  if (symmetric.length > 0 && secret === undefined) {
    issue([...path, 'algorithms'], `${symmetric.join(', ')} need a configured secret`)
  }
  const placeholders = entry.issuer?.split('{tenant}').length ?? 1
  if (placeholders > 2) issue([...path, 'issuer'], 'Expected at most one {tenant} placeholder')
  const isTemplate = placeholders === 2
  if (isTemplate && entry.tenants === undefined && entry.resolveTenant === undefined) {
    issue([...path, 'tenants'], 'An issuer template needs "tenants" or "resolveTenant"')
  }
  if (!isTemplate && (entry.tenants !== undefined || entry.resolveTenant !== undefined)) {
    issue([...path, 'issuer'], 'Expected a {tenant} placeholder with "tenants" or "resolveTenant"')
  }
  if (isTemplate && secret !== undefined)
    issue([...path, 'secret'], 'A shared secret cannot serve many tenants')
  const profile = entry.profile ?? defaults.profile
  if (profile === 'strict' && defaults.tokenLocations.includes('query')) {
    issue(
      ['tokenLocations'],
      'The strict profile does not allow query tokens (RFC 9068 §5, RFC 6750 §5.3)',
    )
  }
}

/** One issuer after validation, with every verification default applied. */
export interface ResolvedIssuerOptions {
  readonly issuer: string
  /** True when `issuer` contains `{tenant}`. */
  readonly isTemplate: boolean
  readonly audience: readonly string[]
  readonly jwksUri: string | undefined
  readonly secret: Uint8Array | undefined
  readonly algorithms: readonly Algorithm[]
  readonly clockTolerance: number
  readonly maxTokenAge: number | undefined
  readonly maxTokenLifetime: number | undefined
  /** Every claim that must be present: `exp`, the profile's, and `requiredClaims`. */
  readonly requiredClaims: readonly string[]
  readonly profile: 'default' | 'strict'
  readonly claims: ClaimsOption
  readonly rolesClaim: string | undefined
  readonly tenants: ReadonlySet<string> | undefined
  readonly resolveTenant: IssuerOptions['resolveTenant']
}

/** Options after validation and defaults: what the core runs on. */
export interface ResolvedAuthenticateOptions {
  readonly issuers: readonly ResolvedIssuerOptions[]
  readonly tokenLocations: readonly TokenLocation[]
  readonly credentialsRequired: boolean
  readonly realm: string
  readonly maxTokenLength: number
  readonly timeoutDuration: number
  readonly cooldownDuration: number
  readonly cacheMaxAge: number
  readonly maxStaleAge: number
  readonly maxResponseSize: number
  readonly maxKeys: number
  readonly tokenCacheSize: number
  readonly tokenCacheMaxAge: number
  readonly maxTenants: number
  readonly unknownTenantCacheSize: number
  readonly unknownTenantTtl: number
  readonly fetch: typeof fetch | undefined
  readonly onDecision: ((event: DecisionEvent) => void) | undefined
  readonly instrumentation: Instrumentation | undefined
  readonly forwardErrors: boolean
}

function describePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(options)' : path.map(String).join('.')
}

/** Formats zod issues as one message naming every bad field. */
export function formatIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `${issue.keys.map((key) => `"${[...issue.path, key].map(String).join('.')}"`).join(', ')}: unknown option`
      : `"${describePath(issue.path)}": ${issue.message}`,
  )
  return `${prefix}\n  - ${lines.join('\n  - ')}`
}

const STRICT_CLAIMS = ['sub', 'iat', 'jti', 'client_id']

type ParsedIssuer = z.output<typeof issuerSchema>
type ParsedVerification = Pick<ParsedIssuer, keyof typeof verificationFields>

function resolveIssuer(entry: ParsedIssuer, defaults: ParsedVerification): ResolvedIssuerOptions {
  const pick = <K extends keyof ParsedVerification>(key: K) => entry[key] ?? defaults[key]
  const secret =
    typeof entry.secret === 'string' ? new TextEncoder().encode(entry.secret) : entry.secret
  const profile = pick('profile') ?? 'default'
  const requiredClaims = new Set([
    'exp',
    ...(defaults.requiredClaims ?? []),
    ...(entry.requiredClaims ?? []),
  ])
  if (profile === 'strict') for (const claim of STRICT_CLAIMS) requiredClaims.add(claim)
  return Object.freeze({
    issuer: entry.issuer,
    isTemplate: entry.issuer.includes('{tenant}'),
    audience: Object.freeze(
      typeof entry.audience === 'string' ? [entry.audience] : [...entry.audience],
    ),
    jwksUri: entry.jwksUri,
    secret,
    algorithms: Object.freeze(
      pick('algorithms') ?? (secret ? [...SYMMETRIC_ALGORITHMS] : [...ASYMMETRIC_ALGORITHMS]),
    ),
    clockTolerance: pick('clockTolerance') ?? 5,
    maxTokenAge: pick('maxTokenAge'),
    maxTokenLifetime: pick('maxTokenLifetime'),
    requiredClaims: Object.freeze([...requiredClaims]),
    profile,
    claims: (pick('claims') ?? 'generic') as ClaimsOption,
    rolesClaim: pick('rolesClaim'),
    tenants: entry.tenants ? new Set(entry.tenants) : undefined,
    resolveTenant: entry.resolveTenant,
  })
}

/**
 * Validates options and applies defaults. Throws a `ConfigurationError` naming every bad or
 * unknown field; never called per request.
 */
export function resolveOptions(input: unknown): ResolvedAuthenticateOptions {
  const parsed = optionsSchema.safeParse(input)
  if (!parsed.success) {
    throw new ConfigurationError(formatIssues('Invalid oidc-guard options:', parsed.error.issues))
  }
  const { issuers, issuer, audience, jwksUri, secret, tenants, resolveTenant, ...rest } =
    parsed.data
  const defaults: ParsedVerification = rest
  const entries: ParsedIssuer[] = issuers ?? [
    {
      issuer: issuer as string,
      audience: audience as string,
      jwksUri,
      secret,
      tenants,
      resolveTenant,
    },
  ]
  return Object.freeze({
    issuers: Object.freeze(entries.map((entry) => resolveIssuer(entry, defaults))),
    tokenLocations: Object.freeze(rest.tokenLocations),
    credentialsRequired: rest.credentialsRequired,
    realm: rest.realm,
    maxTokenLength: rest.maxTokenLength,
    timeoutDuration: rest.timeoutDuration,
    cooldownDuration: rest.cooldownDuration,
    cacheMaxAge: rest.cacheMaxAge,
    maxStaleAge: rest.maxStaleAge,
    maxResponseSize: rest.maxResponseSize,
    maxKeys: rest.maxKeys,
    tokenCacheSize: rest.tokenCacheSize,
    tokenCacheMaxAge: rest.tokenCacheMaxAge,
    maxTenants: rest.maxTenants,
    unknownTenantCacheSize: rest.unknownTenantCacheSize,
    unknownTenantTtl: rest.unknownTenantTtl,
    fetch: rest.fetch,
    onDecision: rest.onDecision,
    instrumentation: rest.instrumentation,
    forwardErrors: rest.forwardErrors,
  })
}
