/** Header values as Node gives them. */
export type HeaderValue = string | string[] | undefined

/**
 * The parts of an HTTP request the core reads. Every framework's request object already has
 * this shape or is mapped to it by its adapter; the core never imports a framework.
 */
export interface AuthRequest {
  readonly method: string
  /** The path, for decision events only. */
  readonly path?: string
  readonly headers: Readonly<Record<string, HeaderValue>>
  /**
   * Node's `rawHeaders`. Node keeps only the first of duplicated `Authorization` headers in
   * `headers`; the raw list lets us refuse a request that sends two (RFC 6750 §2).
   */
  readonly rawHeaders?: readonly string[]
  /** Parsed query string; read only when `tokenLocations` includes `query`. */
  readonly query?: unknown
  /** Parsed form body; read only when `tokenLocations` includes `body`. */
  readonly body?: unknown
  /** Route parameters, for guards that compare them with claims. */
  readonly params?: unknown
  /** The connection, for policy conditions on the client IP (`socket.remoteAddress`). */
  readonly socket?: { readonly remoteAddress?: string | undefined }
}
