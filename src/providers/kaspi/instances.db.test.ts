/**
 * Kaspi and Halyk Bank side by side (`PROVIDERS=kaspi,halyk:kaspi`): each its own path, tables,
 * allow-list, check URL and webhooks, and the same txn_id in both is two payments. And Kaspi's
 * way of calling: the same pay on many connections at once is one payment, delivered once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver, waitFor } from '../../../test/helpers/receiver.js';
import { type KaspiGateway, startKaspi } from './fixtures/gateway.js';

const KASPI_IP = '194.187.247.152';
const HALYK_IP = '91.195.226.10';

let kaspiBackend: Receiver;
let halykBackend: Receiver;
let both: KaspiGateway;
beforeAll(async () => {
  [kaspiBackend, halykBackend] = await Promise.all([startReceiver(), startReceiver()]);
  both = await startKaspi({
    PROVIDERS: 'kaspi,halyk:kaspi',
    KASPI_ALLOWED_IPS: KASPI_IP,
    HALYK_ALLOWED_IPS: `${HALYK_IP}/32`,
    KASPI_CHECK_URL: `${kaspiBackend.url}/check`,
    HALYK_CHECK_URL: `${halykBackend.url}/check`,
    KASPI_WEBHOOK_URL: `${kaspiBackend.url}/payments`,
    HALYK_WEBHOOK_URL: `${halykBackend.url}/payments`,
    KASPI_EVENTS_WEBHOOK_URL: `${kaspiBackend.url}/events`,
    HALYK_EVENTS_WEBHOOK_URL: `${halykBackend.url}/events`,
  });
});
afterAll(async () => {
  await both.gateway.close();
  await Promise.all([kaspiBackend.close(), halykBackend.close()]);
});
afterEach(async () => {
  await both.empty('kaspi', true);
  await both.empty('halyk', true);
  kaspiBackend.received.length = 0;
  halykBackend.received.length = 0;
});

const PAY = 'command=pay&txn_id=1234567&account=4957835959&sum=200.00';

describe('two instances of the protocol', () => {
  it('record the same txn_id as two payments, each in its own tables, delivered to its own webhook', async () => {
    const kaspi = await both.get(`/_kaspi_/payment?${PAY}`, KASPI_IP);
    const halyk = await both.get(`/_halyk_/payment?${PAY}`, HALYK_IP);
    expect(JSON.parse(kaspi.body)).toMatchObject({ txn_id: '1234567', result: 0 });
    expect(JSON.parse(halyk.body)).toMatchObject({ txn_id: '1234567', result: 0 });
    expect(await both.transactions('kaspi')).toMatchObject([{ code: '1234567', sum: '200.00' }]);
    expect(await both.transactions('halyk')).toMatchObject([{ code: '1234567', sum: '200.00' }]);
    expect(await both.logged('kaspi')).toEqual([{ method: 'GET', url: `/_kaspi_/payment?${PAY}`, ip: KASPI_IP }]);
    expect(await both.logged('halyk')).toEqual([{ method: 'GET', url: `/_halyk_/payment?${PAY}`, ip: HALYK_IP }]);
    await waitFor(() => kaspiBackend.received.length === 1 && halykBackend.received.length === 1, 'both webhooks');
    expect(kaspiBackend.received[0]!.url).toBe('/payments');
    expect(halykBackend.received[0]!.url).toBe('/payments');
  });

  it('each takes only its own network’s addresses', async () => {
    const kaspiAtHalyk = await both.get(`/_halyk_/payment?${PAY}`, KASPI_IP);
    const halykAtKaspi = await both.get(`/_kaspi_/payment?${PAY}`, HALYK_IP);
    expect([kaspiAtHalyk.statusCode, kaspiAtHalyk.body]).toEqual([
      403,
      '{"txn_id":"1234567","result":5,"comment":"Source address not allowed"}',
    ]);
    expect(halykAtKaspi.statusCode).toBe(403);
    expect(await both.transactions('kaspi')).toEqual([]);
    expect(await both.transactions('halyk')).toEqual([]);
    // Each refusal is in the log of the instance it was sent to.
    expect(await both.logged('halyk')).toMatchObject([{ ip: KASPI_IP }]);
    expect(await both.logged('kaspi')).toMatchObject([{ ip: HALYK_IP }]);
  });

  it('each asks its own account check', async () => {
    halykBackend.respondWith(() => ({ status: 404 }));
    const kaspi = await both.get('/_kaspi_/payment?command=check&txn_id=1&account=42&sum=0.00', KASPI_IP);
    const halyk = await both.get('/_halyk_/payment?command=check&txn_id=1&account=42&sum=0.00', HALYK_IP);
    expect(kaspi.body).toBe('{"txn_id":"1","result":0,"comment":"OK"}');
    expect(halyk.body).toBe('{"txn_id":"1","result":1,"comment":"Account not found"}');
    expect(kaspiBackend.received.map(({ url }) => new URL(url, kaspiBackend.url).pathname)).toEqual(['/check']);
    expect(halykBackend.received.map(({ url }) => new URL(url, halykBackend.url).pathname)).toEqual(['/check']);
    halykBackend.respondWith(() => ({ status: 200 }));
  });

  it('cancel only their own payments, each event to its own events webhook', async () => {
    await both.get(`/_kaspi_/payment?${PAY}`, KASPI_IP);
    const cancelled = await both.get('/_halyk_/payment?command=cancel&txn_id=1234567', HALYK_IP);
    expect(cancelled.body).toBe('{"txn_id":"1234567","result":1,"comment":"Payment not found"}');
    await both.get('/_halyk_/payment?command=cancel&txn_id=1234567', HALYK_IP);
    await both.get('/_kaspi_/payment?command=cancel&txn_id=1234567', KASPI_IP);
    await waitFor(() => kaspiBackend.received.some(({ url }) => url === '/events'), 'the Kaspi event');
    expect(await both.events('halyk')).toEqual([]);
    expect(await both.events('kaspi')).toHaveLength(1);
    expect(halykBackend.received.filter(({ url }) => url === '/events')).toEqual([]);
  });
});

describe('ten concurrent repeats of one pay, as Kaspi’s parallel connections send them', () => {
  it('make one payment, the same answer ten times, and one webhook', async () => {
    const url = '/_kaspi_/payment?command=pay&txn_id=88000000000000000001&txn_date=20260501153045&account=4957835959&sum=200.00';
    const answers = await Promise.all(Array.from({ length: 10 }, () => both.get(url, KASPI_IP)));
    const [row] = await both.transactions('kaspi');
    const expected = `{"txn_id":"88000000000000000001","prv_txn_id":${row!.id},"prv_txn":${row!.id},"result":0,"sum":200.00,"comment":"OK"}`;
    expect(answers.map(({ statusCode, body }) => [statusCode, body])).toEqual(Array(10).fill([200, expected]));
    expect(await both.transactions('kaspi')).toHaveLength(1);
    await waitFor(async () => (await both.transactions('kaspi'))[0]!.status === 1, 'the delivery');
    // A later payment delivered means a later round: a second webhook of the first would have gone by then.
    await both.get('/_kaspi_/payment?command=pay&txn_id=2&account=1&sum=1.00', KASPI_IP);
    await waitFor(() => kaspiBackend.received.length === 2, 'the later payment');
    expect(kaspiBackend.received.map(({ body }) => JSON.parse(body).code)).toEqual(['88000000000000000001', '2']);
  });

  it('and ten concurrent clashes change nothing', async () => {
    await both.get('/_kaspi_/payment?command=pay&txn_id=3&account=1&sum=1.00', KASPI_IP);
    const before = await waitFor(async () => {
      const rows = await both.transactions('kaspi');
      return rows[0]?.status === 1 && rows;
    }, 'the delivery');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => both.get(`/_kaspi_/payment?command=pay&txn_id=3&account=1&sum=${i + 2}.00`, KASPI_IP)),
    );
    for (const { body } of answers)
      expect(body).toBe('{"txn_id":"3","result":5,"comment":"txn_id already used with other data"}');
    expect(await both.transactions('kaspi')).toEqual(before);
  });
});
