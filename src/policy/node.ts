import type { Env, Reader } from './env.js'

/** How one condition of a decision went, for `explain`: what it read and whether it held. */
export interface Trace {
  readonly label: string
  readonly pass: boolean
  /** Inputs read by this condition and their values. */
  readonly read?: Readonly<Record<string, unknown>>
  readonly children?: readonly Trace[]
}

/** A compiled requirement or condition. `test` is the hot path; `trace` is for explaining. */
export interface Node {
  readonly label: string
  /** Every input name the node may read. */
  readonly reads: readonly string[]
  test(env: Env): boolean
  trace(env: Env): Trace
}

/** A node reading some inputs and testing them. */
export function leaf(
  label: string,
  readers: readonly (readonly [string, Reader])[],
  test: (env: Env) => boolean,
): Node {
  return {
    label,
    reads: readers.map(([key]) => key),
    test,
    trace(env) {
      const read: Record<string, unknown> = {}
      for (const [key, reader] of readers) read[key] = reader(env) ?? null
      return { label, pass: test(env), read }
    },
  }
}

const union = (nodes: readonly Node[]) => [...new Set(nodes.flatMap((node) => node.reads))]

export function allNode(label: string, nodes: readonly Node[]): Node {
  if (nodes.length === 1) return nodes[0] as Node
  return {
    label,
    reads: union(nodes),
    test(env) {
      for (const node of nodes) if (!node.test(env)) return false
      return true
    },
    trace(env) {
      const children = nodes.map((node) => node.trace(env))
      return { label, pass: children.every((child) => child.pass), children }
    },
  }
}

export function anyNode(label: string, nodes: readonly Node[]): Node {
  return {
    label,
    reads: union(nodes),
    test(env) {
      for (const node of nodes) if (node.test(env)) return true
      return false
    },
    trace(env) {
      const children = nodes.map((node) => node.trace(env))
      return { label, pass: children.some((child) => child.pass), children }
    },
  }
}

export function notNode(node: Node): Node {
  return {
    label: 'not',
    reads: node.reads,
    test: (env) => !node.test(env),
    trace(env) {
      const child = node.trace(env)
      return { label: 'not', pass: !child.pass, children: [child] }
    },
  }
}

export const ALWAYS: Node = {
  label: 'any authenticated caller',
  reads: [],
  test: () => true,
  trace: () => ({ label: 'any authenticated caller', pass: true }),
}
