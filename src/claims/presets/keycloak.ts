import type { ClaimPresetOptions } from '../claim-mapping.js'
import { readClaim, toStringList } from '../read-claim.js'
import { first, type Resolved } from './field-readers.js'

/** Keycloak: realm roles in `realm_access.roles`, client roles in `resource_access`, `azp`. */
export function keycloak(options: ClaimPresetOptions): Partial<Resolved> {
  const client = options.clientRoles
  return {
    roles: (claims) => {
      const realm = toStringList(readClaim(claims, 'realm_access.roles'))
      if (client === undefined) return realm
      const access = readClaim(claims, 'resource_access') as
        Record<string, { roles?: unknown }> | undefined
      const own = toStringList(
        access && Object.hasOwn(access, client) ? access[client]?.roles : undefined,
      )
      return [
        ...realm,
        ...(options.namespacedClientRoles ? own.map((role) => `${client}:${role}`) : own),
      ]
    },
    clientId: first('azp', 'client_id'),
    tenant: () => undefined,
  }
}
