/**
 * `command=cancel` by payrelay's id (`prv_txn`) or the network's (`txn_id`): the payment is
 * marked cancelled once, the merchant hears of it as a `cancel` event on KASPI_EVENTS_WEBHOOK_URL
 * (docs/events.md), and a payment cancelled before its delivery is never delivered as a payment.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/helpers/engine.js';
import { type Receiver, startReceiver, waitFor } from '../../../test/helpers/receiver.js';
import { JSON_TYPE, type KaspiGateway, startKaspi } from './fixtures/gateway.js';

const SECRET = `whsec_${Buffer.from('kaspi-cancel-test-secret-0123').toString('base64')}`;

describe('a payment cancelled before its delivery', () => {
  it('is never delivered as a payment; the merchant gets the cancel event', async () => {
    const database = await freshDatabase();
    const events = await startReceiver();
    // No payments URL yet: the payment waits, and is cancelled while it waits.
    const first = await startKaspi({ KASPI_EVENTS_WEBHOOK_URL: `${events.url}/events`, WEBHOOK_SECRET: SECRET }, database);
    const paid = await first.get('/_kaspi_/payment?command=pay&txn_id=3001&account=4957835959&sum=200.00');
    const { prv_txn: id } = JSON.parse(paid.body) as { prv_txn: number };
    const cancelled = await first.get(`/_kaspi_/payment?command=cancel&prv_txn=${id}`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.headers['content-type']).toBe(JSON_TYPE);
    expect(cancelled.body).toBe(`{"txn_id":"3001","prv_txn_id":${id},"prv_txn":${id},"result":0,"comment":"Cancelled"}`);

    await waitFor(() => events.received.length === 1, 'the cancel event');
    const [event] = events.received;
    new Webhook(SECRET).verify(event!.body, event!.headers as Record<string, string>);
    expect(event!.headers['webhook-id']).toMatch(/^kaspi_event_\d+$/);
    expect(JSON.parse(event!.body)).toEqual({
      type: 'cancel',
      id: expect.stringMatching(/^\d+$/),
      transaction_id: null,
      payment_transaction_id: '3001',
      payment_id: String(id),
      account: '4957835959',
      sum: 200,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      fields: { command: 'cancel', prv_txn: String(id) },
      code: '3001',
    });
    expect(event!.body).toContain('"sum": 200.0,');
    await first.gateway.close();

    // Now with a payments URL: a later payment is delivered, the cancelled one never.
    const payments = await startReceiver();
    const second = await startKaspi({ KASPI_WEBHOOK_URL: `${payments.url}/payments` }, database);
    await second.get('/_kaspi_/payment?command=pay&txn_id=3002&account=4957835959&sum=1.00');
    await waitFor(() => payments.received.length === 1, 'the later payment');
    expect(JSON.parse(payments.received[0]!.body)).toMatchObject({ code: '3002' });
    // The attempt is recorded a moment after the backend answered it.
    await waitFor(async () => (await second.transactions()).some(({ status }) => status === 1), 'the delivery recorded');
    expect(await second.transactions()).toMatchObject([
      { code: '3001', status: 0, cancel_reason: expect.stringContaining('cancel') },
      { code: '3002', status: 1, cancel_reason: null },
    ]);
    await second.gateway.close();
  });
});

describe('cancel', () => {
  let merchant: Receiver;
  let kaspi: KaspiGateway;
  beforeAll(async () => {
    merchant = await startReceiver();
    kaspi = await startKaspi({
      KASPI_WEBHOOK_URL: `${merchant.url}/payments`,
      KASPI_EVENTS_WEBHOOK_URL: `${merchant.url}/events`,
    });
  });
  afterAll(async () => {
    await kaspi.gateway.close();
    await merchant.close();
  });
  afterEach(async () => {
    await kaspi.empty('kaspi', true);
    merchant.received.length = 0;
  });

  const pay = async (txnId: string, sum = '10.00') => {
    const response = await kaspi.get(`/_kaspi_/payment?command=pay&txn_id=${txnId}&account=A-${txnId}&sum=${sum}`);
    return String((JSON.parse(response.body) as { prv_txn: number }).prv_txn);
  };
  const cancel = (query: string) => kaspi.get(`/_kaspi_/payment?command=cancel&${query}`);
  const eventsSent = () => merchant.received.filter(({ url }) => url === '/events');

  it('by txn_id: the same bytes on a repeat, one event', async () => {
    const id = await pay('00042');
    const expected = `{"txn_id":"00042","prv_txn_id":${id},"prv_txn":${id},"result":0,"comment":"Cancelled"}`;
    expect((await cancel('txn_id=00042')).body).toBe(expected);
    expect((await cancel('txn_id=00042')).body).toBe(expected);
    expect((await cancel(`prv_txn=${id}`)).body).toBe(expected);
    expect(await kaspi.events()).toEqual([
      {
        type: 'cancel',
        idempotency_key: '00042',
        code: null,
        payment_code: '00042',
        account: 'A-00042',
        sum: '10.00',
        payload: { command: 'cancel', txn_id: '00042' },
      },
    ]);
  });

  it('by both ids when they name the same payment; otherwise the payment is not found, and stays', async () => {
    const first = await pay('501');
    const second = await pay('502');
    expect((await cancel(`txn_id=501&prv_txn=${second}`)).body).toBe('{"txn_id":"501","result":1,"comment":"Payment not found"}');
    expect(await kaspi.transactions()).toMatchObject([{ cancel_reason: null }, { cancel_reason: null }]);
    expect((await cancel(`txn_id=501&prv_txn=${first}`)).body).toBe(
      `{"txn_id":"501","prv_txn_id":${first},"prv_txn":${first},"result":0,"comment":"Cancelled"}`,
    );
  });

  it('ten concurrent repeats: one event, alike answers', async () => {
    const id = await pay('601');
    const answers = await Promise.all(Array.from({ length: 10 }, () => cancel(`prv_txn=${id}`)));
    expect(new Set(answers.map(({ body }) => body)).size).toBe(1);
    expect(JSON.parse(answers[0]!.body)).toMatchObject({ result: 0 });
    expect(await kaspi.events()).toHaveLength(1);
  });

  it('after the delivery: the payment stays delivered and the event follows it', async () => {
    await pay('701', '5.50');
    await waitFor(() => merchant.received.length === 1, 'the payment');
    await cancel('txn_id=701');
    await waitFor(() => eventsSent().length === 1, 'the cancel event');
    expect(merchant.received.map(({ url, body }) => [url, JSON.parse(body).code])).toEqual([
      ['/payments', '701'],
      ['/events', '701'],
    ]);
    expect(JSON.parse(eventsSent()[0]!.body)).toMatchObject({ type: 'cancel', payment_transaction_id: '701', sum: 5.5 });
    expect(await kaspi.transactions()).toMatchObject([{ status: 1, cancel_reason: expect.any(String) }]);
  });

  it.each([
    ['an unknown txn_id', 'txn_id=999', '{"txn_id":"999","result":1,"comment":"Payment not found"}'],
    ['an unknown prv_txn', 'prv_txn=123456', '{"result":1,"comment":"Payment not found"}'],
    ['a prv_txn beyond any id', 'prv_txn=99999999999999999999', '{"result":1,"comment":"Payment not found"}'],
  ])('of %s: 1, nothing recorded', async (_name, query, answer) => {
    const response = await cancel(query);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(answer);
    expect(await kaspi.events()).toEqual([]);
  });

  it.each([
    ['neither id', '', '{"result":5,"comment":"Missing prv_txn or txn_id"}'],
    ['a prv_txn that is no number', 'prv_txn=x1', '{"result":5,"comment":"Invalid prv_txn"}'],
    ['an empty prv_txn', 'prv_txn=', '{"result":5,"comment":"Invalid prv_txn"}'],
    ['two different prv_txn', 'prv_txn=1&prv_txn=2', '{"result":5,"comment":"Invalid prv_txn"}'],
    ['a txn_id that is no number', 'txn_id=1%0A', '{"txn_id":"1\\n","result":5,"comment":"Invalid txn_id"}'],
  ])('with %s: 5, nothing cancelled', async (_name, query, answer) => {
    await pay('801');
    const response = await cancel(query);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(answer);
    expect(await kaspi.transactions()).toMatchObject([{ cancel_reason: null }]);
    expect(await kaspi.events()).toEqual([]);
  });

  it('a database failure: HTTP 503 with result 4; the repeat cancels and tells the merchant', async () => {
    const id = await pay('901');
    const { db } = kaspi.gateway;
    await db.exec(`ALTER TABLE ${db.table('kaspi_event')} RENAME TO kaspi_event_away`);
    let response: Awaited<ReturnType<typeof cancel>>;
    try {
      response = await cancel(`txn_id=901`);
    } finally {
      await db.exec(`ALTER TABLE ${db.table('kaspi_event_away')} RENAME TO kaspi_event`);
    }
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('{"txn_id":"901","result":4,"comment":"Temporary error, retry"}');
    expect(await kaspi.events()).toEqual([]);
    // The payment was marked before the event failed: the repeat finds it cancelled and records the event.
    const repeat = await cancel(`txn_id=901`);
    expect(repeat.body).toBe(`{"txn_id":"901","prv_txn_id":${id},"prv_txn":${id},"result":0,"comment":"Cancelled"}`);
    expect(await kaspi.events()).toHaveLength(1);
  });
});
