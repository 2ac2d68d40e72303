import type { FastifyInstance } from 'fastify';
import { escapeHtml } from '../kit/html.js';
import {
  checkAmount,
  checkCurrency,
  checkRedirect,
  type PageOrigins,
  pageNonce,
  pageParams,
  pagePolicy,
  paramReader,
  type RedirectHosts,
  renderPage,
  sendPage,
  sendRefusal,
  sendUnavailable,
} from '../kit/page.js';
import type { CloudPaymentsSettings } from './settings.js';

/**
 * GET /pub/card: the page a merchant sends a customer to. It loads CloudPayments' own widget
 * script (it must come from their host, never bundled) and opens a one-stage charge; afterwards
 * it goes to the merchant's success_url or fail_url, or says what happened.
 *
 * The link, the headers, the policy, the shell and the refusals are the payment-page kit's
 * (../kit/page.ts), which says how each untrusted value is kept inert; this is the widget.
 */
const WIDGET_SCRIPT_URL = 'https://widget.cloudpayments.ru/bundles/cloudpayments.js';

/** The widget's script and whatever it loads, its iframe and its calls: CloudPayments' hosts. */
const CLOUDPAYMENTS_ORIGINS = ['https://*.cloudpayments.ru'];
const widgetOrigins = (nonce: string): PageOrigins => ({
  nonce,
  script: CLOUDPAYMENTS_ORIGINS,
  frame: CLOUDPAYMENTS_ORIGINS,
  connect: CLOUDPAYMENTS_ORIGINS,
});

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

/** `prefix`: the instance's variables' (`PAY24` for PAY24_*), named in what the page refuses. */
export function cardPageRoutes(scope: FastifyInstance, settings: CloudPaymentsSettings, prefix = 'CLOUDPAYMENTS'): void {
  const redirects: RedirectHosts = { hosts: new Set(settings.redirectHosts), variable: `${prefix}_REDIRECT_HOSTS` };
  const notConfigured = `оплата картой не настроена: на сервере не задан ${prefix}_PUBLIC_ID`;
  scope.route({
    method: 'GET',
    url: '/pub/card',
    // A customer sees a page, never the JSON error of the API (the request log may be down).
    errorHandler: (error, request, reply) => {
      request.log.error({ err: error }, 'card page failed');
      return sendUnavailable(reply);
    },
    handler: async (request, reply) => {
      const parsed = parseCardParams(pageParams(request.url), redirects);
      if (settings.publicId === undefined || 'problems' in parsed) {
        const problems = 'problems' in parsed ? parsed.problems : [];
        if (settings.publicId === undefined) problems.unshift(notConfigured);
        return sendRefusal(reply, problems);
      }
      const nonce = pageNonce();
      return sendPage(reply, renderWidgetPage(parsed.payment, settings.publicId, nonce), pagePolicy(widgetOrigins(nonce)));
    },
  });
}

function parseCardParams(params: URLSearchParams, redirects: RedirectHosts): Parsed {
  const problems: string[] = [];
  const read = paramReader(params, problems);
  const account = read('account', true);
  const description = read('description', true);
  const rawSum = read('sum', true);
  const rawCurrency = read('currency', true);
  const rawSuccess = read('success_url', false);
  const rawFail = read('fail_url', false);

  const amount = rawSum === undefined ? undefined : checkAmount('sum', rawSum, problems);
  const currency = rawCurrency === undefined ? undefined : checkCurrency('currency', rawCurrency, problems);
  const successUrl = rawSuccess === undefined ? undefined : checkRedirect('success_url', rawSuccess, redirects, problems);
  const failUrl = rawFail === undefined ? undefined : checkRedirect('fail_url', rawFail, redirects, problems);

  if (problems.length > 0 || !account || !description || !amount || !currency) return { problems };
  return { payment: { account, amount, currency, description, successUrl, failUrl } };
}

function renderWidgetPage(payment: CardPayment, publicId: string, nonce: string): string {
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
  return renderPage({
    title: 'Оплата картой',
    body: `<p class="muted">Оплата картой</p>
<h1>${escapeHtml(payment.amount)} ${escapeHtml(payment.currency)}</h1>
<p class="description">${escapeHtml(payment.description)}</p>
<p class="muted">Лицевой счёт: <span class="account">${escapeHtml(payment.account)}</span></p>
<p id="status" class="status" role="status" aria-live="polite">Открываем платёжную форму…</p>
<button id="pay" type="button" hidden>Оплатить</button>
<noscript><p class="status error">Для оплаты включите JavaScript в браузере.</p></noscript>`,
    data: { id: 'card-config', value: config },
    scriptSources: [WIDGET_SCRIPT_URL],
    script: { nonce, code: PAGE_SCRIPT },
  });
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
