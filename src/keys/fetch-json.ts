/** Why a fetch of a discovery document or key set failed; internal, never shown to clients. */
export class FetchFailure extends Error {
  constructor(
    readonly reason: FetchFailureReason,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options)
    this.name = 'FetchFailure'
    this.status = options?.status
  }
  /** The HTTP status, when the failure is an unexpected one. */
  readonly status: number | undefined
}

/** Why a fetch failed, as a short stable word (a metric attribute, never shown to clients). */
export type FetchFailureReason = 'timeout' | 'network' | 'status' | 'too-large' | 'invalid-json'

/** What a remote document is fetched for. */
export type FetchKind = 'discovery' | 'jwks' | 'introspection'

/** A remote fetch about to start, as instrumentation sees it. */
export interface FetchStart {
  readonly kind: FetchKind
  /** The URL fetched (a configured or discovered endpoint: never carries a token). */
  readonly url: string
  /** The concrete issuer the document belongs to. */
  readonly issuer: string | undefined
}

/** How a remote fetch ended: its HTTP status when one came, and the failure reason if any. */
export interface FetchEnd {
  readonly status?: number
  readonly error?: FetchFailureReason
}

/**
 * Called as a fetch starts; the function it returns (if any) is called once when it ends.
 * Returning undefined (or not setting the hook) costs the fetch nothing.
 */
export type FetchHook = (start: FetchStart) => ((end: FetchEnd) => void) | undefined

export interface FetchLimits {
  readonly fetch: typeof fetch
  /** Milliseconds for the whole exchange, body included. */
  readonly timeoutDuration: number
  /** Bytes. */
  readonly maxResponseSize: number
  /** The issuer the fetched documents belong to, for instrumentation. */
  readonly issuer?: string
  /** Instrumentation of each fetch (timing, spans); see `FetchHook`. */
  readonly startFetch?: FetchHook
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

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (declared > limit) {
    await response.body?.cancel().catch(() => {})
    throw new FetchFailure('too-large', `response larger than ${limit} bytes`)
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw new FetchFailure('too-large', `response larger than ${limit} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function exchange(
  url: string,
  limits: FetchLimits,
  signal: AbortSignal,
): Promise<FetchedJson> {
  let response: Response
  try {
    // Redirects are not followed: a key set must come from the configured or discovered URL.
    response = await limits.fetch(url, {
      signal,
      redirect: 'manual',
      headers: { accept: 'application/json' },
    })
  } catch (cause) {
    throw new FetchFailure('network', `fetch failed`, { cause })
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {})
    throw new FetchFailure('status', `unexpected status ${response.status}`, {
      status: response.status,
    })
  }
  const text = await readLimited(response, limits.maxResponseSize)
  try {
    return { json: JSON.parse(text), maxAge: readMaxAge(response.headers.get('cache-control')) }
  } catch (cause) {
    throw new FetchFailure('invalid-json', 'response is not JSON', { cause })
  }
}

/**
 * GETs a JSON document with a hard time limit and size cap. The timer also races the call, so
 * an injected `fetch` that ignores the abort signal still cannot hang a request.
 */
export async function fetchJson(
  url: string,
  limits: FetchLimits,
  kind: FetchKind,
): Promise<FetchedJson> {
  const end = limits.startFetch?.({ kind, url, issuer: limits.issuer })
  if (end === undefined) return fetchJsonWithin(url, limits)
  let result: FetchedJson
  try {
    result = await fetchJsonWithin(url, limits)
  } catch (error) {
    const failure = error as FetchFailure
    end({ status: failure.status, error: failure.reason })
    throw error
  }
  end({ status: 200 })
  return result
}

async function fetchJsonWithin(url: string, limits: FetchLimits): Promise<FetchedJson> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new FetchFailure('timeout', `no answer within ${limits.timeoutDuration} ms`))
    }, limits.timeoutDuration)
  })
  try {
    return await Promise.race([exchange(url, limits, controller.signal), timeout])
  } finally {
    clearTimeout(timer)
  }
}
