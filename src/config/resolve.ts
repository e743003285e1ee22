// Resolution: validated input → the frozen options the core runs on. Generic over the field
// records of schema.ts, so adding an option touches nothing here; only the fields whose shape
// changes on the way (audience, secret, algorithms, requiredClaims, tenants) are named.
import type { z } from 'zod'
import type { Algorithm } from '../jose/algorithms.js'
import { defaultAlgorithms, STRICT_REQUIRED_CLAIMS } from './defaults.js'
import { parseOrThrow } from './format-issues.js'
import type { CommonOptions, IssuerOptions, VerificationOptions } from './option-types.js'
import {
  COMMON_FIELDS,
  ISSUER_FIELDS,
  optionsSchema,
  VERIFICATION_FIELDS,
  type commonSchema,
  type issuerSchema,
} from './schema.js'

type Parsed = z.output<typeof optionsSchema>
type Frozen<T> = T extends readonly (infer U)[] ? readonly U[] : T
/** The keys of the interface `I` (and their TSDoc), valued as the schema outputs them, read-only. */
type Resolve<I, O> = {
  readonly [K in keyof Required<I>]: K extends keyof O ? Frozen<O[K]> : never
}

type Reshaped = 'audience' | 'secret' | 'algorithms' | 'requiredClaims' | 'tenants'
type VerificationOutput = Pick<Parsed, keyof VerificationOptions>

/** One issuer after validation, with every verification default applied. */
export interface ResolvedIssuerOptions extends Resolve<
  Omit<IssuerOptions, Reshaped>,
  VerificationOutput & z.output<typeof issuerSchema>
> {
  /** True when `issuer` contains `{tenant}`. */
  readonly isTemplate: boolean
  /** Expected `aud` values; the token must contain at least one. */
  readonly audience: readonly string[]
  /** The shared secret's bytes, when HS* tokens are accepted. */
  readonly secret: Uint8Array | undefined
  /** Accepted JWS algorithms, the default applied. */
  readonly algorithms: readonly Algorithm[]
  /** Every claim that must be present: `exp`, the profile's, and `requiredClaims`. */
  readonly requiredClaims: readonly string[]
  /** Known tenants of an issuer template. */
  readonly tenants: ReadonlySet<string> | undefined
}

/** The settings shared by every issuer, after validation and defaults. */
export type ResolvedCommonOptions = Resolve<
  Omit<CommonOptions, keyof VerificationOptions>,
  z.output<typeof commonSchema>
>

/** Options after validation and defaults: what the core runs on. */
export interface ResolvedAuthenticateOptions extends ResolvedCommonOptions {
  /** Every trusted issuer, each with its verification settings resolved. */
  readonly issuers: readonly ResolvedIssuerOptions[]
}

const VERIFICATION_KEYS = Object.keys(VERIFICATION_FIELDS) as (keyof VerificationOutput)[]
const ISSUER_KEYS = Object.keys(ISSUER_FIELDS) as (keyof typeof ISSUER_FIELDS)[]
const COMMON_KEYS = Object.keys(COMMON_FIELDS) as (keyof typeof COMMON_FIELDS)[]

// Every key present (undefined when unset), so each resolved object has one shape.
function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>
  for (const key of keys) {
    const value = from[key]
    picked[key] = (Array.isArray(value) ? Object.freeze([...value]) : value) as T[K]
  }
  return picked
}

type IssuerInput = z.output<typeof issuerSchema>

function resolveIssuer(entry: IssuerInput, defaults: VerificationOutput): ResolvedIssuerOptions {
  const settings = pick(defaults, VERIFICATION_KEYS)
  for (const key of VERIFICATION_KEYS) {
    if (entry[key] !== undefined) (settings as Record<string, unknown>)[key] = entry[key]
  }
  const secret =
    typeof entry.secret === 'string' ? new TextEncoder().encode(entry.secret) : entry.secret
  const requiredClaims = new Set(['exp', ...(defaults.requiredClaims ?? [])])
  for (const claim of entry.requiredClaims ?? []) requiredClaims.add(claim)
  if (settings.profile === 'strict')
    for (const claim of STRICT_REQUIRED_CLAIMS) requiredClaims.add(claim)
  const { issuer, audience, tenants } = entry
  const resolved: Omit<ResolvedIssuerOptions, Reshaped | 'isTemplate'> = {
    ...(settings as Required<VerificationOutput>),
    ...(pick(entry, ISSUER_KEYS) as Required<IssuerInput>),
  }
  return Object.freeze({
    ...resolved,
    isTemplate: issuer.includes('{tenant}'),
    audience: Object.freeze(typeof audience === 'string' ? [audience] : [...audience]),
    secret,
    algorithms: Object.freeze([
      ...(settings.algorithms ?? defaultAlgorithms(secret !== undefined)),
    ]),
    requiredClaims: Object.freeze([...requiredClaims]),
    tenants: tenants ? new Set(tenants) : undefined,
  })
}

/**
 * Validates options and applies defaults. Throws a `ConfigurationError` naming every bad or
 * unknown field; never called per request.
 */
export function resolveOptions(input: unknown): ResolvedAuthenticateOptions {
  const parsed = parseOrThrow(optionsSchema, input, 'Invalid oidc-guard options:')
  const defaults = pick(parsed, VERIFICATION_KEYS)
  // Without `issuers`, the schema has checked that `issuer` and `audience` are set.
  const entries = parsed.issuers ?? [parsed as IssuerInput]
  return Object.freeze({
    ...(pick(parsed, COMMON_KEYS) as ResolvedCommonOptions),
    issuers: Object.freeze(entries.map((entry) => resolveIssuer(entry, defaults))),
  })
}
