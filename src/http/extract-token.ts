import { DESCRIPTIONS } from '../errors/reasons.js'
import { InvalidRequestError, InvalidTokenError } from '../errors/errors.js'
import type { TokenLocation } from '../config/options.js'
import type { AuthRequest, HeaderValue } from './auth-request.js'

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

export interface ExtractOptions {
  readonly tokenLocations: readonly TokenLocation[]
  readonly maxTokenLength: number
  readonly realm: string
  /** Accept the `DPoP` scheme too (RFC 9449 §7.1); the binding step checks its proof. */
  readonly acceptDpop?: boolean
}

/** What extraction found: a token, or no credentials at all. */
export type Extracted = string | undefined

// The token comes from the parsed header (so a middleware that rewrote or removed it earlier
// is followed); the raw list only tells whether the client sent more than one.
function authorizationValues(request: AuthRequest): readonly string[] | string | undefined {
  const value = normalize(request.headers.authorization)
  if (typeof value !== 'string') return value
  const raw = request.rawHeaders
  if (raw === undefined) return value
  let count = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++count > 1)
      return [value, raw[i + 1] as string]
  }
  return value
}

function normalize(value: HeaderValue): readonly string[] | string | undefined {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : value
  return value
}

/**
 * Whether the first `end` characters of `value` are the authentication scheme `lower`, which
 * must be letters a–z only (as `bearer` and `dpop` are). RFC 7235 §2.1: schemes are
 * case-insensitive. Compared in place, since this runs on every request: folding an ASCII
 * letter is setting bit 0x20, and no other character folds onto a lower-case letter that way
 * (it would for a digit or `-`), so no lower-cased copy is allocated.
 */
export function isScheme(value: string, end: number, lower: string): boolean {
  if (end !== lower.length) return false
  for (let i = 0; i < end; i++) {
    if ((value.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false
  }
  return true
}

function bearerFromHeader(value: string, options: ExtractOptions): Extracted {
  const space = value.indexOf(' ')
  const schemeEnd = space === -1 ? value.length : space
  // Another scheme is not a bearer credential.
  const isBearer = isScheme(value, schemeEnd, 'bearer')
  const isDpop = options.acceptDpop === true && isScheme(value, schemeEnd, 'dpop')
  if (!isBearer && !isDpop) return undefined
  let start = space
  while (start !== -1 && value.charCodeAt(start) === 32) start++
  const token = start === -1 ? '' : value.slice(start).trimEnd()
  if (token === '') {
    throw new InvalidRequestError(DESCRIPTIONS.emptyBearer, {
      realm: options.realm,
    })
  }
  return checkToken(token, options)
}

function checkToken(token: string, options: ExtractOptions): string {
  if (token.length > options.maxTokenLength) {
    throw new InvalidTokenError(DESCRIPTIONS.tooLarge, { realm: options.realm })
  }
  return token
}

/**
 * RFC 6750 §2.1 syntax of an extracted token. Separate from `extractToken` so a token found in
 * the verified-token cache (which passed it before) skips the scan.
 * @throws InvalidRequestError (400)
 */
export function checkTokenSyntax(token: string, realm: string): void {
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequestError(DESCRIPTIONS.syntax, { realm })
  }
}

function accessTokenParam(container: unknown, options: ExtractOptions): Extracted {
  if (container === null || typeof container !== 'object') return undefined
  const value = (container as Record<string, unknown>).access_token
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    throw new InvalidRequestError(DESCRIPTIONS.paramOnce, {
      realm: options.realm,
    })
  }
  return checkToken(value, options)
}

// RFC 6750 §2.2: only a form-encoded body may carry the token, and only with a method whose
// body has defined semantics (RFC 9110 §9.3: not GET, HEAD, DELETE, OPTIONS, TRACE, CONNECT).
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

function formBody(request: AuthRequest): unknown {
  if (!BODY_METHODS.has(request.method.toUpperCase())) return undefined
  const type = request.headers['content-type']
  if (typeof type !== 'string') return undefined
  return type.toLowerCase().startsWith('application/x-www-form-urlencoded')
    ? request.body
    : undefined
}

/**
 * Reads the bearer token from the request. The `Authorization` header always counts; the
 * `access_token` query or form parameter only when enabled in `tokenLocations`.
 *
 * - no credentials → `undefined` (the caller answers 401 without an error code, RFC 6750 §3.1);
 * - two `Authorization` headers, two methods at once, an empty bearer value
 *   → `InvalidRequestError` (400, RFC 6750 §2); the b64token syntax is `checkTokenSyntax`'s;
 * - a token longer than `maxTokenLength` → `InvalidTokenError` (401).
 */
export function extractToken(request: AuthRequest, options: ExtractOptions): Extracted {
  const header = authorizationValues(request)
  if (typeof header === 'object') {
    throw new InvalidRequestError(DESCRIPTIONS.oneHeader, {
      realm: options.realm,
    })
  }
  let token = header === undefined ? undefined : bearerFromHeader(header, options)
  const { tokenLocations } = options
  if (tokenLocations.length === 1 && tokenLocations[0] === 'header') return token
  for (const location of tokenLocations) {
    if (location === 'header') continue
    const found = accessTokenParam(
      location === 'query' ? request.query : formBody(request),
      options,
    )
    if (found === undefined) continue
    // RFC 6750 §2: a client MUST NOT use more than one method per request.
    if (token !== undefined) {
      throw new InvalidRequestError(DESCRIPTIONS.oneMethod, {
        realm: options.realm,
      })
    }
    token = found
  }
  return token
}
