import { readClaim, spaceDelimited, stringArray, toStringList } from './read-claim.js'
import { auth0 } from './presets/auth0.js'
import { cognito } from './presets/cognito.js'
import { entra } from './presets/entra.js'
import { first, type Field, type Resolved } from './presets/field-readers.js'
import { GENERIC } from './presets/generic.js'
import { google } from './presets/google.js'
import { keycloak } from './presets/keycloak.js'
import { okta } from './presets/okta.js'
import type { TokenClaims } from '../verify/auth-context.js'

/** Providers whose token shapes oidc-guard knows. */
export const CLAIM_PRESETS = Object.freeze([
  'generic',
  'keycloak',
  'auth0',
  'okta',
  'entra',
  'cognito',
  'google',
] as const)
/** One of {@link CLAIM_PRESETS}. */
export type ClaimPreset = (typeof CLAIM_PRESETS)[number]

/** A preset with its settings. */
export interface ClaimPresetOptions {
  preset: ClaimPreset
  /** Keycloak: the client whose `resource_access.<client>.roles` become roles. */
  clientRoles?: string | undefined
  /** Keycloak: name client roles `<client>:<role>` instead of merging them as they are. Default false. */
  namespacedClientRoles?: boolean | undefined
  /** Auth0: the namespace of custom claims, e.g. `https://example.com/` for `https://example.com/roles`. */
  namespace?: string | undefined
  /** Auth0: also treat RBAC `permissions` as scopes. Default false (they stay `permissions`). */
  permissionsAsScopes?: boolean | undefined
}

/** Where a normalized field comes from: a claim (name or dot path), several merged, or a function. */
export type ClaimSource = string | string[] | ((claims: Readonly<TokenClaims>) => unknown)

/** A custom mapping, field by field; unset fields use the generic rules. */
export interface ClaimMapping {
  scopes?: ClaimSource | undefined
  roles?: ClaimSource | undefined
  groups?: ClaimSource | undefined
  permissions?: ClaimSource | undefined
  tenant?: ClaimSource | undefined
  clientId?: ClaimSource | undefined
  email?: ClaimSource | undefined
  name?: ClaimSource | undefined
}

/** How an issuer's tokens are normalized: a preset name, a preset with settings, or a mapping. */
export type ClaimsOption = ClaimPreset | ClaimPresetOptions | ClaimMapping

/** The provider-neutral view of a token that guards read. */
export interface MappedClaims {
  readonly scopes: readonly string[]
  readonly roles: readonly string[]
  readonly groups: readonly string[]
  readonly permissions: readonly string[]
  readonly tenant: string | undefined
  readonly clientId: string | undefined
  readonly email: string | undefined
  readonly emailVerified: boolean | undefined
  readonly name: string | undefined
}

/** The claim-shape rules a profile reads with (see `createClaimRules`). */
export type ClaimShapes = 'tolerant' | 'strict'

/** Compiled name mapping of one issuer: which claims become scopes, roles, tenant and the rest. */
export interface ClaimRules {
  /** The preset the rules come from (`generic` for a custom mapping). */
  readonly preset: ClaimPreset
  /**
   * Maps a verified claims set to the provider-neutral view. `tenant` is the token's own tenant
   * claim, if any: the verifier decides how it relates to a templated issuer's tenant.
   * A custom mapping function that throws propagates its error (the verifier refuses the token).
   */
  map(claims: TokenClaims): MappedClaims
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

type ListReader = (value: unknown) => readonly string[]

function source(from: ClaimSource, list: ListReader): (claims: TokenClaims) => unknown {
  if (typeof from === 'function') return from
  if (typeof from === 'string') return (claims) => readClaim(claims, from)
  // Several claims merged into one list (e.g. realm roles and client roles).
  return (claims) => from.flatMap((path) => list(readClaim(claims, path)))
}

const PRESETS: Record<
  ClaimPreset,
  (options: ClaimPresetOptions, list: ListReader) => Partial<Resolved>
> = {
  generic: () => ({}),
  keycloak,
  auth0,
  okta,
  entra,
  cognito,
  google,
}

// RFC 9068 §2.2.3 registers `scope` (a space-delimited string); `scp` is no registered claim
// and, in the strict profile, counts only for the providers that issue it.
const SCP_PRESETS: ReadonlySet<ClaimPreset> = new Set<ClaimPreset>(['entra', 'okta'])

function strictScopes(
  preset: ClaimPresetOptions,
  custom: ClaimSource | undefined,
): (claims: TokenClaims) => readonly string[] {
  if (Array.isArray(custom))
    return (claims) => custom.flatMap((path) => spaceDelimited(readClaim(claims, path)))
  if (custom !== undefined) {
    const read = source(custom, spaceDelimited)
    return (claims) => spaceDelimited(read(claims))
  }
  const scope = (claims: TokenClaims) => spaceDelimited(claims.scope)
  if (SCP_PRESETS.has(preset.preset)) {
    const readScp = first('scp')
    return (claims) => {
      const scp = readScp(claims)
      return scp !== undefined ? toStringList(scp) : scope(claims)
    }
  }
  if (preset.preset === 'auth0' && preset.permissionsAsScopes)
    return (claims) => [...scope(claims), ...stringArray(claims.permissions)]
  return scope
}

function isPresetOptions(value: ClaimsOption): value is ClaimPresetOptions {
  return typeof value === 'object' && 'preset' in value
}

/**
 * Compiles an issuer's `claims` option into the rules that normalize its tokens. Done once per
 * issuer at startup; mapping a token then reads each claim once.
 *
 * `shapes: 'strict'` (the strict profile) reads claim shapes as RFC 9068 defines them: `scope`
 * counts only as a space-delimited string (a list grants nothing), `scp` only for presets that
 * name it (`entra`, `okta`), and roles, groups and permissions only as JSON arrays (a string
 * grants nothing). `tolerant` (the default profile) accepts either shape.
 */
export function createClaimRules(
  option: ClaimsOption = 'generic',
  rolesClaim?: string,
  shapes: ClaimShapes = 'tolerant',
): ClaimRules {
  const preset: ClaimPresetOptions =
    typeof option === 'string'
      ? { preset: option }
      : isPresetOptions(option)
        ? option
        : { preset: 'generic' }
  const strict = shapes === 'strict'
  const list: ListReader = strict ? stringArray : toStringList
  const custom: Partial<Resolved> = {}
  const mapping = typeof option === 'object' && !isPresetOptions(option) ? option : undefined
  if (mapping !== undefined) {
    for (const [field, from] of Object.entries(mapping) as [Field, ClaimSource][])
      custom[field] = source(from, list)
  }
  if (rolesClaim !== undefined) custom.roles = source(rolesClaim, list)
  const resolved: Resolved = { ...GENERIC, ...PRESETS[preset.preset](preset, list), ...custom }
  const scopes = strict
    ? strictScopes(preset, mapping?.scopes)
    : (claims: TokenClaims) => toStringList(resolved.scopes(claims))
  const isGoogle = preset.preset === 'google'

  return {
    preset: preset.preset,
    map(claims) {
      return {
        scopes: scopes(claims),
        roles: list(resolved.roles(claims)),
        groups: list(resolved.groups(claims)),
        permissions: list(resolved.permissions(claims)),
        tenant: str(resolved.tenant(claims)),
        clientId: str(resolved.clientId(claims)),
        email: str(resolved.email(claims)),
        emailVerified:
          isGoogle || claims.email_verified !== undefined
            ? claims.email_verified === true
            : undefined,
        name: str(resolved.name(claims)),
      }
    },
  }
}
