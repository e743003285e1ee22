import { BlockList, isIP } from 'node:net'
import type { HeaderValue } from '../http/auth-request.js'

/** Normalizes an address: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes plain IPv4. */
export function normalizeIp(address: string | undefined): string | undefined {
  if (address === undefined) return undefined
  let value = address.trim()
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1)
  if (value.toLowerCase().startsWith('::ffff:') && isIP(value.slice(7)) === 4)
    value = value.slice(7)
  return isIP(value) === 0 ? undefined : value
}

/** A set of CIDR ranges (IPv4 and IPv6), compiled once. */
export interface CidrSet {
  has(address: string): boolean
}

/**
 * Compiles CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`, or single addresses); calls `bad` with
 * the index of each range it cannot read.
 */
export function compileCidrs(ranges: readonly string[], bad: (index: number) => void): CidrSet {
  const list = new BlockList()
  ranges.forEach((range, index) => {
    const [address, prefix, extra] = range.split('/')
    const ip = normalizeIp(address)
    const family = ip === undefined ? 0 : isIP(ip)
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix)
    if (
      ip === undefined ||
      extra !== undefined ||
      (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) ||
      bits > (family === 4 ? 32 : 128)
    ) {
      bad(index)
      return
    }
    list.addSubnet(ip, bits, family === 4 ? 'ipv4' : 'ipv6')
  })
  return {
    has(address) {
      const family = isIP(address)
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6')
    },
  }
}

/**
 * The client's address: the socket peer, unless that peer is a trusted proxy; then
 * `X-Forwarded-For` is read from the right, skipping trusted proxies, and the first other hop is
 * the client. Without trusted proxies the header is never believed (anyone can send it).
 * Undefined when an address cannot be read: conditions on it then fail.
 */
export function clientIp(
  remoteAddress: string | undefined,
  forwardedFor: HeaderValue,
  trusted: CidrSet | undefined,
): string | undefined {
  const peer = normalizeIp(remoteAddress)
  if (peer === undefined || trusted === undefined || !trusted.has(peer)) return peer
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor
  if (header === undefined || header === '') return peer
  const hops = header.split(',')
  let client: string | undefined = peer
  for (let index = hops.length - 1; index >= 0; index--) {
    client = normalizeIp(hops[index])
    if (client === undefined || !trusted.has(client)) return client
  }
  return client
}
