/**
 * The account check against a stand-in merchant backend, the refusals the intake makes for us
 * (credentials, addresses, methods, bodies) in the protocol's own answer, and the instance's own
 * variables: KASSA24_ENCODING and KASSA24_CANCELS.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Receiver, startReceiver } from '../../../test/helpers/receiver.js';

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const xml = (inner: string) => `${DECLARATION}<response>${inner}</response>`;
const AUTHORIZATION = `Basic ${Buffer.from('terminal:s3cret pass').toString('base64')}`;

let backend: Receiver;
let gateway: TestGateway;
beforeAll(async () => {
  backend = await startReceiver();
  gateway = await startTestGateway({
    PROVIDERS: 'kassa24',
    KASSA24_CHECK_URL: `${backend.url}/accounts/check`,
    KASSA24_CHECK_TIMEOUT_MS: '300',
    HTTP_AUTH_USERNAME: 'terminal',
    HTTP_AUTH_PASSWORD: 's3cret pass',
    HTTP_BODY_LIMIT_BYTES: '1024',
  });
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});
afterEach(() => {
  backend.received.length = 0;
  backend.respondWith(() => ({ status: 200 }));
});

const get = (query: string, headers: Record<string, string> = { authorization: AUTHORIZATION }) =>
  gateway.app.inject({ url: `/_kassa24_/payment?${query}`, headers });
const count = async (table: string) =>
  Number((await gateway.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${gateway.db.table(table)}`))[0]!.n);

describe('the check', () => {
  it('asks the backend with the number exactly as typed, and nothing else of the request', async () => {
    const response = await get('action=check&number=%2000+7%26x&receipt=5&amount=10.00');
    expect(response.body).toBe(xml('<code>0</code><message>OK</message>'));
    expect(backend.received).toHaveLength(1);
    const asked = new URL(backend.received[0]!.url, backend.url);
    expect(backend.received[0]!.method).toBe('GET');
    expect(asked.pathname).toBe('/accounts/check');
    expect([...asked.searchParams]).toEqual([['account', ' 00 7&x']]);
  });

  it.each([400, 403, 404, 410, 422])('a backend answering %i: subscriber not found, HTTP 200', async (status) => {
    backend.respondWith(() => ({ status }));
    const response = await get('action=check&number=1');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(xml('<code>2</code><message>Subscriber not found</message>'));
  });

  it.each([500, 502, 503, 302, 204])('a backend answering %i: temporary error with HTTP 503', async (status) => {
    const headers: Record<string, string> = status === 302 ? { location: '/elsewhere' } : {};
    backend.respondWith(() => ({ status, headers }));
    const response = await get('action=check&number=1');
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toBe(xml('<code>8</code><message>Temporary error, retry</message>'));
  });

  it('a backend that does not answer in time: temporary error with HTTP 503', async () => {
    backend.respondWith(() => 'hang');
    const response = await get('action=check&number=1');
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe(xml('<code>8</code><message>Temporary error, retry</message>'));
  });

  it('an unreachable backend: temporary error with HTTP 503; without a check URL every number passes', async () => {
    const down = await startTestGateway({ PROVIDERS: 'kassa24', KASSA24_CHECK_URL: 'http://127.0.0.1:1/check' });
    const open = await startTestGateway({ PROVIDERS: 'kassa24' });
    try {
      const refused = await down.app.inject('/_kassa24_/payment?action=check&number=1');
      expect([refused.statusCode, refused.body]).toEqual([503, xml('<code>8</code><message>Temporary error, retry</message>')]);
      const passed = await open.app.inject('/_kassa24_/payment?action=check&number=1');
      expect([passed.statusCode, passed.body]).toEqual([200, xml('<code>0</code><message>OK</message>')]);
    } finally {
      await Promise.all([down.close(), open.close()]);
    }
  });

  it('a payment, status or cancel never asks the backend', async () => {
    backend.respondWith(() => ({ status: 404 }));
    expect((await get('action=payment&number=1&amount=5.00&receipt=77')).body).toContain('<code>0</code>');
    expect((await get('action=status&receipt=77')).body).toContain('<code>0</code>');
    expect((await get('action=cancel&receipt=77')).body).toContain('<code>0</code>');
    expect(backend.received).toHaveLength(0);
  });
});

describe('refusals before the protocol', () => {
  it.each([
    ['no credentials', undefined],
    ['a wrong password', `Basic ${Buffer.from('terminal:wrong').toString('base64')}`],
    ['a prefix of the password', `Basic ${Buffer.from('terminal:s3cret').toString('base64')}`],
    ['another scheme', 'Bearer abc'],
  ])('%s: HTTP 401, code 10, nothing recorded, the request logged', async (_name, authorization) => {
    const [payments, logged] = [await count('kassa24_transaction'), await count('kassa24_http_log')];
    const response = await get('action=payment&number=1&amount=1.00&receipt=901', authorization ? { authorization } : {});
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="payrelay"/);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toBe(xml('<code>10</code><message>Unauthorized</message>'));
    expect(await count('kassa24_transaction')).toBe(payments);
    expect(await count('kassa24_http_log')).toBe(logged + 1);
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const)(
    '%s: HTTP 405 with Allow, code 10, nothing recorded',
    async (method) => {
      const payments = await count('kassa24_transaction');
      const response = await gateway.app.inject({
        method,
        url: '/_kassa24_/payment?action=payment&number=1&amount=1.00&receipt=902',
        headers: { authorization: AUTHORIZATION },
      });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, POST');
      expect(response.body).toBe(xml('<code>10</code><message>Method not allowed, use GET or POST</message>'));
      expect(await count('kassa24_transaction')).toBe(payments);
    },
  );

  it('HEAD: HTTP 405, never a payment', async () => {
    const payments = await count('kassa24_transaction');
    const response = await gateway.app.inject({
      method: 'HEAD',
      url: '/_kassa24_/payment?action=payment&number=1&amount=1.00&receipt=903',
      headers: { authorization: AUTHORIZATION },
    });
    expect(response.statusCode).toBe(405);
    expect(await count('kassa24_transaction')).toBe(payments);
  });

  it('a body over the limit: final code 10 with HTTP 200, nothing recorded', async () => {
    const payments = await count('kassa24_transaction');
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/_kassa24_/payment',
      headers: { authorization: AUTHORIZATION, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `action=payment&number=1&amount=1.00&receipt=904&additional=${'x'.repeat(1100)}`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(xml('<code>10</code><message>Malformed request</message>'));
    expect(await count('kassa24_transaction')).toBe(payments);
  });

  it('an address outside KASSA24_ALLOWED_IPS: HTTP 403, code 10, nothing recorded; a listed one is let in', async () => {
    // An address one integration lists for the network, and a network of another.
    const listed = await startTestGateway({ PROVIDERS: 'kassa24', KASSA24_ALLOWED_IPS: '88.204.242.62, 2.135.241.0/24' });
    try {
      const from = (remoteAddress: string, receipt: string) =>
        listed.app.inject({ url: `/_kassa24_/payment?action=payment&number=1&amount=1.00&receipt=${receipt}`, remoteAddress });
      const refused = await from('8.8.8.8', '1');
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toBe(xml('<code>10</code><message>Address not allowed</message>'));
      expect((await from('88.204.242.62', '2')).body).toContain('<code>0</code>');
      expect((await from('::ffff:2.135.241.202', '3')).body).toContain('<code>0</code>');
      const codes = await listed.db.query(`SELECT code FROM ${listed.db.table('kassa24_transaction')} ORDER BY code`);
      expect(codes).toEqual([{ code: '2' }, { code: '3' }]);
    } finally {
      await listed.close();
    }
  });

  it('a path it does not have: 404', async () => {
    const response = await gateway.app.inject({
      url: '/_kassa24_/pay?action=check&number=1',
      headers: { authorization: AUTHORIZATION },
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('KASSA24_ENCODING', () => {
  it('Windows1251 reads the escaped bytes in it and declares it, in answers and refusals alike', async () => {
    const cp1251 = await startTestGateway({
      PROVIDERS: 'kassa24',
      KASSA24_ENCODING: 'Windows1251',
      KASSA24_HTTP_AUTH_USERNAME: 'k',
      KASSA24_HTTP_AUTH_PASSWORD: 'p',
    });
    try {
      const authorization = `Basic ${Buffer.from('k:p').toString('base64')}`;
      const declared = '<?xml version="1.0" encoding="windows-1251"?>';
      const answer = await cp1251.app.inject({
        url: '/_kassa24_/payment?action=payment&number=%C8%E2%E0%ED&amount=1.00&receipt=80',
        headers: { authorization },
      });
      expect(answer.headers['content-type']).toBe('text/xml; charset=windows-1251');
      expect(answer.body).toMatch(new RegExp(`^${declared.replace(/[?.]/g, '\\$&')}<response><code>0</code>`));
      await cp1251.app.inject({
        method: 'POST',
        url: '/_kassa24_/payment',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'action=payment&number=%CF%E5%F2%F0&amount=1.00&receipt=81',
      });
      const rows = await cp1251.db.query(`SELECT account FROM ${cp1251.db.table('kassa24_transaction')} ORDER BY code`);
      expect(rows).toEqual([{ account: 'Иван' }, { account: 'Петр' }]);

      const refused = await cp1251.app.inject('/_kassa24_/payment?action=check&number=1');
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['content-type']).toBe('text/xml; charset=windows-1251');
      expect(refused.body).toBe(`${declared}<response><code>10</code><message>Unauthorized</message></response>`);
    } finally {
      await cp1251.close();
    }
  });

  it('a charset in the Content-Type wins over the setting', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/_kassa24_/payment',
      headers: { authorization: AUTHORIZATION, 'content-type': 'application/x-www-form-urlencoded; charset=windows-1251' },
      payload: 'action=payment&number=%C8%E2%E0%ED&amount=1.00&receipt=82',
    });
    expect(response.body).toContain('<code>0</code>');
    const [row] = await gateway.db.query(`SELECT account FROM ${gateway.db.table('kassa24_transaction')} WHERE code = '82'`);
    expect(row).toEqual({ account: 'Иван' });
  });

  it('refuses an unknown encoding at start-up, naming the variable', async () => {
    await expect(startTestGateway({ PROVIDERS: 'kassa24', KASSA24_ENCODING: 'koi8-r' })).rejects.toThrow(/KASSA24_ENCODING/);
  });
});

describe('KASSA24_CANCELS', () => {
  it('false: a cancel is impossible (code 9) and changes nothing; an unknown receipt is still not found', async () => {
    const events = await startReceiver();
    const strict = await startTestGateway({
      PROVIDERS: 'kassa24',
      KASSA24_CANCELS: 'false',
      KASSA24_EVENTS_WEBHOOK_URL: `${events.url}/events`,
    });
    try {
      const inject = (query: string) => strict.app.inject(`/_kassa24_/payment?${query}`);
      expect((await inject('action=payment&number=1&amount=1.00&receipt=90')).body).toContain('<code>0</code>');
      const refused = await inject('action=cancel&receipt=90&mes=1');
      expect(refused.statusCode).toBe(200);
      expect(refused.body).toBe(xml('<code>9</code><message>Cancel impossible</message>'));
      expect((await inject('action=cancel&receipt=91')).body).toBe(xml('<code>6</code><message>Payment not found</message>'));
      expect((await inject('action=status&receipt=90')).body).toMatch(/<code>0<\/code><message>OK<\/message><date>/);
      const [row] = await strict.db.query(`SELECT cancelled_at FROM ${strict.db.table('kassa24_transaction')}`);
      expect(row).toEqual({ cancelled_at: null });
      expect(await strict.db.query(`SELECT 1 FROM ${strict.db.table('kassa24_event')}`)).toEqual([]);
    } finally {
      await strict.close();
      await events.close();
    }
  });

  it('refuses a value that is not true or false at start-up, naming the variable', async () => {
    await expect(startTestGateway({ PROVIDERS: 'kassa24', KASSA24_CANCELS: 'never' })).rejects.toThrow(/KASSA24_CANCELS/);
  });
});
