import type { AuthRequest } from '../../http/auth-request.js'
import { createPeerCheck, singleHeader } from '../peer.js'

/**
 * Builds the URL a DPoP proof's `htu` must name: scheme, host and path of the request, without
 * query or fragment (RFC 9449 §4.3 check 9). The scheme comes from the connection (TLS or not)
 * and the host from `Host`; `X-Forwarded-Proto`/`X-Forwarded-Host` count only from a trusted
 * proxy, and a configured `origin` replaces both.
 */
export function createRequestUrl(
  origin: string | undefined,
  trustedProxies: readonly string[] | undefined,
): (request: AuthRequest) => string | undefined {
  const isTrusted = createPeerCheck(trustedProxies)
  return (request) => {
    const target = request.originalUrl ?? request.path
    if (target === undefined || !target.startsWith('/')) return undefined
    const end = target.indexOf('?')
    const path = end === -1 ? target : target.slice(0, end)
    if (origin !== undefined) return origin + path
    const trusted = isTrusted(request)
    const proto = trusted ? firstValue(singleHeader(request, 'x-forwarded-proto')) : undefined
    const forwardedHost = trusted
      ? firstValue(singleHeader(request, 'x-forwarded-host'))
      : undefined
    const host = forwardedHost ?? singleHeader(request, 'host')
    if (host === undefined || host === '') return undefined
    const scheme = proto ?? (request.socket?.encrypted ? 'https' : 'http')
    return `${scheme}://${host}${path}`
  }
}

// A proxy chain appends: `https, http`. The first is what the client used.
function firstValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const comma = value.indexOf(',')
  const first = (comma === -1 ? value : value.slice(0, comma)).trim()
  return first === '' ? undefined : first
}

/**
 * Whether a proof's `htu` names the request URL: equal after RFC 3986 §6.2.2 syntax-based
 * normalization (scheme and host case, default port, percent-encoding case), ignoring the
 * proof's query and fragment (RFC 9449 §4.3 check 9). Equal strings skip the parsing.
 */
export function htuMatches(htu: unknown, expected: string): boolean {
  if (typeof htu !== 'string') return false
  if (htu === expected) return true
  const a = normalizedUrl(htu)
  return a !== undefined && a === normalizedUrl(expected)
}

function normalizedUrl(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined
  const url = new URL(value)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  // WHATWG URL lower-cases scheme and host, drops default ports and normalizes dot segments;
  // percent-escapes are compared case-insensitively.
  return `${url.protocol}//${url.host}${url.pathname.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase())}`
}
