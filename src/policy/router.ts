/** A route binding: `GET /orders/:id` → `orders.read`. */
export interface RouteBinding {
  /** The key as written, e.g. `GET /orders/:id`. */
  readonly route: string
  /** The action it binds to, e.g. `orders.read`. */
  readonly action: string
}

/** A matched binding and the parameters its pattern captured. */
export interface RouteMatch {
  readonly binding: RouteBinding
  readonly params: Readonly<Record<string, string>>
}

// A binding at the end of a trie path, with the names of the parameters captured on the way.
interface Leaf {
  readonly binding: RouteBinding
  readonly names: readonly string[]
}

interface TrieNode {
  readonly statics: Map<string, TrieNode>
  param?: { name: string; node: TrieNode }
  wildcard?: Leaf
  binding?: Leaf
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({})

const newNode = (): TrieNode => ({ statics: new Map() })

/**
 * Route bindings compiled into one segment trie per method: a lookup walks the path's segments
 * once (static before `:param` before `*`), so its cost does not grow with the number of bindings.
 */
export interface Router {
  /** The binding of a method and path (no query string), or `undefined`. */
  match(method: string, path: string): RouteMatch | undefined
  readonly size: number
}

/** Builds the router; `conflict` is told of bindings that can never be told apart. */
export function createRouter(
  bindings: readonly RouteBinding[],
  conflict: (binding: RouteBinding, message: string) => void,
): Router {
  const roots = new Map<string, TrieNode>()
  for (const binding of bindings) {
    const space = binding.route.indexOf(' ')
    const method = binding.route.slice(0, space)
    const segments = binding.route.slice(space + 2).split('/')
    let root = roots.get(method)
    if (!root) roots.set(method, (root = newNode()))
    let node = root
    let placed = false
    const names: string[] = []
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index] as string
      if (segment === '' && index === segments.length - 1 && index > 0) break
      if (segment === '*') {
        if (index !== segments.length - 1) conflict(binding, '"*" must be the last segment')
        else if (node.wildcard) conflict(binding, `same route as ${node.wildcard.binding.route}`)
        else node.wildcard = { binding, names }
        placed = true
        break
      }
      if (segment.startsWith(':')) {
        const name = segment.slice(1)
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          conflict(binding, `bad parameter name "${segment}"`)
          placed = true
          break
        }
        if (node.param && node.param.name !== name) {
          conflict(binding, `parameter :${name} where another binding has :${node.param.name}`)
          placed = true
          break
        }
        node.param ??= { name, node: newNode() }
        names.push(name)
        node = node.param.node
      } else {
        let next = node.statics.get(segment)
        if (!next) node.statics.set(segment, (next = newNode()))
        node = next
      }
    }
    if (placed) continue
    if (node.binding) conflict(binding, `same route as ${node.binding.binding.route}`)
    else node.binding = { binding, names }
  }

  // Depth-first over the path's segments; `values` collects captured parameters (popped when a
  // branch fails), so a lookup allocates only the segment strings and, on a match, its params.
  function walk(node: TrieNode, path: string, start: number, values: string[]): Leaf | undefined {
    if (start > path.length) return node.binding
    // A trailing slash matches the route without it, as the frameworks' default routing does.
    if (start === path.length && start > 1 && node.binding) return node.binding
    let end = path.indexOf('/', start)
    if (end === -1) end = path.length
    const segment = path.slice(start, end)
    const next = node.statics.get(segment)
    if (next) {
      const found = walk(next, path, end + 1, values)
      if (found) return found
    }
    if (node.param && segment !== '') {
      values.push(segment)
      const found = walk(node.param.node, path, end + 1, values)
      if (found) return found
      values.pop()
    }
    return node.wildcard
  }

  function toMatch(leaf: Leaf, values: readonly string[]): RouteMatch {
    if (leaf.names.length === 0) return { binding: leaf.binding, params: NO_PARAMS }
    const params: Record<string, string> = {}
    for (let index = 0; index < leaf.names.length; index++) {
      params[leaf.names[index] as string] = safeDecode(values[index] as string)
    }
    return { binding: leaf.binding, params }
  }

  function find(root: TrieNode | undefined, path: string, values: string[]): Leaf | undefined {
    if (!root) return undefined
    values.length = 0
    return walk(root, path, 1, values)
  }

  return {
    size: bindings.length,
    match(method, path) {
      if (path.charCodeAt(0) !== 47) return undefined
      const values: string[] = []
      const leaf =
        find(roots.get(method), path, values) ??
        (method === 'HEAD' ? find(roots.get('GET'), path, values) : undefined) ??
        find(roots.get('*'), path, values)
      return leaf && toMatch(leaf, values)
    },
  }
}

function safeDecode(segment: string): string {
  if (!segment.includes('%')) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
