/**
 * The admin API over HTTP (app.inject) on a real database: payments made through the providers'
 * own endpoints, delivered to a receiver on loopback, then read, filtered, paged and redelivered.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_FAILURES, WINDOW_MS } from '../src/http/token-throttle.js';
import { ConfigError, EnvReader, readCoreConfig } from '../src/config/index.js';
import { PAY, REFUND } from '../src/providers/cloudpayments/fixtures/notifications.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { type Received, startReceiver, waitFor, type Receiver } from './helpers/receiver.js';

const TOKEN = 'admin-token-for-tests-0123456789';
// Not the Standard Webhooks test vector's key: start-up refuses that published one.
const SECRET = 'whsec_Yx9W0NDMaXtZWvp9kwI0w0zfEOqKJCGn';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let gateway: TestGateway;
let backend: Receiver;

const qiwiPay = (txnId: string, account: string, sum = '10.45') =>
  gateway.app.inject(`/payment?command=pay&txn_id=${txnId}&account=${encodeURIComponent(account)}&sum=${sum}`);
const get = (url: string) => gateway.app.inject({ method: 'GET', url, headers: AUTH });
const post = (url: string, body?: object) =>
  gateway.app.inject({ method: 'POST', url, headers: AUTH, ...(body === undefined ? {} : { payload: body }) });
const items = async (query: string) => {
  const response = await get(`/admin/api/transactions${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().items as { provider: string; id: string; code: string; account: string; status: number }[];
};
const qiwiId = async (code: string) => (await items(`?provider=qiwi&code=${code}`))[0]!.id;

let beforeAny: string;
let betweenBatches: string;

/** Returns once the clock is past this millisecond: what happened before it is earlier than all that follows. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(now), { interval: 1 });
}

beforeAll(async () => {
  // The backend refuses one account, so that one payment waits with an error.
  backend = await startReceiver((request) =>
    request.body.includes('"broken"') ? { status: 500, body: 'database is on fire' } : { status: 200, body: 'ok' },
  );
  gateway = await startTestGateway({
    ADMIN_TOKEN: TOKEN,
    QIWI_WEBHOOK_URL: `${backend.url}/qiwi`,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_RETRY_MIN_MS: '600000',
  });
  beforeAny = new Date(Date.now() - 1000).toISOString();
  expect((await qiwiPay('1001', 'alice')).statusCode).toBe(200);
  expect((await qiwiPay('1002', 'bob', '99.99')).statusCode).toBe(200);
  // A time after the first two payments (and their requests) and before the third, to the millisecond.
  await nextMillisecond();
  betweenBatches = new Date().toISOString();
  await nextMillisecond();
  expect((await qiwiPay('1003', 'broken')).statusCode).toBe(200);
  // CloudPayments has no webhook URL here: its payment waits at status 0, and it gets a refund.
  expect(
    (
      await gateway.app.inject({
        method: 'POST',
        url: '/pay',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: PAY,
      })
    ).json(),
  ).toEqual({ code: 0 });
  expect(
    (
      await gateway.app.inject({
        method: 'POST',
        url: '/refund',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: REFUND,
      })
    ).json(),
  ).toEqual({ code: 0 });
  await waitFor(() => backend.received.length >= 3, 'three qiwi deliveries');
  await waitFor(async () => (await items('?failing=true')).length === 1, 'the broken payment to be recorded as failing');
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});

describe('access', () => {
  it('does not exist without ADMIN_TOKEN', async () => {
    const plain = await startTestGateway();
    for (const url of ['/admin/api/transactions', '/admin/api/openapi.json', '/admin', '/admin/style.css']) {
      const response = await plain.app.inject({ url, headers: AUTH });
      expect(response.statusCode, url).toBe(404);
    }
  });

  it('refuses a short ADMIN_TOKEN at start-up, naming the variable', () => {
    expect(() => readCoreConfig(new EnvReader({ ADMIN_TOKEN: 'short-token' }))).toThrow(
      new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters'),
    );
    expect(readCoreConfig(new EnvReader({})).adminToken).toBeUndefined();
  });

  it('answers 401 without the right Bearer token', async () => {
    const authorizations = [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, 'Bearer'];
    for (const [index, authorization] of authorizations.entries()) {
      const headers = authorization === undefined ? {} : { authorization };
      // Each from an address of its own: five wrong tokens are within what one address may try.
      const remoteAddress = `192.0.2.${index + 1}`;
      for (const url of [
        '/admin/api/transactions',
        '/admin/api/requests',
        '/admin/api/openapi.json',
        '/admin/api/transactions/qiwi/1',
      ]) {
        const response = await gateway.app.inject({ url, headers, remoteAddress });
        expect(response.statusCode, `${url} ${authorization}`).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(response.json()).toEqual({ error: 'unauthorized' });
      }
      const redeliver = await gateway.app.inject({
        method: 'POST',
        url: '/admin/api/redeliver',
        headers,
        payload: { undelivered: true },
        remoteAddress,
      });
      expect(redeliver.statusCode).toBe(401);
    }
  });

  it(`refuses an address with 429 after ${MAX_FAILURES} wrong tokens, even with the right one; others go on`, async () => {
    const from = (remoteAddress: string, authorization?: string) =>
      gateway.app.inject({ url: '/admin/api/transactions', headers: authorization ? { authorization } : {}, remoteAddress });
    for (let n = 0; n < MAX_FAILURES; n++) expect((await from('198.51.100.7', `Bearer guess-${n}`)).statusCode).toBe(401);
    const blocked = await from('198.51.100.7', `Bearer ${TOKEN}`);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toEqual({ error: 'too_many_wrong_tokens' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(WINDOW_MS / 1000 - 60);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(WINDOW_MS / 1000);
    expect((await from('198.51.100.8', `Bearer ${TOKEN}`)).statusCode).toBe(200);
    // No credential is no guess: an address may ask without one as often as it likes.
    for (let n = 0; n < MAX_FAILURES + 2; n++) expect((await from('198.51.100.9')).statusCode).toBe(401);
    expect((await from('198.51.100.9', `Bearer ${TOKEN}`)).statusCode).toBe(200);
  });
});

describe('GET /admin/api/transactions', () => {
  it('lists every provider newest first, sums as exact decimal strings', async () => {
    const response = await get('/admin/api/transactions');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body.next).toBeNull();
    expect(body.items.map((item: { code: string }) => item.code)).toEqual(['2901358781', '1003', '1002', '1001']);
    const bob = body.items[2];
    expect(bob).toMatchObject({
      provider: 'qiwi',
      account: 'bob',
      code: '1002',
      sum: '99.99',
      status: 1,
      delivery_attempts: 1,
      last_error: null,
    });
    expect(typeof bob.id).toBe('string');
    expect(Date.parse(bob.created_at)).toBeGreaterThan(Date.parse(beforeAny));
    expect(Date.parse(bob.delivered_at)).toBeGreaterThanOrEqual(Date.parse(bob.created_at));
    expect(body.items[0]).toMatchObject({
      provider: 'cloudpayments',
      account: '4957835959',
      sum: '1500.00',
      status: 0,
      delivered_at: null,
      delivery_attempts: 0,
    });
    expect(body.items[1]).toMatchObject({ account: 'broken', status: 0, delivery_attempts: 1, last_error: 'HTTP 500' });
  });

  it('filters by provider, status, account, code, q, failing and time', async () => {
    const codes = async (query: string) => (await items(query)).map((item) => item.code);
    expect(await codes('?provider=cloudpayments')).toEqual(['2901358781']);
    expect(await codes('?provider=qiwi')).toEqual(['1003', '1002', '1001']);
    expect(await codes('?status=1')).toEqual(['1002', '1001']);
    expect(await codes('?status=0')).toEqual(['2901358781', '1003']);
    expect(await codes('?status=0&provider=qiwi')).toEqual(['1003']);
    expect(await codes('?account=alice')).toEqual(['1001']);
    expect(await codes('?account=nobody')).toEqual([]);
    expect(await codes('?code=1002')).toEqual(['1002']);
    expect(await codes('?q=bob')).toEqual(['1002']);
    expect(await codes('?q=2901358781')).toEqual(['2901358781']);
    expect(await codes('?failing=true')).toEqual(['1003']);
    expect(await codes(`?from=${encodeURIComponent(betweenBatches)}`)).toEqual(['2901358781', '1003']);
    expect(await codes(`?to=${encodeURIComponent(betweenBatches)}`)).toEqual(['1002', '1001']);
    expect(await codes(`?from=${encodeURIComponent(beforeAny)}&to=${encodeURIComponent(betweenBatches)}&account=bob`)).toEqual([
      '1002',
    ]);
  });

  it('pages with an opaque cursor that a concurrent insert does not disturb', async () => {
    const first = (await get('/admin/api/transactions?limit=2')).json();
    expect(first.items.map((item: { code: string }) => item.code)).toEqual(['2901358781', '1003']);
    expect(first.next).toEqual(expect.any(String));
    // A payment arriving between two pages lands before the first page, not inside the next one.
    await qiwiPay('1004', 'carol');
    const second = (await get(`/admin/api/transactions?limit=2&cursor=${encodeURIComponent(first.next)}`)).json();
    expect(second.items.map((item: { code: string }) => item.code)).toEqual(['1002', '1001']);
    expect(second.next).toBeNull();
    const fresh = (await get('/admin/api/transactions?limit=1')).json();
    expect(fresh.items[0].code).toBe('1004');
  });

  it('refuses bad parameters with 400 JSON', async () => {
    const cursor = Buffer.from('["2026-01-01","qiwi","1"]').toString('base64url');
    for (const query of [
      '?status=2',
      '?status=delivered',
      '?limit=0',
      '?limit=201',
      '?limit=ten',
      '?from=yesterday',
      '?to=2026-13-45T00:00:00Z',
      '?provider=paypal',
      '?stauts=1',
      '?cursor=not-a-cursor',
      `?cursor=${cursor}`,
      `?account=${'x'.repeat(201)}`,
      '?failing=perhaps',
      '?account=%00',
      '?q=a%00b',
      `?cursor=${Buffer.from('["2026-02-30T10:00:00.000000Z","qiwi","1"]').toString('base64url')}`,
      '?from=2026-06-30T23:59:60Z',
    ]) {
      const response = await get(`/admin/api/transactions${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json(), query).toMatchObject({ error: 'bad request', message: expect.any(String) });
    }
  });
});

describe('GET /admin/api/transactions/{provider}/{id}', () => {
  it('tells a QIWI payment with its attempts and the requests that concern it', async () => {
    await qiwiPay('1002', 'bob', '99.99'); // the network repeats the pay: a request, not a payment
    await gateway.app.inject('/payment?command=pay&txn_id=10020&account=bob&sum=1'); // a longer code that must not match
    const id = await qiwiId('1002');
    const response = await get(`/admin/api/transactions/qiwi/${id}`);
    expect(response.statusCode).toBe(200);
    const story = response.json();
    expect(story).toMatchObject({
      provider: 'qiwi',
      id,
      account: 'bob',
      code: '1002',
      sum: '99.99',
      status: 1,
      events: [],
    });
    expect(story.details).toMatchObject({ ccy: null });
    expect(story.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        url: `${backend.url}/qiwi`,
        response_status: 200,
        response_excerpt: 'ok',
        error: null,
      }),
    ]);
    expect(JSON.parse(story.attempts[0].request_body)).toMatchObject({ id, account: 'bob', code: '1002', sum: 99.99 });
    expect(story.requests.map((request: { url: string }) => request.url)).toEqual([
      '/payment?command=pay&txn_id=1002&account=bob&sum=99.99',
      '/payment?command=pay&txn_id=1002&account=bob&sum=99.99',
    ]);
    expect(story.requests[0]).toMatchObject({ provider: 'qiwi', method: 'GET', ip: '127.0.0.1' });
  });

  it('tells a CloudPayments payment with its later events', async () => {
    const [payment] = await items('?provider=cloudpayments');
    const story = (await get(`/admin/api/transactions/cloudpayments/${payment!.id}`)).json();
    expect(story).toMatchObject({ code: '2901358781', sum: '1500.00', attempts: [] });
    expect(story.details).toMatchObject({ currency: 'RUB', invoice_id: '1842', test_mode: true });
    expect(story.events).toEqual([
      expect.objectContaining({ type: 'Refund', code: '2901360001', sum: '500.00', status: 0, delivery_attempts: 0 }),
    ]);
    // The pay and the refund both name the payment's TransactionId.
    expect(story.requests.map((request: { url: string }) => request.url)).toEqual(['/pay', '/refund']);
  });

  it('answers 404 for none and 400 for a malformed key', async () => {
    expect((await get('/admin/api/transactions/qiwi/999999')).statusCode).toBe(404);
    expect((await get('/admin/api/transactions/qiwi/999999')).json()).toMatchObject({ error: 'not found' });
    expect((await get('/admin/api/transactions/qiwi/9223372036854775808')).statusCode).toBe(404);
    for (const url of [
      '/admin/api/transactions/qiwi/abc',
      '/admin/api/transactions/paypal/1',
      '/admin/api/transactions/qiwi/123456789012345678901',
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toMatchObject({ error: 'bad request' });
    }
  });
});

describe('redelivery', () => {
  it('sends a delivered payment again: 202, a new attempt, the same webhook-id', async () => {
    const id = await qiwiId('1001');
    const before = backend.received.filter((request) => request.body.includes('"1001"'));
    expect(before).toHaveLength(1);
    const response = await post(`/admin/api/transactions/qiwi/${id}/redeliver`);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ provider: 'qiwi', id, queued: true });
    const again = (await waitFor(() => {
      const sent = backend.received.filter((request) => request.body.includes('"1001"'));
      return sent.length === 2 && sent;
    }, 'the redelivery')) as Received[];
    expect(again[1]!.headers['webhook-id']).toBe(again[0]!.headers['webhook-id']);
    expect(again[1]!.headers['webhook-id']).toBe(`qiwi_${id}`);
    expect(again[1]!.body).toBe(again[0]!.body);
    new Webhook(SECRET).verify(again[1]!.body, again[1]!.headers as Record<string, string>);
    const story = await waitFor(async () => {
      const body = (await get(`/admin/api/transactions/qiwi/${id}`)).json();
      return body.status === 1 && body.attempts.length === 2 && body;
    }, 'the second attempt to be recorded');
    expect(story.attempts.map((attempt: { attempt: number }) => attempt.attempt)).toEqual([1, 2]);
    expect(story.delivery_attempts).toBe(2);
  });

  it('refuses what it cannot redeliver', async () => {
    expect((await post('/admin/api/transactions/qiwi/999999/redeliver')).statusCode).toBe(404);
    expect((await post('/admin/api/transactions/qiwi/abc/redeliver')).statusCode).toBe(400);
    const [payment] = await items('?provider=cloudpayments');
    const noUrl = await post(`/admin/api/transactions/cloudpayments/${payment!.id}/redeliver`);
    expect(noUrl.statusCode).toBe(409);
    expect(noUrl.json()).toEqual({ error: 'no webhook URL', message: 'CLOUDPAYMENTS_WEBHOOK_URL is not set' });
  });

  it('redelivers many by filter, and refuses an unbounded or malformed one', async () => {
    const brokenAttempts = () => backend.received.filter((request) => request.body.includes('"broken"')).length;
    expect(brokenAttempts()).toBe(1);
    const pending = async () => (await items('?provider=qiwi&status=0')).map((item) => item.code);
    await waitFor(async () => (await pending()).join() === '1003', 'every other qiwi payment to be delivered');
    const response = await post('/admin/api/redeliver', { provider: 'qiwi', undelivered: true });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ queued: { qiwi: 1 }, total: 1 });
    await waitFor(() => brokenAttempts() === 2, 'the waiting payment to be sent again');

    // CloudPayments has no webhook URL here: named, it is refused; unnamed, it is left out.
    const cloudpayments = await post('/admin/api/redeliver', { provider: 'cloudpayments', undelivered: true });
    expect(cloudpayments.statusCode).toBe(409);
    expect(cloudpayments.json()).toEqual({ error: 'no webhook URL', message: 'CLOUDPAYMENTS_WEBHOOK_URL is not set' });
    const everywhere = await post('/admin/api/redeliver', { undelivered: true });
    expect(everywhere.statusCode).toBe(202);
    expect(everywhere.json()).toEqual({ queued: { qiwi: 1 }, total: 1 });
    await waitFor(() => brokenAttempts() === 3, 'the waiting payment to be sent once more');
    expect((await items('?provider=cloudpayments'))[0]).toMatchObject({ status: 0, delivery_attempts: 0 });

    const delivered = backend.received.length;
    const recent = (await items(`?provider=qiwi&from=${encodeURIComponent(betweenBatches)}`)).length;
    expect(recent).toBeGreaterThanOrEqual(1);
    const since = await post('/admin/api/redeliver', { provider: 'qiwi', since: betweenBatches });
    expect(since.json()).toEqual({ queued: { qiwi: recent }, total: recent });
    await waitFor(() => backend.received.length >= delivered + recent, 'the redeliveries since a time');

    for (const body of [
      {},
      { provider: 'qiwi' },
      { undelivered: false },
      { since: 'yesterday' },
      { provider: 'paypal', undelivered: true },
      { undelivered: 'yes' },
      { undelivered: true, everything: true },
    ]) {
      const refused = await post('/admin/api/redeliver', body);
      expect(refused.statusCode, JSON.stringify(body)).toBe(400);
      expect(refused.json()).toMatchObject({ error: 'bad request' });
    }
    const notJson = await gateway.app.inject({
      method: 'POST',
      url: '/admin/api/redeliver',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"undelivered": tru',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: 'bad request' });
  });
});

describe('GET /admin/api/requests', () => {
  it('lists the request logs newest first, filtered', async () => {
    const urls = async (query: string) => {
      const response = await get(`/admin/api/requests${query}`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json().items.map((item: { provider: string; url: string }) => `${item.provider} ${item.url}`);
    };
    const all = await urls('?limit=200');
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(await urls('?provider=cloudpayments')).toEqual(['cloudpayments /refund', 'cloudpayments /pay']);
    expect(await urls('?provider=qiwi&contains=txn_id%3D1001')).toEqual([
      'qiwi /payment?command=pay&txn_id=1001&account=alice&sum=10.45',
    ]);
    expect(await urls('?contains=2901360001')).toEqual(['cloudpayments /refund']);
    expect(await urls('?method=POST')).toEqual(['cloudpayments /refund', 'cloudpayments /pay']);
    expect(await urls('?ip=127.0.0.1&limit=200')).toEqual(all);
    expect(await urls('?ip=10.0.0.1')).toEqual([]);
    expect(await urls(`?to=${encodeURIComponent(betweenBatches)}`)).toEqual([
      'qiwi /payment?command=pay&txn_id=1002&account=bob&sum=99.99',
      'qiwi /payment?command=pay&txn_id=1001&account=alice&sum=10.45',
    ]);
    const since = await urls(`?from=${encodeURIComponent(betweenBatches)}&limit=200`);
    expect(since).toEqual(all.slice(0, all.length - 2));
    const [refund] = (await get('/admin/api/requests?provider=cloudpayments&limit=1')).json().items;
    expect(refund).toMatchObject({ method: 'POST', body: expect.stringContaining('PaymentTransactionId=2901358781') });
    expect(refund.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('pages through every row exactly once', async () => {
    const all = (await get('/admin/api/requests?limit=200'))
      .json()
      .items.map((item: { provider: string; id: string }) => `${item.provider}${item.id}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pageNo = 0; pageNo < 50; pageNo++) {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
      const body = (await get(`/admin/api/requests${query}`)).json();
      seen.push(...body.items.map((item: { provider: string; id: string }) => `${item.provider}${item.id}`));
      cursor = body.next;
      if (!cursor) break;
    }
    expect(seen).toEqual(all);
  });

  it('refuses bad parameters with 400 JSON', async () => {
    for (const query of [
      '?method=FETCH',
      '?provider=x',
      '?limit=-1',
      '?from=2026',
      '?cursor=%%%',
      `?contains=${'y'.repeat(201)}`,
      '?path=/pay',
    ]) {
      const response = await get(`/admin/api/requests${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ error: 'bad request' });
    }
  });
});

describe('attempts to a webhook URL with secrets', () => {
  it('show the URL with its credentials and query masked, an attempt logged before the masking too', async () => {
    const receiver = await startReceiver();
    const { host } = new URL(receiver.url);
    const own = await startTestGateway({ ADMIN_TOKEN: TOKEN, QIWI_WEBHOOK_URL: `http://apikey@${host}/hook?token=s3cret` });
    const ownGet = (url: string) => own.app.inject({ method: 'GET', url, headers: AUTH });
    expect((await own.app.inject('/payment?command=pay&txn_id=4001&account=a&sum=1.00')).statusCode).toBe(200);
    const [payment] = (await ownGet('/admin/api/transactions?provider=qiwi&code=4001')).json().items;
    const path = `/admin/api/transactions/qiwi/${payment.id}`;
    await waitFor(async () => (await ownGet(path)).json().attempts.length === 1, 'the attempt to be recorded');
    expect(receiver.received[0]!.url).toBe('/hook?token=s3cret');
    // As a version that stored the URL as it came would have left it in the table.
    await own.db.query(
      `INSERT INTO ${own.db.table('qiwi_webhook_log')} (transaction_id, url, attempt, request_body, duration_ms)
       VALUES ($1, $2, 0, '{}', 1)`,
      [payment.id, `http://apikey:s3cret@${host}/old?token=s3cret#s3cret`],
    );
    const response = await ownGet(path);
    expect(response.statusCode).toBe(200);
    expect(response.json().attempts.map((attempt: { url: string }) => attempt.url)).toEqual([
      `http://***@${host}/hook?token=***`,
      `http://apikey:***@${host}/old?token=***`,
    ]);
    expect(response.body).not.toMatch(/s3cret|"http:\/\/apikey@/);
  });
});
