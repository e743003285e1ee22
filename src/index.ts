export { createAuthenticator, type Authenticator } from './authenticator/authenticator.js'
export type { AuthenticatorStats } from './verify/verifier.js'
export { formatChallenge } from './errors/challenge.js'
export type { Decision } from './errors/decision.js'
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
} from './errors/errors.js'
export type { DecisionEvent } from './authenticator/decision-event.js'
export { allOf, anyOf, not } from './guards/combinators.js'
export { requireClaim, type ClaimPredicate, type ClaimValue } from './guards/claim-guards.js'
export type { Guard, GuardDescriptor } from './guards/guard.js'
export {
  requireAnyGroup,
  requireAnyPermission,
  requireAnyRole,
  requireAnyScope,
  requireGroup,
  requirePermission,
  requireRole,
  requireScope,
} from './guards/list-guards.js'
export { requireClaimMatches, requireTenant } from './guards/match-guards.js'
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
} from './config/options.js'
export {
  CLAIM_PRESETS,
  type ClaimMapping,
  type ClaimPreset,
  type ClaimPresetOptions,
  type ClaimsOption,
  type ClaimSource,
  type MappedClaims,
} from './claims/claim-mapping.js'
export type { AuthRequest, HeaderValue } from './http/auth-request.js'
export type { AuthContext, CustomClaims, TokenClaims } from './verify/auth-context.js'
export { guardFor, type Requirement, type RequestValueSpec } from './guards/requirements.js'
export type { RequestValue } from './http/request-value.js'
export { asGuard, createGuardFactories, type GuardFactories } from './guards/guard-factories.js'
export {
  defineRequestView,
  type RequestReaders,
  type RequestView,
} from './authenticator/request-view.js'
export { reasonCode } from './errors/reasons.js'
export type { Instrumentation, InstrumentedAuthenticator } from './authenticator/instrumentation.js'
export type {
  FetchEnd,
  FetchFailureReason,
  FetchHook,
  FetchKind,
  FetchStart,
  TokenCacheLookups,
  VerificationHook,
} from './verify/verifier.js'
