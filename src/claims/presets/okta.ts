import { first, type Resolved } from './field-readers.js'

/** Okta: `scp` as a list, `cid` for the client. */
export const okta = (): Partial<Resolved> => ({
  scopes: first('scp', 'scope'),
  clientId: first('cid', 'client_id'),
  tenant: () => undefined,
})
