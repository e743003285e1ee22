import type { DecisionEvent } from 'oidc-guard'
import { type Check, type Explanation, type HttpAnswer } from './explain.js'
import { DEMO_ROUTES, routeKey } from './routes.js'
import type { DemoUser } from '../code-flow.js'

/** One request the explorer sent to the orders API, with everything it learned about it. */
export interface TimelineEntry {
  readonly id: number
  readonly at: Date
  readonly method: string
  readonly path: string
  /** Who was signed in, or undefined when the call went without a token. */
  readonly user: string | undefined
  /** The API's own decision events (its `onDecision`), in order. */
  readonly events: readonly DecisionEvent[]
  readonly explanation: Explanation
  /** What the API actually answered. */
  readonly answer: HttpAnswer
}

export interface PageState {
  readonly csrf: string
  readonly signedIn?: { readonly user: DemoUser | undefined; readonly sub: string }
  readonly users: readonly DemoUser[]
  readonly timeline: readonly TimelineEntry[]
  readonly pasted?: Explanation
  readonly pastedRoute?: string
  readonly message?: string
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  )

const SYMBOL = { pass: '✓ pass', fail: '✗ fail', 'not checked': '– not checked', info: 'ℹ info' }
const CLASS = { pass: 'pass', fail: 'fail', 'not checked': 'skipped', info: 'muted' }
const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
}

function values(pairs: readonly [string, string][]): string {
  if (pairs.length === 0) return ''
  return `<dl class="values">${pairs.map(([label, value]) => `<dt>${escape(label)}</dt><dd>${escape(value)}</dd>`).join('')}</dl>`
}

function checks(list: readonly Check[]): string {
  return `<ul class="checks">${list
    .map(
      (check) =>
        `<li><span class="result ${CLASS[check.result]}">${SYMBOL[check.result]}</span> ${escape(check.title)}${values(check.values)}</li>`,
    )
    .join('')}</ul>`
}

function answer(http: HttpAnswer): string {
  const headers = Object.entries(http.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')
  const text = `HTTP/1.1 ${http.status} ${STATUS_TEXT[http.status] ?? ''}\n${headers}${headers ? '\n' : ''}\n${http.body}`
  return `<pre>${escape(text)}</pre>`
}

function explanation(
  result: Explanation,
  events?: readonly DecisionEvent[],
  real?: HttpAnswer,
): string {
  const parts = [
    `<h4>1. Token checks</h4>${checks(result.tokenChecks)}`,
    `<h4>2. Claims mapped into the AuthContext</h4>${
      result.mapped
        ? values(result.mapped)
        : '<p class="skipped">Not reached: the token was refused.</p>'
    }`,
    `<h4>3. Guards of <code>${escape(routeKey(result.route))}</code></h4>${checks(result.guards)}`,
    `<h4>4. Decision</h4><p><span class="verdict">${result.allowed ? 'Allowed' : 'Denied'}</span>: ${escape(result.reason)}${
      result.reasonCode
        ? ` <span class="muted">(reason code <code>${escape(result.reasonCode)}</code>)</span>`
        : ''
    }</p>`,
  ]
  if (events && events.length > 0) {
    parts.push(
      `<table><caption class="muted">The API's own decision events (onDecision)</caption><thead><tr><th scope="col">type</th><th scope="col">guard</th><th scope="col">verdict</th><th scope="col">reason</th><th scope="col">policy rule and values read</th><th scope="col">time</th></tr></thead><tbody>${events
        .map(
          (event) =>
            `<tr><td>${escape(event.type)}</td><td>${escape(event.guard ?? '')}</td><td class="${event.allowed ? 'pass' : 'fail'}">${event.allowed ? 'allow' : `deny ${event.status ?? ''}`}</td><td>${escape(event.reason)}</td><td>${policyCell(event)}</td><td>${event.durationMs.toFixed(2)} ms</td></tr>`,
        )
        .join('')}</tbody></table>`,
    )
  }
  parts.push(`<h4>5. The exact HTTP answer</h4>${answer(real ?? result.answer)}`)
  return parts.join('')
}

// A policy decision's version, action, deciding rule and every input its rules read.
function policyCell(event: DecisionEvent): string {
  if (event.policyVersion === undefined) return ''
  const inputs = Object.entries(event.inputs ?? {})
    .map(([name, value]) => `<br><code>${escape(name)}</code> = ${escape(JSON.stringify(value))}`)
    .join('')
  return `v${escape(String(event.policyVersion))} <code>${escape(event.action ?? '')}</code>: rule <code>${escape(event.rule ?? 'none (deny by default)')}</code>${inputs}`
}

function decoded(result: Explanation): string {
  if (!result.decoded) return '<p class="muted">The token could not be decoded as a JWT.</p>'
  return `<details><summary>Decoded header and claims (as sent, before verification)</summary><pre>${escape(
    JSON.stringify(result.decoded, null, 2),
  )}</pre></details>`
}

function routeOptions(selected?: string): string {
  return DEMO_ROUTES.map((route) => {
    const key = routeKey(route)
    return `<option value="${escape(key)}"${key === selected ? ' selected' : ''}>${escape(key)} — ${escape(route.guard.description)}</option>`
  }).join('')
}

function entry(item: TimelineEntry): string {
  const allowed = item.answer.status < 400
  return `<li><article class="decision ${allowed ? 'allow' : 'deny'}" id="call-${item.id}" aria-labelledby="call-${item.id}-title">
<h3 id="call-${item.id}-title">${escape(item.method)} ${escape(item.path)} → <span class="verdict">${item.answer.status} ${STATUS_TEXT[item.answer.status] ?? ''}</span></h3>
<p class="muted">${escape(item.at.toISOString())} · ${item.user ? `as <code>${escape(item.user)}</code>` : 'without a token'}</p>
${explanation(item.explanation, item.events, item.answer)}</article></li>`
}

/** The whole page, rendered on the server: no script, every control a native form element. */
export function renderPage(state: PageState): string {
  const hidden = `<input type="hidden" name="csrf" value="${escape(state.csrf)}">`
  const who = state.signedIn
    ? `<p>Signed in as <strong>${escape(state.signedIn.user?.name ?? state.signedIn.sub)}</strong> (<code>${escape(state.signedIn.sub)}</code>)${
        state.signedIn.user
          ? `: scopes <code>${escape(state.signedIn.user.scopes)}</code>, roles <code>${escape(state.signedIn.user.roles.join(', '))}</code>`
          : ''
      }.</p><form method="post" action="/explorer/logout">${hidden}<button type="submit" class="secondary">Sign out</button></form>`
    : `<p>Sign in with the authorization code flow and PKCE at the embedded provider, as one of the demo users:</p>
<ul>${state.users.map((user) => `<li><code>${escape(user.id)}</code>: scopes <code>${escape(user.scopes)}</code>, roles <code>${escape(user.roles.join(', '))}</code></li>`).join('')}</ul>
<a class="button" href="/explorer/login">Sign in</a>`
  const pasted = state.pasted
    ? `<section class="panel" id="explained" aria-labelledby="explained-title"><h2 id="explained-title">Explained: <code>${escape(routeKey(state.pasted.route))}</code> → <span class="verdict ${state.pasted.allowed ? 'pass' : 'fail'}">${state.pasted.allowed ? 'allowed' : `denied, ${state.pasted.answer.status}`}</span></h2>${decoded(state.pasted)}${explanation(state.pasted)}</section>`
    : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Decision explorer — oidc-guard demo</title><link rel="stylesheet" href="/explorer/explorer.css"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><h1>oidc-guard decision explorer</h1>
<p class="notice" id="privacy"><strong>Tokens never leave this demo process.</strong> Your access token stays on the server that runs <code>npm start</code>; this page never receives it. A token you paste below is sent only to that process on 127.0.0.1, explained, and not stored. This page loads nothing from the network and runs no script.</p></header>
<main id="main">${state.message ? `<p role="alert" class="notice">${escape(state.message)}</p>` : ''}
<div class="grid">
<section class="panel" aria-labelledby="session-title"><h2 id="session-title">Session</h2>${who}</section>
<section class="panel" aria-labelledby="call-title"><h2 id="call-title">Call the orders API</h2>
<form method="post" action="/explorer/call">${hidden}<label for="call-route">Request</label><select id="call-route" name="route">${routeOptions()}</select>
<button type="submit">Send request</button></form>
<p class="muted">Sent by the explorer from this process ${state.signedIn ? 'with your access token' : 'without a token (sign in to send one)'}.</p></section>
</div>
${pasted}
<section class="panel" aria-labelledby="paste-title"><h2 id="paste-title">Explain any token</h2>
<form method="post" action="/explorer/explain#explained">${hidden}<label for="paste-token">Access token (JWT)</label>
<textarea id="paste-token" name="token" spellcheck="false" autocomplete="off" aria-describedby="privacy"></textarea>
<label for="paste-route">Route</label><select id="paste-route" name="route">${routeOptions(state.pastedRoute)}</select>
<button type="submit">Explain the decision</button></form></section>
<section aria-labelledby="timeline-title"><h2 id="timeline-title">Timeline</h2>
${state.timeline.length === 0 ? '<p class="muted">No requests yet. Send one above.</p>' : `<ol class="timeline" reversed>${[...state.timeline].reverse().map(entry).join('')}</ol>`}
</section></main>
<footer class="muted">oidc-guard demo · explanations use the same verifier and guards as the API</footer></body></html>`
}
