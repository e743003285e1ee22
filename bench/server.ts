/**
 * One contender, in its own process: the load generator runs in the parent, so the server's CPU
 * time is its own. Reports its port, and its CPU usage on request, over IPC.
 */
import type { AddressInfo } from 'node:net'
import { CONTENDERS, type ContenderName } from './contenders.js'

const [name, issuer, jwksUri, audience] = process.argv.slice(2) as [
  ContenderName,
  string,
  string,
  string,
]
const server = await CONTENDERS[name].build({ issuer, jwksUri, audience })
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
process.on('message', (message) => {
  if (message === 'cpu')
    process.send?.({ cpu: process.cpuUsage(), memory: process.memoryUsage().rss })
  if (message === 'exit') process.exit(0)
})
process.send?.({ port: (server.address() as AddressInfo).port })
