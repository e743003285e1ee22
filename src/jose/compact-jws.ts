// Structural checks on a compact JWS before any cryptography (RFC 7515 §7.1, RFC 8725 §3.4).

const BASE64URL = /^[A-Za-z0-9_-]*$/
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * True when a base64url segment is the one canonical encoding of its bytes: no padding, no
 * `+`/`/`, and zero trailing bits. Otherwise many strings decode to one signature, and caches
 * or logs keyed by the token text can be confused.
 */
function isCanonical(segment: string): boolean {
  const rest = segment.length % 4
  if (rest === 1) return false
  if (rest === 0) return true
  const last = ALPHABET.indexOf(segment[segment.length - 1] as string)
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0
}

function decodeName(quoted: string): string {
  try {
    return JSON.parse(quoted) as string
  } catch {
    return quoted
  }
}

/**
 * Whether a JSON object text has a top-level member name twice. RFC 7515 §5.2 allows either
 * refusing such a JWS or keeping the last value; we refuse, because two parsers that keep
 * different duplicates (a gateway and this library) would disagree about the same token.
 */
export function hasDuplicateMember(json: string): boolean {
  const seen = new Set<string>()
  let depth = 0
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i)
    if (code === 0x22) {
      // A string: find its end, honouring escapes.
      let end = i + 1
      let escaped = false
      while (end < json.length && json.charCodeAt(end) !== 0x22) {
        if (json.charCodeAt(end) === 0x5c) {
          escaped = true
          end += 2
        } else end += 1
      }
      if (depth === 1) {
        let next = end + 1
        while (next < json.length && json.charCodeAt(next) <= 0x20) next++
        if (json.charCodeAt(next) === 0x3a) {
          // Compare decoded names, so "a" and "\u0061" count as the same member.
          const name = escaped ? decodeName(json.slice(i, end + 1)) : json.slice(i + 1, end)
          if (seen.has(name)) return true
          seen.add(name)
        }
      }
      i = end
    } else if (code === 0x7b || code === 0x5b) depth++
    else if (code === 0x7d || code === 0x5d) depth--
  }
  return false
}

/** The three segments of a compact JWS, in their base64url form. */
export type CompactSegments = readonly [header: string, payload: string, signature: string]

/**
 * Splits a compact JWS into its segments, or undefined when it is not an acceptable one:
 * exactly three base64url segments (a five-part JWE is refused here), a non-empty header and
 * signature, each segment canonically encoded. This is the signature layer's check; the payload
 * may be any bytes.
 */
export function splitCompactJws(token: string): CompactSegments | undefined {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first <= 0 || second === -1 || second === token.length - 1) return undefined
  if (token.indexOf('.', second + 1) !== -1) return undefined
  const segments = [
    token.slice(0, first),
    token.slice(first + 1, second),
    token.slice(second + 1),
  ] as const
  for (const segment of segments) {
    if (!BASE64URL.test(segment) || !isCanonical(segment)) return undefined
  }
  return segments
}
