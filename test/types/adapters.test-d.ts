import type { Request } from 'express'
import type { FastifyRequest } from 'fastify'
import type Koa from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import type { AuthContext, AuthenticateOptions, Guard, GuardName, TokenClaims } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'

declare module 'oidc-guard' {
  interface CustomClaims {
    tenant_id?: string
  }
}

describe('types', () => {
  it('Express: req.auth is the AuthContext, optional', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<AuthContext | undefined>()
  })

  it('Koa: ctx.state.auth through DefaultState and AuthState', () => {
    expectTypeOf<Koa.DefaultState['auth']>().toEqualTypeOf<AuthContext | undefined>()
    expectTypeOf<Koa.ParameterizedContext<onKoa.AuthState>['state']['auth']>().toEqualTypeOf<
      AuthContext | undefined
    >()
  })

  it('Fastify: request.auth is the AuthContext or null', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthContext | null>()
  })

  it('CustomClaims augmentation types auth.claims', () => {
    expectTypeOf<AuthContext['claims']['tenant_id']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<TokenClaims['sub']>().toEqualTypeOf<string | undefined>()
  })

  it('every adapter exports the same guard builders, each also a Guard', () => {
    expectTypeOf(onExpress.requireScope('a')).toExtend<Guard>()
    expectTypeOf(onKoa.requireScope('a')).toExtend<Guard>()
    expectTypeOf(onFastify.requireScope('a')).toExtend<Guard>()
    expectTypeOf(onExpress.authenticate).parameter(0).toEqualTypeOf<AuthenticateOptions>()
    expectTypeOf(onKoa.authenticate).parameter(0).toEqualTypeOf<AuthenticateOptions>()
    expectTypeOf<keyof typeof onExpress>().toEqualTypeOf<keyof typeof onKoa>()
  })

  it('every adapter exports every builder of GUARD_BUILDERS, each returning its middleware', () => {
    expectTypeOf<GuardName>().toExtend<keyof typeof onExpress>()
    expectTypeOf<GuardName>().toExtend<keyof typeof onKoa>()
    expectTypeOf<GuardName>().toExtend<keyof typeof onFastify>()
    expectTypeOf(onExpress.guard({ role: 'admin' })).toEqualTypeOf<onExpress.GuardMiddleware>()
    expectTypeOf(onKoa.requireTenant({ param: 't' })).toEqualTypeOf<onKoa.GuardMiddleware>()
  })

  it('options reject unknown keys and wrong types at compile time too', () => {
    // @ts-expect-error audience is required
    onExpress.authenticate({ issuer: 'https://idp' })
    // @ts-expect-error misspelt option
    onExpress.authenticate({ issuer: 'https://idp', audience: 'a', audiance: 'a' })
    // @ts-expect-error `none` is never an algorithm
    onExpress.authenticate({ issuer: 'https://idp', audience: 'a', algorithms: ['none'] })
  })
})
