/**
 * Issue 14 §2 and issue 10 §3: `ready()` on the authenticator and on every adapter, and
 * decision events that say why keys were unavailable and what a refused token claimed.
 */
import express from 'express'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createAuthenticator,
  KeySetUnavailableError,
  type AuthRequest,
  type DecisionEvent,
  type SingleIssuerOptions,
} from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import {
  AUDIENCE,
  claims,
  createTestKey,
  encodeSegment,
  sign,
  type TestKey,
} from '../helpers/keys.js'
import { rejection } from '../helpers/assertions.js'

let server: JwksServer
let rsa: TestKey
beforeAll(async () => {
  server = await startJwksServer()
  rsa = await createTestKey('RS256')
  server.keys = [rsa.publicJwk]
})
afterAll(() => server.close())

const options = (overrides: Partial<SingleIssuerOptions> = {}): SingleIssuerOptions => ({
  issuer: server.issuer,
  audience: AUDIENCE,
  jwksUri: server.jwksUri,
  onWarning: () => {},
  ...overrides,
})
const bearer = (token: string): AuthRequest => ({
  method: 'GET',
  path: '/orders',
  headers: { authorization: `Bearer ${token}` },
})
const missingJwks = () => ({ jwksUri: `${server.url}/missing-jwks` })

describe('authenticator.ready()', () => {
  it('fetches the keys of every configured issuer once, and later requests need no fetch', async () => {
    const before = server.jwksFetches()
    const auth = createAuthenticator(options())
    await auth.ready()
    expect(server.jwksFetches()).toBe(before + 1)
    expect(auth.stats().keys).toBe(1)
    await auth.authenticate(bearer(await sign(rsa, claims({ iss: server.issuer }))))
    expect(server.jwksFetches()).toBe(before + 1)
  })

  it('rejects with a 503 whose cause names the failure', async () => {
    const auth = createAuthenticator(options(missingJwks()))
    const error = (await rejection(auth.ready())) as KeySetUnavailableError
    expect(error).toBeInstanceOf(KeySetUnavailableError)
    expect(error.failure).toEqual({
      kind: 'status',
      resource: 'jwks',
      url: `${server.url}/missing-jwks`,
      status: 404,
    })
    expect((error.cause as Error).message).toBe('unexpected status 404')
  })

  it('has nothing to fetch for an HS* issuer or an issuer template', async () => {
    const before = server.jwksFetches()
    await createAuthenticator(
      options({ secret: 'a-shared-secret-of-at-least-32-bytes!', jwksUri: undefined }),
    ).ready()
    await createAuthenticator({
      issuers: [{ issuer: `${server.url}/{tenant}`, audience: AUDIENCE, tenants: ['a'] }],
    }).ready()
    expect(server.jwksFetches()).toBe(before)
  })
})

describe('decision events of failures', () => {
  it('carry the fetch failure on a 503, and never the token', async () => {
    const events: DecisionEvent[] = []
    const auth = createAuthenticator(
      options({ ...missingJwks(), onDecision: (event) => events.push(event) }),
    )
    const token = await sign(rsa, claims({ iss: server.issuer }))
    await rejection(auth.authenticate(bearer(token)))
    expect(events[0]).toMatchObject({
      status: 503,
      cause: { kind: 'status', resource: 'jwks', status: 404 },
      unverified: { iss: server.issuer, aud: AUDIENCE, kid: rsa.kid, alg: 'RS256' },
    })
    expect(JSON.stringify(events)).not.toContain(token.split('.')[2])
  })

  it("carry a 401's unverified iss, aud, kid and alg, bounded, and nothing for a malformed token", async () => {
    const events: DecisionEvent[] = []
    const auth = createAuthenticator(options({ onDecision: (event) => events.push(event) }))
    const token = await sign(
      rsa,
      claims({ iss: server.issuer, aud: ['other', 7 as never, 'x'.repeat(999)] }),
    )
    await rejection(auth.authenticate(bearer(token)))
    expect(events[0]?.status).toBe(401)
    expect(events[0]?.unverified).toEqual({
      iss: server.issuer,
      aud: ['other', 'x'.repeat(256)],
      kid: rsa.kid,
      alg: 'RS256',
    })
    expect(events[0]?.cause).toBeUndefined()
    const headerOnly = `${encodeSegment({ alg: 'RS256' })}.${encodeSegment({ aud: 5 })}.c2ln`
    await rejection(auth.authenticate(bearer(headerOnly)))
    expect(events[1]?.unverified).toEqual({ alg: 'RS256' })
    await rejection(auth.authenticate(bearer('not-a-jws')))
    expect(events[2]?.unverified).toBeUndefined()
  })
})

describe('adapters: ready()', () => {
  it('Express and Koa middleware expose ready() and their authenticator', async () => {
    for (const adapter of [onExpress, onKoa]) {
      const middleware = adapter.authenticate(options())
      await middleware.ready()
      expect(middleware.authenticator.stats().keys).toBe(1)
      const failing = adapter.authenticate(options(missingJwks()))
      expect(await rejection(failing.ready())).toBeInstanceOf(KeySetUnavailableError)
    }
    // Still plain middleware for the framework.
    express().use(onExpress.authenticate(options()))
  })

  it('Fastify: waitForKeys makes fastify.ready() fetch the keys or fail with the cause', async () => {
    const app = Fastify()
    await app.register(onFastify.authenticate, { ...options(), waitForKeys: true })
    await app.ready()
    expect(app.oidcGuard.stats().keys).toBe(1)
    await app.close()

    const failing = Fastify()
    await failing.register(onFastify.authenticate, { ...options(missingJwks()), waitForKeys: true })
    const error = (await rejection(Promise.resolve(failing.ready()))) as KeySetUnavailableError
    expect(error.failure?.status).toBe(404)

    const lazy = Fastify()
    await lazy.register(onFastify.authenticate, options(missingJwks()))
    await lazy.ready() // without waitForKeys, nothing is fetched at boot
    expect(await rejection(lazy.oidcGuard.ready())).toBeInstanceOf(KeySetUnavailableError)
    await lazy.close()
  })
})
