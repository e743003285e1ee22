/**
 * Which URLs oidc-guard may fetch keys and discovery documents from. Keys fetched over plain
 * HTTP can be swapped by anyone on the path, so `https:` is required, except for loopback hosts
 * (development and tests: the traffic never leaves the machine) or with the explicit
 * `allowInsecureRequests` opt-in.
 */

// 127.0.0.0/8, ::1 and `localhost` (RFC 6761 §6.3: always the loopback interface).
function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true
  if (hostname === '[::1]') return true
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/**
 * True when `url` may be fetched: `https:`, or `http:` to a loopback host, or any `http:` with
 * `allowInsecureRequests`. Anything else (other schemes, unparsable URLs) is refused.
 * @see RFC 8725 §3.9 (keys over TLS), RFC 8414 §2 (`jwks_uri` is an https URL)
 */
export function isAllowedTransport(url: string, allowInsecureRequests: boolean): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === 'https:') return true
  if (parsed.protocol !== 'http:') return false
  return allowInsecureRequests || isLoopbackHost(parsed.hostname)
}

/**
 * A `jwks_uri` found by discovery may never downgrade the issuer's transport: an `https:`
 * issuer's keys must come over `https:`, whatever `allowInsecureRequests` says.
 */
export function isDowngrade(issuer: string, jwksUri: string): boolean {
  return issuer.startsWith('https:') && !jwksUri.startsWith('https:')
}
