import type { ResolvedAuthenticateOptions } from '../config/options.js'
import { DependencyUnavailableError, InvalidTokenError } from '../errors/errors.js'
import { DESCRIPTIONS } from '../errors/reasons.js'
import type { AuthContext } from '../verify/auth-context.js'
import { createDenylist, type Denylist } from './denylist.js'
import { createPermissionStage, type PermissionStage } from './permissions.js'

/** What runs after verification, on every request (cache hits included). */
export interface RevocationStage {
  readonly denylist: Denylist
  readonly permissions: PermissionStage | undefined
  /**
   * Refuses a revoked token (401) or, when the denylist cannot vouch for its view and does not
   * fail open, any token (503); then merges the subject's permissions. Synchronous unless the
   * permissions must be resolved.
   */
  check(auth: AuthContext): AuthContext | Promise<AuthContext>
  close(): void
}

/**
 * Builds the stage from the options: the given denylist (or one of this authenticator only)
 * and the permission resolver, which the denylist's invalidations reach on every instance.
 */
export function createRevocationStage(options: ResolvedAuthenticateOptions): RevocationStage {
  const { realm } = options
  const denylist = options.denylist ?? createDenylist()
  const permissions =
    options.permissions === undefined
      ? undefined
      : createPermissionStage(options.permissions, realm)
  const unsubscribe = permissions
    ? denylist.onPermissionsInvalidated((subject) => permissions.invalidate(subject))
    : undefined

  return {
    denylist,
    permissions,
    check(auth) {
      if (!denylist.available && !denylist.failOpen) {
        throw new DependencyUnavailableError(
          denylist.unavailableReason ?? DESCRIPTIONS.denylistUnavailable,
          { realm },
        )
      }
      if (denylist.isRevoked(auth)) throw new InvalidTokenError(DESCRIPTIONS.revoked, { realm })
      return permissions === undefined ? auth : permissions.apply(auth)
    },
    close() {
      unsubscribe?.()
      permissions?.clear()
    },
  }
}
