import { parseArgs } from 'node:util'
import { checkCommand, explainCommand, replayCommand, testCommand } from './commands.js'
import { EXIT, UsageError, type Io } from './io.js'

export const USAGE = `Usage:
  oidc-guard policy check <policy.yaml>
  oidc-guard policy test <policy.yaml> <cases.yaml>
  oidc-guard explain --policy <policy.yaml> --token <JWT | claims.json>
                     (--request 'METHOD /path' | --action <name>)
                     [--resource <json>] [--ip <address>] [--at <ISO time>] [--claims <preset>]
  oidc-guard replay --policy <new.yaml> [--fail-on-change] <decisions.ndjson>

Exit codes: 0 success (valid, passed, allowed, unchanged), 1 invalid document, failed case,
denied, or (with --fail-on-change) a changed or undetermined decision; 2 usage error.`

/**
 * The `oidc-guard` command line. Returns the exit code; never calls process.exit, so tests run
 * it in-process.
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        policy: { type: 'string' },
        token: { type: 'string' },
        request: { type: 'string' },
        action: { type: 'string' },
        resource: { type: 'string' },
        ip: { type: 'string' },
        at: { type: 'string' },
        claims: { type: 'string' },
        'fail-on-change': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
    const [command, sub, ...rest] = positionals
    if (values.help) {
      io.out(USAGE)
      return EXIT.ok
    }
    if (command === 'policy' && sub === 'check' && rest.length === 1) {
      return await checkCommand(rest[0] as string, io)
    }
    if (command === 'policy' && sub === 'test' && rest.length === 2) {
      return await testCommand(rest[0] as string, rest[1] as string, io)
    }
    if (command === 'explain' && sub === undefined && values.policy && values.token) {
      if (!values.request && !values.action)
        throw new UsageError('explain needs --request or --action')
      return await explainCommand({ ...values, policy: values.policy, token: values.token }, io)
    }
    if (command === 'replay' && values.policy && sub !== undefined && rest.length === 0) {
      return await replayCommand(
        { policy: values.policy, decisions: sub, failOnChange: values['fail-on-change'] },
        io,
      )
    }
    throw new UsageError('unknown command or missing arguments')
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    if (!usage) {
      io.err(`error: ${(error as Error).message}`)
      return EXIT.failed
    }
    io.err(`error: ${(error as Error).message}\n\n${USAGE}`)
    return EXIT.usage
  }
}
