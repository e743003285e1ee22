import { staticKeysFields, type StaticKeysOptions } from '../keys/static-key-set.js'
import { bindingFields, type BindingOptions } from '../binding/options.js'
import { policyFields, type PolicyOptions } from '../policy/policy-option.js'
// Nested option groups: where a feature's own options join `authenticate()`'s.
//
// A group lives in its feature's module: an interface (TSDoc on every field, `| undefined` on
// optional ones) and a zod schema fragment whose input is that interface, e.g.
//
//   // src/revocation/denylist-options.ts
//   export interface DenylistOptions { redisUrl: string; ttl?: number | undefined }
//   export const denylistSchema = z.strictObject({ redisUrl: z.string(), ttl: z.number().optional() })
//
// Wiring it is two lines here, one in each record of the same level (common = once for the
// authenticator; issuer = per issuer, also allowed at the top level of a single-issuer config):
//
//   export interface CommonGroups { /** Token denylist (revocation). */ denylist?: DenylistOptions | undefined }
//   export const COMMON_GROUP_FIELDS = { denylist: denylistSchema.optional() }
//
// Nothing else changes: the group's value, as its schema outputs it (apply defaults and
// transforms in the fragment), appears in `ResolvedAuthenticateOptions` (or in each
// `ResolvedIssuerOptions`) under the same name, typed and documented from the interface, and
// test/types/options.test-d.ts fails if the interface and the fragment disagree. Unknown keys,
// "did you mean" and the allowed values of an enum are reported for the group as for any option.

/** Option groups set once per authenticator (wired by their features). */
export interface CommonGroups extends BindingOptions, PolicyOptions {}

/** Zod fields of {@link CommonGroups}, one per group. */
export const COMMON_GROUP_FIELDS = { ...bindingFields, ...policyFields }

/** Option groups set per issuer (wired by their features). */
export interface IssuerGroups extends StaticKeysOptions {}

/** Zod fields of {@link IssuerGroups}, one per group. */
export const ISSUER_GROUP_FIELDS = { ...staticKeysFields }
