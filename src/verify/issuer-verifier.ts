import { DESCRIPTIONS } from '../errors/reasons.js'
import { andThen } from '../maybe-async.js'
import { createSecretKey, type KeyObject } from 'node:crypto'
import { buildAuthContext } from './auth-context.js'
import { createClaimRules } from '../claims/claim-mapping.js'
import { InvalidTokenError } from '../errors/errors.js'
import { providerProfile } from './provider-profiles.js'
import { verifyMac, verifySignature, type ParsedJws } from '../jose/signature.js'
import { RemoteKeySet } from '../keys/remote-key-set.js'
import { importStaticKeys, StaticKeySet } from '../keys/static-key-set.js'
import type { ResolvedAuthenticateOptions, ResolvedIssuerOptions } from '../config/options.js'
import type { AuthContext, TokenClaims } from './auth-context.js'
import type { MappedClaims } from '../claims/claim-mapping.js'

/** Verifies tokens of one concrete issuer (one tenant of a template counts as one issuer). */
export interface IssuerVerifier {
  /**
   * Verifies a token already taken apart by `parseJws`. Synchronous only for HS* tokens; a
   * signature is checked on the thread pool.
   */
  verify(token: string, jws: ParsedJws): AuthContext | Promise<AuthContext>
  /** Keys held in this issuer's key set. */
  keyCount(): number
  /**
   * Bumped whenever this issuer stops publishing a key it published before (compared by key
   * material, not `kid`) and when the verifier is cleared: a remembered token verified under an
   * older generation must be verified again. Scoped to this issuer, so one tenant rotating its
   * keys never flushes another tenant's remembered tokens.
   */
  readonly generation: number
  /**
   * Until when (milliseconds since the epoch) a token this verifier accepted stays acceptable
   * without a new check: its `exp`, and `iat` + `maxTokenAge` when that limit is set.
   */
  validUntil(auth: AuthContext): number
  /** Resolves once this issuer's keys are at hand (nothing to fetch for HS* only). */
  ready(): Promise<void>
  clear(): void
}

/** A concrete issuer: the configured one, or a template filled in for one tenant. */
export interface ConcreteIssuer {
  readonly options: ResolvedIssuerOptions
  readonly issuer: string
  readonly audience: readonly string[]
  readonly jwksUri: string | undefined
  /** The tenant filled into a template. */
  readonly tenant?: string
  /** The `fetch` for this issuer's keys; default `common.fetch` or the global one. */
  readonly fetch?: typeof fetch
  /** Milliseconds since the epoch after which this issuer must be confirmed again. */
  readonly trustedUntil?: number
}

// RFC 9068 §2.1 / RFC 8725 §3.11: explicit typing; `JWT` and none stay accepted by default
// because most providers (Auth0, Keycloak, Entra ID, Cognito) still issue them.
const DEFAULT_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt', 'application/jwt'])
const STRICT_TYPES = new Set(['at+jwt', 'application/at+jwt'])

/**
 * Verifies one issuer's tokens (already checked as canonical compact JWS with JSON-object header
 * and claims free of duplicate members, see `createVerifier`), in this order: `alg` on the allowlist, `typ`, no `crit` (no extension is
 * understood, so every critical one is refused) and no `b64`; the signature with a key of the
 * issuer (never one named by the token: `jku`, `x5u`, `jwk`, `x5c` are ignored); then `iss`,
 * `aud`, `exp`, `nbf`, `iat`, lifetime, required claims and the token kind.
 *
 * Signatures are checked with node:crypto on the thread pool; jose validates and imports the keys.
 */
export function createIssuerVerifier(
  concrete: ConcreteIssuer,
  common: ResolvedAuthenticateOptions,
): IssuerVerifier {
  const { options, issuer, audience } = concrete
  const { realm } = common
  const rules = createClaimRules(
    options.claims,
    options.rolesClaim,
    options.profile === 'strict' ? 'strict' : 'tolerant',
  )
  const profile = providerProfile(rules.preset)
  let generation = 0
  // Configured keys (`jwks`, `publicKey`) replace fetching altogether.
  const staticKeys = importStaticKeys(options)
  const keySet = staticKeys
    ? new StaticKeySet(staticKeys, realm)
    : new RemoteKeySet({
        issuer,
        jwksUri: concrete.jwksUri,
        fetch: concrete.fetch ?? common.fetch ?? globalThis.fetch,
        timeoutDuration: common.timeoutDuration,
        maxResponseSize: common.maxResponseSize,
        cooldownDuration: common.cooldownDuration,
        cacheMaxAge: common.cacheMaxAge,
        maxStaleAge: common.maxStaleAge,
        maxKeys: common.maxKeys,
        realm,
        allowInsecureRequests: common.allowInsecureRequests,
        ...(common.onWarning && { onWarning: common.onWarning }),
        // Bound: the hook may be a method of the user's instrumentation object.
        startFetch: common.instrumentation?.startFetch?.bind(common.instrumentation),
        onKeysRemoved: () => {
          generation++
        },
      })
  const secret = options.secret ? createSecretKey(options.secret) : undefined
  const algorithms = new Set<string>(options.algorithms)
  const needsKeys = options.algorithms.some((alg) => !alg.startsWith('HS'))
  const acceptedTypes = options.profile === 'strict' ? STRICT_TYPES : DEFAULT_TYPES
  const typeRequired = options.profile === 'strict'
  const { clockTolerance, maxTokenAge, maxTokenLifetime } = options
  // Cognito access tokens carry no `aud`: their audience is `client_id`, checked in checkClaims.
  const requiredClaims = [
    ...new Set([
      'iss',
      ...(profile.audienceFromClientId ? [] : ['aud']),
      ...(maxTokenAge !== undefined ? ['iat'] : []),
      ...options.requiredClaims,
    ]),
  ]

  const invalid = (description: string) => new InvalidTokenError(description, { realm })

  function checkHeader(header: Record<string, unknown>): string {
    const { alg, typ } = header
    if (typeof alg !== 'string' || !algorithms.has(alg)) throw invalid(DESCRIPTIONS.alg)
    if (
      typ === undefined
        ? typeRequired
        : typeof typ !== 'string' || !acceptedTypes.has(typ.toLowerCase())
    ) {
      throw invalid(DESCRIPTIONS.typ)
    }
    // RFC 7515 §4.1.11: we understand no extension, so any `crit` is refused; RFC 7797: a JWT
    // payload is always base64url-encoded.
    if (header.crit !== undefined || header.b64 !== undefined) throw invalid(DESCRIPTIONS.malformed)
    return alg
  }

  function checkAudience(aud: unknown): boolean {
    if (typeof aud === 'string') return audience.includes(aud)
    return (
      Array.isArray(aud) && aud.some((item) => typeof item === 'string' && audience.includes(item))
    )
  }

  // The registered claims, with jose's semantics (RFC 7519 §4.1) and a few more checks.
  function checkClaims(claims: TokenClaims, typ: string | undefined): void {
    for (const name of requiredClaims)
      if (!Object.hasOwn(claims, name)) throw invalid(DESCRIPTIONS.missing)
    if (claims.iss !== issuer) throw invalid(DESCRIPTIONS.iss)
    if (
      profile.audienceFromClientId
        ? !audience.includes(claims.client_id as string)
        : !checkAudience(claims.aud)
    ) {
      throw invalid(DESCRIPTIONS.aud)
    }
    const now = Math.floor(Date.now() / 1000)
    const { exp, nbf, iat } = claims
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + clockTolerance))
      throw invalid(DESCRIPTIONS.nbf)
    if (typeof exp !== 'number') throw invalid(DESCRIPTIONS.exp)
    if (exp <= now - clockTolerance) throw invalid(DESCRIPTIONS.expired)
    if (iat !== undefined) {
      // jose checks `iat` only with maxTokenAge; a token issued in the future is never valid.
      if (typeof iat !== 'number' || iat > now + clockTolerance) throw invalid(DESCRIPTIONS.iat)
      if (maxTokenAge !== undefined && now - iat - clockTolerance > maxTokenAge)
        throw invalid(DESCRIPTIONS.tooOld)
    }
    if (maxTokenLifetime !== undefined && exp - (iat ?? now) > maxTokenLifetime)
      throw invalid(DESCRIPTIONS.lifetime)
    const wrongKind = profile.tokenKind(claims, typ)
    if (wrongKind !== undefined) throw invalid(wrongKind)
  }

  function map(claims: TokenClaims): MappedClaims {
    let mapped: MappedClaims
    try {
      mapped = rules.map(claims)
    } catch (cause) {
      // A throwing custom mapping denies, like a throwing guard predicate: never a 500.
      throw new InvalidTokenError(DESCRIPTIONS.mapping, { cause, realm })
    }
    const { tenant } = concrete
    if (tenant === undefined) return mapped
    // The tenant of a templated issuer is the one its `iss` and keys proved. A token's own
    // tenant claim may agree with it; one naming another tenant is refused, never believed.
    if (mapped.tenant !== undefined && mapped.tenant !== tenant) throw invalid(DESCRIPTIONS.tenant)
    return mapped.tenant === tenant ? mapped : { ...mapped, tenant }
  }

  // An HMAC costs about a microsecond: checked inline. A signature goes to the thread pool.
  function finish(
    token: string,
    jws: ParsedJws,
    alg: string,
    key: KeyObject,
    mac: boolean,
  ): AuthContext | Promise<AuthContext> {
    if (mac) {
      if (!verifyMac(alg, key, jws.signingInput, jws.signature))
        throw invalid(DESCRIPTIONS.signature)
      return accept(token, jws)
    }
    return verifySignature(alg, key, jws.signingInput, jws.signature).then((valid) => {
      if (!valid) throw invalid(DESCRIPTIONS.signature)
      return accept(token, jws)
    })
  }

  function accept(token: string, jws: ParsedJws): AuthContext {
    const claims = jws.claims as TokenClaims
    const typ =
      typeof jws.header.typ === 'string'
        ? jws.header.typ.toLowerCase().replace(/^application\//, '')
        : undefined
    checkClaims(claims, typ)
    return buildAuthContext(token, claims, map(claims), realm)
  }

  return {
    verify(token, jws) {
      const alg = checkHeader(jws.header)
      if (alg.startsWith('HS')) return finish(token, jws, alg, secret as KeyObject, true)
      const key = keySet.getKey(jws.header as { alg: string; kid?: string })
      return andThen(key, (found) => finish(token, jws, alg, found, false))
    },
    keyCount: () => keySet.size,
    get generation() {
      return generation
    },
    validUntil(auth) {
      const exp = Math.min(auth.expiresAt * 1000, concrete.trustedUntil ?? Infinity)
      const iat = auth.claims.iat
      if (maxTokenAge === undefined || typeof iat !== 'number') return exp
      return Math.min(exp, (iat + maxTokenAge + clockTolerance) * 1000)
    },
    ready: () => (needsKeys ? keySet.ready() : Promise.resolve()),
    clear() {
      keySet.clear()
      generation++
    },
  }
}
