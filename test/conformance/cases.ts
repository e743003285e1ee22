/** The tokens a conformance case may use, all issued over HTTP by real oidc-provider instances. */
export interface Tokens {
  /** scope orders:read, role viewer. */
  reader: string
  /** scope orders:read orders:write, role editor, tenant acme. */
  writer: string
  /** scope orders:read orders:write, roles admin editor. */
  admin: string
  /** A reader token for another resource (audience). */
  otherAudience: string
  /** A token from another issuer. */
  otherIssuer: string
  /** `alg: none` over reader's claims. */
  algNone: string
}

export interface ConformanceCase {
  readonly name: string
  readonly method?: 'get' | 'post'
  readonly path: string
  /** Authorization header value(s); a list sends the header several times. */
  readonly authorization?: (tokens: Tokens) => string | string[]
  /** Seconds to move the clock forward before the request. */
  readonly clockSkew?: number
  readonly status: number
  /** The exact WWW-Authenticate header, or null when there must be none. */
  readonly challenge?: string | null
  /** The exact JSON body. */
  readonly body?: unknown
}

const REALM = 'Bearer realm="orders"'
const invalidToken = (description: string) => ({
  status: 401,
  challenge: `${REALM}, error="invalid_token", error_description="${description}"`,
  body: { error: 'invalid_token', error_description: description },
})
const invalidRequest = (description: string) => ({
  status: 400,
  challenge: `${REALM}, error="invalid_request", error_description="${description}"`,
  body: { error: 'invalid_request', error_description: description },
})
const missing = {
  status: 401,
  challenge: REALM,
  body: { error: 'unauthorized', error_description: 'Authentication required' },
}
const forbiddenScope = (scope: string) => ({
  status: 403,
  challenge: `${REALM}, error="insufficient_scope", error_description="The access token lacks the required scope", scope="${scope}"`,
  body: {
    error: 'insufficient_scope',
    error_description: 'The access token lacks the required scope',
  },
})
const forbidden = {
  status: 403,
  challenge: `${REALM}, error="insufficient_scope", error_description="The access token does not grant access to this resource"`,
  body: {
    error: 'insufficient_scope',
    error_description: 'The access token does not grant access to this resource',
  },
}
const ok = (subject: string, scopes: string[]) => ({
  status: 200,
  challenge: null,
  body: { subject, scopes },
})
const READ = ['orders:read']
const READ_WRITE = ['orders:read', 'orders:write']
const bearer = (pick: (tokens: Tokens) => string) => (tokens: Tokens) => `Bearer ${pick(tokens)}`

/** One table; every case runs on Express, Koa and Fastify. */
export const CASES: ConformanceCase[] = [
  {
    name: 'public route answers without a token',
    path: '/health',
    status: 200,
    challenge: null,
    body: { ok: true },
  },
  {
    name: 'public route ignores a bad token',
    path: '/health',
    authorization: () => 'Bearer garbage',
    status: 200,
    body: { ok: true },
  },
  {
    name: 'valid token with the scope',
    path: '/orders',
    authorization: bearer((t) => t.reader),
    ...ok('reader', READ),
  },
  {
    name: 'scheme is case-insensitive',
    path: '/orders',
    authorization: (t) => `bearer ${t.reader}`,
    ...ok('reader', READ),
  },
  { name: 'missing token: 401 without error code', path: '/orders', ...missing },
  {
    name: 'another scheme: 401 without error code',
    path: '/orders',
    authorization: () => 'Basic cmVhZGVyOnNlY3JldA==',
    ...missing,
  },
  {
    name: 'token in the query is not read by default',
    path: '/orders?access_token=abc',
    ...missing,
  },
  {
    name: 'two Authorization headers: 400',
    path: '/orders',
    authorization: (t) => [`Bearer ${t.reader}`, `Bearer ${t.writer}`],
    ...invalidRequest('Only one Authorization header is allowed'),
  },
  {
    name: 'Bearer without a token: 400',
    path: '/orders',
    authorization: () => 'Bearer',
    ...invalidRequest('The Authorization header has no bearer token'),
  },
  {
    name: 'non-b64token characters: 400',
    path: '/orders',
    authorization: () => 'Bearer a,b',
    ...invalidRequest('The bearer token is not in b64token syntax'),
  },
  {
    name: 'malformed token: 401',
    path: '/orders',
    authorization: () => 'Bearer abc.def',
    ...invalidToken('The access token is malformed'),
  },
  {
    name: 'oversized token: 401',
    path: '/orders',
    authorization: () => `Bearer ${'a'.repeat(9000)}`,
    ...invalidToken('The access token is too large'),
  },
  {
    name: 'bad signature: 401',
    path: '/orders',
    authorization: (t) =>
      `Bearer ${t.reader.slice(0, -6)}${t.reader.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`,
    ...invalidToken('The access token signature is invalid'),
  },
  {
    name: 'alg none (empty signature): 401',
    path: '/orders',
    authorization: bearer((t) => t.algNone),
    ...invalidToken('The access token is malformed'),
  },
  {
    name: 'expired token: 401',
    path: '/orders',
    authorization: bearer((t) => t.reader),
    clockSkew: 3600,
    ...invalidToken('The access token expired'),
  },
  {
    name: 'wrong audience: 401',
    path: '/orders',
    authorization: bearer((t) => t.otherAudience),
    ...invalidToken('The access token is not meant for this audience'),
  },
  {
    name: 'token of another issuer: 401',
    path: '/orders',
    authorization: bearer((t) => t.otherIssuer),
    ...invalidToken('No key of the issuer matches the access token'),
  },
  {
    name: 'insufficient scope: 403 with scope',
    method: 'post',
    path: '/orders',
    authorization: bearer((t) => t.reader),
    ...forbiddenScope('orders:write'),
  },
  {
    name: 'scope granted for writes',
    method: 'post',
    path: '/orders',
    authorization: bearer((t) => t.writer),
    ...ok('writer', READ_WRITE),
  },
  {
    name: 'requireAnyScope denial lists every alternative',
    path: '/reports',
    authorization: bearer((t) => t.reader),
    ...forbiddenScope('orders:admin orders:write'),
  },
  {
    name: 'requireAnyScope allows one alternative',
    path: '/reports',
    authorization: bearer((t) => t.writer),
    ...ok('writer', READ_WRITE),
  },
  {
    name: 'role guard denial: 403 without scope',
    path: '/admin',
    authorization: bearer((t) => t.writer),
    ...forbidden,
  },
  {
    name: 'role guard allows the role',
    path: '/admin',
    authorization: bearer((t) => t.admin),
    ...ok('admin', READ_WRITE),
  },
  {
    name: 'requireAnyRole denies without any role',
    path: '/staff',
    authorization: bearer((t) => t.reader),
    ...forbidden,
  },
  {
    name: 'requireAnyRole allows one role',
    path: '/staff',
    authorization: bearer((t) => t.writer),
    ...ok('writer', READ_WRITE),
  },
  {
    name: 'ownership: the owner reads',
    path: '/users/reader/orders',
    authorization: bearer((t) => t.reader),
    ...ok('reader', READ),
  },
  {
    name: 'ownership: another user is denied',
    path: '/users/writer/orders',
    authorization: bearer((t) => t.reader),
    ...forbidden,
  },
  {
    name: 'claim guard allows the tenant',
    path: '/tenant',
    authorization: bearer((t) => t.writer),
    ...ok('writer', READ_WRITE),
  },
  {
    name: 'claim guard denies without the claim',
    path: '/tenant',
    authorization: bearer((t) => t.reader),
    ...forbidden,
  },
  {
    name: 'allOf allows when all hold',
    path: '/combo/all',
    authorization: bearer((t) => t.writer),
    ...ok('writer', READ_WRITE),
  },
  {
    name: 'allOf denies when one fails',
    path: '/combo/all',
    authorization: bearer((t) => t.reader),
    ...forbidden,
  },
  {
    name: 'anyOf allows one alternative',
    path: '/combo/any',
    authorization: bearer((t) => t.writer),
    ...ok('writer', READ_WRITE),
  },
  {
    name: 'anyOf denial carries the scope alternatives',
    path: '/combo/any',
    authorization: bearer((t) => t.reader),
    ...forbiddenScope('orders:write'),
  },
  {
    name: 'not denies the excluded role',
    path: '/combo/not',
    authorization: bearer((t) => t.reader),
    ...forbidden,
  },
  {
    name: 'not allows others',
    path: '/combo/not',
    authorization: bearer((t) => t.writer),
    ...ok('writer', READ_WRITE),
  },
  {
    name: 'chained guards: the first denial answers',
    path: '/chain',
    authorization: bearer((t) => t.reader),
    ...forbidden,
  },
  {
    name: 'chained guards: all pass',
    path: '/chain',
    authorization: bearer((t) => t.admin),
    ...ok('admin', READ_WRITE),
  },
  {
    name: 'authenticated route without guards',
    path: '/whoami',
    authorization: bearer((t) => t.reader),
    ...ok('reader', READ),
  },
  {
    name: 'declarative requirement allows',
    path: '/declarative',
    authorization: bearer((t) => t.writer),
    ...ok('writer', READ_WRITE),
  },
  {
    name: 'declarative requirement denies with scope',
    path: '/declarative',
    authorization: bearer((t) => t.reader),
    ...forbiddenScope('orders:write'),
  },
  {
    name: 'optional authentication without a token',
    path: '/optional',
    status: 200,
    challenge: null,
    body: { subject: null, scopes: [] },
  },
  {
    name: 'optional authentication with a token',
    path: '/optional',
    authorization: bearer((t) => t.reader),
    ...ok('reader', READ),
  },
  {
    name: 'optional authentication still refuses a bad token',
    path: '/optional',
    authorization: () => 'Bearer abc.def',
    ...invalidToken('The access token is malformed'),
  },
  {
    name: 'policy: requireAction allows by the document (admin inherits orders.refund)',
    path: '/policy/refund',
    authorization: bearer((t) => t.admin),
    ...ok('admin', READ_WRITE),
  },
  {
    name: 'policy: requireAction denies without a rule: 403',
    path: '/policy/refund',
    authorization: bearer((t) => t.writer),
    ...forbidden,
  },
  {
    name: 'policy: requireAction without a token: 401',
    path: '/policy/refund',
    ...missing,
  },
  {
    name: 'policy: enforcePolicy decides by the route binding',
    path: '/policy/orders/7',
    authorization: bearer((t) => t.reader),
    ...ok('reader', READ),
  },
  {
    name: 'policy: a route the document does not bind is denied ("no rule"): 403',
    path: '/policy/unbound',
    authorization: bearer((t) => t.admin),
    ...forbidden,
  },
  {
    name: "policy: unbound: 'pass' lets an unbound route through",
    path: '/policy/public',
    authorization: bearer((t) => t.reader),
    ...ok('reader', READ),
  },
]
