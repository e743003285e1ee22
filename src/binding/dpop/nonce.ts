import { createHmac, randomBytes } from 'node:crypto'

/** Issues and checks DPoP server nonces (RFC 9449 §9). */
export interface NonceSource {
  /** The nonce of the current window. */
  current(): string
  /** Whether a proof's nonce is the current one, or the previous one within the grace period. */
  accepts(nonce: unknown): boolean
}

/**
 * Nonces without state: the nonce of window `n` is HMAC-SHA256(secret, n), so instances sharing
 * the secret agree on it, and a nonce cannot be predicted without the secret. Computed once per
 * window, not per request.
 */
export function createNonceSource(
  secret: Uint8Array | string | undefined,
  rotationInterval: number,
  gracePeriod: number,
  now: () => number = Date.now,
): NonceSource {
  const key = secret ?? randomBytes(32)
  let window = -1
  let currentNonce = ''
  let previousNonce = ''

  const nonceOf = (n: number) => createHmac('sha256', key).update(String(n)).digest('base64url')

  function refresh(): number {
    const time = now()
    const n = Math.floor(time / rotationInterval)
    if (n !== window) {
      previousNonce = n - 1 === window ? currentNonce : nonceOf(n - 1)
      currentNonce = nonceOf(n)
      window = n
    }
    return time - n * rotationInterval
  }

  return {
    current() {
      refresh()
      return currentNonce
    },
    accepts(nonce) {
      if (typeof nonce !== 'string') return false
      const sinceChange = refresh()
      return nonce === currentNonce || (sinceChange < gracePeriod && nonce === previousNonce)
    },
  }
}
