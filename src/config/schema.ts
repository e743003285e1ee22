import type { KeySetWarning } from '../errors/errors.js'
import { isAllowedTransport } from '../keys/transport-policy.js'
import { TENANT_ID } from './tenant-id.js'
// The zod schema: a private implementation of the interfaces in option-types.ts (a type test
// asserts that z.input of each part equals its interface). Fields are written once, without
// defaults; DEFAULTS decides which ones get one.
import { z } from 'zod'
import type { DecisionEvent } from '../authenticator/decision-event.js'
import type { Instrumentation } from '../authenticator/instrumentation.js'
import { CLAIM_PRESETS, type ClaimsOption } from '../claims/claim-mapping.js'
import { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS } from '../jose/algorithms.js'
import { DEFAULTS } from './defaults.js'
import { COMMON_GROUP_FIELDS, ISSUER_GROUP_FIELDS } from './groups.js'
import type { IssuerOptions, TokenLocation, VerificationOptions } from './option-types.js'

type Shape = Record<string, z.ZodType>
type Defaulted = typeof DEFAULTS

const isFunction = (value: unknown) => typeof value === 'function'
const fn = <T>() =>
  z.custom<T>(isFunction, { message: 'Expected a function', params: { expected: 'function' } })
const httpUrl = z
  .string()
  .refine(
    (value) => /^https?:\/\//.test(value) && URL.canParse(value.replaceAll('{tenant}', 'tenant')),
    'Expected an http(s) URL',
  )
const positiveInt = z.number().int().positive()
const nonNegativeInt = z.number().int().nonnegative()
const algorithm = z.enum([...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS])
const audience = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1, 'Expected at least one audience'),
])
const claimSource = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
  fn<() => unknown>(),
])
const claimsOption: z.ZodType<ClaimsOption, ClaimsOption> = z.union([
  z.enum(CLAIM_PRESETS),
  z.strictObject({
    preset: z.enum(CLAIM_PRESETS),
    clientRoles: z.string().min(1).optional(),
    namespacedClientRoles: z.boolean().optional(),
    namespace: z.string().min(1).optional(),
    permissionsAsScopes: z.boolean().optional(),
  }),
  z.strictObject({
    // Not part of a mapping: marks `{ preset: 'keycloack' }` as meant for the preset form.
    preset: z.never().optional(),
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

/** Optional fields of one level, each with its DEFAULTS entry when it has one. */
type WithDefaults<S extends Shape> = {
  [K in keyof S]: K extends keyof Defaulted ? z.ZodDefault<S[K]> : z.ZodOptional<S[K]>
}
type Optional<S extends Shape> = { [K in keyof S]: z.ZodOptional<S[K]> }

function withDefaults<S extends Shape>(shape: S): WithDefaults<S> {
  const entries = Object.entries(shape).map(([key, field]) => [
    key,
    key in DEFAULTS ? field.default(DEFAULTS[key as keyof Defaulted] as never) : field.optional(),
  ])
  return Object.fromEntries(entries) as WithDefaults<S>
}

function optional<S extends Shape>(shape: S): Optional<S> {
  const entries = Object.entries(shape).map(([key, field]) => [key, field.optional()])
  return Object.fromEntries(entries) as Optional<S>
}

/** `VerificationOptions`: set at the top level (with defaults) or per issuer (without). */
export const VERIFICATION_FIELDS = {
  algorithms: z.array(algorithm).min(1, 'Expected at least one algorithm'),
  clockTolerance: z.number().nonnegative().max(300),
  maxTokenAge: z.number().positive(),
  maxTokenLifetime: z.number().positive(),
  requiredClaims: z.array(z.string().min(1)),
  profile: z.enum(['default', 'strict']),
  rolesClaim: z.string().min(1),
  claims: claimsOption,
}

/** `IssuerOptions` minus the verification settings. */
export const ISSUER_FIELDS = {
  issuer: httpUrl,
  audience,
  jwksUri: httpUrl.optional(),
  secret: z
    .union([
      z.string(),
      z.custom<Uint8Array>(
        (value) => value instanceof Uint8Array,
        'Expected a string or a Uint8Array',
      ),
    ])
    .optional(),
  tenants: z
    .array(z.string().regex(TENANT_ID, 'Expected a tenant id (not . or ..)'))
    .min(1)
    .optional(),
  resolveTenant: fn<NonNullable<IssuerOptions['resolveTenant']>>().optional(),
  ...ISSUER_GROUP_FIELDS,
}

/** `CommonOptions` minus the verification settings: set once per authenticator. */
export const COMMON_FIELDS = {
  ...withDefaults({
    tokenLocations: z.array(z.enum(['header', 'query', 'body'])).min(1),
    credentialsRequired: z.boolean(),
    realm: z.string().min(1),
    maxTokenLength: positiveInt,
    timeoutDuration: positiveInt,
    cooldownDuration: nonNegativeInt,
    cacheMaxAge: positiveInt,
    maxStaleAge: nonNegativeInt,
    maxResponseSize: positiveInt,
    maxKeys: positiveInt,
    tokenCacheSize: nonNegativeInt,
    tokenCacheMaxAge: nonNegativeInt,
    maxTenants: positiveInt,
    unknownTenantCacheSize: positiveInt,
    unknownTenantTtl: positiveInt,
    resolvedTenantTtl: positiveInt,
    allowInsecureRequests: z.boolean(),
    fetch: fn<typeof fetch>(),
    onWarning: fn<(warning: KeySetWarning) => void>(),
    onDecision: fn<(event: DecisionEvent) => void>(),
    instrumentation: z.custom<Instrumentation>(
      (value) => typeof value === 'object' && value !== null,
      { message: 'Expected an instrumentation object', params: { expected: 'object' } },
    ),
    forwardErrors: z.boolean(),
  }),
  ...COMMON_GROUP_FIELDS,
}

/** Per issuer: no defaults here, so an unset field inherits the top level's. */
export const verificationSchema = z.strictObject(optional(VERIFICATION_FIELDS))
/** One entry of `issuers`. */
export const issuerSchema = z.strictObject({ ...optional(VERIFICATION_FIELDS), ...ISSUER_FIELDS })
/** The common settings alone (for the type test and for resolution). */
export const commonSchema = z.strictObject(COMMON_FIELDS)

type Issue = (path: PropertyKey[], message: string) => void
const ISSUER_KEYS = Object.keys(ISSUER_FIELDS) as (keyof typeof ISSUER_FIELDS)[]

/** `authenticate()`'s options: one object, whichever of single or multi issuer it is. */
export const optionsSchema = z
  .strictObject({
    ...withDefaults(VERIFICATION_FIELDS),
    ...optional(ISSUER_FIELDS),
    issuers: z.array(issuerSchema).min(1, 'Expected at least one issuer').optional(),
    ...COMMON_FIELDS,
  })
  .superRefine((options, ctx) => {
    const issue: Issue = (path, message) => ctx.addIssue({ code: 'custom', path, message })
    if (options.issuers) {
      for (const key of ISSUER_KEYS) {
        if (options[key] !== undefined)
          issue([key], 'Set it on each entry of "issuers", not next to it')
      }
    } else {
      if (options.issuer === undefined) issue(['issuer'], 'Required (or give "issuers")')
      if (options.audience === undefined) issue(['audience'], 'Required')
    }
    if (options.cacheMaxAge < options.cooldownDuration) {
      issue(
        ['cacheMaxAge'],
        `Must be at least cooldownDuration (${options.cooldownDuration} ms): keys could not be refreshed as often as they expire`,
      )
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
      checkIssuer(entry, options, path, issue)
      checkTransport(entry, options.allowInsecureRequests, path, issue)
    }
  })

function checkIssuer(
  entry: Partial<IssuerOptions>,
  defaults: VerificationOptions & { tokenLocations: TokenLocation[] },
  path: PropertyKey[],
  issue: Issue,
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
  if ((entry.jwks ?? entry.publicKey) !== undefined && entry.jwksUri !== undefined)
    issue([...path, 'jwksUri'], 'Give either configured keys ("jwks", "publicKey") or "jwksUri"')
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
  if (isTemplate && entry.introspection !== undefined)
    issue([...path, 'introspection'], 'An issuer template cannot introspect')
  const profile = entry.profile ?? defaults.profile
  if (profile === 'strict' && defaults.tokenLocations.includes('query')) {
    issue(
      ['tokenLocations'],
      'The strict profile does not allow query tokens (RFC 9068 §5, RFC 6750 §5.3)',
    )
  }
}

// Keys over plain HTTP can be swapped on the way: https, or http to loopback, or the opt-in.
function checkTransport(
  entry: { issuer?: string | undefined; jwksUri?: string | undefined },
  allowInsecureRequests: boolean,
  path: PropertyKey[],
  issue: Issue,
): void {
  for (const key of ['issuer', 'jwksUri'] as const) {
    const url = entry[key]?.replaceAll('{tenant}', 'tenant')
    if (url !== undefined && !isAllowedTransport(url, allowInsecureRequests)) {
      issue(
        [...path, key],
        'Expected an https URL (http only for loopback hosts, or set allowInsecureRequests)',
      )
    }
  }
}
