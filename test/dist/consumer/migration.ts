// A route-by-route migration from express-oauth2-jwt-bearer: both libraries declare `req.auth`
// globally; getAuth() reads oidc-guard's context with its own type, whatever `req.auth` is.
import type { Request } from 'express'
import { auth as legacyAuth } from 'express-oauth2-jwt-bearer'
import type { AuthContext } from 'oidc-guard'
import { authenticate, getAuth } from 'oidc-guard/express'

export const legacy = legacyAuth({ issuerBaseURL: 'https://idp.example.com', audience: 'api' })
export const modern = authenticate({ issuer: 'https://idp.example.com', audience: 'api' })
export const subject = (req: Request): string | undefined => {
  const context: AuthContext | undefined = getAuth(req)
  return context?.subject
}
