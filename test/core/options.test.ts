import { describe, expect, it } from 'vitest'
import { ASYMMETRIC_ALGORITHMS, ConfigurationError, createAuthenticator } from 'oidc-guard'
import { resolveOptions } from '../../src/config/options.js'

const base = { issuer: 'https://idp.example.com', audience: 'orders-api' }

function messageOf(input: unknown): string {
  try {
    resolveOptions(input)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as ConfigurationError).code).toBe('ERR_OIDC_GUARD_CONFIGURATION')
    return (error as Error).message
  }
  throw new Error('expected a ConfigurationError')
}

describe('resolveOptions()', () => {
  it('names every missing required field in one message', () => {
    const message = messageOf({})
    expect(message).toContain('"issuer"')
    expect(message).toContain('"audience"')
  })

  it('rejects a misspelt option by name instead of ignoring it', () => {
    expect(messageOf({ ...base, audiance: 'x', clockTolerence: 3 })).toContain(
      '"audiance", "clockTolerence": unknown option',
    )
  })

  it('rejects values of the wrong type or range, naming the field', () => {
    const message = messageOf({
      ...base,
      issuer: 'ftp://idp',
      clockTolerance: -1,
      timeoutDuration: 1.5,
      algorithms: ['none'],
      audience: [],
      onDecision: 'log',
    })
    for (const field of [
      'issuer',
      'clockTolerance',
      'timeoutDuration',
      'algorithms.0',
      'audience',
      'onDecision',
    ]) {
      expect(message).toContain(`"${field}"`)
    }
  })

  it('refuses HS* algorithms without a secret and secrets shorter than 32 bytes', () => {
    expect(messageOf({ ...base, algorithms: ['HS256'] })).toContain(
      '"algorithms": HS256 need a configured secret',
    )
    expect(messageOf({ ...base, secret: 'short' })).toContain(
      '"secret": Expected at least 32 bytes',
    )
    expect(messageOf({ ...base, secret: new Uint8Array(8) })).toContain('"secret"')
  })

  it('refuses query tokens under the strict profile', () => {
    expect(
      messageOf({ ...base, profile: 'strict', tokenLocations: ['header', 'query'] }),
    ).toContain('"tokenLocations"')
  })

  it('applies secure defaults', () => {
    const options = resolveOptions(base)
    const issuer = options.issuers[0]!
    expect(issuer.algorithms).toEqual([...ASYMMETRIC_ALGORITHMS])
    expect(issuer.algorithms).not.toContain('none')
    expect(issuer.audience).toEqual(['orders-api'])
    expect(issuer.clockTolerance).toBe(5)
    expect(options.tokenLocations).toEqual(['header'])
    expect(issuer.requiredClaims).toEqual(['exp'])
    expect(options.credentialsRequired).toBe(true)
    expect(options.realm).toBe('api')
    expect(issuer.secret).toBeUndefined()
    expect(Object.isFrozen(options)).toBe(true)
  })

  it('requires the RFC 9068 claims under the strict profile', () => {
    const options = resolveOptions({ ...base, profile: 'strict', requiredClaims: ['tenant'] })
    expect([...options.issuers[0]!.requiredClaims].sort()).toEqual([
      'client_id',
      'exp',
      'iat',
      'jti',
      'sub',
      'tenant',
    ])
  })

  it('defaults to HS* only when a secret is configured', () => {
    const [issuer] = resolveOptions({ ...base, secret: 'x'.repeat(32) }).issuers
    expect(issuer?.algorithms).toEqual(['HS256', 'HS384', 'HS512'])
    expect(issuer?.secret).toBeInstanceOf(Uint8Array)
  })

  it('createAuthenticator() throws at construction, not on the first request', () => {
    expect(() => createAuthenticator({ ...base, maxTokenLength: 0 })).toThrow(/"maxTokenLength"/)
  })
})
