import { describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  formatChallenge,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  isOidcGuardError,
  KeySetUnavailableError,
  MissingTokenError,
} from 'oidc-guard'

describe('RFC 6750 §3 challenges', () => {
  it('MissingTokenError answers 401 with a challenge without error code (§3.1)', () => {
    const error = new MissingTokenError(undefined, { realm: 'orders' })
    expect(error.status).toBe(401)
    expect(error.statusCode).toBe(401)
    expect(error.expose).toBe(true)
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="orders"' })
    expect(error.body).toEqual({
      error: 'unauthorized',
      error_description: 'Authentication required',
    })
  })

  it('InvalidRequestError answers 400 invalid_request', () => {
    const error = new InvalidRequestError('Only one Authorization header is allowed')
    expect(error.status).toBe(400)
    expect(error.code).toBe('ERR_BEARER_INVALID_REQUEST')
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="invalid_request", error_description="Only one Authorization header is allowed"',
    )
  })

  it('InvalidTokenError answers 401 invalid_token and keeps its cause', () => {
    const cause = new Error('inner')
    const error = new InvalidTokenError('The access token expired', { cause })
    expect(error.cause).toBe(cause)
    expect(error.name).toBe('InvalidTokenError')
    expect(error.body).toEqual({
      error: 'invalid_token',
      error_description: 'The access token expired',
    })
  })

  it('InsufficientScopeError answers 403 with the scope attribute for scope guards', () => {
    const error = new InsufficientScopeError({
      allowed: false,
      guard: 'requireScope(a, b)',
      reason: 'token lacks scope b',
      missing: ['b'],
      scope: ['a', 'b'],
    })
    expect(error.status).toBe(403)
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The access token lacks the required scope", scope="a b"',
    )
  })

  it('InsufficientScopeError answers 403 without scope for role guards', () => {
    const error = new InsufficientScopeError({
      allowed: false,
      guard: 'requireRole(x)',
      reason: 'r',
      missing: ['x'],
    })
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The access token does not grant access to this resource"',
    )
  })

  it('KeySetUnavailableError answers 503 with Retry-After and no challenge', () => {
    const error = new KeySetUnavailableError('down', { retryAfter: 7 })
    expect(error.status).toBe(503)
    expect(error.headers).toEqual({ 'Retry-After': '7' })
    expect(error.body).toEqual({ error: 'temporarily_unavailable', error_description: 'down' })
    expect(new KeySetUnavailableError('down').retryAfter).toBe(30)
  })

  it('formatChallenge() strips quotes, backslashes and line breaks from values', () => {
    const error = new InvalidTokenError('a"b\\c\r\nd', { realm: 'r"e\\alm' })
    expect(formatChallenge(error)).toBe(
      'Bearer realm="realm", error="invalid_token", error_description="abcd"',
    )
  })
})

describe('isOidcGuardError()', () => {
  it('recognizes every request error and nothing else', () => {
    expect(isOidcGuardError(new MissingTokenError())).toBe(true)
    expect(isOidcGuardError(new KeySetUnavailableError('x'))).toBe(true)
    expect(isOidcGuardError(new ConfigurationError('x'))).toBe(false)
    expect(isOidcGuardError(new Error('x'))).toBe(false)
    expect(isOidcGuardError({ code: 'ERR_BEARER_INVALID_TOKEN' })).toBe(false)
    expect(
      isOidcGuardError(Object.assign(new Error('x'), { code: 'ERR_BEARER_INVALID_TOKEN' })),
    ).toBe(true)
  })
})
