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

// Composite nodes are classes, not closures: one method shared by every instance is optimized
// once by V8, where a closure per rule would each need warming up (a document of 10,000 rules
// would then run mostly in the interpreter).
class AllNode implements Node {
  readonly reads: readonly string[]
  constructor(
    readonly label: string,
    private readonly nodes: readonly Node[],
  ) {
    this.reads = union(nodes)
  }
  test(env: Env): boolean {
    for (const node of this.nodes) if (!node.test(env)) return false
    return true
  }
  trace(env: Env): Trace {
    const children = this.nodes.map((node) => node.trace(env))
    return { label: this.label, pass: children.every((child) => child.pass), children }
  }
}

class AnyNode implements Node {
  readonly reads: readonly string[]
  constructor(
    readonly label: string,
    private readonly nodes: readonly Node[],
  ) {
    this.reads = union(nodes)
  }
  test(env: Env): boolean {
    for (const node of this.nodes) if (node.test(env)) return true
    return false
  }
  trace(env: Env): Trace {
    const children = this.nodes.map((node) => node.trace(env))
    return { label: this.label, pass: children.some((child) => child.pass), children }
  }
}

class NotNode implements Node {
  readonly label = 'not'
  readonly reads: readonly string[]
  constructor(private readonly node: Node) {
    this.reads = node.reads
  }
  test(env: Env): boolean {
    return !this.node.test(env)
  }
  trace(env: Env): Trace {
    const child = this.node.trace(env)
    return { label: 'not', pass: !child.pass, children: [child] }
  }
}

export function allNode(label: string, nodes: readonly Node[]): Node {
  return nodes.length === 1 ? (nodes[0] as Node) : new AllNode(label, nodes)
}

export function anyNode(label: string, nodes: readonly Node[]): Node {
  return new AnyNode(label, nodes)
}

export function notNode(node: Node): Node {
  return new NotNode(node)
}

export const ALWAYS: Node = {
  label: 'any authenticated caller',
  reads: [],
  test: () => true,
  trace: () => ({ label: 'any authenticated caller', pass: true }),
}
