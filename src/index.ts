export {
  authenticatorForGuard,
  createAuthenticator,
  type Authenticated,
  type Authenticator,
} from './authenticator/authenticator.js'
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
export {
  asGuard,
  createGuardFactories,
  GUARD_BUILDERS,
  type GuardFactories,
  type GuardName,
} from './guards/guard-factories.js'
export {
  defineRequestView,
  type RequestReaders,
  type RequestView,
} from './authenticator/request-view.js'
export {
  createRouteAuth,
  planRouteAuth,
  type CompiledRouteAuth,
  type RouteAuth,
  type RouteAuthPlan,
  type RouteName,
  type RouteRequirement,
} from './authenticator/route-auth.js'
export {
  DEFAULTS,
  type AsymmetricAlgorithm,
  type CommonGroups,
  type IssuerGroups,
  type ResolvedCommonOptions,
  type SymmetricAlgorithm,
} from './config/options.js'
export {
  InsufficientUserAuthenticationError,
  InvalidDpopProofError,
  ReplayStoreUnavailableError,
  UseDpopNonceError,
} from './errors/errors.js'
export type { ChallengeOptions } from './errors/challenge.js'
export type { StepUp } from './errors/decision.js'
export type { RequestSocket } from './http/auth-request.js'
export {
  requireAcr,
  requireAuthTime,
  requireDpop,
  type AuthTimeOptions,
} from './guards/step-up-guards.js'
export { scopesOf } from './guards/guard-scopes.js'
export {
  DPOP_DEFAULT_ALGORITHMS,
  type BindingOptions,
  type DpopNonceOptions,
  type DpopOptions,
  type MtlsOptions,
  type ResolvedBindingOptions,
  type ResourceMetadataOptions,
} from './binding/options.js'
export { createMemoryReplayStore, type DpopReplayStore } from './binding/replay-store.js'
export { jwkThumbprint } from './binding/dpop/proof-key.js'
export {
  createResourceMetadata,
  resourceMetadataUrl,
  type MetadataResponse,
  type ProtectedResourceMetadata,
  type ResourceMetadata,
} from './binding/resource-metadata.js'
export type { StaticKeysOptions } from './keys/static-key-set.js'
export { withAuthenticator, type AuthenticatorHandle } from './authenticator/authenticator.js'
export type {
  KeySetFailure,
  KeySetFailureKind,
  KeySetResource,
  KeySetWarning,
} from './errors/errors.js'
export type { TokenSummary } from './verify/token-summary.js'
export { reasonCode } from './errors/reasons.js'
export type { Instrumentation, InstrumentedAuthenticator } from './authenticator/instrumentation.js'
export type {
  FetchEnd,
  FetchHook,
  FetchKind,
  FetchStart,
  TokenCacheLookups,
  VerificationHook,
} from './verify/verifier.js'
export {
  loadPolicy,
  type LoadPolicyOptions,
  type CommonPolicyOptions,
  type Policy,
  type PolicyEvents,
  type PolicyRejection,
  type PolicyState,
  type PolicyUpdate,
} from './policy/policy.js'
export { PolicyError, type PolicyIssue } from './policy/policy-error.js'
export type { CompiledPolicy, DecisionInput, PolicyDecision } from './policy/compile.js'
export type { RouteBinding, RouteMatch } from './policy/router.js'
export {
  createActionGuard,
  createPolicyGuard,
  type EnforcePolicyOptions,
  type PolicyGuard,
  type PolicyOutcome,
} from './policy/policy-guard.js'
export type {
  AuthField,
  Comparison,
  Condition,
  InputRef,
  Operand,
  PolicyDocument,
  PolicyRule,
  RoleDefinition,
  TimeWindow,
} from './policy/schema.js'
export type { PolicyPredicate, PredicateInput, RecordedInputs } from './policy/env.js'
export { POLICY_BUNDLE_TYPE, type PolicySignatureOptions } from './policy/bundle.js'
export type { Trace } from './policy/node.js'
// Revocation (issue 12): introspection, the shared denylist, back-channel logout, permissions.
export { DependencyUnavailableError } from './errors/errors.js'
export {
  createDenylist,
  isDenylist,
  type Denylist,
  type DenylistOptions,
  type RevocationTarget,
  type RevokeOptions,
} from './revocation/denylist.js'
export {
  createMemoryDenylistStore,
  type DenylistEntry,
  type DenylistSink,
  type DenylistStore,
  type RevocationKind,
} from './revocation/denylist-store.js'
export {
  createBackchannelLogout,
  type BackchannelLogout,
  type BackchannelLogoutOptions,
  type BackchannelLogoutRequest,
  type BackchannelLogoutResponse,
} from './revocation/backchannel-logout.js'
export type { RevocationOptions } from './revocation/options.js'
export type { PermissionGrant, PermissionsOptions } from './revocation/permissions.js'
export type {
  ClientAuthMethod,
  IntrospectionGroup,
  IntrospectionOptions,
} from './introspection/introspection-options.js'
