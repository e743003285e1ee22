import { Readable } from 'node:stream'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  createBackchannelLogout,
  createDenylist,
  type BackchannelLogoutOptions,
} from 'oidc-guard'
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js'
import { createTestKey, encodeSegment, type TestKey } from '../helpers/keys.js'

const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
let jwks: JwksServer
let key: TestKey

beforeAll(async () => {
  jwks = await startJwksServer()
  key = await createTestKey('ES256')
  jwks.keys = [key.publicJwk]
})
afterAll(() => jwks.close())

function receiver(options: Partial<BackchannelLogoutOptions> = {}) {
  const denylist = createDenylist()
  const logout = createBackchannelLogout({
    issuer: jwks.issuer,
    clientId: 'rp',
    denylist,
    jwksUri: jwks.jwksUri,
    ...options,
  })
  return { logout, denylist }
}

async function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    iss: jwks.issuer,
    aud: ['rp', 'other'],
    iat: now,
    exp: now + 60,
    jti: `j-${Math.random()}`,
    sub: 'user-1',
    sid: 'session-1',
    events: { [EVENT]: {} },
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'logout+jwt', ...header })
    .sign(key.privateKey)
}

describe('createBackchannelLogout()', () => {
  it('reads a raw string, a Buffer or a stream body, and revokes only what `revoke` names', async () => {
    const { logout, denylist } = receiver({ revoke: ['sid'] })
    const body = `logout_token=${await token()}`
    expect((await logout.handle({ headers: FORM, body })).status).toBe(200)
    const buffer = Buffer.from(`logout_token=${await token({ sid: 'session-2' })}`)
    expect((await logout.handle({ headers: FORM, body: buffer })).status).toBe(200)
    const stream = Readable.from([`logout_token=${await token({ sid: 'session-3' })}`])
    expect((await logout.handle({ headers: FORM, stream })).status).toBe(200)
    expect(denylist.size).toBe(3)
  })

  it('revokes by sub when only sub is configured, and still ends a session-only logout', async () => {
    const { logout, denylist } = receiver({ revoke: ['sub'] })
    const withoutSub = await token({ sub: undefined })
    await logout.handle({ headers: FORM, body: { logout_token: withoutSub } })
    await logout.handle({ headers: FORM, body: { logout_token: await token({ sid: undefined }) } })
    expect(denylist.size).toBe(2)
  })

  it.each([
    ['a malformed token', () => Promise.resolve('not-a-jwt'), 'The logout token is malformed'],
    [
      'an HS256 token',
      () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32)),
      'The logout token algorithm is not accepted',
    ],
    ['a non-string sub', () => token({ sub: 42 }), 'The logout token has an invalid sub or sid'],
    [
      'an unknown kid',
      () => token({}, { kid: 'unknown' }),
      'The logout token signature is invalid',
    ],
    [
      'a typ that is not a string',
      () => token({}, { typ: 7 }),
      'The logout token type is not accepted',
    ],
  ])('refuses %s', async (_name, make, description) => {
    const { logout, denylist } = receiver()
    const answer = await logout.handle({ headers: FORM, body: { logout_token: await make() } })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body)).toEqual({
      error: 'invalid_request',
      error_description: description,
    })
    expect(denylist.size).toBe(0)
  })

  it('accepts typ application/logout+jwt and tolerates a failing onLogout hook', async () => {
    const { logout } = receiver({
      onLogout: () => {
        throw new Error('hook failed')
      },
    })
    const answer = await logout.handle({
      headers: FORM,
      body: { logout_token: await token({}, { typ: 'application/logout+jwt' }) },
    })
    expect(answer).toEqual({ status: 200, headers: { 'cache-control': 'no-store' }, body: '' })
  })

  it('refuses a request without a content type, and a token signed with an unsigned header trick', async () => {
    const { logout } = receiver()
    expect((await logout.handle({ headers: {}, body: 'logout_token=x' })).status).toBe(400)
    const unsigned = `${encodeSegment({ alg: 'none' })}.${encodeSegment({ iss: jwks.issuer })}.`
    const answer = await logout.handle({ headers: FORM, body: { logout_token: unsigned } })
    expect(answer.status).toBe(400)
  })

  it('refuses bad options at startup', () => {
    const denylist = createDenylist()
    expect(() => createBackchannelLogout({ issuer: 'nope', clientId: 'rp', denylist })).toThrow(
      ConfigurationError,
    )
    expect(() =>
      createBackchannelLogout({ issuer: 'https://idp.example.com', clientId: '', denylist }),
    ).toThrow(/clientId/)
    expect(() =>
      createBackchannelLogout({
        issuer: 'https://idp.example.com',
        clientId: 'rp',
        denylist: undefined as never,
      }),
    ).toThrow(/denylist/)
  })
})
