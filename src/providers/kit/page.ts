import { randomBytes } from 'node:crypto';
import { ConfigError, type InstanceEnv } from '../../config/index.js';
import type { FastifyReply } from 'fastify';
import { parseAmount } from '../../util/amount.js';
import { escapeHtml, scriptJson } from './html.js';

/**
 * The payment-page kit: what a protocol's page for customers (a card page opening a network's
 * widget or form) shares with any other such page. The link that opens it, the security headers,
 * the policy, the shell and the refusals; the protocol adds its widget.
 *
 * Every parameter is untrusted: shown values are HTML-escaped, values for a script travel as JSON
 * in a non-executable block, the only executable inline script is static and carries a
 * per-request nonce, redirect targets must be on the operator's list (none are allowed while it
 * is empty) so the page is no open redirect, and no site may frame it.
 */

/**
 * The link's parameters: everything after the first `?`, since merchants paste a redirect URL
 * unencoded (`...paid?order=42`) and cutting at a later `?` would silently drop the parameters
 * after it. The rule of rawQuery (src/http/form.ts).
 */
export function pageParams(url: string): URLSearchParams {
  const start = url.indexOf('?');
  return new URLSearchParams(start < 0 ? '' : url.slice(start + 1));
}

/**
 * Reads one parameter each call, trimmed, adding to `problems` what is wrong. A repeated
 * parameter is refused: two parsers could pick different copies of a redirect URL. A blank value
 * counts as missing.
 */
export function paramReader(
  params: URLSearchParams,
  problems: string[],
): (name: string, required: boolean) => string | undefined {
  return (name, required) => {
    const values = params.getAll(name).map((value) => value.trim());
    if (values.length > 1) problems.push(`${name}: указан несколько раз, нужен один`);
    else if (!values[0] && required) problems.push(`${name}: не указан`);
    return values.length === 1 && values[0] ? values[0] : undefined;
  };
}

const AMOUNT_PROBLEMS = {
  format: 'сумма должна быть числом с точкой и не больше чем двумя знаками после неё, например 100 или 99.50',
  zero: 'сумма должна быть больше нуля',
  'too-large': 'сумма слишком велика',
} as const;

/** A sum as parseAmount reads it: the exact two-decimal string, or undefined and a problem. */
export function checkAmount(name: string, raw: string, problems: string[]): string | undefined {
  const sum = parseAmount(raw);
  if ('amount' in sum) return sum.amount;
  problems.push(`${name}: ${AMOUNT_PROBLEMS[sum.problem]}`);
  return undefined;
}

/** A three-letter currency code, upper-cased. */
export function checkCurrency(name: string, raw: string, problems: string[]): string | undefined {
  if (/^[A-Za-z]{3}$/.test(raw)) return raw.toUpperCase();
  problems.push(`${name}: нужен трёхбуквенный код валюты, например RUB`);
  return undefined;
}

/** Where a page may send the customer: the hosts the operator listed, and the variable listing them. */
export interface RedirectHosts {
  /** `host` or `host:port`, as the URL parser spells them; empty allows no redirect at all. */
  hosts: ReadonlySet<string>;
  /** Named in the refusal, so the operator knows what to set (`<NAME>_REDIRECT_HOSTS`). */
  variable: string;
}

/**
 * An absolute http(s) URL, spelled out with "//" (browsers also accept "https:evil.example" and
 * "https:\\evil.example"), without credentials, on an allowed host. No list allows no host: an
 * operator who has not named the merchant's sites gets no open redirect by default.
 * Returns the normalized href: the browser goes exactly where we checked.
 */
export function checkRedirect(name: string, raw: string, allowed: RedirectHosts, problems: string[]): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:\/\//i.test(raw) || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(`${name}: нужен полный адрес, начинающийся с http:// или https://`);
  } else if (url.username || url.password) {
    problems.push(`${name}: адрес не должен содержать имя пользователя или пароль`);
  } else if (allowed.hosts.size === 0) {
    problems.push(`${name}: переход на этот сайт не разрешён (на сервере не задан ${allowed.variable})`);
  } else if (!allowed.hosts.has(url.hostname) && !allowed.hosts.has(url.host)) {
    problems.push(`${name}: переход на этот сайт не разрешён (его нет в ${allowed.variable})`);
  } else {
    return url.href;
  }
  return undefined;
}

/** A fresh nonce for the page's inline script, one per response. */
export function pageNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The origins a page's widget needs, besides our own. */
export interface PageOrigins {
  /** The request's nonce: the one inline script carries it. */
  nonce: string;
  /** Where scripts may come from (the widget's script and whatever it loads). */
  script: string[];
  /** What the page may frame (the widget's iframe); none when empty. */
  frame: string[];
  /** Where the page's scripts may connect, besides our origin. */
  connect: string[];
}

/**
 * Scripts: the static inline script by nonce, and the widget's origins. Frames and connections:
 * the widget's origins only; the page itself may be framed by no one. Styles, images and fonts
 * are left loose on purpose: widgets inject styles, and a blocked stylesheet must not cost a
 * payment.
 */
export function pagePolicy(origins: PageOrigins): string {
  return [
    "default-src 'self'",
    [`script-src 'nonce-${origins.nonce}'`, ...origins.script].join(' '),
    origins.frame.length > 0 ? `frame-src ${origins.frame.join(' ')}` : "frame-src 'none'",
    ["connect-src 'self'", ...origins.connect].join(' '),
    "style-src 'self' 'unsafe-inline' https:",
    "img-src 'self' data: https:",
    "font-src 'self' data: https:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** For a page without scripts (a refusal, an outage): nothing loads but its inline style. */
export const STATIC_PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A page with the headers every payment page carries, under the given policy. */
export function sendPage(reply: FastifyReply, html: string, policy: string): FastifyReply {
  return (
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', policy)
      .header('x-content-type-options', 'nosniff')
      // No site may frame the page and overlay it to trick a customer (clickjacking): the page
      // embeds the widget, nobody embeds the page. frame-ancestors says it in each policy; this
      // says it to browsers that predate frame-ancestors.
      .header('x-frame-options', 'DENY')
      // Only our origin leaves the page (the widget may want to see who embeds it); the query,
      // with the account and the merchant's URLs, never does.
      .header('referrer-policy', 'strict-origin')
      .send(html)
  );
}

/** HTTP 400 and a page listing what is wrong with the link: never a redirect. */
export function sendRefusal(reply: FastifyReply, problems: string[]): FastifyReply {
  return sendPage(reply.code(400), refusalPage(problems), STATIC_PAGE_POLICY);
}

/** HTTP 500 and a page saying payment is unavailable: a customer never sees the API's JSON error. */
export function sendUnavailable(reply: FastifyReply): FastifyReply {
  return sendPage(reply.code(500), unavailablePage(), STATIC_PAGE_POLICY);
}

export interface PageShell {
  /** Text: escaped here. */
  title: string;
  /** Markup inside the card, its values already escaped. */
  body: string;
  /** Values for the script: a non-executable JSON block with this id, after the body. */
  data?: { id: string; value: unknown };
  /** Scripts loaded from these URLs, in order, after the data. */
  scriptSources?: string[];
  /** The one executable inline script, last: static code (it reads the data block), with the request's nonce. */
  script?: { nonce: string; code: string };
}

/** The whole document: head, the kit's style, and the body in a card, then the scripts. */
export function renderPage(page: PageShell): string {
  const parts = [page.body];
  if (page.data)
    parts.push(`<script type="application/json" id="${escapeHtml(page.data.id)}">${scriptJson(page.data.value)}</script>`);
  for (const source of page.scriptSources ?? []) parts.push(`<script src="${escapeHtml(source)}"></script>`);
  if (page.script) parts.push(`<script nonce="${escapeHtml(page.script.nonce)}">${page.script.code}</script>`);
  return `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main class="card">
${parts.join('\n')}
</main>
</body>
</html>
`;
}

/** The refusal of a link: what is wrong with it, one item per problem. */
export function refusalPage(problems: string[]): string {
  const items = problems.map((problem) => `<li>${escapeHtml(problem)}</li>`).join('\n');
  return renderPage({
    title: 'Ссылка на оплату неверна',
    body: `<h1>Ссылка на оплату неверна</h1>
<p>Оплатить по этой ссылке нельзя. Вернитесь на сайт продавца и попробуйте снова или сообщите ему о проблеме.</p>
<p class="muted">Что не так со ссылкой:</p>
<ul class="problems">
${items}
</ul>`,
  });
}

export function unavailablePage(): string {
  return renderPage({
    title: 'Оплата временно недоступна',
    body: `<h1>Оплата временно недоступна</h1>
<p>Страница оплаты сейчас не работает. Деньги не списаны. Попробуйте обновить страницу через несколько минут.</p>`,
  });
}

/**
 * The card and what goes in it: muted labels, a heading for the amount, a description and an
 * account that wrap anywhere, a status line (`.status.success`, `.status.error`), a list of
 * problems and a full-width button.
 */
const STYLE = `
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  background: #f3f4f6; color: #111827; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.card { box-sizing: border-box; width: min(28rem, 100% - 2rem); margin: 1rem; padding: 2rem;
  background: #fff; border-radius: 12px; box-shadow: 0 4px 24px rgba(0, 0, 0, .08); }
h1 { margin: .25rem 0 .5rem; font-size: 1.75rem; }
.muted { color: #6b7280; margin: .25rem 0; }
.description { margin: 0 0 .5rem; overflow-wrap: anywhere; }
.account { overflow-wrap: anywhere; }
.status { margin: 1.25rem 0 0; padding: .75rem 1rem; border-radius: 8px; background: #f3f4f6; }
.status.success { background: #ecfdf5; color: #065f46; }
.status.error { background: #fef2f2; color: #991b1b; }
.problems { padding-left: 1.25rem; color: #991b1b; overflow-wrap: anywhere; }
button { margin-top: 1rem; width: 100%; padding: .75rem 1rem; border: 0; border-radius: 8px;
  background: #2563eb; color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
button:hover { background: #1d4ed8; }
button[hidden] { display: none; }
`;

/**
 * Each entry as the URL parser spells a host (`host` or `host:port`, punycode for Cyrillic
 * names), so a page's redirect check compares like with like (`<NAME>_REDIRECT_HOSTS`). A typo
 * stops start-up rather than allowing nothing.
 */
export function readRedirectHosts(env: InstanceEnv): string[] {
  const entries = (env.string('REDIRECT_HOSTS') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry.includes('://') ? entry : `http://${entry}`);
    } catch {
      url = undefined;
    }
    if (url?.pathname !== '/' || url.search || url.username) {
      throw new ConfigError(env.name('REDIRECT_HOSTS'), `has "${entry}", which is not a host name (like shop.example.com)`);
    }
    return url.port ? `${url.hostname}:${url.port}` : url.hostname;
  });
}
