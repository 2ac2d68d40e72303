/**
 * GET /pay: the link a merchant gives a customer. It answers a redirect (302) to FreedomPay's
 * payment page (`<API_URL>/payment.php`) with the payment's fields signed for the script
 * `payment.php`: the merchant, order (the account), sum with two decimals, currency, description,
 * this instance's own check, result and refund URLs under its public address, and where the
 * customer goes afterwards. A link that is wrong in any way, or an instance that cannot sign,
 * gets a page saying what is wrong (HTTP 400), never a redirect.
 *
 * The link and the refusal are the payment-page kit's (../kit/page.ts): a repeated parameter is
 * refused, sums are exact, redirect targets must be on the operator's list.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { charsetOf } from '../../http/raw-body.js';
import { requestLogRow } from '../../http/request-log.js';
import { writeLogRow } from '../../payments/record.js';
import {
  checkAmount,
  checkCurrency,
  checkRedirect,
  pageParams,
  paramReader,
  type RedirectHosts,
  sendRefusal,
  sendUnavailable,
} from '../kit/page.js';
import type { ProviderContext } from '../types.js';
import { freshSalt } from './answer.js';
import { DEFAULT_CURRENCY } from './endpoints.js';
import type { PayboxSettings } from './settings.js';
import { SIGNATURE, signText } from './signature.js';

export const PAGE_PATH = '/pay';
/** The script FreedomPay's payment page is, and so the name its fields are signed for. */
export const PAYMENT_SCRIPT = 'payment.php';

const MAX_ACCOUNT = 200;
const MAX_DESCRIPTION = 1000;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

interface PagePayment {
  account: string;
  /** Two decimals, from the kit's checkAmount. */
  amount: string;
  currency: string;
  description: string;
  successUrl?: string;
  failUrl?: string;
}

export function payPage(scope: FastifyInstance, { db, name, settings }: ProviderContext<PayboxSettings>): void {
  const prefix = name.toUpperCase();
  const redirects: RedirectHosts = { hosts: new Set(settings.redirectHosts), variable: `${prefix}_REDIRECT_HOSTS` };
  // A customer's link still works while the request log is unavailable.
  scope.addHook('preHandler', async (request: FastifyRequest) => {
    const row = requestLogRow(request, undefined, charsetOf(request.headers['content-type']) ?? 'utf-8', true);
    await writeLogRow(db, name, row).catch((error: unknown) => request.log.error({ err: error }, 'request log failed'));
  });
  scope.route({
    method: 'GET',
    url: PAGE_PATH,
    // A customer sees a page, never the JSON error of the API.
    errorHandler: (error, request, reply) => {
      request.log.error({ err: error }, 'payment page failed');
      return sendUnavailable(reply);
    },
    handler: async (request, reply) => {
      const problems = missingSettings(settings, prefix);
      const parsed = parseLink(pageParams(request.url), redirects);
      if (problems.length > 0 || 'problems' in parsed) {
        return sendRefusal(reply, [...problems, ...('problems' in parsed ? parsed.problems : [])]);
      }
      const location = paymentUrl(parsed.payment, settings, name);
      return (
        reply
          .code(302)
          .header('location', location)
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .header('x-frame-options', 'DENY')
          // The link (the account, the merchant's URLs) does not travel on to FreedomPay as a referrer.
          .header('referrer-policy', 'no-referrer')
          .send()
      );
    },
  });
}

/** What the page cannot work without, named by the variables to set. */
function missingSettings(settings: PayboxSettings, prefix: string): string[] {
  const missing = (
    [
      ['MERCHANT_ID', settings.merchantId],
      ['SECRET_KEY', settings.secretKey],
      ['PUBLIC_URL', settings.publicUrl],
    ] as const
  ).filter(([, value]) => value === undefined);
  return missing.map(([suffix]) => `оплата не настроена: на сервере не задан ${prefix}_${suffix}`);
}

function parseLink(params: URLSearchParams, redirects: RedirectHosts): { payment: PagePayment } | { problems: string[] } {
  const problems: string[] = [];
  const read = paramReader(params, problems);
  const account = read('account', true);
  const rawSum = read('sum', true);
  const description = read('description', false);
  const rawCurrency = read('currency', false);
  const rawSuccess = read('success_url', false);
  const rawFail = read('fail_url', false);

  if (account !== undefined && (account.length > MAX_ACCOUNT || CONTROL.test(account))) {
    problems.push(`account: нужно от 1 до ${MAX_ACCOUNT} печатных символов`);
  }
  if (description !== undefined && (description.length > MAX_DESCRIPTION || CONTROL.test(description))) {
    problems.push(`description: нужно не больше ${MAX_DESCRIPTION} печатных символов`);
  }
  const amount = rawSum === undefined ? undefined : checkAmount('sum', rawSum, problems);
  const currency = rawCurrency === undefined ? DEFAULT_CURRENCY : checkCurrency('currency', rawCurrency, problems);
  const successUrl = rawSuccess === undefined ? undefined : checkRedirect('success_url', rawSuccess, redirects, problems);
  const failUrl = rawFail === undefined ? undefined : checkRedirect('fail_url', rawFail, redirects, problems);
  if (problems.length > 0 || !account || !amount || !currency) return { problems };
  return {
    payment: { account, amount, currency, description: description ?? `Оплата, лицевой счёт ${account}`, successUrl, failUrl },
  };
}

/** FreedomPay's payment page with the payment's fields, signed for `payment.php`. */
export function paymentUrl(payment: PagePayment, settings: PayboxSettings, instance: string): string {
  const own = (path: string) => `${settings.publicUrl!.href.replace(/\/+$/, '')}/_${instance}_/${path}`;
  const fields: Record<string, string> = {
    pg_merchant_id: settings.merchantId!,
    pg_order_id: payment.account,
    pg_amount: payment.amount,
    pg_currency: payment.currency,
    pg_description: payment.description,
    pg_salt: freshSalt(),
    pg_check_url: own('check'),
    pg_result_url: own('result'),
    pg_refund_url: own('refund'),
    pg_request_method: 'POST',
    ...(payment.successUrl ? { pg_success_url: payment.successUrl } : {}),
    ...(payment.failUrl ? { pg_failure_url: payment.failUrl } : {}),
    pg_testing_mode: settings.testingMode ? '1' : '0',
  };
  fields[SIGNATURE] = signText(PAYMENT_SCRIPT, fields, settings.secretKey!);
  const base = settings.apiUrl.href.endsWith('/') ? settings.apiUrl.href : `${settings.apiUrl.href}/`;
  const url = new URL(PAYMENT_SCRIPT, base);
  url.search = new URLSearchParams(fields).toString();
  return url.href;
}
