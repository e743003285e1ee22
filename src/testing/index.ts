/**
 * `oidc-guard/testing`: a test issuer that mints realistic access tokens for your app's tests.
 * Never imported by the main entry points; import it from test code only.
 *
 * @example
 * ```ts
 * import { createTestIssuer } from 'oidc-guard/testing'
 * const issuer = await createTestIssuer({ audience: 'orders-api' })
 * const app = createApp({ auth: issuer.options })
 * await request(app).get('/orders').auth(issuer.token({ scope: 'orders:read' }), { type: 'bearer' }).expect(200)
 * ```
 * @packageDocumentation
 */
export {
  createTestIssuer,
  type CreateTestIssuerOptions,
  type TestIssuer,
  type TestIssuerTransport,
  type TokenMinter,
  type TokenOptions,
} from './test-issuer.js'
export { createTestKey, type RsaParameters, type SigningAlgorithm, type TestKey } from './keys.js'
export type { ProviderName, TokenInput } from './provider-tokens.js'
