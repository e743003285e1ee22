/**
 * Memory: distinct tokens through the default configuration, with RSS and heap before and
 * after. HS256 tokens (a configured secret) stand in for RS256 ones: signing a million RS256
 * tokens would take minutes, and the per-token state (the verified-token cache) is the same.
 */
import { createSecretKey } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createAuthenticator } from 'oidc-guard'
import { signJws } from '../src/testing/jws.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1)

export async function runMemoryBench({
  tokens,
  log,
}: {
  tokens: number
  log: (line: string) => void
}): Promise<string> {
  const secret = Buffer.alloc(32, 9)
  const issuer = 'https://idp.memory.example'
  const auth = createAuthenticator({ issuer, audience: 'api', secret })
  const key = createSecretKey(secret)
  const header = { alg: 'HS256', typ: 'at+jwt' }
  const now = Math.floor(Date.now() / 1000)
  gc()
  const before = process.memoryUsage()
  let peakRss = before.rss
  for (let i = 0; i < tokens; i++) {
    const claims = {
      iss: issuer,
      aud: 'api',
      sub: `user-${i}`,
      jti: `t${i}`,
      iat: now,
      exp: now + 3600,
      scope: 'orders:read',
    }
    const token = signJws(key, header, claims, 'HS256')
    await auth.resolve({ method: 'GET', headers: { authorization: `Bearer ${token}` } })
    if (i % 10_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
    if (i % 100_000 === 0) {
      log(`  ${i.toLocaleString('en')} tokens, RSS ${mib(process.memoryUsage().rss)} MiB`)
    }
  }
  gc()
  const after = process.memoryUsage()
  const stats = auth.stats()
  return [
    '## Memory',
    '',
    `${tokens.toLocaleString('en')} distinct valid tokens through the default configuration (tokenCacheSize 10,000).`,
    '',
    '| | before | after | peak RSS |',
    '| --- | ---: | ---: | ---: |',
    `| RSS | ${mib(before.rss)} MiB | ${mib(after.rss)} MiB | ${mib(peakRss)} MiB |`,
    `| heap used | ${mib(before.heapUsed)} MiB | ${mib(after.heapUsed)} MiB | |`,
    '',
    `Verified tokens held at the end: ${stats.verifiedTokens.toLocaleString('en')} (the bound). Heap growth ÷ entries: ${((after.heapUsed - before.heapUsed) / stats.verifiedTokens / 1024).toFixed(2)} KiB per remembered token.`,
    '',
  ].join('\n')
}
