import type { Request } from 'express'
import Fastify, { type FastifyRequest } from 'fastify'
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

  it('Fastify: request.auth is the AuthContext or undefined, as on Express and Koa', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthContext | undefined>()
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

  it('Fastify: a misspelt config.auth string does not compile, in the README form', () => {
    const app = Fastify()
    app.get('/a', { config: { auth: 'optional' } }, async () => 'a')
    app.get('/b', { config: { auth: false } }, async () => 'b')
    app.get('/c', { config: { auth: { scope: 'orders:read' } } }, async () => 'c')
    // @ts-expect-error 'optinal' is not a RouteAuth
    app.get('/d', { config: { auth: 'optinal' } }, async () => 'd')
    // @ts-expect-error the route() form too
    app.route({ method: 'GET', url: '/e', config: { auth: 'public' }, handler: async () => 'e' })
  })

  it('Express/Koa: auth.optional and getAuth are typed without the augmentation', () => {
    const auth = onExpress.authenticate({ issuer: 'https://idp', audience: 'a' })
    expectTypeOf(auth.optional).toEqualTypeOf<import('express').RequestHandler>()
    expectTypeOf(onExpress.getAuth).returns.toEqualTypeOf<AuthContext | undefined>()
    expectTypeOf(onKoa.getAuth).returns.toEqualTypeOf<AuthContext | undefined>()
    expectTypeOf(onFastify.getAuth).returns.toEqualTypeOf<AuthContext | undefined>()
  })

  it('options accept an explicit undefined for every optional field', () => {
    expectTypeOf<{
      realm: undefined
      issuer: string
      audience: string
    }>().toExtend<AuthenticateOptions>()
  })
})
