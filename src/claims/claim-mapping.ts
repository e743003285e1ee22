import { DESCRIPTIONS } from '../errors/reasons.js'
import { readClaim, toStringList } from './read-claim.js'
import { auth0 } from './presets/auth0.js'
import { cognito } from './presets/cognito.js'
import { entra } from './presets/entra.js'
import type { Field, Resolved } from './presets/field-readers.js'
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

/** What a preset adds beyond mapping: audience and token-kind rules. */
export interface ClaimRules {
  /** Maps a verified claims set; `tenant` falls back to the tenant of the issuer template. */
  map(claims: TokenClaims, issuerTenant: string | undefined): MappedClaims
  /** Cognito: access tokens carry no `aud`; the audience is matched against `client_id`. */
  readonly audienceFromClientId: boolean
  /** Returns a reason when the token is of the wrong kind (e.g. a Cognito ID token). */
  check(claims: TokenClaims): string | undefined
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

function source(from: ClaimSource): (claims: TokenClaims) => unknown {
  if (typeof from === 'function') return from
  if (typeof from === 'string') return (claims) => readClaim(claims, from)
  // Several claims merged into one list (e.g. realm roles and client roles).
  return (claims) => from.flatMap((path) => toStringList(readClaim(claims, path)))
}

const PRESETS: Record<ClaimPreset, (options: ClaimPresetOptions) => Partial<Resolved>> = {
  generic: () => ({}),
  keycloak,
  auth0,
  okta,
  entra,
  cognito,
  google,
}

function isPresetOptions(value: ClaimsOption): value is ClaimPresetOptions {
  return typeof value === 'object' && 'preset' in value
}

/**
 * Compiles an issuer's `claims` option into the rules that normalize its tokens. Done once per
 * issuer at startup; mapping a token then reads each claim once.
 */
export function createClaimRules(
  option: ClaimsOption = 'generic',
  rolesClaim?: string,
): ClaimRules {
  const preset: ClaimPresetOptions =
    typeof option === 'string'
      ? { preset: option }
      : isPresetOptions(option)
        ? option
        : { preset: 'generic' }
  const custom: Partial<Resolved> = {}
  if (typeof option === 'object' && !isPresetOptions(option)) {
    for (const [field, from] of Object.entries(option) as [Field, ClaimSource][])
      custom[field] = source(from)
  }
  if (rolesClaim !== undefined) custom.roles = source(rolesClaim)
  const resolved: Resolved = { ...GENERIC, ...PRESETS[preset.preset](preset), ...custom }
  const isCognito = preset.preset === 'cognito'
  const isGoogle = preset.preset === 'google'

  return {
    audienceFromClientId: isCognito,
    check(claims) {
      // Cognito signs ID and access tokens with the same keys: only `token_use: access` is one.
      if (isCognito && claims.token_use !== 'access') return DESCRIPTIONS.kind
      return undefined
    },
    map(claims, issuerTenant) {
      return {
        scopes: toStringList(resolved.scopes(claims)),
        roles: toStringList(resolved.roles(claims)),
        groups: toStringList(resolved.groups(claims)),
        permissions: toStringList(resolved.permissions(claims)),
        tenant: str(resolved.tenant(claims)) ?? issuerTenant,
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
