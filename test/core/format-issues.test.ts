import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { guardFor } from 'oidc-guard'
import { formatIssues, parseOrThrow } from '../../src/config/format-issues.js'
import { resolveOptions } from '../../src/config/resolve.js'
import { closest } from '../../src/config/suggest.js'

const base = { issuer: 'https://idp.example.com', audience: 'orders-api' }
const messageOf = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected a ConfigurationError')
}

describe('closest()', () => {
  it('finds a different case, a swap, a typo; never the word itself or a far one', () => {
    expect(closest('Audience', ['audience', 'issuer'])).toBe('audience')
    expect(closest('clockTolernace', ['clockTolerance'])).toBe('clockTolerance')
    expect(closest('realm', ['realm'])).toBeUndefined()
    expect(closest('xyz', ['realm', 'issuer'])).toBeUndefined()
    expect(closest('scop', ['scope', 'anyScope'])).toBe('scope')
  })
})

describe('formatIssues()', () => {
  it('without the schema, still names each unknown key and bad field', () => {
    const schema = z.strictObject({ a: z.string() })
    const parsed = schema.safeParse({ a: 1, b: 2 })
    expect(formatIssues('Bad:', parsed.error!.issues)).toBe(
      'Bad:\n  - "a": Invalid input: expected string, received number\n  - "b": unknown option',
    )
  })

  it('walks records and unions: a misspelt request value inside claimMatches', () => {
    expect(messageOf(() => guardFor({ claimMatches: { sub: { parm: 'id' } } } as never))).toBe(
      'Invalid oidc-guard requirement:\n  - "claimMatches.sub.parm": unknown option; did you mean "param"?; expected one of "param", "header", "query", "host"',
    )
  })

  it('with forms tied and no unknown key, reports the first form', () => {
    expect(messageOf(() => guardFor({ tenant: {} } as never))).toContain('"tenant.param": Required')
  })

  it('never quotes a long or unprintable value back', () => {
    const long = 'x'.repeat(100)
    expect(messageOf(() => resolveOptions({ ...base, profile: long }))).toBe(
      'Invalid oidc-guard options:\n  - "profile": expected one of "default", "strict"',
    )
    expect(messageOf(() => resolveOptions({ ...base, profile: 'str\nict' }))).not.toContain('\nict')
  })

  it('parseOrThrow() returns the output when valid', () => {
    expect(parseOrThrow(z.object({ n: z.number().default(3) }), {}, 'Bad:')).toEqual({ n: 3 })
  })
})
