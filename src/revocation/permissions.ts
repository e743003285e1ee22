import { LRUCache } from 'lru-cache'
import { z } from 'zod'
import { DependencyUnavailableError, InvalidTokenError } from '../errors/errors.js'
import { DESCRIPTIONS } from '../errors/reasons.js'
import type { AuthContext } from '../verify/auth-context.js'

/** What your user store says about a subject; merged into the AuthContext before guards run. */
export interface PermissionGrant {
  /** Added to the token's roles. */
  roles?: string[] | undefined
  /** Added to the token's permissions. */
  permissions?: string[] | undefined
  /** Added to the token's groups. */
  groups?: string[] | undefined
  /** Exposed as `auth.attributes`. */
  attributes?: Record<string, unknown> | undefined
  /** True refuses every request of the subject (401 `invalid_token`). */
  disabled?: boolean | undefined
}

/**
 * The `permissions` option: roles, permissions and groups from the app's own store, cached per
 * subject.
 * @example
 * permissions: {
 *   resolve: async (auth) => db.users.access(auth.subject),
 *   ttl: 60_000,
 * }
 */
export interface PermissionsOptions {
  /** Reads the subject's grant (`auth.subject`, or `auth.clientId` for tokens without `sub`). */
  resolve: (auth: AuthContext) => PermissionGrant | Promise<PermissionGrant>
  /** How long a grant is reused, in milliseconds. Default 60000. */
  ttl?: number | undefined
  /** Subjects whose grant is held at once (LRU), in entries. Default 10000. */
  maxEntries?: number | undefined
  /** Longest wait for `resolve`, in milliseconds. Default 2000. */
  timeout?: number | undefined
  /**
   * Used (and not cached) when `resolve` throws, times out or returns a bad shape. Default: none,
   * so such a request is refused with 503.
   */
  fallback?: PermissionGrant | undefined
}

const stringList = z.array(z.string()).optional()
const grantSchema = z.object({
  roles: stringList,
  permissions: stringList,
  groups: stringList,
  attributes: z.record(z.string(), z.unknown()).optional(),
  disabled: z.boolean().optional(),
})

/** @internal The zod fragment of the `permissions` option, used by the options schema. */
export const permissionsOptionSchema = z.strictObject({
  resolve: z.custom<PermissionsOptions['resolve']>(
    (value) => typeof value === 'function',
    'Expected a function',
  ),
  ttl: z.number().int().positive().optional(),
  maxEntries: z.number().int().positive().optional(),
  timeout: z.number().int().positive().optional(),
  fallback: grantSchema.optional(),
})

interface Held {
  readonly issuer: string
  readonly grant: PermissionGrant
}

/** The per-authenticator permission stage. */
export interface PermissionStage {
  /** The context with the subject's grant merged in: synchronous when the grant is held. */
  apply(auth: AuthContext): AuthContext | Promise<AuthContext>
  /** Drops a subject's grant here, or every grant (`undefined`). */
  invalidate(subject: string | undefined): void
  readonly size: number
  clear(): void
}

const union = (base: readonly string[], extra: readonly string[] | undefined) =>
  extra === undefined || extra.length === 0
    ? base
    : Object.freeze([...new Set([...base, ...extra])])

function merge(auth: AuthContext, grant: PermissionGrant): AuthContext {
  return Object.freeze({
    ...auth,
    roles: union(auth.roles, grant.roles),
    permissions: union(auth.permissions, grant.permissions),
    groups: union(auth.groups, grant.groups),
    attributes: Object.freeze({ ...auth.attributes, ...grant.attributes }),
  })
}

/**
 * Builds the permission stage: an LRU with TTL keyed by subject, one resolver call at a time per
 * subject, and a memo so a held grant costs no allocation per request.
 */
export function createPermissionStage(options: PermissionsOptions, realm: string): PermissionStage {
  const timeout = options.timeout ?? 2000
  const cache = new LRUCache<string, Held>({
    max: options.maxEntries ?? 10_000,
    ttl: options.ttl ?? 60_000,
  })
  const pending = new Map<string, Promise<Held>>()
  // The merged context of a verified context, valid while the grant it was built from is held.
  const memo = new WeakMap<AuthContext, { held: Held; merged: AuthContext }>()

  function finish(auth: AuthContext, held: Held): AuthContext {
    if (held.grant.disabled === true) throw new InvalidTokenError(DESCRIPTIONS.disabled, { realm })
    const known = memo.get(auth)
    if (known !== undefined && known.held === held) return known.merged
    const merged = merge(auth, held.grant)
    memo.set(auth, { held, merged })
    return merged
  }

  async function resolve(auth: AuthContext): Promise<PermissionGrant> {
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('permission resolver timed out')), timeout)
    })
    try {
      const grant = await Promise.race([options.resolve(auth), expired])
      return grantSchema.parse(grant) as PermissionGrant
    } finally {
      clearTimeout(timer)
    }
  }

  function load(key: string, auth: AuthContext): Promise<Held> {
    const inflight = pending.get(key)
    if (inflight !== undefined) return inflight
    const loading: Promise<Held> = resolve(auth)
      .then(
        (grant) => {
          const held = { issuer: auth.issuer, grant }
          // An invalidation while resolving removed us from `pending`: do not cache stale data.
          if (pending.get(key) === loading) cache.set(key, held)
          return held
        },
        (cause: unknown) => {
          if (options.fallback !== undefined)
            return { issuer: auth.issuer, grant: options.fallback }
          throw new DependencyUnavailableError(DESCRIPTIONS.permissionsUnavailable, {
            cause,
            realm,
          })
        },
      )
      .finally(() => {
        if (pending.get(key) === loading) pending.delete(key)
      })
    pending.set(key, loading)
    return loading
  }

  return {
    apply(auth) {
      const key = auth.subject ?? auth.clientId
      // A token naming neither subject nor client has nobody to look up.
      if (key === undefined) return auth
      const held = cache.get(key)
      if (held !== undefined && held.issuer === auth.issuer) return finish(auth, held)
      return load(key, auth).then((found) => finish(auth, found))
    },
    invalidate(subject) {
      if (subject === undefined) {
        cache.clear()
        pending.clear()
        return
      }
      cache.delete(subject)
      pending.delete(subject)
    },
    get size() {
      return cache.size
    },
    clear() {
      cache.clear()
      pending.clear()
    },
  }
}
