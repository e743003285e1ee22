import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { formatPath, PolicyError, type PolicyIssue } from './policy-error.js'
import { policyDocumentSchema, type ParsedPolicyDocument } from './schema.js'

/** A document with a way to point at its fields: line and column for text sources. */
export interface SourcedDocument {
  readonly document: ParsedPolicyDocument
  /** Locates a field, e.g. `['rules', 3, 'allow']`, in the source text. */
  readonly locate: (path: readonly PropertyKey[]) => Pick<PolicyIssue, 'line' | 'column'>
  readonly source?: string
}

const NOWHERE = () => ({})

/** Walks to the node at `path`, or the deepest ancestor that exists (an unknown key, say). */
function nodeAt(doc: Document, path: readonly PropertyKey[]): { range?: [number, ...number[]] } {
  let node: unknown = doc.contents
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => String((item.key as { value?: unknown } | null)?.value) === String(part),
      )
      if (!pair) break
      // A key's own position is more useful than a value spanning many lines.
      node = pair.value ?? pair.key
    } else if (isSeq(node) && typeof part === 'number' && node.items[part] !== undefined) {
      node = node.items[part]
    } else break
  }
  return (node ?? {}) as { range?: [number, ...number[]] }
}

/** Validates plain data as a policy document; throws a `PolicyError` naming every bad field. */
export function validateDocument(
  input: unknown,
  locate: SourcedDocument['locate'] = NOWHERE,
  source?: string,
): SourcedDocument {
  const parsed = policyDocumentSchema.safeParse(input)
  if (!parsed.success) throw new PolicyError(toIssues(parsed.error.issues, locate, source))
  return { document: parsed.data, locate, source }
}

function toIssues(
  issues: readonly z.core.$ZodIssue[],
  locate: SourcedDocument['locate'],
  source: string | undefined,
): PolicyIssue[] {
  return issues.flatMap((issue) => {
    // A union reports the branch that came closest; its own issues name the field.
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? []
      if (best.length > 0) {
        return toIssues(
          best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })),
          locate,
          source,
        )
      }
    }
    if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      const inner = issue.issues[0] as z.core.$ZodIssue
      return [
        {
          source,
          ...locate(issue.path),
          path: formatPath(issue.path),
          message: lowerFirst(inner.message),
        },
      ]
    }
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined]
    return keys.map((key) => {
      const path = key === undefined ? issue.path : [...issue.path, key]
      const message = key === undefined ? lowerFirst(issue.message) : 'unknown field'
      return { source, ...locate(path), path: formatPath(path), message }
    })
  })
}

// The deepest-reaching branch of a union is the one the author meant.
function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(
    0,
    ...issues.map((issue) => issue.path.length - (issue.code === 'invalid_type' ? 0.5 : 0)),
  )
}

const lowerFirst = (text: string) => {
  const plain = text.replace(/^Invalid input: /, '')
  return plain.charAt(0).toLowerCase() + plain.slice(1)
}

/**
 * Parses YAML or JSON text (JSON is read by the same YAML 1.2 parser, so both get line
 * numbers), refusing duplicate keys, custom tags and alias bombs, then validates it.
 */
export function parsePolicyText(text: string, source?: string): SourcedDocument {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    customTags: [],
    schema: 'core',
  })
  if (doc.errors.length > 0) {
    throw new PolicyError(
      doc.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0])
        return { source, line: at.line, column: at.col, path: '', message: error.message }
      }),
    )
  }
  const data: unknown = doc.toJS({ maxAliasCount: 50 })
  const locate = (path: readonly PropertyKey[]) => {
    const start = nodeAt(doc, path).range?.[0]
    if (start === undefined) return {}
    const at = lineCounter.linePos(start)
    return { line: at.line, column: at.col }
  }
  return validateDocument(data, locate, source)
}
