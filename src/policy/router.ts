/** A route binding: `GET /orders/:id` → `orders.read`. */
export interface Binding {
  /** The key as written, e.g. `GET /orders/:id`. */
  readonly route: string
  readonly action: string
}

/** A matched binding and the parameters its pattern captured. */
export interface RouteMatch {
  readonly binding: Binding
  readonly params: Readonly<Record<string, string>>
}

interface TrieNode {
  readonly statics: Map<string, TrieNode>
  param?: { name: string; node: TrieNode }
  wildcard?: Binding
  binding?: Binding
}

const newNode = (): TrieNode => ({ statics: new Map() })

/**
 * Route bindings compiled into one segment trie per method: a lookup walks the path's segments
 * once (static before `:param` before `*`), so its cost does not grow with the number of bindings.
 */
export interface Router {
  match(method: string, path: string): RouteMatch | undefined
  readonly size: number
}

/** Builds the router; `conflict` is told of bindings that can never be told apart. */
export function createRouter(
  bindings: readonly Binding[],
  conflict: (binding: Binding, message: string) => void,
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
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index] as string
      if (segment === '' && index === segments.length - 1 && index > 0) break
      if (segment === '*') {
        if (index !== segments.length - 1) conflict(binding, '"*" must be the last segment')
        else if (node.wildcard) conflict(binding, `same route as ${node.wildcard.route}`)
        else node.wildcard = binding
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
        node = node.param.node
      } else {
        let next = node.statics.get(segment)
        if (!next) node.statics.set(segment, (next = newNode()))
        node = next
      }
    }
    if (placed) continue
    if (node.binding) conflict(binding, `same route as ${node.binding.route}`)
    else node.binding = binding
  }

  function walk(
    node: TrieNode,
    path: string,
    start: number,
    params: Record<string, string> | undefined,
  ): RouteMatch | undefined {
    if (start > path.length) {
      return node.binding ? { binding: node.binding, params: params ?? {} } : undefined
    }
    let end = path.indexOf('/', start)
    if (end === -1) end = path.length
    // A trailing slash matches the route without it, as the frameworks' default routing does.
    if (start === path.length && start > 1) {
      if (node.binding) return { binding: node.binding, params: params ?? {} }
    }
    const segment = path.slice(start, end)
    const next = node.statics.get(segment)
    if (next) {
      const found = walk(next, path, end + 1, params)
      if (found) return found
    }
    if (node.param && segment !== '') {
      const found = walk(node.param.node, path, end + 1, {
        ...params,
        [node.param.name]: safeDecode(segment),
      })
      if (found) return found
    }
    if (node.wildcard) return { binding: node.wildcard, params: params ?? {} }
    return undefined
  }

  return {
    size: bindings.length,
    match(method, path) {
      if (path.charCodeAt(0) !== 47) return undefined
      for (const key of method === 'HEAD' ? ['HEAD', 'GET', '*'] : [method, '*']) {
        const root = roots.get(key)
        const found = root && walk(root, path, 1, undefined)
        if (found) return found
      }
      return undefined
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
