import { describe, expect, it } from 'vitest'
import {
  InvalidRequestError,
  InvalidTokenError,
  type AuthRequest,
  type TokenLocation,
} from 'oidc-guard'
import { checkTokenSyntax, extractToken } from '../../src/http/extract-token.js'

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'

// Extraction followed by the syntax check, as the authenticator runs them on a cache miss.
function extract(request: Partial<AuthRequest>, tokenLocations: TokenLocation[] = ['header']) {
  const token = extractToken(
    { method: 'GET', headers: {}, ...request },
    { tokenLocations, maxTokenLength: 100, realm: 'api' },
  )
  if (token !== undefined) checkTokenSyntax(token, 'api')
  return token
}

function withAuthorization(...values: string[]): Partial<AuthRequest> {
  return {
    rawHeaders: values.flatMap((value) => ['Authorization', value]),
    headers: { authorization: values[0] },
  }
}

describe('extractToken() — RFC 6750 §2.1 Authorization header', () => {
  it('reads the token after the Bearer scheme, in any case', () => {
    expect(extract(withAuthorization(`Bearer ${TOKEN}`))).toBe(TOKEN)
    expect(extract(withAuthorization(`bearer ${TOKEN}`))).toBe(TOKEN)
    expect(extract(withAuthorization(`BEARER   ${TOKEN}`))).toBe(TOKEN)
  })

  it('reads headers without rawHeaders too (non-Node requests)', () => {
    expect(extract({ headers: { authorization: `Bearer ${TOKEN}` } })).toBe(TOKEN)
    expect(extract({ headers: { authorization: [`Bearer ${TOKEN}`] } })).toBe(TOKEN)
  })

  it('finds the header in rawHeaders whatever its case, among other headers', () => {
    expect(
      extract({
        rawHeaders: ['Host', 'x', 'AUTHORIZATION', `Bearer ${TOKEN}`, 'Accept', '*/*'],
        headers: { authorization: `Bearer ${TOKEN}` },
      }),
    ).toBe(TOKEN)
  })

  it('returns undefined without credentials or with another scheme (§3.1: no error code)', () => {
    expect(extract({})).toBeUndefined()
    expect(extract(withAuthorization('Basic dXNlcjpwYXNz'))).toBeUndefined()
    expect(extract(withAuthorization('Bearerx abc'))).toBeUndefined()
    // Compared letter by letter, folding ASCII case only: not a shorter or longer scheme, not a
    // look-alike letter, not a character that differs from a letter only in bit 0x20.
    expect(extract(withAuthorization('Beare abc'))).toBeUndefined()
    expect(extract(withAuthorization('Bearer\u0435 abc'))).toBeUndefined()
    expect(extract(withAuthorization('B\u0435arer abc'))).toBeUndefined()
    expect(extract(withAuthorization('\u0002earer abc'))).toBeUndefined()
    expect(extract(withAuthorization(`bEaReR ${TOKEN}`))).toBe(TOKEN)
  })

  it('reads the DPoP scheme in any case when DPoP is accepted, and only then', () => {
    const dpop = (value: string, acceptDpop: boolean) =>
      extractToken(
        { method: 'GET', headers: { authorization: value } },
        { tokenLocations: ['header'], maxTokenLength: 100, realm: 'api', acceptDpop },
      )
    expect(dpop(`dPoP ${TOKEN}`, true)).toBe(TOKEN)
    expect(dpop(`DPOP ${TOKEN}`, true)).toBe(TOKEN)
    expect(dpop(`DPoP ${TOKEN}`, false)).toBeUndefined()
    expect(dpop(`DPo ${TOKEN}`, true)).toBeUndefined()
    expect(dpop(`D\u0010oP ${TOKEN}`, true)).toBeUndefined()
  })

  it('refuses two Authorization headers with 400 invalid_request', () => {
    expect(() => extract(withAuthorization(`Bearer ${TOKEN}`, `Bearer ${TOKEN}`))).toThrow(
      InvalidRequestError,
    )
    expect(() => extract({ headers: { authorization: ['a', 'b'] } })).toThrow(
      'Only one Authorization header is allowed',
    )
  })

  it('refuses an empty bearer value and non-b64token syntax with 400', () => {
    expect(() => extract(withAuthorization('Bearer'))).toThrow(
      'The Authorization header has no bearer token',
    )
    expect(() => extract(withAuthorization('Bearer    '))).toThrow(InvalidRequestError)
    expect(() => extract(withAuthorization('Bearer a b'))).toThrow(
      'The bearer token is not in b64token syntax',
    )
    expect(() => extract(withAuthorization('Bearer \ttoken'))).toThrow(InvalidRequestError)
    expect(() => extract(withAuthorization('Bearer to"ken'))).toThrow(InvalidRequestError)
  })

  it('refuses a token over maxTokenLength with 401 invalid_token', () => {
    expect(() => extract(withAuthorization(`Bearer ${'a'.repeat(101)}`))).toThrow(InvalidTokenError)
    expect(extract(withAuthorization(`Bearer ${'a'.repeat(100)}`))).toBe('a'.repeat(100))
  })
})

describe('extractToken() — RFC 6750 §2.2/§2.3 opt-in locations', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }

  it('ignores query and body tokens unless enabled', () => {
    expect(extract({ query: { access_token: TOKEN } })).toBeUndefined()
    expect(extract({ headers: form, body: { access_token: TOKEN } })).toBeUndefined()
  })

  it('reads the access_token query parameter when enabled', () => {
    expect(extract({ query: { access_token: TOKEN } }, ['header', 'query'])).toBe(TOKEN)
    expect(extract({ query: { other: 'x' } }, ['header', 'query'])).toBeUndefined()
    expect(extract({ query: undefined }, ['header', 'query'])).toBeUndefined()
  })

  it('reads a form body token only from a form-encoded body', () => {
    expect(
      extract({ method: 'POST', headers: form, body: { access_token: TOKEN } }, ['header', 'body']),
    ).toBe(TOKEN)
    expect(
      extract({ headers: { 'content-type': 'application/json' }, body: { access_token: TOKEN } }, [
        'header',
        'body',
      ]),
    ).toBeUndefined()
    expect(extract({ body: { access_token: TOKEN } }, ['header', 'body'])).toBeUndefined()
  })

  it('still reads the header when only query is listed', () => {
    expect(extract(withAuthorization(`Bearer ${TOKEN}`), ['query'])).toBe(TOKEN)
  })

  it('refuses a token sent in two ways at once (§2)', () => {
    expect(() =>
      extract({ ...withAuthorization(`Bearer ${TOKEN}`), query: { access_token: TOKEN } }, [
        'header',
        'query',
      ]),
    ).toThrow('The token was sent in more than one way')
  })

  it('refuses a repeated or non-string access_token parameter', () => {
    expect(() => extract({ query: { access_token: [TOKEN, TOKEN] } }, ['header', 'query'])).toThrow(
      InvalidRequestError,
    )
    expect(() => extract({ query: { access_token: '' } }, ['header', 'query'])).toThrow(
      InvalidRequestError,
    )
  })
})
