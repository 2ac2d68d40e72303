import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseAmount } from '../../util/amount.js';
import type { CloudPaymentsSettings } from './settings.js';

/**
 * GET /pub/card: the page a merchant sends a customer to. It loads CloudPayments' own widget
 * script (it must come from their host, never bundled) and opens a one-stage charge; afterwards
 * it goes to the merchant's success_url or fail_url, or says what happened.
 *
 * Every parameter is untrusted: shown values are HTML-escaped, values for the script travel as
 * JSON in a non-executable block, the only executable inline script is static and carries a
 * per-request nonce, redirect targets must be on CLOUDPAYMENTS_REDIRECT_HOSTS (none are allowed
 * while it is unset) so the page is no open redirect, and no site may frame it.
 */
const WIDGET_SCRIPT_URL = 'https://widget.cloudpayments.ru/bundles/cloudpayments.js';

interface CardPayment {
  account: string;
  /** Two-decimal string from parseAmount: exact, turned into a number only for the widget. */
  amount: string;
  currency: string;
  description: string;
  successUrl?: string;
  failUrl?: string;
}

type Parsed = { payment: CardPayment } | { problems: string[] };

export function cardPageRoutes(scope: FastifyInstance, settings: CloudPaymentsSettings): void {
  const allowedHosts = new Set(settings.redirectHosts);
  scope.route({
    method: 'GET',
    url: '/pub/card',
    // A customer sees a page, never the JSON error of the API (the request log may be down).
    errorHandler: (error, request, reply) => {
      request.log.error({ err: error }, 'card page failed');
      return sendHtml(reply.code(500), renderUnavailable(), REFUSAL_POLICY);
    },
    handler: async (request, reply) => {
      const params = new URLSearchParams(queryOf(request.url));
      const parsed = parseCardParams(params, allowedHosts);
      if (settings.publicId === undefined || 'problems' in parsed) {
        const problems = 'problems' in parsed ? parsed.problems : [];
        if (settings.publicId === undefined) problems.unshift(NOT_CONFIGURED);
        return sendHtml(reply.code(400), renderRefusal(problems), REFUSAL_POLICY);
      }
      const nonce = randomBytes(16).toString('base64');
      return sendHtml(reply, renderPage(parsed.payment, settings.publicId, nonce), pagePolicy(nonce));
    },
  });
}

/**
 * Everything after the first `?`: merchants paste success_url unencoded (`...paid?order=42`), and
 * cutting at a later `?` would silently drop the parameters after it. The rule of rawQuery (QIWI).
 */
function queryOf(url: string): string {
  const start = url.indexOf('?');
  return start < 0 ? '' : url.slice(start + 1);
}

const NOT_CONFIGURED = 'оплата картой не настроена: на сервере не задан CLOUDPAYMENTS_PUBLIC_ID';

function parseCardParams(params: URLSearchParams, allowedHosts: Set<string>): Parsed {
  const problems: string[] = [];
  // A repeated parameter is refused: two parsers could pick different copies of a redirect URL.
  const read = (name: string, required: boolean): string | undefined => {
    const values = params.getAll(name).map((value) => value.trim());
    if (values.length > 1) problems.push(`${name}: указан несколько раз, нужен один`);
    else if (!values[0] && required) problems.push(`${name}: не указан`);
    return values.length === 1 && values[0] ? values[0] : undefined;
  };
  const account = read('account', true);
  const description = read('description', true);
  const rawSum = read('sum', true);
  const rawCurrency = read('currency', true);
  const rawSuccess = read('success_url', false);
  const rawFail = read('fail_url', false);

  const sum = rawSum === undefined ? undefined : parseAmount(rawSum);
  if (sum && 'problem' in sum) problems.push(`sum: ${AMOUNT_PROBLEMS[sum.problem]}`);
  if (rawCurrency !== undefined && !/^[A-Za-z]{3}$/.test(rawCurrency)) {
    problems.push('currency: нужен трёхбуквенный код валюты, например RUB');
  }
  const successUrl = rawSuccess === undefined ? undefined : checkRedirect('success_url', rawSuccess, allowedHosts, problems);
  const failUrl = rawFail === undefined ? undefined : checkRedirect('fail_url', rawFail, allowedHosts, problems);

  if (problems.length > 0 || !account || !description || !rawCurrency || !sum || !('amount' in sum)) return { problems };
  return { payment: { account, amount: sum.amount, currency: rawCurrency.toUpperCase(), description, successUrl, failUrl } };
}

const AMOUNT_PROBLEMS = {
  format: 'сумма должна быть числом с точкой и не больше чем двумя знаками после неё, например 100 или 99.50',
  zero: 'сумма должна быть больше нуля',
  'too-large': 'сумма слишком велика',
} as const;

/**
 * An absolute http(s) URL, spelled out with "//" (browsers also accept "https:evil.example" and
 * "https:\\evil.example"), without credentials, on an allowed host. No list allows no host: an
 * operator who has not named the merchant's sites gets no open redirect by default.
 * Returns the normalized href: the browser goes exactly where we checked.
 */
function checkRedirect(name: string, raw: string, allowedHosts: Set<string>, problems: string[]): string | undefined {
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
  } else if (allowedHosts.size === 0) {
    problems.push(`${name}: переход на этот сайт не разрешён (на сервере не задан CLOUDPAYMENTS_REDIRECT_HOSTS)`);
  } else if (!allowedHosts.has(url.hostname) && !allowedHosts.has(url.host)) {
    problems.push(`${name}: переход на этот сайт не разрешён (его нет в CLOUDPAYMENTS_REDIRECT_HOSTS)`);
  } else {
    return url.href;
  }
  return undefined;
}

function sendHtml(reply: FastifyReply, html: string, policy: string): FastifyReply {
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

/**
 * Scripts: our static inline script by nonce, and CloudPayments' hosts (the widget script and
 * whatever it loads). Frames and connections: CloudPayments' hosts only (the widget is an
 * iframe from widget.cloudpayments.ru); the page itself may be framed by no one. Styles, images
 * and fonts are left loose on purpose: widgets inject styles, and a blocked stylesheet must not
 * cost a payment.
 */
function pagePolicy(nonce: string): string {
  const cloudPayments = 'https://*.cloudpayments.ru';
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' ${cloudPayments}`,
    `frame-src ${cloudPayments}`,
    `connect-src 'self' ${cloudPayments}`,
    "style-src 'self' 'unsafe-inline' https:",
    "img-src 'self' data: https:",
    "font-src 'self' data: https:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const REFUSAL_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Text and attribute escaping: enough for any value placed between tags or in quotes. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * JSON safe inside a <script> block: no "</script>", "<!--" or "&" survives, and U+2028/2029
 * are escaped for old parsers that treat them as line ends.
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function renderPage(payment: CardPayment, publicId: string, nonce: string): string {
  const config = {
    widget: {
      publicId,
      description: payment.description,
      amount: Number(payment.amount),
      currency: payment.currency,
      accountId: payment.account,
    },
    successUrl: payment.successUrl ?? null,
    failUrl: payment.failUrl ?? null,
  };
  return layout(
    'Оплата картой',
    `<p class="muted">Оплата картой</p>
<h1>${escapeHtml(payment.amount)} ${escapeHtml(payment.currency)}</h1>
<p class="description">${escapeHtml(payment.description)}</p>
<p class="muted">Лицевой счёт: <span class="account">${escapeHtml(payment.account)}</span></p>
<p id="status" class="status" role="status" aria-live="polite">Открываем платёжную форму…</p>
<button id="pay" type="button" hidden>Оплатить</button>
<noscript><p class="status error">Для оплаты включите JavaScript в браузере.</p></noscript>
<script type="application/json" id="card-config">${scriptJson(config)}</script>
<script src="${escapeHtml(WIDGET_SCRIPT_URL)}"></script>
<script nonce="${escapeHtml(nonce)}">${PAGE_SCRIPT}</script>`,
  );
}

/**
 * Static: it reads its values from the JSON block, so no parameter is ever spliced into code.
 * onFail also fires when the customer closes the widget; without a fail_url they can reopen it.
 */
const PAGE_SCRIPT = `
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('card-config').textContent);
  var status = document.getElementById('status');
  var button = document.getElementById('pay');
  function show(text, kind) {
    status.textContent = text;
    status.className = 'status ' + kind;
  }
  function offer(label) {
    button.textContent = label;
    button.hidden = false;
  }
  // The classic widget calls onSuccess or onFail, then onComplete with { success }; whichever
  // speaks first decides, once per opening.
  var settled = false;
  function settle(success, reason) {
    if (settled) return;
    settled = true;
    if (success) return succeeded();
    failed(typeof reason === 'string' ? reason : '');
  }
  function succeeded() {
    if (config.successUrl) return window.location.replace(config.successUrl);
    show('Оплата прошла успешно. Спасибо! Эту страницу можно закрыть.', 'success');
  }
  function failed(reason) {
    if (config.failUrl) return window.location.replace(config.failUrl);
    show('Оплата не прошла' + (reason ? ' (' + reason + ')' : '') + '. Деньги не списаны. Можно попробовать ещё раз.', 'error');
    offer('Попробовать ещё раз');
  }
  function open() {
    if (!window.cp || typeof window.cp.CloudPayments !== 'function') {
      show('Платёжная форма не загрузилась. Проверьте подключение к интернету и попробуйте ещё раз.', 'error');
      button.onclick = function () { window.location.reload(); };
      return offer('Обновить страницу');
    }
    button.hidden = true;
    settled = false;
    show('Введите данные карты в платёжной форме.', 'info');
    new window.cp.CloudPayments().pay('charge', config.widget, {
      onSuccess: function () { settle(true); },
      onFail: function (reason) { settle(false, reason); },
      onComplete: function (result) {
        if (result && typeof result.success === 'boolean') settle(result.success, result.message);
      }
    });
  }
  button.onclick = open;
  open();
})();
`;

function renderRefusal(problems: string[]): string {
  const items = problems.map((problem) => `<li>${escapeHtml(problem)}</li>`).join('\n');
  return layout(
    'Ссылка на оплату неверна',
    `<h1>Ссылка на оплату неверна</h1>
<p>Оплатить по этой ссылке нельзя. Вернитесь на сайт продавца и попробуйте снова или сообщите ему о проблеме.</p>
<p class="muted">Что не так со ссылкой:</p>
<ul class="problems">
${items}
</ul>`,
  );
}

function renderUnavailable(): string {
  return layout(
    'Оплата временно недоступна',
    `<h1>Оплата временно недоступна</h1>
<p>Страница оплаты сейчас не работает. Деньги не списаны. Попробуйте обновить страницу через несколько минут.</p>`,
  );
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main class="card">
${body}
</main>
</body>
</html>
`;
}

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
