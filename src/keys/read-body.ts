/** How a bounded read reports its two failures, in the caller's own error type. */
export interface BodyReadFailures {
  /** The body is (or declares itself) larger than the limit. */
  tooLarge(): Error
  /** The connection broke mid-body (a reset, a proxy giving up). */
  broken(cause: unknown): Error
}

/**
 * Reads a response body as UTF-8, at most `limit` bytes: a declared `Content-Length` above it is
 * refused before reading, and a body that grows past it is cancelled at once, so an oversized
 * or endless answer never fills memory. Shared by key set, introspection and policy fetches.
 */
export async function readBody(
  response: Response,
  limit: number,
  fail: BodyReadFailures,
): Promise<string> {
  if (Number(response.headers.get('content-length')) > limit) {
    await response.body?.cancel().catch(() => {})
    throw fail.tooLarge()
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>
    try {
      chunk = await reader.read()
    } catch (cause) {
      throw fail.broken(cause)
    }
    if (chunk.done) break
    size += chunk.value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw fail.tooLarge()
    }
    chunks.push(chunk.value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
