// The configuration stage, by file:
//   option-types.ts  the public interfaces: each option named, typed and documented once
//   defaults.ts      DEFAULTS, the one table of default values
//   schema.ts        the zod fields, written once; DEFAULTS decides which get a default
//   groups.ts        nested option groups of other features (two lines each: see there)
//   resolve.ts       validated input → frozen resolved options; resolved types derived
//   format-issues.ts error messages that correct: allowed values, "did you mean"
// This module only gathers them for the rest of the core.
export {
  ASYMMETRIC_ALGORITHMS,
  SYMMETRIC_ALGORITHMS,
  type Algorithm,
  type AsymmetricAlgorithm,
  type SymmetricAlgorithm,
} from '../jose/algorithms.js'
export { DEFAULTS } from './defaults.js'
export { formatIssues, parseOrThrow } from './format-issues.js'
export type { CommonGroups, IssuerGroups } from './groups.js'
export type {
  AuthenticateOptions,
  CommonOptions,
  IssuerOptions,
  MultiIssuerOptions,
  SingleIssuerOptions,
  TenantResolution,
  TokenLocation,
  VerificationOptions,
} from './option-types.js'
export {
  resolveOptions,
  type ResolvedAuthenticateOptions,
  type ResolvedCommonOptions,
  type ResolvedIssuerOptions,
} from './resolve.js'
