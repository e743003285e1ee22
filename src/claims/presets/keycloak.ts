import type { ClaimPresetOptions } from '../claim-mapping.js'
import { readPath } from '../read-claim.js'
import { first, type Resolved } from './field-readers.js'

/** Keycloak: realm roles in `realm_access.roles`, client roles in `resource_access`, `azp`. */
export function keycloak(
  options: ClaimPresetOptions,
  list: (value: unknown) => readonly string[],
): Partial<Resolved> {
  const client = options.clientRoles
  return {
    roles: (claims) => {
      const realm = list(readPath(claims, ['realm_access', 'roles']))
      if (client === undefined) return realm
      const access = readPath(claims, ['resource_access']) as
        Record<string, { roles?: unknown }> | undefined
      const own = list(access && Object.hasOwn(access, client) ? access[client]?.roles : undefined)
      return [
        ...realm,
        ...(options.namespacedClientRoles ? own.map((role) => `${client}:${role}`) : own),
      ]
    },
    clientId: first('azp', 'client_id'),
    tenant: () => undefined,
  }
}
