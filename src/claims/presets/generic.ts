import { first, type Resolved } from './field-readers.js'

/** The generic rules: registered and common claim names (RFC 9068, RFC 8693, OIDC Core). */
export const GENERIC: Resolved = {
  scopes: first('scope', 'scp'),
  roles: first('roles'),
  groups: first('groups'),
  permissions: first('permissions'),
  tenant: first('tenant', 'tid'),
  clientId: first('client_id', 'azp'),
  email: first('email'),
  name: first('name'),
}
