// Type-checked against the built package (resolved through package.json "exports", not the
// sources), as an application would see it.
import type { Request } from 'express'
import type { FastifyRequest } from 'fastify'
import type Koa from 'koa'
import { createAuthenticator, type AuthContext } from 'oidc-guard'
import { authenticate, requireScope } from 'oidc-guard/express'
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
export const fastifyAuth = (request: FastifyRequest): AuthContext | null => request.auth
export const middleware = [authenticate({ issuer: 'https://idp.example.com', audience: 'api' }), requireScope('a')]
export const core = createAuthenticator

// The test kit resolves through its own subpath, and its options fit authenticate().
import { createTestIssuer } from 'oidc-guard/testing'
export const testAuth = async () => authenticate((await createTestIssuer()).options)
