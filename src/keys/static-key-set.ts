import { createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto'
import type { JWK } from 'jose'
import { z } from 'zod'
import { InvalidTokenError } from '../errors/errors.js'
import { DESCRIPTIONS } from '../errors/reasons.js'
import { isUsableSigningKey, keyFitsAlgorithm } from '../jose/jwk.js'
import type { KeySelector } from './remote-key-set.js'

/**
 * Verification keys given in the configuration instead of fetched from a JWKS endpoint: for
 * deployments without one (a gateway that hands out a PEM, an air-gapped network) and for tests.
 * With either option set, the issuer's keys are never fetched and discovery never runs.
 */
export interface StaticKeysOptions {
  /**
   * A JSON Web Key Set (RFC 7517 §5) of public signing keys, e.g. the issuer's published JWKS.
   * Private, symmetric (`oct`) and weak RSA keys (under 2048 bits) are refused at startup.
   * Default: none (keys come from `jwksUri` or discovery).
   *
   * @example
   * ```ts
   * authenticate({ issuer, audience, jwks: { keys: [{ kty: 'RSA', kid: 'k1', n, e: 'AQAB' }] } })
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
   */
  jwks?: { keys: JWK[] }
  /**
   * One public key: PEM text (`-----BEGIN PUBLIC KEY-----`, SPKI; or a certificate), a public JWK
   * or a `KeyObject`. Tokens may then omit `kid`. Default: none.
   *
   * @example
   * ```ts
   * authenticate({ issuer, audience, publicKey: readFileSync('issuer-public.pem', 'utf8') })
   * ```
   */
  publicKey?: string | JWK | KeyObject
}

/** A configured key, imported once at startup. */
export interface StaticKey {
  /** The public JWK (with its own `kid`/`alg` when given), used to choose a key for a token. */
  readonly jwk: JWK
  readonly key: KeyObject
  /** A `publicKey` without its own `kid` serves tokens whatever `kid` they name. */
  readonly anyKid?: boolean
}

function importJwk(jwk: unknown): StaticKey {
  if (!isUsableSigningKey(jwk)) {
    throw new Error(
      'Expected a public signing key (RSA of 2048 bits or more, EC or OKP); private, symmetric and weak keys are refused',
    )
  }
  return {
    jwk,
    key: createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }),
  }
}

function importPublicKey(value: string | JWK | KeyObject): StaticKey {
  if (typeof value === 'string' || value instanceof KeyObject) {
    // A private key would import as its public half; refusing it keeps secrets out of configs.
    if (typeof value === 'string' ? /PRIVATE KEY-----/.test(value) : value.type !== 'public') {
      throw new Error('Expected a public key, not a private or secret one')
    }
    const key = typeof value === 'string' ? createPublicKey(value) : value
    return { ...importJwk(key.export({ format: 'jwk' })), key, anyKid: true }
  }
  return { ...importJwk(value), anyKid: value.kid === undefined }
}

/**
 * Imports the configured keys; throws an `Error` whose message says which key is unusable.
 * Called once, while options are resolved.
 */
export function importStaticKeys(options: StaticKeysOptions): StaticKey[] | undefined {
  if (options.jwks === undefined && options.publicKey === undefined) return undefined
  return [
    ...(options.jwks?.keys ?? []).map(importJwk),
    ...(options.publicKey === undefined ? [] : [importPublicKey(options.publicKey)]),
  ]
}

// A zod check per key, so a bad key is reported at its own path (`jwks.keys.1`).
function keyCheck<T>(importOne: (value: T) => unknown) {
  return (value: T, ctx: z.RefinementCtx) => {
    try {
      importOne(value)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
    }
  }
}

/** The zod fragment of `StaticKeysOptions`, spread into each issuer's schema. */
export const staticKeysFields = {
  jwks: z
    .strictObject({
      keys: z
        .array(z.custom<JWK>(() => true).superRefine(keyCheck(importJwk)))
        .min(1, 'Expected at least one key'),
    })
    .optional(),
  publicKey: z
    .custom<string | JWK | KeyObject>(
      (value) => typeof value === 'string' || (value !== null && typeof value === 'object'),
      'Expected PEM text, a JWK or a KeyObject',
    )
    .superRefine(keyCheck(importPublicKey))
    .optional(),
}

/**
 * The keys of one issuer given in the configuration. Chooses a key exactly as the remote key set
 * does: by `kid` and algorithm; a token without `kid` only when one configured key fits its
 * algorithm, so a token cannot make us try every key. Always answers synchronously.
 */
export class StaticKeySet {
  private readonly byKid = new Map<string | undefined, StaticKey[]>()

  /** Configured keys are always at hand. */
  ready(): Promise<void> {
    return Promise.resolve()
  }

  constructor(
    private readonly keys: readonly StaticKey[],
    private readonly realm: string,
  ) {
    for (const entry of keys) {
      const list = this.byKid.get(entry.jwk.kid)
      if (list) list.push(entry)
      else this.byKid.set(entry.jwk.kid, [entry])
    }
  }

  /** The key for a token header; throws `InvalidTokenError` (401) when none fits. */
  getKey(header: KeySelector): KeyObject {
    const { alg, kid } = header
    if (typeof alg !== 'string') throw this.noMatchingKey()
    if (kid !== undefined) {
      if (typeof kid !== 'string') throw this.noMatchingKey()
      for (const entry of this.byKid.get(kid) ?? []) {
        if (keyFitsAlgorithm(entry.jwk, alg)) return entry.key
      }
      for (const entry of this.keys)
        if (entry.anyKid && keyFitsAlgorithm(entry.jwk, alg)) return entry.key
      throw this.noMatchingKey()
    }
    let found: StaticKey | undefined
    for (const entry of this.keys) {
      if (!keyFitsAlgorithm(entry.jwk, alg)) continue
      if (found !== undefined) throw this.noMatchingKey()
      found = entry
    }
    if (found === undefined) throw this.noMatchingKey()
    return found.key
  }

  /** How many keys are configured. */
  get size(): number {
    return this.keys.length
  }

  /** Nothing to forget: configured keys stay. */
  clear(): void {}

  private noMatchingKey(): InvalidTokenError {
    return new InvalidTokenError(DESCRIPTIONS.noKey, { realm: this.realm })
  }
}
