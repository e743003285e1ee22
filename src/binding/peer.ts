import type { AuthRequest } from '../http/auth-request.js'

// Node shows IPv4 peers of a dual-stack server as `::ffff:a.b.c.d`.
const normalize = (address: string) =>
  address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address

/**
 * Compiles a list of trusted proxy addresses into a check of a request's peer. An empty or
 * missing list trusts nobody.
 */
export function createPeerCheck(
  addresses: readonly string[] | undefined,
): (request: AuthRequest) => boolean {
  const trusted = new Set((addresses ?? []).map(normalize))
  if (trusted.size === 0) return () => false
  return (request) => {
    const address = request.socket?.remoteAddress
    return address !== undefined && trusted.has(normalize(address))
  }
}

/** One header value as a string, or undefined when absent or sent more than once. */
export function singleHeader(request: AuthRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' ? value : undefined
}
