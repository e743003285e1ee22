import {
  createAuthenticator,
  isOidcGuardError,
  reasonCode,
  type AuthContext,
  type Authenticator,
  type AuthRequest,
  type Policy,
} from 'oidc-guard'
import type { DemoRoute } from './routes.js'

/** One line of an explanation: what was checked, on which values, and how it came out. */
export interface Check {
  readonly title: string
  readonly result: 'pass' | 'fail' | 'not checked' | 'info'
  /** The values read, as label and shown value. */
  readonly values: readonly [string, string][]
}

/** The answer an oidc-guard protected route gives, as the client sees it. */
export interface HttpAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** A decision, explained from the token to the HTTP answer. */
export interface Explanation {
  readonly route: DemoRoute
  /** The token's header and claims as sent (decoded, not verified), when it could be decoded. */
  readonly decoded?: { readonly header: unknown; readonly claims: unknown }
  readonly tokenChecks: readonly Check[]
  /** The claims oidc-guard mapped into the AuthContext (when the token was accepted). */
  readonly mapped?: readonly [string, string][]
  readonly guards: readonly Check[]
  readonly allowed: boolean
  /** The reason sentence and its stable code. */
  readonly reason: string
  readonly reasonCode?: string
  /** The answer oidc-guard gives (for a real call, the explorer shows the API's own answer). */
  readonly answer: HttpAnswer
}

// The verifier's order (src/verify): header, key and signature, then the claims. A refusal's
// reason code says which check failed; the checks before it passed, the ones after never ran.
const STEPS: {
  title: string
  reasons: readonly string[]
  read: (t: Decoded) => [string, unknown][]
}[] = [
  {
    title: 'A bearer token in the Authorization header',
    reasons: ['no_credentials', 'empty_bearer', 'one_header', 'one_method', 'param_once'],
    read: (t) => [['length', t.length === 0 ? 'none' : `${t.length} characters`]],
  },
  {
    title: 'A compact JWS: three base64url parts, JSON header and claims',
    reasons: ['syntax', 'malformed', 'too_large'],
    read: (t) => [['parts', t.parts]],
  },
  {
    title: 'The algorithm is on the allowlist (asymmetric only)',
    reasons: ['alg'],
    read: (t) => [['alg', t.header?.alg]],
  },
  {
    title: 'The token type is accepted (at+jwt, JWT or none)',
    reasons: ['typ'],
    read: (t) => [['typ', t.header?.typ]],
  },
  {
    title: "The signature verifies with one of the issuer's published keys",
    reasons: ['no_key', 'signature', 'keys_unavailable'],
    read: (t) => [['kid', t.header?.kid]],
  },
  {
    title: 'Required claims are present (iss, aud, exp)',
    reasons: ['missing'],
    read: (t) => [['claims', t.claims ? Object.keys(t.claims) : undefined]],
  },
  {
    title: 'The issuer is the trusted one',
    reasons: ['iss'],
    read: (t) => [['iss', t.claims?.iss]],
  },
  {
    title: 'The audience includes this API',
    reasons: ['aud'],
    read: (t) => [['aud', t.claims?.aud]],
  },
  {
    title: 'The token is within its lifetime (nbf, iat, exp)',
    reasons: ['exp', 'expired', 'nbf', 'iat', 'too_old', 'lifetime'],
    read: (t) => [
      ['exp', time(t.claims?.exp)],
      ['iat', time(t.claims?.iat)],
      ['now', time(Math.floor(Date.now() / 1000))],
    ],
  },
  {
    title: 'An access token with well-typed registered claims (not an ID token)',
    reasons: [
      'kind',
      'claim_type_iss',
      'claim_type_sub',
      'claim_type_jti',
      'claim_type_client_id',
      'claim_type_azp',
    ],
    read: (t) => [
      ['sub', t.claims?.sub],
      ['client_id', t.claims?.client_id],
    ],
  },
]

interface Decoded {
  readonly length: number
  readonly parts: number
  readonly header?: Record<string, unknown>
  readonly claims?: Record<string, unknown>
}

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  if (part === undefined || !/^[\w-]+$/.test(part)) return undefined
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function decode(token: string): Decoded {
  // Bounded like the verifier's maxTokenLength, so a pasted blob cannot cost much.
  const parts = token.length > 8192 ? [] : token.split('.')
  return {
    length: token.length,
    parts: parts.length,
    header: decodePart(parts[0]),
    claims: decodePart(parts[1]),
  }
}

function time(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined
  const delta = Math.round(seconds - Date.now() / 1000)
  const minutes = Math.round(Math.abs(delta) / 60)
  const relative =
    Math.abs(delta) < 90
      ? `${Math.abs(delta)} s`
      : minutes < 90
        ? `${minutes} min`
        : `${Math.round(minutes / 60)} h`
  return `${new Date(seconds * 1000).toISOString()} (${delta === 0 ? 'now' : delta < 0 ? `${relative} ago` : `in ${relative}`})`
}

/** A value as the timeline shows it: strings bare, lists comma-separated, the rest as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return '(absent)'
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    return value.length === 0 ? '(none)' : value.join(', ')
  return JSON.stringify(value) ?? String(value)
}

const pairs = (values: [string, unknown][]): [string, string][] =>
  values.map(([label, value]) => [label, show(value)])

function mappedClaims(auth: AuthContext): [string, string][] {
  return pairs([
    ['subject', auth.subject],
    ['issuer', auth.issuer],
    ['audience', auth.audience],
    ['client', auth.clientId],
    ['scopes', auth.scopes],
    ['roles', auth.roles],
    ['groups', auth.groups],
    ['permissions', auth.permissions],
    ['tenant', auth.tenant],
    ['name', auth.name],
    ['expires', time(auth.expiresAt)],
  ])
}

/**
 * Explains how oidc-guard decides a request with this token on this route. The verdict comes
 * from a real authenticator configured like the API (same issuer, audience and defaults); the
 * checks list shows the values each step read.
 */
export function createExplainer(options: { issuer: string; audience: string; policy?: Policy }) {
  const authenticator: Authenticator = createAuthenticator({
    issuer: options.issuer,
    audience: options.audience,
    tokenCacheSize: 0,
    // The API's policy: requireAction() routes are explained under the version it serves now.
    ...(options.policy && { policy: options.policy }),
  })

  return async function explain(token: string | undefined, route: DemoRoute): Promise<Explanation> {
    const request: AuthRequest = {
      method: route.method,
      path: route.path,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      params: route.params,
      // The explorer calls the API from this process: the policy's `ip` conditions see loopback.
      socket: { remoteAddress: '127.0.0.1' },
    }
    const decoded = decode(token ?? '')
    let auth: AuthContext | undefined
    let failure: unknown
    try {
      auth = await authenticator.authenticate(request)
    } catch (error) {
      failure = error
    }
    const code =
      failure === undefined ? undefined : isOidcGuardError(failure) ? reasonCode(failure) : 'other'
    const failedAt =
      code === undefined ? STEPS.length : STEPS.findIndex((step) => step.reasons.includes(code))
    const tokenChecks: Check[] = STEPS.map((step, index) => ({
      title: step.title,
      result: index < failedAt ? 'pass' : index === failedAt ? 'fail' : 'not checked',
      values: index <= failedAt && step.read ? pairs(step.read(decoded)) : [],
    }))
    const base = {
      route,
      decoded: decoded.header && { header: decoded.header, claims: decoded.claims },
      tokenChecks,
    }
    if (auth === undefined) {
      const error = isOidcGuardError(failure) ? failure : undefined
      return {
        ...base,
        guards: [{ title: route.guard.description, result: 'not checked', values: [] }],
        allowed: false,
        reason: error?.message ?? 'The request could not be decided',
        reasonCode: code,
        answer: error
          ? { status: error.status, headers: error.headers, body: JSON.stringify(error.body) }
          : { status: 500, headers: {}, body: '' },
      }
    }
    try {
      const decision = authenticator.authorize(route.guard, auth, request)
      return {
        ...base,
        mapped: mappedClaims(auth),
        guards: [
          {
            title: route.guard.description,
            result: 'pass',
            values: pairs(route.reads(auth, route.params)),
          },
        ],
        allowed: true,
        reason: decision.reason,
        answer: {
          status: route.method === 'POST' ? 201 : 200,
          headers: {},
          body: '(the route handler answers)',
        },
      }
    } catch (error) {
      if (!isOidcGuardError(error)) throw error
      const decision = (error as { decision?: { reason: string } }).decision
      return {
        ...base,
        mapped: mappedClaims(auth),
        guards: [
          {
            title: route.guard.description,
            result: 'fail',
            values: [
              ...pairs(route.reads(auth, route.params)),
              ['reason', decision?.reason ?? error.message],
            ],
          },
        ],
        allowed: false,
        reason: decision?.reason ?? error.message,
        reasonCode: reasonCode(error),
        answer: { status: error.status, headers: error.headers, body: JSON.stringify(error.body) },
      }
    }
  }
}
