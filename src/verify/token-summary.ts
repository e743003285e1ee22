import { parseJws } from '../jose/signature.js'

/**
 * What a refused token claimed, unverified: for logs and decision events, so operators can see
 * which issuer, audience and key a failing client used. Never the token or its signature.
 */
export interface TokenSummary {
  /** `iss` as the token states it (unverified). */
  readonly iss?: string
  /** `aud` as the token states it (unverified). */
  readonly aud?: string | readonly string[]
  /** The header's `kid`. */
  readonly kid?: string
  /** The header's `alg`. */
  readonly alg?: string
}

// Attacker-controlled text goes to logs: strings only, each bounded.
const MAX_LENGTH = 256
const MAX_AUDIENCES = 8
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.slice(0, MAX_LENGTH) : undefined

/** Reads `iss`, `aud`, `kid` and `alg` from a compact JWS; undefined when it cannot be parsed. */
export function summarizeToken(token: string): TokenSummary | undefined {
  const jws = parseJws(token)
  if (jws === undefined) return undefined
  const { header, claims } = jws
  const iss = text(claims.iss)
  const aud = Array.isArray(claims.aud)
    ? claims.aud
        .slice(0, MAX_AUDIENCES)
        .map(text)
        .filter((item) => item !== undefined)
    : text(claims.aud)
  const kid = text(header.kid)
  const alg = text(header.alg)
  return {
    ...(iss !== undefined && { iss }),
    ...(aud !== undefined && { aud }),
    ...(kid !== undefined && { kid }),
    ...(alg !== undefined && { alg }),
  }
}
