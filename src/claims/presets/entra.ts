import { first, type Resolved } from './field-readers.js'

/** Entra ID: delegated tokens carry `scp`; application tokens carry app `roles` and no `scp`. */
export const entra = (): Partial<Resolved> => ({
  scopes: first('scp'),
  tenant: first('tid'),
  clientId: first('azp', 'appid'),
})
