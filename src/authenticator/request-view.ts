import type { Authenticator } from './authenticator.js'
import type { AuthRequest, HeaderValue } from '../http/auth-request.js'

/** How an adapter reads each part of its framework's request object. */
export interface RequestReaders<T> {
  method(source: T): string
  path(source: T): string | undefined
  headers(source: T): Readonly<Record<string, HeaderValue>>
  rawHeaders(source: T): readonly string[] | undefined
  query(source: T): unknown
  body(source: T): unknown
  params(source: T): unknown
}

/** The core's view of one framework request, carrying the authenticator that created it. */
export interface RequestView<T> extends AuthRequest {
  readonly source: T
  readonly authenticator: Authenticator
}

/**
 * Defines, once per adapter, the class whose instances present a framework's request to the
 * core. Accessors live on the prototype and read lazily (query, body and params only when
 * `tokenLocations`, a guard or a decision event asks), so a request costs one small object:
 * an object literal with getters, built per request, costs several times more.
 */
export function defineRequestView<T>(
  read: RequestReaders<T>,
): new (source: T, authenticator: Authenticator) => RequestView<T> {
  return class FrameworkRequestView implements RequestView<T> {
    constructor(
      readonly source: T,
      readonly authenticator: Authenticator,
    ) {}
    get method() {
      return read.method(this.source)
    }
    get path() {
      return read.path(this.source)
    }
    get headers() {
      return read.headers(this.source)
    }
    get rawHeaders() {
      return read.rawHeaders(this.source)
    }
    get query() {
      return read.query(this.source)
    }
    get body() {
      return read.body(this.source)
    }
    get params() {
      return read.params(this.source)
    }
    // Koa's context and Fastify's request both expose the connection as `socket`.
    get socket() {
      return (this.source as { socket?: AuthRequest['socket'] }).socket
    }
  }
}
