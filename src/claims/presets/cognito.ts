import { first, type Resolved } from './field-readers.js'

/** Cognito: groups in `cognito:groups` (used as roles too), `client_id`. */
export const cognito = (): Partial<Resolved> => ({
  roles: first('cognito:groups'),
  groups: first('cognito:groups'),
  clientId: first('client_id'),
  tenant: () => undefined,
})
