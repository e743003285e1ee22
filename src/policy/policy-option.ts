import { z } from 'zod'
import type { Policy } from './policy.js'

/** The `policy` option of `authenticate()`: the policy its guards decide with. */
export interface PolicyOptions {
  /**
   * A policy from `loadPolicy()`: each request pins the version running when it arrived, for
   * `enforcePolicy()`, `requireAction()` and `policy.can(…, { request })`. Default: none.
   * @example authenticate({ issuer, audience, policy: await loadPolicy({ file: './policy.yaml' }) })
   */
  policy?: Policy | undefined
}

/** Zod fields of {@link PolicyOptions} (wired in src/config/groups.ts). */
export const policyFields = {
  policy: z
    .custom<Policy>(
      (value) =>
        value !== null && typeof value === 'object' && typeof (value as Policy).can === 'function',
      'Expected a policy from loadPolicy()',
    )
    .optional(),
}
