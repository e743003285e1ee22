import { first, type Resolved } from './field-readers.js'

/** Google: the Workspace domain `hd` as tenant, `azp` for the client. */
export const google = (): Partial<Resolved> => ({ tenant: first('hd'), clientId: first('azp') })
