/**
 * The card page as the gateway serves it: the parameters it accepts, every refusal, the headers
 * and the escaping of every value. What the page then does in a browser is card-page.browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';

const gateways: TestGateway[] = [];
async function gatewayWith(env: Record<string, string>): Promise<TestGateway> {
  const gateway = await startTestGateway(env);
  gateways.push(gateway);
  return gateway;
}
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

/** Set up as a merchant would: its shop's hosts listed, basic auth on the notifications. */
let merchant: TestGateway;
let limited: TestGateway;
/** CLOUDPAYMENTS_REDIRECT_HOSTS left unset: no redirect target is allowed. */
let noHosts: TestGateway;
let unconfigured: TestGateway;
beforeAll(async () => {
  [merchant, limited, noHosts, unconfigured] = await Promise.all([
    gatewayWith({
      CLOUDPAYMENTS_PUBLIC_ID: 'pk_test_1',
      CLOUDPAYMENTS_REDIRECT_HOSTS: 'shop.example, shop.example.com',
      HTTP_AUTH_USERNAME: 'cabinet',
      HTTP_AUTH_PASSWORD: 'secret',
    }),
    gatewayWith({
      CLOUDPAYMENTS_PUBLIC_ID: 'pk_test_1',
      CLOUDPAYMENTS_REDIRECT_HOSTS: 'shop.example, Магазин.рф, pay.example:8443',
    }),
    gatewayWith({ CLOUDPAYMENTS_PUBLIC_ID: 'pk_test_1' }),
    gatewayWith({}),
  ]);
});

const valid = { account: '4957835959', sum: '10.5', description: 'Интернет за май', currency: 'rub' };

function cardUrl(params: Record<string, string>, path = '/pub/card'): string {
  return `${path}?${new URLSearchParams(params)}`;
}
const get = (gateway: TestGateway, url: string) => gateway.app.inject({ method: 'GET', url });

/** The JSON the page hands to its script, read back the way the browser does. */
function pageConfig(html: string) {
  const match = /<script type="application\/json" id="card-config">([^<]*)<\/script>/.exec(html);
  expect(match, 'the page has its JSON block').not.toBeNull();
  return JSON.parse(match![1]!) as {
    widget: { publicId: string; description: string; amount: number; currency: string; accountId: string };
    successUrl: string | null;
    failUrl: string | null;
  };
}

describe('a valid link', () => {
  it.each(['/pub/card', '/_cloudpayments_/pub/card'])('renders the widget page at %s', async (path) => {
    const response = await get(merchant, cardUrl(valid, path));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<script src="https://widget.cloudpayments.ru/bundles/cloudpayments.js"></script>');
    expect(response.body).toContain('10.50 RUB');
    expect(response.body).toContain('Интернет за май');
    expect(pageConfig(response.body)).toEqual({
      widget: { publicId: 'pk_test_1', description: 'Интернет за май', amount: 10.5, currency: 'RUB', accountId: '4957835959' },
      successUrl: null,
      failUrl: null,
    });
  });

  it('reads a link as a merchant builds it: "+" for spaces, lowercase %xx escapes (the docs example)', async () => {
    const query =
      'account=4957835959&sum=1500.50&currency=RUB&description=%d0%98%d0%bd%d1%82%d0%b5%d1%80%d0%bd%d0%b5%d1%82+%d0%b7%d0%b0+%d0%bc%d0%b0%d0%b9' +
      '&success_url=https%3a%2f%2fshop.example.com%2fpaid%3forder%3d42&fail_url=https%3A%2F%2Fshop.example.com%2Fnot-paid%3Forder%3D42';
    const response = await get(merchant, `/pub/card?${query}`);
    expect(response.statusCode).toBe(200);
    expect(pageConfig(response.body)).toEqual({
      widget: { publicId: 'pk_test_1', description: 'Интернет за май', amount: 1500.5, currency: 'RUB', accountId: '4957835959' },
      successUrl: 'https://shop.example.com/paid?order=42',
      failUrl: 'https://shop.example.com/not-paid?order=42',
    });
  });

  it('reads a "?" inside a value as data, so the parameters after it still count', async () => {
    // A merchant's unencoded success_url: only the first "?" starts the query.
    const query = 'account=4957835959&success_url=https://shop.example/paid?order=42&sum=10.5&currency=RUB&description=x';
    const response = await get(merchant, `/pub/card?${query}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('10.50 RUB');
    expect(pageConfig(response.body).successUrl).toBe('https://shop.example/paid?order=42');
  });

  it('passes the redirect targets as the normalized URLs it checked', async () => {
    const response = await get(
      merchant,
      cardUrl({ ...valid, success_url: 'https://shop.example/ok?order=1&x=ü', fail_url: 'HTTP://Shop.Example:8080/fail' }),
    );
    expect(response.statusCode).toBe(200);
    expect(pageConfig(response.body)).toMatchObject({
      successUrl: 'https://shop.example/ok?order=1&x=%C3%BC',
      failUrl: 'http://shop.example:8080/fail',
    });
  });

  it('is not cached, leaks no query in the referrer and allows scripts only by nonce or from CloudPayments', async () => {
    const response = await get(merchant, cardUrl(valid));
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['referrer-policy']).toBe('strict-origin');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const policy = String(response.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)' https:\/\/\*\.cloudpayments\.ru;/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(policy).toContain('frame-src https://*.cloudpayments.ru;');
    const scriptSources = policy.split('; ').find((directive) => directive.startsWith('script-src '));
    expect(scriptSources).not.toMatch(/unsafe|\*;|https:(?!\/\/)/);
    expect(response.body).toContain(`<script nonce="${nonce}">`);
    const again = await get(merchant, cardUrl(valid));
    expect(String(again.headers['content-security-policy'])).not.toContain(nonce);
  });
});

describe('framing', () => {
  it('forbids every site to show the page, or a refusal, in a frame, for new browsers and old', async () => {
    const [page, refused] = await Promise.all([get(merchant, cardUrl(valid)), get(merchant, cardUrl({ ...valid, sum: 'x' }))]);
    expect([page.statusCode, refused.statusCode]).toEqual([200, 400]);
    for (const response of [page, refused]) {
      const directives = String(response.headers['content-security-policy']).split('; ');
      expect(directives).toContain("frame-ancestors 'none'");
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
  });
});

describe('around the page', () => {
  it('needs no basic auth, although the notifications next to it do', async () => {
    expect((await get(merchant, cardUrl(valid))).statusCode).toBe(200);
    expect((await get(merchant, '/pay')).statusCode).toBe(401);
  });

  it('leaves a row in cloudpayments_http_log, refused requests included', async () => {
    const table = merchant.db.table('cloudpayments_http_log');
    await merchant.db.query(`DELETE FROM ${table}`);
    await get(merchant, cardUrl(valid));
    await get(merchant, cardUrl({ ...valid, sum: 'x' }, '/_cloudpayments_/pub/card'));
    const rows = await merchant.db.query<{ url: string; method: string }>(`SELECT url, method FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { url: cardUrl(valid), method: 'GET' },
      { url: cardUrl({ ...valid, sum: 'x' }, '/_cloudpayments_/pub/card'), method: 'GET' },
    ]);
  });

  it('still opens for the customer while the request log is unavailable', async () => {
    const table = merchant.db.table('cloudpayments_http_log');
    await merchant.db.query(`ALTER TABLE ${table} RENAME TO cloudpayments_http_log_away`);
    try {
      const response = await get(merchant, cardUrl(valid));
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('widget.cloudpayments.ru/bundles/cloudpayments.js');
      // An authenticated notification next to it is refused instead: it must not go unrecorded.
      const notification = await merchant.app.inject({
        method: 'POST',
        url: '/pay',
        headers: {
          authorization: `Basic ${Buffer.from('cabinet:secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'TransactionId=1&Amount=1.00&AccountId=2',
      });
      expect([notification.statusCode, notification.body]).toEqual([200, '{"code":13}']);
    } finally {
      await merchant.db.query(`ALTER TABLE ${merchant.db.table('cloudpayments_http_log_away')} RENAME TO cloudpayments_http_log`);
    }
  });
});

/** A refusal is a page saying what is wrong, never a redirect: its body, once that is checked. */
async function refusal(gateway: TestGateway, params: Record<string, string>): Promise<string> {
  const response = await get(gateway, cardUrl(params));
  expect(response.statusCode).toBe(400);
  expect(response.headers.location).toBeUndefined();
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['content-security-policy']).toContain("default-src 'none'");
  expect(response.body).toContain('Ссылка на оплату неверна');
  expect(response.body).not.toContain('<script');
  return response.body;
}

describe('refusals', () => {
  it.each(['account', 'sum', 'description', 'currency'])('names a missing %s', async (name) => {
    const { [name as keyof typeof valid]: _dropped, ...rest } = valid;
    expect(await refusal(merchant, rest)).toContain(`<li>${name}: не указан</li>`);
  });

  it('counts a blank value as missing and lists every problem at once', async () => {
    const body = await refusal(merchant, { account: '  ', sum: '', description: 'x', currency: 'RUB' });
    expect(body).toContain('<li>account: не указан</li>');
    expect(body).toContain('<li>sum: не указан</li>');
  });

  it.each([
    ['abc', 'сумма должна быть числом'],
    ['-10', 'сумма должна быть числом'],
    ['10.555', 'сумма должна быть числом'],
    ['1e3', 'сумма должна быть числом'],
    ['10,50', 'сумма должна быть числом'],
    ['0.00', 'сумма должна быть больше нуля'],
    ['1234567890123', 'сумма слишком велика'],
  ])('refuses sum=%s', async (sum, words) => {
    expect(await refusal(merchant, { ...valid, sum })).toContain(`sum: ${words}`);
  });

  it.each(['RU', 'RUBL', 'R1B', '643'])('refuses currency=%s', async (currency) => {
    expect(await refusal(merchant, { ...valid, currency })).toContain('currency: нужен трёхбуквенный код');
  });

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '/relative/path',
    '//evil.example/',
    'evil.example',
    'https:evil.example',
    'https:\\\\evil.example',
    'ftp://shop.example/',
  ])('refuses the redirect target %s', async (target) => {
    const body = await refusal(merchant, { ...valid, success_url: target, fail_url: target });
    expect(body).toContain('success_url: нужен полный адрес');
    expect(body).toContain('fail_url: нужен полный адрес');
  });

  it('refuses credentials in a redirect target', async () => {
    expect(await refusal(merchant, { ...valid, success_url: 'https://shop.example@evil.example/' })).toContain(
      'success_url: адрес не должен содержать имя пользователя или пароль',
    );
  });

  it('refuses a parameter given twice', async () => {
    const response = await get(merchant, `${cardUrl(valid)}&success_url=https://a.example/&success_url=https://b.example/`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('success_url: указан несколько раз');
  });

  it('says so when CLOUDPAYMENTS_PUBLIC_ID is not configured', async () => {
    expect(await refusal(unconfigured, valid)).toContain('не задан CLOUDPAYMENTS_PUBLIC_ID');
    const both = await refusal(unconfigured, { ...valid, sum: 'x' });
    expect(both).toContain('CLOUDPAYMENTS_PUBLIC_ID');
    expect(both).toContain('sum: ');
  });

  it('never echoes the refused value', async () => {
    const body = await refusal(merchant, { ...valid, sum: '<b>marker-sum</b>', success_url: 'javascript:alert(1)' });
    expect(body).not.toContain('marker-sum');
    expect(body).not.toContain('alert');
  });
});

describe('CLOUDPAYMENTS_REDIRECT_HOSTS', () => {
  it.each([
    'https://shop.example/ok',
    'http://SHOP.example:8080/ok',
    'https://xn--80aairftm.xn--p1ai/ok', // Магазин.рф, as the browser spells it
    'https://магазин.рф/ok',
    'https://pay.example:8443/ok',
  ])('allows %s', async (target) => {
    const response = await get(limited, cardUrl({ ...valid, success_url: target, fail_url: target }));
    expect(response.statusCode).toBe(200);
  });

  it.each([
    'https://evil.example/',
    'https://shop.example.evil.example/',
    'https://evil.example/?next=shop.example',
    'https://evil.example\\@shop.example/', // the URL parser, like the browser, reads host evil.example
    'https://pay.example/',
    'https://pay.example:9443/',
  ])('refuses %s', async (target) => {
    const response = await get(limited, cardUrl({ ...valid, fail_url: target }));
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('fail_url: переход на этот сайт не разрешён');
  });

  describe('left unset', () => {
    it.each(['https://shop.example/ok', 'https://evil.example/', 'http://127.0.0.1/ok'])(
      'refuses %s with a page naming the variable',
      async (target) => {
        const body = await refusal(noHosts, { ...valid, success_url: target, fail_url: target });
        for (const name of ['success_url', 'fail_url']) {
          expect(body).toContain(
            `<li>${name}: переход на этот сайт не разрешён (на сервере не задан CLOUDPAYMENTS_REDIRECT_HOSTS)</li>`,
          );
        }
      },
    );

    it('still opens a link without redirect targets', async () => {
      const response = await get(noHosts, cardUrl(valid));
      expect(response.statusCode).toBe(200);
      expect(pageConfig(response.body)).toMatchObject({ successUrl: null, failUrl: null });
    });
  });
});

describe('escaping', () => {
  const hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)>"\'&amp;\u2028\u2029<!--';

  it('keeps hostile values inert in the markup and exact in the widget parameters', async () => {
    const response = await get(merchant, cardUrl({ ...valid, account: hostile, description: hostile }));
    expect(response.statusCode).toBe(200);
    const html = response.body;
    // Exactly our three script elements: the JSON block, the widget and the nonce'd script.
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(1)</script><script>');
    expect(html).toContain(
      '&#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=alert(2)&#62;&#34;&#39;&#38;amp;',
    );
    const json = /id="card-config">([^<]*)<\/script>/.exec(html)![1]!;
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(pageConfig(html).widget).toMatchObject({ accountId: hostile, description: hostile });
  });

  it('keeps a quote in a redirect URL from leaving its string', async () => {
    const target = 'https://shop.example/ok?q="</script><script>alert(1)</script>';
    const response = await get(merchant, cardUrl({ ...valid, success_url: target }));
    expect(response.statusCode).toBe(200);
    expect(response.body.match(/<script/g)).toHaveLength(3);
    expect(pageConfig(response.body).successUrl).toBe(new URL(target).href);
  });
});
