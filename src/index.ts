export { createAuthenticator, type Authenticator } from './authenticator.js'
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
  requireAnyRole,
  requireAnyScope,
  requireClaim,
  requireRole,
  requireScope,
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
  type ResolvedAuthenticateOptions,
  type TokenLocation,
} from './options.js'
export type { AuthContext, AuthRequest, CustomClaims, HeaderValue, TokenClaims } from './types.js'
export { guardFor, type Requirement } from './requirements.js'
export { asGuard, createGuardFactories, type GuardFactories } from './guard-factories.js'
