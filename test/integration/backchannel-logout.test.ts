import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import express from 'express'
import Fastify from 'fastify'
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'
import Koa from 'koa'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDenylist, type Denylist } from 'oidc-guard'
import * as onExpress from 'oidc-guard/express'
import * as onFastify from 'oidc-guard/fastify'
import * as onKoa from 'oidc-guard/koa'
import {
  JWT_RESOURCE,
  startRevocationProvider,
  type RevocationProvider,
} from '../helpers/revocation-provider.js'

const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let provider: RevocationProvider
let server: Server
let denylist: Denylist
let app: express.Express | undefined
const logouts: { sub?: string; sid?: string }[] = []

beforeAll(async () => {
  // The API listens first: the provider needs its back-channel logout URI.
  server = createServer((req, res) => app?.(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  provider = await startRevocationProvider({ backchannelLogoutUri: `${api}/backchannel-logout` })
  denylist = createDenylist()
  const express_ = express()
  express_.get(
    '/orders',
    onExpress.authenticate({ issuer: provider.issuer, audience: JWT_RESOURCE, denylist }),
    (req, res) => void res.json({ sub: req.auth?.subject }),
  )
  express_.post(
    '/backchannel-logout',
    onExpress.backchannelLogout({
      issuer: provider.issuer,
      clientId: 'web',
      denylist,
      onLogout: (logout) => logouts.push(logout),
    }),
  )
  app = express_
})
afterAll(async () => {
  await provider.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function logoutToken(
  claims: Record<string, unknown>,
  options: { key?: JWK; typ?: string | null; drop?: string[] } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const body: Record<string, unknown> = {
    iss: provider.issuer,
    aud: 'web',
    iat: now,
    exp: now + 120,
    jti: `jti-${Math.random()}`,
    sub: 'user-9',
    events: { [EVENT]: {} },
    ...claims,
  }
  for (const name of options.drop ?? []) delete body[name]
  const jwk = options.key ?? provider.signingKey
  const header = {
    alg: jwk.alg as string,
    kid: jwk.kid,
    ...(options.typ !== null && { typ: options.typ ?? 'logout+jwt' }),
  }
  return new SignJWT(body).setProtectedHeader(header).sign(await importJWK(jwk, jwk.alg))
}

const post = (token: string, target: Parameters<typeof request>[0] = server) =>
  request(target).post('/backchannel-logout').type('form').send({ logout_token: token })

describe('OIDC Back-Channel Logout 1.0 with a real oidc-provider', () => {
  it('a real RP-initiated logout delivers a logout token; the old access token is refused, a new login works', async () => {
    const session = await provider.login('user-1')
    const call = (token: string) =>
      request(server).get('/orders').set('Authorization', `Bearer ${token}`)
    await call(session.accessToken).expect(200, { sub: 'user-1' })
    await provider.logout(session)
    expect(logouts).toHaveLength(1)
    expect(logouts[0]?.sub).toBe('user-1')
    expect(typeof logouts[0]?.sid).toBe('string')
    const refused = await call(session.accessToken)
    expect(refused.status).toBe(401)
    expect(refused.body.error_description).toBe('The access token was revoked')
    // Tokens issued after the logout are not affected (entries refuse earlier tokens only).
    await sleep(1100)
    const again = await provider.login('user-1')
    await call(again.accessToken).expect(200)
  })

  it('answers 200 with Cache-Control: no-store and records sub and sid', async () => {
    const before = denylist.size
    const response = await post(await logoutToken({ sid: 'session-1' }))
    expect(response.status).toBe(200)
    expect(response.headers['cache-control']).toBe('no-store')
    expect(denylist.size).toBe(before + 2)
  })

  it.each([
    ['a bad signature', {}, 'The logout token signature is invalid', 'other-key'],
    ['a nonce', { nonce: 'n-1' }, 'The logout token has a nonce'],
    ['no events claim', { events: undefined }, 'The logout token has no back-channel logout event'],
    [
      'events without the member',
      { events: { other: {} } },
      'The logout token has no back-channel logout event',
    ],
    ['another audience', { aud: 'someone-else' }, 'The logout token is not meant for this client'],
    [
      'another issuer',
      { iss: 'https://evil.example.com' },
      'The logout token was issued by another issuer',
    ],
    ['neither sub nor sid', { sub: undefined }, 'The logout token has neither sub nor sid'],
    [
      'an old iat',
      { iat: Math.floor(Date.now() / 1000) - 3600 },
      'The logout token issue time is not accepted',
    ],
    ['no jti', { jti: undefined }, 'The logout token has no jti'],
    ['no exp', { exp: undefined }, 'The logout token expired'],
  ] as const)(
    'answers 400 to a logout token with %s, and revokes nothing',
    async (_name, claims, description, key?: string) => {
      const other = key
        ? {
            ...(await import('jose').then(async (jose) =>
              jose.exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey),
            )),
            alg: 'RS256',
            kid: provider.signingKey.kid,
          }
        : undefined
      const drop = Object.entries(claims)
        .filter(([, value]) => value === undefined)
        .map(([name]) => name)
      const before = denylist.size
      const response = await post(await logoutToken(claims, { key: other, drop }))
      expect(response.status).toBe(400)
      expect(response.headers['cache-control']).toBe('no-store')
      expect(response.body).toEqual({ error: 'invalid_request', error_description: description })
      expect(denylist.size).toBe(before)
    },
  )

  it('refuses a replayed jti, a wrong typ, a missing or repeated logout_token, and a JSON body', async () => {
    const token = await logoutToken({ jti: 'replayed-1', sub: 'user-77' })
    await post(token).expect(200)
    const replay = await post(token)
    expect(replay.status).toBe(400)
    expect(replay.body.error_description).toBe('The logout token was used before')
    const wrongTyp = await post(await logoutToken({}, { typ: 'JWT' }))
    expect(wrongTyp.body.error_description).toBe('The logout token type is not accepted')
    await post(await logoutToken({}, { typ: null })).expect(200)
    const none = await request(server).post('/backchannel-logout').type('form').send('a=b')
    expect(none.body.error_description).toBe('Expected one logout_token parameter')
    const twice = await request(server)
      .post('/backchannel-logout')
      .type('form')
      .send(`logout_token=${token}&logout_token=${token}`)
    expect(twice.body.error_description).toBe('Expected one logout_token parameter')
    const json = await request(server).post('/backchannel-logout').send({ logout_token: token })
    expect(json.status).toBe(400)
    expect(json.body.error_description).toBe('Expected an application/x-www-form-urlencoded body')
    const huge = await request(server)
      .post('/backchannel-logout')
      .type('form')
      .send(`logout_token=${'a'.repeat(20_000)}`)
    expect(huge.body.error_description).toBe('The request body is too large')
  })

  it('answers 400 (the provider may retry) when the denylist cannot record the logout', async () => {
    const failing = createDenylist({
      store: {
        start: (sink) => sink.availability(true),
        add: () => Promise.reject(new Error('store down')),
        invalidate: async () => {},
        close: async () => {},
      },
    })
    const receiver = express().post(
      '/backchannel-logout',
      onExpress.backchannelLogout({ issuer: provider.issuer, clientId: 'web', denylist: failing }),
    )
    const token = await logoutToken({ jti: 'retry-1' })
    const response = await post(token, receiver)
    expect(response.status).toBe(400)
    expect(response.body.error).toBe('temporarily_unavailable')
    // Not remembered as seen: the provider's retry is processed.
    const working = express().post(
      '/backchannel-logout',
      onExpress.backchannelLogout({ issuer: provider.issuer, clientId: 'web', denylist }),
    )
    await post(token, working).expect(200)
  })

  it('Koa and Fastify receivers answer the same (unparsed and parsed bodies)', async () => {
    const koa = new Koa()
    const router = new Router()
    router.post(
      '/backchannel-logout',
      onKoa.backchannelLogout({ issuer: provider.issuer, clientId: 'web', denylist }),
    )
    koa.use(router.routes())
    const koaServer = createServer(koa.callback())
    const fastify = Fastify()
    fastify.post(
      '/backchannel-logout',
      {
        onRequest: onFastify.backchannelLogout({
          issuer: provider.issuer,
          clientId: 'web',
          denylist,
        }),
      },
      async () => ({}),
    )
    await fastify.ready()
    for (const target of [koaServer, fastify.server]) {
      const ok = await post(await logoutToken({ sub: 'user-koa-fastify' }), target)
      expect(ok.status).toBe(200)
      expect(ok.headers['cache-control']).toBe('no-store')
      const refused = await post(await logoutToken({ nonce: 'x' }), target)
      expect(refused.status).toBe(400)
      expect(refused.body.error_description).toBe('The logout token has a nonce')
    }
    await fastify.close()
    // A body already parsed by express.urlencoded() is read too.
    const parsed = express()
    parsed.use(express.urlencoded({ extended: false }))
    parsed.post(
      '/backchannel-logout',
      onExpress.backchannelLogout({ issuer: provider.issuer, clientId: 'web', denylist }),
    )
    await post(await logoutToken({ sid: 'parsed-session' }), parsed).expect(200)
  })
})
