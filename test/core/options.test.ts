import { describe, expect, it } from 'vitest'
import { ASYMMETRIC_ALGORITHMS, ConfigurationError, createAuthenticator } from 'oidc-guard'
import { readFileSync } from 'node:fs'
import { DEFAULTS, resolveOptions } from '../../src/config/options.js'
import { COMMON_FIELDS, ISSUER_FIELDS, VERIFICATION_FIELDS } from '../../src/config/schema.js'

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
    const message = messageOf({ ...base, audiance: 'x', clockTolerence: 3 })
    expect(message).toContain('"audiance": unknown option; did you mean "audience"?')
    expect(message).toContain('"clockTolerence": unknown option; did you mean "clockTolerance"?')
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

describe('resolveOptions() corrects the configuration (issue 14 §3)', () => {
  it('lists the allowed values of a preset and suggests the one meant', () => {
    expect(messageOf({ ...base, claims: 'keycloack' })).toBe(
      'Invalid oidc-guard options:\n  - "claims": "keycloack" is not one of "generic", "keycloak", "auth0", "okta", "entra", "cognito", "google"; did you mean "keycloak"?',
    )
    expect(messageOf({ ...base, claims: { preset: 'keycloack' } })).toContain(
      '"claims.preset": "keycloack" is not one of "generic", "keycloak"',
    )
  })

  it('lists the allowed values of every enumeration', () => {
    expect(messageOf({ ...base, profile: 'strickt' })).toContain(
      '"profile": "strickt" is not one of "default", "strict"; did you mean "strict"?',
    )
    expect(messageOf({ ...base, tokenLocations: ['headers'] })).toContain(
      '"tokenLocations.0": "headers" is not one of "header", "query", "body"; did you mean "header"?',
    )
    expect(messageOf({ ...base, profile: 7 })).toContain(
      '"profile": expected one of "default", "strict"',
    )
  })

  it('reports a nested misspelt key as unknown, not as its missing sibling', () => {
    const message = messageOf({ issuers: [{ issuer: 'https://a.example', audiance: 'x' }] })
    expect(message).toBe(
      'Invalid oidc-guard options:\n  - "issuers.0.audiance": unknown option; did you mean "audience"?',
    )
    expect(messageOf({ issuer: base.issuer, audiance: 'x' })).not.toContain('Required')
    expect(messageOf({ issuers: [{ issuer: 'https://a.example' }] })).toContain(
      '"issuers.0.audience": Required',
    )
  })

  it('reports a union by the form the value was meant for', () => {
    expect(messageOf({ ...base, claims: { preset: 'keycloak', clientRole: 'x' } })).toBe(
      'Invalid oidc-guard options:\n  - "claims.clientRole": unknown option; did you mean "clientRoles"?',
    )
    const mapping = messageOf({ ...base, claims: { sopes: 'scp', roles: 5 } })
    expect(mapping).toContain('"claims.sopes": unknown option; did you mean "scopes"?')
    expect(mapping).toContain('"claims.roles": expected string or array or function')
    expect(messageOf({ ...base, audience: 5 })).toContain('"audience": expected string or array')
  })

  it('gives no suggestion when nothing is close', () => {
    expect(messageOf({ ...base, zzzzzz: 1 })).toMatch(/"zzzzzz": unknown option$/)
  })

  it('refuses cacheMaxAge shorter than cooldownDuration', () => {
    expect(messageOf({ ...base, cacheMaxAge: 1000, cooldownDuration: 5000 })).toContain(
      '"cacheMaxAge": Must be at least cooldownDuration (5000 ms)',
    )
    expect(resolveOptions({ ...base, cacheMaxAge: 5000, cooldownDuration: 5000 }).cacheMaxAge).toBe(
      5000,
    )
  })

  it('treats an explicit undefined as unset (exactOptionalPropertyTypes users)', () => {
    const options = resolveOptions({
      ...base,
      realm: undefined,
      clockTolerance: undefined,
      jwksUri: undefined,
      issuers: undefined,
    })
    expect(options.realm).toBe(DEFAULTS.realm)
    expect(options.issuers[0]?.clockTolerance).toBe(DEFAULTS.clockTolerance)
  })
})

describe('one definition per option', () => {
  it('every resolved object has every option key, and nothing else', () => {
    const options = resolveOptions(base)
    const common = Object.keys(COMMON_FIELDS)
    expect(Object.keys(options).sort()).toEqual([...common, 'issuers'].sort())
    const issuerKeys = [...Object.keys(VERIFICATION_FIELDS), ...Object.keys(ISSUER_FIELDS)]
    expect(Object.keys(options.issuers[0]!).sort()).toEqual([...issuerKeys, 'isTemplate'].sort())
  })

  it('applies every DEFAULTS entry, top-level settings as each issuer default', () => {
    const options = resolveOptions(base) as unknown as Record<string, unknown>
    const issuer = (options['issuers'] as Record<string, unknown>[])[0]!
    for (const [key, value] of Object.entries(DEFAULTS)) {
      expect(key in options ? options[key] : issuer[key], key).toEqual(value)
    }
    const multi = resolveOptions({
      clockTolerance: 30,
      issuers: [base, { ...base, issuer: 'https://b.example', clockTolerance: 1 }],
    })
    expect(multi.issuers.map((entry) => entry.clockTolerance)).toEqual([30, 1])
  })

  it("the TSDoc @defaultValue of each option is DEFAULTS' value", () => {
    const source = readFileSync(
      new URL('../../src/config/option-types.ts', import.meta.url),
      'utf8',
    )
    const documented = new Map<string, unknown>()
    for (const match of source.matchAll(/@defaultValue ([^\n]+)\n\s*\*\/\n\s*(\w+)\?:/g)) {
      const text = (match[1] as string).trim().replaceAll("'", '"')
      try {
        documented.set(match[2] as string, JSON.parse(text))
      } catch {
        documented.set(match[2] as string, text) // prose, e.g. the algorithms' rule
      }
    }
    for (const [key, value] of Object.entries(DEFAULTS)) {
      expect(documented.get(key), key).toEqual(value)
    }
    expect([...documented.keys()].sort()).toEqual([...Object.keys(DEFAULTS), 'algorithms'].sort())
  })
})
