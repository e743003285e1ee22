import { z } from 'zod'
import { isDenylist, type Denylist } from './denylist.js'
import { permissionsOptionSchema, type PermissionsOptions } from './permissions.js'

/** The revocation option group of `authenticate()`: the denylist and the permission resolver. */
export interface RevocationOptions {
  /**
   * Revoked tokens, subjects, sessions and clients (`createDenylist()`), checked on every
   * request, cache hits included. Share one between routes and instances (its store, e.g.
   * `createRedisDenylistStore()`, reaches the other instances). Default: a denylist of this
   * authenticator only.
   * @example
   * const denylist = createDenylist({ store: createRedisDenylistStore({ client: redis }) })
   * app.use(authenticate({ issuer, audience, denylist }))
   */
  denylist?: Denylist | undefined
  /**
   * Roles, permissions, groups and attributes from your own user store, merged into the
   * AuthContext before guards run, cached per subject. Default: none.
   */
  permissions?: PermissionsOptions | undefined
}

/** The zod fragment of {@link RevocationOptions}, spread into the options schema. */
export const revocationFields = {
  denylist: z.custom<Denylist>(isDenylist, 'Expected a denylist from createDenylist()').optional(),
  // Typed as the interface, so the resolved options keep its documentation.
  permissions: (
    permissionsOptionSchema as z.ZodType<PermissionsOptions, PermissionsOptions>
  ).optional(),
}
