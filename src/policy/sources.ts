import { readBody } from '../keys/read-body.js'
import { watch, type FSWatcher } from 'node:fs'
import { open } from 'node:fs/promises'
import { basename, dirname } from 'node:path'

/** Where a policy document's text comes from. */
export interface PolicySource {
  /** The file path or URL, for messages and events. */
  readonly name: string
  /** Reads the text; `undefined` when it is unchanged since the last read (HTTP 304). */
  read(): Promise<string | undefined>
  /**
   * Starts watching (file) or polling (URL). `check` re-reads and resolves to false on
   * failure, which a URL source answers with backoff.
   */
  start(check: () => Promise<boolean>): void
  close(): void
}

/** Why a source could not be read; the message is safe to log. */
export class SourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SourceError'
  }
}

/** A file, read with a size cap, watched (when asked) through its directory. */
export function fileSource(path: string, watchFile: boolean, maxSize: number): PolicySource {
  let watcher: FSWatcher | undefined
  let timer: NodeJS.Timeout | undefined
  return {
    name: path,
    async read() {
      let handle
      try {
        handle = await open(path, 'r')
      } catch (cause) {
        throw new SourceError(`cannot read ${path}: ${(cause as NodeJS.ErrnoException).code}`, {
          cause,
        })
      }
      try {
        const buffer = Buffer.alloc(maxSize + 1)
        const { bytesRead } = await handle.read(buffer, 0, maxSize + 1, 0)
        if (bytesRead > maxSize) throw new SourceError(`${path} is larger than ${maxSize} bytes`)
        return buffer.toString('utf8', 0, bytesRead)
      } finally {
        await handle.close()
      }
    },
    start(check) {
      if (!watchFile) return
      // Editors and deploy tools replace files by renaming over them: watch the directory.
      const file = basename(path)
      watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== file) return
        clearTimeout(timer)
        // Several events arrive for one save; read once they settle.
        timer = setTimeout(() => void check(), 20)
        timer.unref()
      })
      watcher.on('error', () => {})
    },
    close() {
      clearTimeout(timer)
      watcher?.close()
    },
  }
}

/** Limits of a URL source. */
export interface UrlSourceOptions {
  /** Milliseconds between polls. */
  readonly interval: number
  /** Milliseconds for one whole exchange. */
  readonly timeoutDuration: number
  /** Bytes. */
  readonly maxSize: number
  readonly fetch: typeof fetch
}

/**
 * A URL polled with `If-None-Match`, bounded in time and size like the JWKS fetch, no redirects.
 * After a failure it retries sooner, from one second doubling up to the interval.
 */
export function urlSource(url: string, options: UrlSourceOptions): PolicySource {
  let etag: string | undefined
  let timer: NodeJS.Timeout | undefined
  let closed = false
  return {
    name: url,
    async read() {
      const controller = new AbortController()
      const timeout = setTimeout(() => controller.abort(), options.timeoutDuration)
      try {
        let response: Response
        try {
          response = await options.fetch(url, {
            signal: controller.signal,
            redirect: 'manual',
            headers: {
              accept: 'application/jose, application/yaml, application/json, text/plain',
              ...(etag && { 'if-none-match': etag }),
            },
          })
        } catch (cause) {
          throw new SourceError(
            controller.signal.aborted
              ? `no answer from ${url} within ${options.timeoutDuration} ms`
              : `cannot fetch ${url}`,
            { cause },
          )
        }
        if (response.status === 304) {
          await response.body?.cancel().catch(() => {})
          return undefined
        }
        if (response.status !== 200) {
          await response.body?.cancel().catch(() => {})
          throw new SourceError(`${url} answered ${response.status}`)
        }
        const text = await readBody(response, options.maxSize, {
          tooLarge: () => new SourceError(`${url} sent more than ${options.maxSize} bytes`),
          broken: (cause) => new SourceError(`${url}: connection lost while reading`, { cause }),
        })
        etag = response.headers.get('etag') ?? undefined
        return text
      } catch (error) {
        if (error instanceof SourceError) throw error
        throw new SourceError(`cannot fetch ${url}`, { cause: error })
      } finally {
        clearTimeout(timeout)
      }
    },
    start(check) {
      let failures = 0
      const schedule = (delay: number) => {
        if (closed) return
        timer = setTimeout(async () => {
          const ok = await check()
          failures = ok ? 0 : failures + 1
          schedule(ok ? options.interval : Math.min(options.interval, 1000 * 2 ** (failures - 1)))
        }, delay)
        timer.unref()
      }
      schedule(options.interval)
    },
    close() {
      closed = true
      clearTimeout(timer)
    },
  }
}
