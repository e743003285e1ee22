import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { RESOURCE, startProvider, type TestProvider } from '../helpers/provider.js'
import { encodeSegment } from '../helpers/keys.js'
import { loadPolicy, type Policy } from 'oidc-guard'
import { CONFORMANCE_POLICY, FRAMEWORKS, type ConformanceApp, type Framework } from './apps.js'
import { CASES, type Tokens } from './cases.js'

let provider: TestProvider
let otherProvider: TestProvider
let tokens: Tokens
let policy: Policy

beforeAll(async () => {
  ;[provider, otherProvider] = await Promise.all([startProvider(), startProvider()])
  const [reader, writer, admin, otherAudience, otherIssuer] = await Promise.all([
    provider.token('reader'),
    provider.token('writer'),
    provider.token('admin'),
    provider.token('reader', undefined, 'https://other.example.com'),
    otherProvider.token('reader'),
  ])
  const algNone = `${encodeSegment({ alg: 'none', typ: 'at+jwt' })}.${reader.split('.')[1]}.`
  tokens = { reader, writer, admin, otherAudience, otherIssuer, algNone }
  policy = await loadPolicy({ document: CONFORMANCE_POLICY })
})
afterAll(async () => {
  policy.close()
  await Promise.all([provider.close(), otherProvider.close()])
})

describe.each(Object.keys(FRAMEWORKS) as Framework[])('conformance: %s', (framework) => {
  let app: ConformanceApp

  beforeAll(async () => {
    app = await FRAMEWORKS[framework]({
      issuer: provider.issuer,
      audience: RESOURCE,
      realm: 'orders',
      clockTolerance: 0,
      policy,
    })
  })
  afterAll(() => app.close())
  afterEach(() => {
    vi.useRealTimers()
  })

  it.each(CASES)('$name', async (testCase) => {
    if (testCase.clockSkew) {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + testCase.clockSkew * 1000)
    }
    let call = request(app.server)[testCase.method ?? 'get'](testCase.path)
    const authorization = testCase.authorization?.(tokens)
    // superagent sends a list as repeated header lines; its types only admit that for Cookie.
    if (authorization !== undefined) call = call.set('Authorization', authorization as string)
    const response = await call
    expect(response.status).toBe(testCase.status)
    if (testCase.challenge !== undefined) {
      expect(response.headers['www-authenticate']).toBe(testCase.challenge ?? undefined)
    }
    if (testCase.body !== undefined) expect(response.body).toEqual(testCase.body)
  })
})
