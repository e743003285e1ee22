import { request } from 'node:http'

export interface Sent {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: unknown
}

/**
 * Sends one request with node:http, so a test controls every header line: a header given a list
 * is sent as that many lines (fetch would join them into one).
 */
export function send(
  url: string,
  method = 'GET',
  headers: Record<string, string | string[]> = {},
  localAddress?: string,
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, localAddress }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
      })
    })
    req.on('error', reject)
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value)
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')))
    req.end()
  })
}
