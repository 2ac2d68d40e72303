/**
 * A payment's life with the merchant: delivered once however often and concurrently the network
 * repeats it, kept apart per instance, and cancelled: before its delivery it is never delivered
 * and the events webhook tells of the cancel; after it, the event follows the payment. The admin
 * tells the whole story. Webhook signatures are checked with the Standard Webhooks library.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/helpers/engine.js';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { startReceiver, waitFor } from '../../../test/helpers/receiver.js';

const SECRET = `whsec_${Buffer.from('kassa24-payments-test-key-0123').toString('base64')}`;
const TOKEN = 'admin-token-for-kassa24-tests-0123';

const inject = (gateway: TestGateway, instance: string, query: string) => gateway.app.inject(`/_${instance}_/payment?${query}`);
const answer =
  /^<\?xml version="1\.0" encoding="UTF-8"\?><response><code>(\d+)<\/code><message>[^<]*<\/message>(?:<date>([^<]*)<\/date>)?(?:<authcode>(\d+)<\/authcode>)?<\/response>$/;
const read = (body: string) => {
  const match = answer.exec(body);
  if (!match) throw new Error(`not a Kassa24 answer: ${body}`);
  return { code: Number(match[1]), date: match[2], authcode: match[3] };
};
const rows = (gateway: TestGateway, instance: string) =>
  gateway.db.query<{ id: string; account: string; code: string; sum: string; status: number }>(
    `SELECT id::text AS id, account, code, sum::text AS sum, status FROM ${gateway.db.table(`${instance}_transaction`)} ORDER BY id`,
  );

describe('repeats', () => {
  it('ten concurrent repeats: one row, one webhook, ten identical answers', async () => {
    const backend = await startReceiver();
    const gateway = await startTestGateway({
      PROVIDERS: 'kassa24',
      KASSA24_WEBHOOK_URL: `${backend.url}/payments`,
      WEBHOOK_SECRET: SECRET,
    });
    const query = 'action=payment&number=4957835959&amount=250.75&receipt=3000001&date=2024-08-03T15:53:00';
    const answers = await Promise.all(Array.from({ length: 10 }, () => inject(gateway, 'kassa24', query)));
    expect(answers.map(({ statusCode }) => statusCode)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map(({ body }) => body)).size).toBe(1);
    const [row] = await rows(gateway, 'kassa24');
    expect(read(answers[0]!.body)).toMatchObject({ code: 0, authcode: row!.id });
    expect(await rows(gateway, 'kassa24')).toHaveLength(1);

    await waitFor(async () => (await rows(gateway, 'kassa24'))[0]!.status === 1, 'the delivery');
    // A payment delivered is marked so once its one attempt is logged; a repeat now changes nothing.
    await inject(gateway, 'kassa24', query);
    await waitFor(
      async () => (await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('kassa24_webhook_log')}`)).length === 1,
      'the log',
    );
    expect(backend.received).toHaveLength(1);
    const [delivery] = backend.received;
    new Webhook(SECRET).verify(delivery!.body, delivery!.headers as Record<string, string>);
    expect(JSON.parse(delivery!.body)).toEqual({
      id: row!.id,
      account: '4957835959',
      code: '3000001',
      sum: 250.75,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    });
  });
});

describe('two instances side by side', () => {
  it('PROVIDERS=kassa24,kassa24kg:kassa24: the same receipt on each is two payments, each delivered to its own URL', async () => {
    const backend = await startReceiver();
    const gateway = await startTestGateway({
      PROVIDERS: 'kassa24,kassa24kg:kassa24',
      KASSA24_WEBHOOK_URL: `${backend.url}/kz`,
      KASSA24KG_WEBHOOK_URL: `${backend.url}/kg`,
      KASSA24KG_HTTP_AUTH_USERNAME: 'kg',
      KASSA24KG_HTTP_AUTH_PASSWORD: 'kg secret',
      KASSA24KG_CANCELS: 'false',
      WEBHOOK_SECRET: SECRET,
    });
    const kg = `Basic ${Buffer.from('kg:kg secret').toString('base64')}`;
    const pay = 'action=payment&number=555&amount=100.00&receipt=42';
    const kz = read((await inject(gateway, 'kassa24', pay)).body);
    expect(kz.code).toBe(0);
    // Its own credentials: none is refused there, the right ones are taken.
    expect((await inject(gateway, 'kassa24kg', pay)).statusCode).toBe(401);
    const kgAnswer = await gateway.app.inject({ url: `/_kassa24kg_/payment?${pay}`, headers: { authorization: kg } });
    expect(read(kgAnswer.body).code).toBe(0);
    // Another number under the same receipt clashes only within an instance.
    const other = await gateway.app.inject({
      url: '/_kassa24kg_/payment?action=payment&number=556&amount=100.00&receipt=42',
      headers: { authorization: kg },
    });
    expect(read(other.body).code).toBe(4);

    expect(await rows(gateway, 'kassa24')).toMatchObject([{ account: '555', code: '42', sum: '100.00' }]);
    expect(await rows(gateway, 'kassa24kg')).toMatchObject([{ account: '555', code: '42', sum: '100.00' }]);
    await waitFor(() => backend.received.length === 2, 'both deliveries');
    expect(backend.received.map(({ url }) => url).sort()).toEqual(['/kg', '/kz']);
    expect(backend.received.find(({ url }) => url === '/kg')!.headers['webhook-id']).toMatch(/^kassa24kg_/);

    // Each instance's own settings: cancels forbidden on one only.
    expect(read((await inject(gateway, 'kassa24', 'action=cancel&receipt=42')).body).code).toBe(0);
    const kgCancel = await gateway.app.inject({
      url: '/_kassa24kg_/payment?action=cancel&receipt=42',
      headers: { authorization: kg },
    });
    expect(read(kgCancel.body).code).toBe(9);
  });
});

describe('cancels and the merchant', () => {
  it('cancelled before its delivery: never delivered as a payment; the events webhook tells of the cancel, and the admin shows it', async () => {
    const events = await startReceiver();
    const database = await freshDatabase();
    // No payments URL yet: the payment waits, and is cancelled while it waits.
    const env = {
      PROVIDERS: 'kassa24',
      WEBHOOK_SECRET: SECRET,
      ADMIN_TOKEN: TOKEN,
      KASSA24_EVENTS_WEBHOOK_URL: `${events.url}/events`,
    };
    const first = await startTestGateway(env, database);
    const paid = read((await inject(first, 'kassa24', 'action=payment&number=100234&amount=1500.00&receipt=105512')).body);
    expect(paid.code).toBe(0);
    const cancel = await inject(first, 'kassa24', 'action=cancel&receipt=105512&mes=2');
    expect(read(cancel.body)).toEqual({ code: 0, date: undefined, authcode: paid.authcode });
    // Repeated, also concurrently: the same bytes, one event.
    const repeats = await Promise.all(
      Array.from({ length: 5 }, () => inject(first, 'kassa24', 'action=cancel&receipt=105512&mes=2')),
    );
    expect(repeats.map(({ body }) => body)).toEqual(Array(5).fill(cancel.body));

    await waitFor(() => events.received.length === 1, 'the cancel event');
    const [event] = events.received;
    new Webhook(SECRET).verify(event!.body, event!.headers as Record<string, string>);
    expect(event!.headers['webhook-id']).toMatch(/^kassa24_event_\d+$/);
    expect(JSON.parse(event!.body)).toEqual({
      type: 'cancel',
      id: expect.stringMatching(/^\d+$/),
      transaction_id: null,
      payment_transaction_id: '105512',
      payment_id: paid.authcode,
      account: '100234',
      sum: 1500,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      fields: { action: 'cancel', receipt: '105512', mes: '2' },
      code: '105512',
    });

    const delivered = `SELECT 1 FROM ${first.db.table('kassa24_event')} WHERE status = 1`;
    await waitFor(async () => (await first.db.query(delivered)).length === 1, 'the event marked delivered');
    const story = await first.app.inject({
      url: `/admin/api/transactions/kassa24/${paid.authcode}`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(story.statusCode).toBe(200);
    expect(story.json()).toMatchObject({
      provider: 'kassa24',
      id: paid.authcode,
      code: '105512',
      status: 0,
      attempts: [],
      details: { cancel_reason: '2', network_date: null },
      events: [
        expect.objectContaining({
          type: 'cancel',
          account: '100234',
          sum: '1500.00',
          payload: { action: 'cancel', receipt: '105512', mes: '2' },
          status: 1,
        }),
      ],
    });
    expect(story.json().requests.map(({ url }: { url: string }) => url)).toEqual([
      '/_kassa24_/payment?action=payment&number=100234&amount=1500.00&receipt=105512',
      ...Array(6).fill('/_kassa24_/payment?action=cancel&receipt=105512&mes=2'),
    ]);
    await first.close();

    // Now with a payments URL: a later payment is delivered, the cancelled one never.
    const payments = await startReceiver();
    const second = await startTestGateway({ ...env, KASSA24_WEBHOOK_URL: `${payments.url}/payments` }, database);
    expect(read((await inject(second, 'kassa24', 'action=payment&number=7&amount=1.00&receipt=105513')).body).code).toBe(0);
    await waitFor(() => payments.received.length === 1, 'the later payment');
    expect(JSON.parse(payments.received[0]!.body)).toMatchObject({ code: '105513' });
    await waitFor(async () => (await rows(second, 'kassa24'))[1]?.status === 1, 'the later payment marked delivered');
    expect((await rows(second, 'kassa24')).map(({ code, status }) => [code, status])).toEqual([
      ['105512', 0],
      ['105513', 1],
    ]);
    expect(events.received).toHaveLength(1);
  });

  it('cancelled after its delivery: it stays delivered, and the event follows it', async () => {
    const backend = await startReceiver();
    const gateway = await startTestGateway({
      PROVIDERS: 'kassa24',
      KASSA24_WEBHOOK_URL: `${backend.url}/payments`,
      KASSA24_EVENTS_WEBHOOK_URL: `${backend.url}/events`,
    });
    await inject(gateway, 'kassa24', 'action=payment&number=9&amount=5.50&receipt=600');
    await waitFor(async () => (await rows(gateway, 'kassa24'))[0]?.status === 1, 'the payment delivered');
    const cancelled = read((await inject(gateway, 'kassa24', 'action=cancel&receipt=600')).body);
    expect(cancelled.code).toBe(0);
    await waitFor(() => backend.received.length === 2, 'the cancel event');
    expect(backend.received.map(({ url }) => url)).toEqual(['/payments', '/events']);
    expect(JSON.parse(backend.received[1]!.body)).toMatchObject({
      type: 'cancel',
      payment_id: cancelled.authcode,
      sum: 5.5,
      fields: { action: 'cancel', receipt: '600' },
    });
    const [row] = await gateway.db.query(
      `SELECT status, cancel_reason FROM ${gateway.db.table('kassa24_transaction')} WHERE code = '600'`,
    );
    expect(row).toEqual({ status: 1, cancel_reason: 'cancelled by the network (no mes)' });
  });

  it('an event that fails to record leaves the cancel to be repeated: the repeat records it and gets the same answer', async () => {
    const gateway = await startTestGateway({ PROVIDERS: 'kassa24' });
    const { db } = gateway;
    const paid = read((await inject(gateway, 'kassa24', 'action=payment&number=9&amount=5.50&receipt=700')).body);
    await db.exec(`ALTER TABLE ${db.table('kassa24_event')} RENAME TO kassa24_event_away`);
    let failed: Awaited<ReturnType<typeof inject>>;
    try {
      failed = await inject(gateway, 'kassa24', 'action=cancel&receipt=700&mes=1');
    } finally {
      await db.exec(`ALTER TABLE ${db.table('kassa24_event_away')} RENAME TO kassa24_event`);
    }
    expect(failed.statusCode).toBe(503);
    expect(read(failed.body).code).toBe(8);
    const repeat = await inject(gateway, 'kassa24', 'action=cancel&receipt=700&mes=1');
    expect(read(repeat.body)).toEqual({ code: 0, date: undefined, authcode: paid.authcode });
    const recorded = await db.query(`SELECT type, payment_code FROM ${db.table('kassa24_event')}`);
    expect(recorded).toEqual([{ type: 'cancel', payment_code: '700' }]);
  });
});
