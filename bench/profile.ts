/**
 * `npm run bench:profile -- --contender "koa oidc-guard" [--mode same] [--seconds 5]`: runs one
 * contender with the HTTP suite's load, profiles the measured window (after a warm-up, through
 * the inspector), then prints where its CPU went: self time by package (node:http, the
 * framework, oidc-guard, …) and by function. Used to find what the cached path costs beyond the
 * floor.
 */
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import type { ContenderName } from './contenders.js'
import { loadFixtures, startJwksHost } from './fixtures.js'
import { ordersLoad, startContender } from './http.js'

const { values } = parseArgs({
  options: {
    contender: { type: 'string', default: 'koa oidc-guard' },
    mode: { type: 'string', default: 'same' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    top: { type: 'string', default: '25' },
  },
})

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Which package a script belongs to, so the report can say "Koa" or "oidc-guard" at a glance. */
function packageOf(url: string): string {
  if (url === '') return '(native / GC / idle)'
  if (url.startsWith('node:')) return url
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (inModules) return inModules[1] as string
  if (url.includes('/dist/')) return 'oidc-guard (dist)'
  return url.replace(/^file:\/\/.*?\/(bench|src|adapters)\//, '$1/')
}

function report(profile: Profile, requests: number, top: number): string {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfByFunction = new Map<string, number>()
  const selfByPackage = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, index) => {
    const node = byNode.get(id)
    if (!node) return
    const delta = profile.timeDeltas[index] ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') return
    total += delta
    const where = `${functionName || '(anonymous)'} ${packageOf(url)}:${lineNumber + 1}`
    selfByFunction.set(where, (selfByFunction.get(where) ?? 0) + delta)
    selfByPackage.set(packageOf(url), (selfByPackage.get(packageOf(url)) ?? 0) + delta)
  })
  const rows = (map: Map<string, number>, limit: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(
        ([name, us]) =>
          `${((100 * us) / total).toFixed(1).padStart(5)}% ${(us / requests).toFixed(2).padStart(6)} µs/req  ${name}`,
      )
  const ours = new Map([...selfByFunction].filter(([name]) => name.includes('oidc-guard')))
  return [
    `busy CPU sampled: ${(total / 1e6).toFixed(2)} s, ${(total / requests).toFixed(1)} µs per request`,
    '',
    'self time by package:',
    ...rows(selfByPackage, top),
    '',
    `self time by function (top ${top}):`,
    ...rows(selfByFunction, top),
    '',
    'oidc-guard functions:',
    ...rows(ours, top),
  ].join('\n')
}

const fixtures = loadFixtures()
const tokens = values.mode === 'pool' ? fixtures.pool : [fixtures.same]
const host = await startJwksHost([fixtures.publicJwk])
try {
  const { child, port } = await startContender(values.contender as ContenderName)
  const ask = <T>(message: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (reply) => resolve(reply as T))
      child.send(message)
    })
  await load(port, 1) // warm-up: fetch keys, JIT the path
  await ask('profile:start')
  const result = await load(port, Number(values.seconds))
  const { profile } = await ask<{ profile: Profile }>('profile:stop')
  child.send('exit')
  process.stdout.write(
    `${values.contender}, mode ${values.mode}: ${result.requests.average.toFixed(0)} req/s, ${result.non2xx} non-2xx\n\n${report(profile, result.requests.total, Number(values.top))}\n`,
  )
} finally {
  await host.close()
}

function load(port: number, seconds: number): Promise<autocannon.Result> {
  const options = ordersLoad(port, tokens, Number(values.connections), { duration: seconds })
  return new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result))),
  )
}
