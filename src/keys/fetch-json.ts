import { readBody } from './read-body.js'
import { isAllowedTransport } from './transport-policy.js'
import type { KeySetFailure, KeySetFailureKind, KeySetResource } from '../errors/errors.js'

/**
 * Why a fetch of a discovery document or key set failed. Internal: it becomes the `cause` of the
 * 503 `KeySetUnavailableError` and, as plain data (`details`), the decision event's `cause`;
 * never shown to clients.
 */
export class FetchFailure extends Error implements KeySetFailure {
  readonly kind: KeySetFailureKind
  readonly resource: KeySetResource
  readonly url: string
  readonly status?: number
  readonly code?: string

  constructor(
    kind: KeySetFailureKind,
    message: string,
    where: { resource: KeySetResource; url: string; status?: number; code?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'FetchFailure'
    this.kind = kind
    this.resource = where.resource
    this.url = safeUrl(where.url)
    if (where.status !== undefined) this.status = where.status
    if (where.code !== undefined) this.code = where.code
  }

  /** The failure as plain data, for logs and decision events. */
  get details(): KeySetFailure {
    const { kind, resource, url, status, code } = this
    return {
      kind,
      resource,
      url,
      ...(status !== undefined && { status }),
      ...(code !== undefined && { code }),
    }
  }
}

// Origin and path only: a URL's credentials or query could hold a secret, and logs keep both.
// Every URL fetched was parsed before (options, discovery), so this cannot throw.
function safeUrl(url: string): string {
  const parsed = new URL(url)
  return `${parsed.origin}${parsed.pathname}`
}

/** The system error code under a `fetch` failure (`ENOTFOUND`, `ECONNREFUSED`, …), if any. */
function systemCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** What a remote document is fetched for: discovery, the JWK Set, or an RFC 7662 introspection. */
export type FetchKind = KeySetResource | 'introspection'

/** A remote fetch about to start, as instrumentation sees it. */
export interface FetchStart {
  readonly kind: FetchKind
  /** The URL fetched: a configured or discovered endpoint, never carrying a token. */
  readonly url: string
  /** The concrete issuer the document belongs to. */
  readonly issuer: string | undefined
}

/** How a remote fetch ended: its HTTP status when one came, and the failure kind if any. */
export interface FetchEnd {
  readonly status?: number
  readonly error?: KeySetFailureKind
}

/**
 * Called as a fetch starts; the function it returns (if any) is called once when it ends.
 * Returning `undefined` (or not setting the hook) costs the fetch nothing.
 */
export type FetchHook = (start: FetchStart) => ((end: FetchEnd) => void) | undefined

export interface FetchLimits {
  readonly fetch: typeof fetch
  /** Milliseconds for the whole exchange, body included. */
  readonly timeoutDuration: number
  /** Bytes. */
  readonly maxResponseSize: number
  /** Allow `http:` to hosts other than loopback. Default false; see `isAllowedTransport`. */
  readonly allowInsecureRequests?: boolean
  /** The issuer the fetched documents belong to, for instrumentation. */
  readonly issuer?: string
  /** Instrumentation of each fetch (timing, spans); see `FetchHook`. */
  readonly startFetch?: FetchHook | undefined
}

export interface FetchedJson {
  readonly json: unknown
  /** The response's `Cache-Control: max-age`, in seconds, when present. */
  readonly maxAge: number | undefined
}

const MAX_AGE = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i
const NO_CACHE = /(?:^|,)\s*no-(?:cache|store)\b/i

function readMaxAge(header: string | null): number | undefined {
  if (header === null) return undefined
  if (NO_CACHE.test(header)) return 0
  const match = MAX_AGE.exec(header)
  return match ? Number(match[1]) : undefined
}

type Where = ConstructorParameters<typeof FetchFailure>[2]

async function exchange(url: string, limits: FetchLimits, signal: AbortSignal, where: Where) {
  let response: Response
  try {
    // Redirects are not followed: a key set must come from the configured or discovered URL.
    response = await limits.fetch(url, {
      signal,
      redirect: 'manual',
      headers: { accept: 'application/json' },
    })
  } catch (cause) {
    throw new FetchFailure(
      'network',
      'fetch failed',
      { ...where, code: systemCode(cause) },
      {
        cause,
      },
    )
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {})
    throw new FetchFailure('status', `unexpected status ${response.status}`, {
      ...where,
      status: response.status,
    })
  }
  const text = await readBody(response, limits.maxResponseSize, {
    tooLarge: () =>
      new FetchFailure('too-large', `response larger than ${limits.maxResponseSize} bytes`, where),
    broken: (cause) =>
      new FetchFailure(
        'network',
        'connection lost while reading the body',
        { ...where, code: systemCode(cause) },
        { cause },
      ),
  })
  try {
    return { json: JSON.parse(text), maxAge: readMaxAge(response.headers.get('cache-control')) }
  } catch (cause) {
    throw new FetchFailure('invalid-json', 'response is not JSON', where, { cause })
  }
}

/**
 * GETs a JSON document with a hard time limit and size cap. The timer also races the call, so
 * an injected `fetch` that ignores the abort signal still cannot hang a request. `signal`
 * (optional) cancels the exchange from outside, e.g. when the authenticator is closed.
 * @throws FetchFailure naming what went wrong, with `resource` and `url`.
 */
export async function fetchJson(
  url: string,
  limits: FetchLimits,
  resource: KeySetResource,
  signal?: AbortSignal,
): Promise<FetchedJson> {
  const end = limits.startFetch?.({ kind: resource, url, issuer: limits.issuer })
  if (end === undefined) return fetchJsonWithin(url, limits, resource, signal)
  let result: FetchedJson
  try {
    result = await fetchJsonWithin(url, limits, resource, signal)
  } catch (error) {
    const failure = error instanceof FetchFailure ? error : undefined
    end({ status: failure?.status, error: failure?.kind ?? 'network' })
    throw error
  }
  end({ status: 200 })
  return result
}

async function fetchJsonWithin(
  url: string,
  limits: FetchLimits,
  resource: KeySetResource,
  signal: AbortSignal | undefined,
): Promise<FetchedJson> {
  const where = { resource, url }
  // Checked at the one place every remote call goes through, whatever built the URL.
  if (!isAllowedTransport(url, limits.allowInsecureRequests === true)) {
    throw new FetchFailure('insecure', 'refusing a plain-HTTP fetch to a non-loopback host', where)
  }
  const controller = new AbortController()
  const abort = () => controller.abort()
  signal?.addEventListener('abort', abort, { once: true })
  let timer: NodeJS.Timeout | undefined
  let cancel: ((failure: FetchFailure) => void) | undefined
  const bounded = new Promise<never>((_, reject) => {
    cancel = reject
    timer = setTimeout(() => {
      reject(new FetchFailure('timeout', `no answer within ${limits.timeoutDuration} ms`, where))
      controller.abort()
    }, limits.timeoutDuration)
  })
  controller.signal.addEventListener(
    'abort',
    () => cancel?.(new FetchFailure('aborted', 'fetch cancelled', where)),
    { once: true },
  )
  if (signal?.aborted) controller.abort()
  try {
    return await Promise.race([exchange(url, limits, controller.signal, where), bounded])
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', abort)
  }
}
