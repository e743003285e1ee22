import { ConfigurationError } from '../errors/errors.js'

/** One problem of a policy document, located as precisely as the source allows. */
export interface PolicyIssue {
  /** The file or URL the document came from, when it came from one. */
  readonly source?: string
  /** 1-based line and column in the source text, when known. */
  readonly line?: number
  readonly column?: number
  /** The field, e.g. `rules[3].allow.anyOf[1].role`. */
  readonly path: string
  readonly message: string
}

function formatIssue(issue: PolicyIssue): string {
  const where = [issue.source, issue.line, issue.column].filter((part) => part !== undefined)
  const prefix = where.length > 0 ? `${where.join(':')} ` : ''
  return `${prefix}${issue.path || '(document)'}: ${issue.message}`
}

/**
 * A policy document that cannot be used: invalid, unparsable, unsigned when a signature is
 * required, or older than the running version. Every issue names its field and, for text
 * sources, the line and column.
 */
export class PolicyError extends ConfigurationError {
  readonly issues: readonly PolicyIssue[]
  constructor(issues: readonly PolicyIssue[], heading = 'Invalid policy document') {
    super(`${heading}:\n  - ${issues.map(formatIssue).join('\n  - ')}`)
    this.name = 'PolicyError'
    this.issues = Object.freeze([...issues])
  }
}

/** `['rules', 3, 'allow']` → `rules[3].allow`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out
}
