import { readFile } from 'node:fs/promises'
import { parsePolicyText } from '../policy/parse.js'
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js'

/** Where a command writes: stdout and stderr in the bin, strings in tests. */
export interface Io {
  out(line: string): void
  err(line: string): void
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** A usage mistake: reported with exit code 2. */
export class UsageError extends Error {}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
}

/**
 * Loads a policy file for a command. Predicates are code and cannot be loaded here: each one a
 * document names is registered as "unknown" (it denies), and the command says so.
 */
export async function loadPolicyFile(path: string, io: Io): Promise<CompiledPolicy> {
  const text = await readText(path)
  const names = [...text.matchAll(/predicate:\s*['"]?([A-Za-z0-9_.:\-/]+)/g)].map(
    (m) => m[1] as string,
  )
  if (names.length > 0) {
    io.err(`note: predicates are code; ${[...new Set(names)].join(', ')} deny here`)
  }
  const predicates = new Map(names.map((name) => [name, () => false]))
  return compilePolicy(parsePolicyText(text, path), { predicates })
}
