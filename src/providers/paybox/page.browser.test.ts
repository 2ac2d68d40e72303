/**
 * The payment link in headless Chromium, end to end. The customer opens /_paybox_/pay through a
 * reverse proxy (payrelay's public address, behind a path prefix), lands on a stand-in FreedomPay
 * page (a server of this test that checks the signature it receives, asks the check URL and, on
 * "Оплатить", posts a signed result to the result URL, checking each signed answer), and comes
 * back to the merchant's site. The result is recorded and delivered to the merchant's webhook.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collectConsoleErrors, launchChromium, offlineContext } from '../../../test/helpers/browser.js';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Receiver, startReceiver, waitFor } from '../../../test/helpers/receiver.js';
import { answerFields, answerSignature, flat, phpSignature } from './fixtures/php.js';

const SECRET = 'browser-test-secret';
const MERCHANT = '540000';

interface Call {
  script: string;
  fields: Record<string, string>;
  status: number;
  answer: Record<string, string>;
  /** The answer's signature was right for the script it was sent to. */
  signedRight: boolean;
}

/**
 * FreedomPay as the customer and the merchant's server meet it: payment.php checks the link's
 * signature, asks the merchant's check URL, and shows the payment; its buttons pay or decline.
 */
function standInFreedomPay() {
  const calls: Call[] = [];
  const payments = new Map<string, Record<string, string>>();
  let serial = 0;

  async function call(url: string, fields: Record<string, string>): Promise<Call> {
    const script = new URL(url).pathname.split('/').pop()!;
    const signedFields = { ...fields, pg_salt: `fp${serial}salt${calls.length}` };
    const body = new URLSearchParams({ ...signedFields, pg_sig: phpSignature(script, flat(signedFields), SECRET) });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const text = await response.text();
    const answer = answerFields(text);
    const signedRight =
      answer.pg_sig ===
        answerSignature(script, answer.pg_description ?? '', answer.pg_salt ?? '', answer.pg_status ?? '', SECRET) &&
      answer.pg_salt === signedFields.pg_salt;
    const made = { script, fields: signedFields, status: response.status, answer, signedRight };
    calls.push(made);
    return made;
  }

  const page = (title: string, body: string) =>
    `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const send = (status: number, html: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      response.end(html);
    };
    if (request.method === 'GET' && url.pathname === '/payment.php') {
      const { pg_sig: signature, ...fields } = Object.fromEntries(url.searchParams);
      if (!signature || signature !== phpSignature('payment.php', flat(fields), SECRET) || fields.pg_merchant_id !== MERCHANT) {
        return send(400, page('Ошибка подписи', '<p id="error">Неверная подпись запроса</p>'));
      }
      serial += 1;
      const paymentId = String(7_700_000 + serial);
      payments.set(paymentId, fields);
      const check = await call(fields.pg_check_url!, {
        pg_merchant_id: MERCHANT,
        pg_order_id: fields.pg_order_id!,
        pg_payment_id: paymentId,
        pg_amount: fields.pg_amount!,
        pg_currency: fields.pg_currency!,
      });
      if (check.answer.pg_status !== 'ok' || !check.signedRight) {
        return send(200, page('Платёж отклонён', `<p id="error">Магазин отказал: ${check.answer.pg_description}</p>`));
      }
      return send(
        200,
        page(
          'FreedomPay',
          `<p id="amount">${fields.pg_amount} ${fields.pg_currency}</p><p id="description">${fields.pg_description}</p>
<form method="post" action="/pay"><input type="hidden" name="payment" value="${paymentId}">
<button id="pay" name="outcome" value="1">Оплатить</button><button id="decline" name="outcome" value="0">Отказаться</button></form>`,
        ),
      );
    }
    if (request.method === 'POST' && url.pathname === '/pay') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const paymentId = form.get('payment')!;
      const fields = payments.get(paymentId)!;
      const outcome = form.get('outcome')!;
      const result = await call(fields.pg_result_url!, {
        pg_merchant_id: MERCHANT,
        pg_order_id: fields.pg_order_id!,
        pg_payment_id: paymentId,
        pg_amount: fields.pg_amount!,
        pg_currency: fields.pg_currency!,
        pg_ps_amount: fields.pg_amount!,
        pg_ps_currency: fields.pg_currency!,
        pg_result: outcome,
        pg_payment_date: '2026-05-01 12:00:00',
        pg_can_reject: '0',
        pg_testing_mode: fields.pg_testing_mode!,
        pg_card_pan: '4405-64XX-XXXX-1448',
        ...(outcome === '0' ? { pg_failure_code: '101', pg_failure_description: 'Отказ плательщика' } : {}),
      });
      const done = result.answer.pg_status === 'ok' && result.signedRight && result.status === 200;
      const back = outcome === '1' ? fields.pg_success_url : fields.pg_failure_url;
      if (done && back) return send(302, '', { location: back });
      return send(200, page(done ? 'Готово' : 'Ошибка', '<p id="done">Результат передан магазину</p>'));
    }
    send(404, page('Нет такой страницы', ''));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  return { server, calls };
}

/** payrelay's public address: a reverse proxy that serves it under /payrelay, as an ingress would. */
function reverseProxy(target: () => string): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').replace(/^\/payrelay(?=\/)/, '');
    const upstream = new URL(path, target());
    const forwarded = httpRequest(
      upstream,
      { method: request.method, headers: { ...request.headers, host: upstream.host } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    request.pipe(forwarded);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const HTML = { 'content-type': 'text/html; charset=utf-8' };

let browser: Browser;
let gateway: TestGateway;
let merchant: Receiver;
let freedomPay: ReturnType<typeof standInFreedomPay>;
let proxy: Server;
let publicUrl: string;
let gatewayOrigin = '';
beforeAll(async () => {
  browser = await launchChromium();
  // The merchant's backend and site: its account check, webhooks, and the pages customers come back to.
  merchant = await startReceiver((request) =>
    request.url.startsWith('/check')
      ? request.url.includes('account=closed')
        ? { status: 404 }
        : { status: 200, body: '{}' }
      : request.url.startsWith('/payments') || request.url.startsWith('/events')
        ? { status: 200, body: 'ok' }
        : { status: 200, body: `<p id="merchant">${request.url}</p>`, headers: HTML },
  );
  freedomPay = standInFreedomPay();
  const freedomPayUrl = await listen(freedomPay.server);
  proxy = reverseProxy(() => gatewayOrigin);
  publicUrl = `${await listen(proxy)}/payrelay`;
  gateway = await startTestGateway({
    PROVIDERS: 'paybox',
    PAYBOX_MERCHANT_ID: MERCHANT,
    PAYBOX_SECRET_KEY: SECRET,
    PAYBOX_API_URL: freedomPayUrl,
    PAYBOX_PUBLIC_URL: publicUrl,
    PAYBOX_REDIRECT_HOSTS: '127.0.0.1',
    PAYBOX_TESTING_MODE: 'true',
    PAYBOX_CHECK_URL: `${merchant.url}/check`,
    PAYBOX_WEBHOOK_URL: `${merchant.url}/payments`,
    PAYBOX_EVENTS_WEBHOOK_URL: `${merchant.url}/events`,
  });
  gatewayOrigin = await gateway.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await merchant?.close();
  for (const server of [freedomPay?.server, proxy]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
});

let context: BrowserContext;
let page: Page;
let consoleErrors: string[];
beforeEach(async () => {
  context = await offlineContext(browser);
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  consoleErrors = collectConsoleErrors(page);
});
afterEach(async () => {
  await context.close();
});

const link = (params: Record<string, string>) => `${publicUrl}/_paybox_/pay?${new URLSearchParams(params)}`;
const callsFor = (order: string) => freedomPay.calls.filter((call) => call.fields.pg_order_id === order);
const webhooks = (path: string, order: string) =>
  merchant.received
    .filter((request) => request.url === path && JSON.parse(request.body).account === order)
    .map((request) => JSON.parse(request.body));

describe('paying through FreedomPay’s page', () => {
  it('the customer is sent there, pays, comes back to success_url; the result is recorded and delivered', async () => {
    const success = `${merchant.url}/thanks?order=B-1`;
    await page.goto(
      link({
        account: 'B-1',
        sum: '2500',
        description: 'Интернет «Домашний», май',
        success_url: success,
        fail_url: `${merchant.url}/sorry`,
      }),
    );
    await expect.poll(() => page.locator('#amount').textContent()).toBe('2500.00 KZT');
    expect(await page.locator('#description').textContent()).toBe('Интернет «Домашний», май');
    // The check has gone through the public address to payrelay, and on to the merchant.
    expect(callsFor('B-1')).toMatchObject([{ script: 'check', status: 200, answer: { pg_status: 'ok' }, signedRight: true }]);
    expect(merchant.received.some((request) => request.url.startsWith('/check?account=B-1'))).toBe(true);

    await page.locator('#pay').click();
    await page.waitForURL(success);
    expect(await page.locator('#merchant').textContent()).toBe('/thanks?order=B-1');
    const [, result] = callsFor('B-1');
    expect(result).toMatchObject({
      script: 'result',
      status: 200,
      answer: { pg_status: 'ok', pg_description: 'accepted' },
      signedRight: true,
    });

    const rows = await gateway.db.query(
      `SELECT account, code, sum::text AS sum, currency, testing_mode FROM ${gateway.db.table('paybox_transaction')} WHERE account = 'B-1'`,
    );
    expect(rows).toEqual([
      { account: 'B-1', code: result!.fields.pg_payment_id, sum: '2500.00', currency: 'KZT', testing_mode: true },
    ]);
    await waitFor(() => webhooks('/payments', 'B-1').length === 1, 'the payment webhook');
    expect(webhooks('/payments', 'B-1')[0]).toMatchObject({ account: 'B-1', code: result!.fields.pg_payment_id, sum: 2500 });
    expect(consoleErrors).toEqual([]);
  });

  it('a declined payment comes back to fail_url and reaches the merchant as a failure event', async () => {
    await page.goto(
      link({ account: 'B-2', sum: '99.90', success_url: `${merchant.url}/thanks`, fail_url: `${merchant.url}/sorry?order=B-2` }),
    );
    await page.locator('#decline').click();
    await page.waitForURL(`${merchant.url}/sorry?order=B-2`);
    expect(callsFor('B-2').map((call) => [call.script, call.answer.pg_status, call.signedRight])).toEqual([
      ['check', 'ok', true],
      ['result', 'ok', true],
    ]);
    await waitFor(() => webhooks('/events', 'B-2').length === 1, 'the failure event');
    expect(webhooks('/events', 'B-2')[0]).toMatchObject({ type: 'failure', sum: 99.9, fields: { pg_result: '0' } });
    const rows = await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('paybox_transaction')} WHERE account = 'B-2'`);
    expect(rows).toEqual([]);
  });

  it('an account the merchant does not know is declined at FreedomPay by the check', async () => {
    await page.goto(link({ account: 'closed', sum: '10' }));
    await expect.poll(() => page.locator('#error').textContent()).toBe('Магазин отказал: account not found');
    expect(callsFor('closed')).toMatchObject([{ script: 'check', answer: { pg_status: 'rejected' }, signedRight: true }]);
  });

  it('a link changed on its way to FreedomPay (another sum) is refused there: the signature covers it', async () => {
    const redirect = await fetch(link({ account: 'B-3', sum: '500' }), { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const tampered = new URL(redirect.headers.get('location')!);
    tampered.searchParams.set('pg_amount', '1.00');
    await page.goto(tampered.href);
    await expect.poll(() => page.locator('#error').textContent()).toBe('Неверная подпись запроса');
    expect(callsFor('B-3')).toEqual([]);
  });

  it('a wrong link gets payrelay’s page saying what is wrong, and FreedomPay never sees it', async () => {
    const before = freedomPay.calls.length;
    await page.goto(link({ account: 'B-4', sum: '12.345', success_url: 'https://evil.example/' }));
    expect(await page.locator('h1').textContent()).toBe('Ссылка на оплату неверна');
    const problems = await page.locator('.problems li').allTextContents();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^sum: /);
    expect(problems[1]).toMatch(/^success_url: переход на этот сайт не разрешён/);
    expect(page.url()).toContain('/payrelay/_paybox_/pay?');
    expect(freedomPay.calls.length).toBe(before);
  });
});
