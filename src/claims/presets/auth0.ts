import type { ClaimPresetOptions } from '../claim-mapping.js'
import { toStringList } from '../read-claim.js'
import { first, type Resolved } from './field-readers.js'

/** Auth0: namespaced custom claims, RBAC `permissions`, organizations as `org_id`. */
export function auth0(options: ClaimPresetOptions): Partial<Resolved> {
  const ns = options.namespace ?? ''
  return {
    scopes: options.permissionsAsScopes
      ? (claims) => [...toStringList(claims.scope), ...toStringList(claims.permissions)]
      : first('scope'),
    roles: first(`${ns}roles`),
    groups: first(`${ns}groups`),
    tenant: first('org_id'),
    clientId: first('azp', 'client_id'),
    email: first(`${ns}email`, 'email'),
    name: first(`${ns}name`, 'name'),
  }
}
