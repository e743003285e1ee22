import { hash } from 'node:crypto'
import { DESCRIPTIONS } from '../../errors/reasons.js'
import {
  InvalidDpopProofError,
  ReplayStoreUnavailableError,
  UseDpopNonceError,
} from '../../errors/errors.js'
import type { AuthRequest } from '../../http/auth-request.js'
import { parseJws, verifySignature } from '../../jose/signature.js'
import { DPOP_DEFAULT_ALGORITHMS, type DpopOptions } from '../options.js'
import { createMemoryReplayStore, type DpopReplayStore } from '../replay-store.js'
import { createNonceSource, type NonceSource } from './nonce.js'
import { createProofKeyCache } from './proof-key.js'
import { createRequestUrl, htuMatches } from './request-url.js'

/** Longest accepted DPoP header, in characters (an RSA-4096 proof is about 1.5 KB). */
const MAX_PROOF_LENGTH = 8192
/** Longest accepted `jti`, in characters (RFC 9449 §4.2 asks for 96 bits of randomness). */
const MAX_JTI_LENGTH = 256

/** Checks DPoP proofs at a resource server (RFC 9449 §4.3, §7.1). */
export interface DpopProofVerifier {
  /** The accepted algorithms, space-separated, for the challenge's `algs`. */
  readonly algs: string
  /**
   * Resolves when the request's proof is valid for `token`, bound to `jkt` (the token's
   * `cnf.jkt`); rejects with `InvalidDpopProofError`, `UseDpopNonceError` or, when the replay
   * store cannot answer, `ReplayStoreUnavailableError`.
   */
  verify(request: AuthRequest, token: string, jkt: string): Promise<void>
}

// RFC 9449 §4.3 check 1: exactly one DPoP header. Node joins repeated unknown headers with ", ",
// which no compact JWS contains; the raw list counts them exactly.
function proofHeader(request: AuthRequest): string | undefined | null {
  const raw = request.rawHeaders
  if (raw !== undefined) {
    let found: string | undefined
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string
      if (name.length !== 4 || name.toLowerCase() !== 'dpop') continue
      if (found !== undefined) return null
      found = raw[i + 1] as string
    }
    return found
  }
  const value = request.headers.dpop
  if (Array.isArray(value)) return value.length === 1 ? value[0] : null
  return value !== undefined && value.includes(',') ? null : value
}

/**
 * Builds the proof verifier of one authenticator, with its nonce source, replay store and key
 * cache. Per request: header checks, one signature verification (on the thread pool), then one
 * replay-store write; every other step is a comparison.
 */
export function createDpopProofVerifier(options: DpopOptions, realm: string): DpopProofVerifier {
  const algorithms = new Set<string>(options.algorithms ?? DPOP_DEFAULT_ALGORITHMS)
  const maxAge = options.maxAge ?? 60
  const tolerance = options.clockTolerance ?? 5
  const store: DpopReplayStore =
    options.replayStore ?? createMemoryReplayStore(options.replayCacheSize)
  const keys = createProofKeyCache()
  const requestUrl = createRequestUrl(options.origin, options.trustedProxies)
  const nonceSettings = options.nonce === true ? {} : options.nonce || undefined
  const nonces: NonceSource | undefined =
    nonceSettings &&
    createNonceSource(
      nonceSettings.secret,
      nonceSettings.rotationInterval ?? 300_000,
      nonceSettings.gracePeriod ?? 60_000,
    )

  const invalid = (description: string) =>
    new InvalidDpopProofError(description, { realm, nonce: nonces?.current() })

  function check(request: AuthRequest, token: string, jkt: string) {
    const header = proofHeader(request)
    if (header === null) throw invalid(DESCRIPTIONS.dpopOneHeader)
    if (header === undefined) throw invalid(DESCRIPTIONS.dpopMissing)
    if (header.length > MAX_PROOF_LENGTH) throw invalid(DESCRIPTIONS.dpopMalformed)
    // Check 2: a well-formed JWS (canonical compact form, JSON objects, no duplicate members).
    const jws = parseJws(header)
    if (jws === undefined) throw invalid(DESCRIPTIONS.dpopMalformed)
    const { header: protectedHeader, claims } = jws
    const { typ, alg } = protectedHeader
    // Check 4: typ. Media types compare case-insensitively (RFC 7515 §4.1.9).
    if (typeof typ !== 'string' || typ.toLowerCase() !== 'dpop+jwt')
      throw invalid(DESCRIPTIONS.dpopTyp)
    // Check 5: an asymmetric algorithm we accept (`none` and HS* are never in the set).
    if (typeof alg !== 'string' || !algorithms.has(alg)) throw invalid(DESCRIPTIONS.dpopAlg)
    if (protectedHeader.crit !== undefined || protectedHeader.b64 !== undefined)
      throw invalid(DESCRIPTIONS.dpopMalformed)
    // Check 7: a public key, no private members, of the algorithm's type.
    const key = keys.get(protectedHeader.jwk, alg)
    if (key === undefined) throw invalid(DESCRIPTIONS.dpopJwk)
    // Check 3: the required claims, each of its type.
    const { jti, htm, htu, iat, ath } = claims
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH)
      throw invalid(DESCRIPTIONS.dpopJti)
    // Check 8: htm.
    if (htm !== request.method) throw invalid(DESCRIPTIONS.dpopHtm)
    // Check 9: htu, without query and fragment.
    const url = requestUrl(request)
    if (url === undefined || !htuMatches(htu, url)) throw invalid(DESCRIPTIONS.dpopHtu)
    // Check 11: iat within the window.
    const now = Date.now() / 1000
    if (typeof iat !== 'number' || iat > now + tolerance || iat < now - maxAge - tolerance)
      throw invalid(DESCRIPTIONS.dpopIat)
    // Check 12: ath = BASE64URL(SHA-256(ASCII(access token))), and the key the token names.
    if (typeof ath !== 'string' || ath !== hash('sha256', token, 'base64url'))
      throw invalid(DESCRIPTIONS.dpopAth)
    if (key.thumbprint !== jkt) throw invalid(DESCRIPTIONS.dpopKey)
    // Check 10: the server's nonce (RFC 9449 §9), after the checks a client cannot fix by retrying.
    if (nonces !== undefined && !nonces.accepts(claims.nonce)) {
      throw new UseDpopNonceError(DESCRIPTIONS.dpopNonce, { realm, nonce: nonces.current() })
    }
    // One use per proof, remembered until it would be too old anyway (RFC 9449 §11.1).
    const ttl = Math.max(1000, Math.ceil((iat + maxAge + tolerance - now) * 1000))
    return { jws, key, replayKey: `${key.thumbprint}.${jti}`, ttl }
  }

  async function remember(replayKey: string, ttl: number): Promise<void> {
    let firstUse: boolean
    try {
      firstUse = await store.use(replayKey, ttl)
    } catch (error) {
      throw new ReplayStoreUnavailableError({ realm, cause: error })
    }
    if (!firstUse) throw invalid(DESCRIPTIONS.dpopReplay)
  }

  return {
    algs: [...algorithms].join(' '),
    async verify(request, token, jkt) {
      const { jws, key, replayKey, ttl } = check(request, token, jkt)
      // Check 6: the signature; then the proof is recorded, so a forged one fills no store.
      const valid = await verifySignature(
        jws.header.alg as string,
        key.key,
        jws.signingInput,
        jws.signature,
      )
      if (!valid) throw invalid(DESCRIPTIONS.dpopSignature)
      await remember(replayKey, ttl)
    },
  }
}
