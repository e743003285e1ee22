import { readBody } from '../keys/read-body.js'
import type { KeySetFailureKind } from '../errors/errors.js'
import type { FetchLimits } from '../keys/fetch-json.js'
import { isAllowedTransport } from '../keys/transport-policy.js'

/** Why a POST failed (timeout, network, size, transport); the `cause` of a 503, never shown. */
export class PostFailure extends Error {
  override readonly name = 'PostFailure'
  constructor(
    /** What went wrong, in the words fetch instrumentation uses for key set fetches. */
    readonly kind: KeySetFailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** A bounded POST's answer: status, media type and body text (at most `maxResponseSize` bytes). */
export interface PostedForm {
  readonly status: number
  /** The `Content-Type` without parameters, lower-cased. */
  readonly contentType: string
  readonly text: string
}

async function exchange(
  url: string,
  body: URLSearchParams,
  headers: Record<string, string>,
  limits: FetchLimits,
  signal: AbortSignal,
): Promise<PostedForm> {
  let response: Response
  try {
    // Never follow a redirect: the credentials and the token go to the configured URL only.
    response = await limits.fetch(url, {
      method: 'POST',
      signal,
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: body.toString(),
    })
  } catch (cause) {
    throw new PostFailure('network', 'fetch failed', { cause })
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';', 1)[0] as string
  const limit = limits.maxResponseSize
  const text = await readBody(response, limit, {
    tooLarge: () => new PostFailure('too-large', `response larger than ${limit} bytes`),
    broken: (cause) =>
      new PostFailure('network', 'connection lost while reading the body', { cause }),
  })
  return { status: response.status, contentType: contentType.trim().toLowerCase(), text }
}

/**
 * POSTs a form with the same bounds as key set fetches (`fetchJson`): a hard time limit that
 * also races an injected `fetch` ignoring the abort signal, a size cap, no redirects.
 * @throws PostFailure on timeout, network failure, an oversized answer or a plain-HTTP URL to a
 * non-loopback host without `allowInsecureRequests` (any status resolves).
 */
export async function postForm(
  url: string,
  body: URLSearchParams,
  headers: Record<string, string>,
  limits: FetchLimits,
): Promise<PostedForm> {
  // The token and the client's credentials travel in this request: the same transport rule as keys.
  if (!isAllowedTransport(url, limits.allowInsecureRequests === true))
    throw new PostFailure('insecure', 'refusing a plain-HTTP POST to a non-loopback host')
  const end = limits.startFetch?.({ kind: 'introspection', url, issuer: limits.issuer })
  if (end === undefined) return postFormWithin(url, body, headers, limits)
  let posted: PostedForm
  try {
    posted = await postFormWithin(url, body, headers, limits)
  } catch (error) {
    end({ error: error instanceof PostFailure ? error.kind : 'network' })
    throw error
  }
  end({ status: posted.status })
  return posted
}

async function postFormWithin(
  url: string,
  body: URLSearchParams,
  headers: Record<string, string>,
  limits: FetchLimits,
): Promise<PostedForm> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new PostFailure('timeout', `no answer within ${limits.timeoutDuration} ms`))
    }, limits.timeoutDuration)
  })
  try {
    return await Promise.race([exchange(url, body, headers, limits, controller.signal), timeout])
  } finally {
    clearTimeout(timer)
  }
}
