export { createAuthenticator, type Authenticator } from './authenticator.js'
export type { AuthenticatorStats } from './verifier.js'
export { formatChallenge } from './challenge.js'
export type { Decision } from './decision.js'
export {
  ConfigurationError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  isOidcGuardError,
  KeySetUnavailableError,
  MissingTokenError,
  OidcGuardError,
  type BearerErrorCode,
  type ErrorBody,
  type OidcGuardErrorCode,
} from './errors.js'
export type { DecisionEvent } from './events.js'
export {
  allOf,
  anyOf,
  not,
  requireAnyGroup,
  requireAnyPermission,
  requireAnyRole,
  requireAnyScope,
  requireClaim,
  requireClaimMatches,
  requireGroup,
  requirePermission,
  requireRole,
  requireScope,
  requireTenant,
  type ClaimPredicate,
  type ClaimValue,
  type Guard,
  type GuardDescriptor,
} from './guards.js'
export {
  ASYMMETRIC_ALGORITHMS,
  SYMMETRIC_ALGORITHMS,
  type Algorithm,
  type AuthenticateOptions,
  type CommonOptions,
  type IssuerOptions,
  type MultiIssuerOptions,
  type ResolvedAuthenticateOptions,
  type ResolvedIssuerOptions,
  type SingleIssuerOptions,
  type TenantResolution,
  type TokenLocation,
  type VerificationOptions,
} from './options.js'
export {
  CLAIM_PRESETS,
  type ClaimMapping,
  type ClaimPreset,
  type ClaimPresetOptions,
  type ClaimsOption,
  type ClaimSource,
  type MappedClaims,
} from './claim-mapping.js'
export type { AuthContext, AuthRequest, CustomClaims, HeaderValue, TokenClaims } from './types.js'
export { guardFor, type Requirement, type RequestValueSpec } from './requirements.js'
export type { RequestValue } from './request-value.js'
export { asGuard, createGuardFactories, type GuardFactories } from './guard-factories.js'
export { defineRequestView, type RequestReaders, type RequestView } from './request-view.js'
