/**
 * The payment link, /_paybox_/pay: a redirect to FreedomPay's payment page with the payment's
 * fields signed for payment.php (checked here by an independent computation), or, for any link
 * that is wrong and an instance that cannot sign, a page saying so: never a redirect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { flat, phpSignature } from './fixtures/php.js';

const SECRET = 'page-secret-key';
const CONFIGURED = {
  PROVIDERS: 'paybox,kz:paybox',
  PAYBOX_MERCHANT_ID: '552233',
  PAYBOX_SECRET_KEY: SECRET,
  PAYBOX_PUBLIC_URL: 'https://pay.example.kz/gateway/',
  PAYBOX_REDIRECT_HOSTS: 'shop.example.kz, Магазин.рф, pay.example.kz:8443',
  KZ_MERCHANT_ID: '1',
  KZ_SECRET_KEY: 'kz-key',
  KZ_PUBLIC_URL: 'https://kz.example',
  KZ_API_URL: 'https://api.freedompay.uz/v1/',
  KZ_TESTING_MODE: 'true',
};

let merchant: TestGateway;
let unconfigured: TestGateway;
beforeAll(async () => {
  [merchant, unconfigured] = await Promise.all([startTestGateway(CONFIGURED), startTestGateway({ PROVIDERS: 'paybox' })]);
});
afterAll(async () => {
  await Promise.all([merchant?.close(), unconfigured?.close()]);
});

const valid = { account: '4957835959', sum: '1500.5', description: 'Интернет «Домашний», май', currency: 'kzt' };
const link = (params: Record<string, string>, path = '/_paybox_/pay') => `${path}?${new URLSearchParams(params)}`;
const get = (gateway: TestGateway, url: string) => gateway.app.inject({ method: 'GET', url });

/** Where the redirect goes, and its fields, after checking the signature independently. */
async function redirect(gateway: TestGateway, url: string, secret = SECRET) {
  const response = await get(gateway, url);
  expect(response.statusCode).toBe(302);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  const location = new URL(String(response.headers.location));
  const fields = [...location.searchParams];
  const { pg_sig: signature, ...unsigned } = Object.fromEntries(fields);
  expect(fields.filter(([name]) => name === 'pg_sig')).toHaveLength(1);
  expect(signature).toBe(phpSignature('payment.php', flat(unsigned), secret));
  return { target: `${location.origin}${location.pathname}`, fields: unsigned };
}

describe('a valid link', () => {
  it('redirects to FreedomPay’s payment.php with every field, signed', async () => {
    const success = 'https://shop.example.kz/thanks?order=42';
    const { target, fields } = await redirect(
      merchant,
      link({ ...valid, success_url: success, fail_url: 'https://xn--80aairftm.xn--p1ai/fail' }),
    );
    expect(target).toBe('https://api.freedompay.kz/payment.php');
    expect(fields).toEqual({
      pg_merchant_id: '552233',
      pg_order_id: '4957835959',
      pg_amount: '1500.50',
      pg_currency: 'KZT',
      pg_description: 'Интернет «Домашний», май',
      pg_salt: expect.stringMatching(/^[A-Za-z][A-Za-z0-9]{15}$/),
      pg_check_url: 'https://pay.example.kz/gateway/_paybox_/check',
      pg_result_url: 'https://pay.example.kz/gateway/_paybox_/result',
      pg_refund_url: 'https://pay.example.kz/gateway/_paybox_/refund',
      pg_request_method: 'POST',
      pg_success_url: success,
      pg_failure_url: 'https://xn--80aairftm.xn--p1ai/fail',
      pg_testing_mode: '0',
    });
  });

  it('a fresh salt each time', async () => {
    const [a, b] = await Promise.all([redirect(merchant, link(valid)), redirect(merchant, link(valid))]);
    expect(a.fields.pg_salt).not.toBe(b.fields.pg_salt);
  });

  it('without description, currency and redirect targets: KZT, a description of ours, none', async () => {
    const { fields } = await redirect(merchant, link({ account: 'A 1', sum: '10' }));
    expect(fields).toMatchObject({
      pg_order_id: 'A 1',
      pg_amount: '10.00',
      pg_currency: 'KZT',
      pg_description: 'Оплата, лицевой счёт A 1',
    });
    expect(fields.pg_success_url).toBeUndefined();
    expect(fields.pg_failure_url).toBeUndefined();
  });

  it('another instance: its own merchant, key, API, test mode and URLs under its own name', async () => {
    const { target, fields } = await redirect(merchant, link(valid, '/_kz_/pay'), 'kz-key');
    expect(target).toBe('https://api.freedompay.uz/v1/payment.php');
    expect(fields).toMatchObject({ pg_merchant_id: '1', pg_testing_mode: '1', pg_result_url: 'https://kz.example/_kz_/result' });
  });

  it('is served under the instance’s prefix only, and only by GET', async () => {
    expect((await get(merchant, link(valid, '/pay'))).statusCode).toBe(404);
    expect((await merchant.app.inject({ method: 'POST', url: link(valid) })).statusCode).toBe(404);
  });

  it('leaves a row in the request log, refusals included, and still redirects while the log is unavailable', async () => {
    const table = merchant.db.table('paybox_http_log');
    await merchant.db.query(`DELETE FROM ${table}`);
    await get(merchant, link(valid));
    await get(merchant, link({ ...valid, sum: 'x' }));
    expect(await merchant.db.query(`SELECT url, method FROM ${table} ORDER BY id`)).toEqual([
      { url: link(valid), method: 'GET' },
      { url: link({ ...valid, sum: 'x' }), method: 'GET' },
    ]);
    await merchant.db.query(`ALTER TABLE ${table} RENAME TO paybox_http_log_away`);
    try {
      expect((await get(merchant, link(valid))).statusCode).toBe(302);
    } finally {
      await merchant.db.query(`ALTER TABLE ${merchant.db.table('paybox_http_log_away')} RENAME TO paybox_http_log`);
    }
  });
});

/** A refusal is a page saying what is wrong, never a redirect: its body, once that is checked. */
async function refusal(gateway: TestGateway, params: Record<string, string> | string): Promise<string> {
  const response = await get(gateway, typeof params === 'string' ? params : link(params));
  expect(response.statusCode).toBe(400);
  expect(response.headers.location).toBeUndefined();
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.headers['content-security-policy']).toContain("default-src 'none'");
  expect(response.body).toContain('Ссылка на оплату неверна');
  return response.body;
}

describe('refusals', () => {
  it.each(['account', 'sum'])('names a missing %s', async (name) => {
    const { [name as 'account']: _dropped, ...rest } = valid;
    expect(await refusal(merchant, rest)).toContain(`<li>${name}: не указан</li>`);
  });

  it.each(['abc', '-5', '0', '1.005', '1e3', '1,50'])('refuses sum=%s', async (sum) => {
    expect(await refusal(merchant, { ...valid, sum })).toContain('<li>sum: ');
  });

  it.each(['KZ', 'тенге', '398'])('refuses currency=%s', async (currency) => {
    expect(await refusal(merchant, { ...valid, currency })).toContain('<li>currency: ');
  });

  it('refuses an account or description with control characters or too long', async () => {
    expect(await refusal(merchant, { ...valid, account: 'a\u0007b' })).toContain('<li>account: ');
    expect(await refusal(merchant, { ...valid, account: 'x'.repeat(201) })).toContain('<li>account: ');
    expect(await refusal(merchant, { ...valid, description: 'x'.repeat(1001) })).toContain('<li>description: ');
  });

  it('refuses a parameter given twice', async () => {
    expect(await refusal(merchant, `${link(valid)}&account=other`)).toContain('account: указан несколько раз');
  });

  it.each([
    ['a host not listed', 'https://evil.example/x'],
    ['a host listed with another port', 'https://pay.example.kz:9999/x'],
    ['a host listed only with a port', 'https://pay.example.kz/x'],
    ['credentials', 'https://user:pass@shop.example.kz/x'],
    ['no scheme', 'shop.example.kz/x'],
    ['javascript:', 'javascript:alert(1)'],
    ['a scheme without //', 'https:evil.example'],
  ])('refuses a redirect target with %s', async (_, url) => {
    expect(await refusal(merchant, { ...valid, success_url: url })).toContain('<li>success_url: ');
    expect(await refusal(merchant, { ...valid, fail_url: url })).toContain('<li>fail_url: ');
  });

  it('names every variable an unconfigured instance lacks, and refuses every redirect target', async () => {
    const body = await refusal(unconfigured, { ...valid, success_url: 'https://shop.example.kz/' });
    for (const variable of ['PAYBOX_MERCHANT_ID', 'PAYBOX_SECRET_KEY', 'PAYBOX_PUBLIC_URL', 'PAYBOX_REDIRECT_HOSTS']) {
      expect(body).toContain(variable);
    }
  });

  it('never echoes a refused value as markup', async () => {
    const body = await refusal(merchant, { ...valid, sum: '<script>alert(1)</script>', success_url: '"><img src=x>' });
    expect(body).not.toContain('<script>alert');
    expect(body).not.toContain('<img');
  });
});
