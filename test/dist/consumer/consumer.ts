// Type-checked against the built package (resolved through package.json "exports", not the
// sources), as an application would see it.
import type { Request } from 'express'
import type { FastifyRequest } from 'fastify'
import type Koa from 'koa'
import { createAuthenticator, type AuthContext } from 'oidc-guard'
import { authenticate, getAuth, requireScope } from 'oidc-guard/express'
import 'oidc-guard/fastify'
import type { AuthState } from 'oidc-guard/koa'

declare module 'oidc-guard' {
  interface CustomClaims {
    tenant_id: string
  }
}

export const tenantOf = (auth: AuthContext): string => auth.claims.tenant_id
export const expressAuth = (req: Request): AuthContext | undefined => req.auth
export const koaAuth = (state: AuthState, ctx: Koa.DefaultState): AuthContext | undefined => state.auth ?? ctx.auth
export const fastifyAuth = (request: FastifyRequest): AuthContext | undefined => request.auth
export const middleware = [authenticate({ issuer: 'https://idp.example.com', audience: 'api' }), requireScope('a')]
export const core = createAuthenticator

// exactOptionalPropertyTypes: a value that may be undefined passes straight through.
const realm: string | undefined = process.env['REALM']
export const strictOptional = authenticate({
  issuer: 'https://idp.example.com',
  audience: 'api',
  realm,
  jwksUri: undefined,
  claims: { preset: 'keycloak', clientRoles: undefined },
})
export const optionalAuth = strictOptional.optional
export const accessor = (req: Request): AuthContext | undefined => getAuth(req)
// The test kit resolves through its own subpath, and its options fit authenticate().
import { createTestIssuer } from 'oidc-guard/testing'
export const testAuth = async () => authenticate((await createTestIssuer()).options)
// The OpenTelemetry entry resolves through its own subpath; its result is an `instrumentation`.
import { createTelemetry } from 'oidc-guard/otel'
export const observed = authenticate({
  issuer: 'https://idp.example.com',
  audience: 'api',
  instrumentation: createTelemetry({ includeSubject: undefined }),
})
