import type { IncomingMessage, ServerResponse } from 'node:http'
import type Provider from 'oidc-provider'
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider'
import type { InteractiveLogin } from '../src/testing/oidc-provider.js'

/**
 * Browser sign-in for the embedded provider (src/testing/oidc-provider.ts): the authorization
 * code flow with PKCE for one public client (the decision explorer), demo users, and a plain
 * sign-in page. Development only: there are no passwords.
 *
 *   startProvider({ interactive: createCodeFlow(EXPLORER_CODE_FLOW, RESOURCE) })
 */

/** A person who can sign in to the demo, with the API scopes and roles their tokens carry. */
export interface DemoUser {
  readonly id: string
  readonly name: string
  readonly scopes: string
  readonly roles: readonly string[]
}

export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'reader', name: 'Riley Reader', scopes: 'orders:read', roles: ['viewer'] },
  { id: 'writer', name: 'Wen Writer', scopes: 'orders:read orders:write', roles: ['editor'] },
  {
    id: 'admin',
    name: 'Ada Admin',
    scopes: 'orders:read orders:write',
    roles: ['admin', 'editor'],
  },
]

export interface CodeFlowOptions {
  readonly clientId: string
  /**
   * Loopback redirect URIs; the port is not compared (RFC 8252 §7.3), so a demo on any free
   * port can register `http://127.0.0.1/explorer/callback`.
   */
  readonly redirectUris: string[]
  readonly postLogoutRedirectUris: string[]
  readonly users?: readonly DemoUser[]
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  )

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} — embedded identity provider</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
fieldset{border:1px solid #767676;border-radius:6px;padding:1rem}label{display:block;padding:.25rem 0}
button{font:inherit;padding:.5rem 1rem;margin-top:1rem;border-radius:6px;border:2px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b57d0}:focus-visible{outline:3px solid #b3261e;outline-offset:2px}</style>
</head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`

// Sign-in only: each user's grant is set by the demo, so there is no consent screen; a user
// gets the requested scopes their grant holds (a reader asking for orders:write gets orders:read).
function signInOnly() {
  const policy = interactionPolicy.base()
  policy.remove('consent')
  return policy
}

/** The code flow as the embedded provider's interactive sign-in. */
export function createCodeFlow(options: CodeFlowOptions, resource: string): InteractiveLogin {
  const list = options.users ?? DEMO_USERS
  const users = new Map(list.map((user) => [user.id, user]))
  return {
    client: {
      client_id: options.clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: options.redirectUris,
      post_logout_redirect_uris: options.postLogoutRedirectUris,
    },
    // What the resource server allows this client; each user's grant narrows it.
    scopes: [...new Set([...users.values()].flatMap((user) => user.scopes.split(' ')))].join(' '),
    claimsFor: (accountId) => {
      const user = users.get(accountId)
      return user && { roles: [...user.roles] }
    },
    // Explicit lifetimes, in seconds (the provider's defaults print a notice on each use).
    ttl: (accessTokenTTL) => ({
      AccessToken: accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 86_400,
      Grant: 86_400,
    }),
    configuration: {
      findAccount: (_ctx, id) => {
        const user = users.get(id)
        if (user === undefined) return undefined
        return { accountId: id, claims: () => ({ sub: id, name: user.name }) }
      },
      // Each user's grant is fixed by the demo, so there is no consent screen to click through.
      async loadExistingGrant(ctx: KoaContextWithOIDC) {
        const accountId = ctx.oidc.session?.accountId
        const user = accountId === undefined ? undefined : users.get(accountId)
        if (user === undefined || ctx.oidc.client === undefined) return undefined
        const grant = new ctx.oidc.provider.Grant({ accountId, clientId: ctx.oidc.client.clientId })
        grant.addOIDCScope('openid profile')
        grant.addResourceScope(resource, user.scopes)
        await grant.save()
        return grant
      },
      // Signed cookies; not `secure`, because the demo runs over plain http on 127.0.0.1.
      cookies: { keys: ['embedded-idp-demo-cookie-key-not-a-secret'] },
      interactions: {
        policy: signInOnly(),
        url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      },
      features: {
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx, form) => {
            ctx.type = 'html'
            ctx.body = page(
              'Sign out',
              `${form}<p>Sign out of the embedded identity provider?</p>
  <button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
  <button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
            )
          },
          postLogoutSuccessSource: (ctx) => {
            ctx.type = 'html'
            ctx.body = page('Signed out', '<p>You are signed out.</p>')
          },
        },
      },
    },
    handle: (provider, req, res) => handleInteraction(provider, list, req, res),
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > 4096) break
  }
  return new URLSearchParams(body)
}

/**
 * Serves `/interaction/<uid>`: a sign-in page listing the demo users (GET) and its answer
 * (POST). Returns false for any other path.
 */
async function handleInteraction(
  provider: Provider,
  users: readonly DemoUser[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const match = /^\/interaction\/([\w-]+)$/.exec(req.url?.split('?')[0] ?? '')
  if (match === null) return false
  try {
    const details = await provider.interactionDetails(req, res)
    if (req.method === 'POST') {
      const accountId = (await readForm(req)).get('user') ?? ''
      if (!users.some((user) => user.id === accountId)) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
        res.end(page('Sign in', '<p role="alert">Choose one of the demo users.</p>'))
        return true
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId } },
        { mergeWithLastSubmission: false },
      )
      return true
    }
    const choices = users
      .map(
        (user, index) =>
          `<label><input type="radio" name="user" value="${escape(user.id)}"${index === 0 ? ' checked' : ''}> ${escape(user.name)} (<code>${escape(user.id)}</code>): scopes <code>${escape(user.scopes)}</code>, roles <code>${escape(user.roles.join(', '))}</code></label>`,
      )
      .join('')
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    })
    res.end(
      page(
        'Sign in',
        `<p>Client <code>${escape(String(details.params.client_id))}</code> asks you to sign in. This demo provider has no passwords: pick a demo user.</p>
<form method="post" action="/interaction/${escape(details.uid)}"><fieldset><legend>Demo user</legend>${choices}</fieldset>
<button type="submit">Sign in</button></form>`,
      ),
    )
  } catch {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
    res.end(page('Sign in', '<p role="alert">This sign-in has expired. Start again.</p>'))
  }
  return true
}
