/**
 * What FreedomPay reports besides a payment: a failed or incomplete result, a refund, a capture.
 * Each is answered `ok`, recorded once as an event naming its payment, delivered to
 * PAYBOX_EVENTS_WEBHOOK_URL and shown in the payment's admin timeline.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Receiver, startReceiver, waitFor } from '../../../test/helpers/receiver.js';
import { FORM, formBody, MERCHANT, readAnswer, resultFields, SECRET, signed } from './fixtures/calls.js';

const WEBHOOK_SECRET = `whsec_${Buffer.from('paybox-events-0123456789').toString('base64')}`;
const TOKEN = 'admin-token-for-paybox-tests-0123';

let gateway: TestGateway;
let backend: Receiver;
beforeAll(async () => {
  backend = await startReceiver();
  gateway = await startTestGateway({
    PROVIDERS: 'paybox',
    PAYBOX_SECRET_KEY: SECRET,
    PAYBOX_MERCHANT_ID: MERCHANT,
    PAYBOX_WEBHOOK_URL: `${backend.url}/payments`,
    PAYBOX_EVENTS_WEBHOOK_URL: `${backend.url}/events`,
    WEBHOOK_SECRET,
    ADMIN_TOKEN: TOKEN,
  });
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});
afterEach(() => {
  backend.received.length = 0;
});

const call = (script: string, fields: Record<string, string>) =>
  gateway.app.inject({
    method: 'POST',
    url: `/_paybox_/${script}`,
    headers: { 'content-type': FORM },
    payload: formBody(signed(script, fields)),
  });

const events = () => backend.received.filter((entry) => entry.url === '/events').map((entry) => JSON.parse(entry.body));
/** The events about one payment: others, of earlier cases, may still be arriving. */
const eventsAbout = (paymentId: string) => events().filter((event) => event.payment_transaction_id === paymentId);
const eventRows = (paymentId: string) =>
  gateway.db.query(
    `SELECT type, idempotency_key, code, payment_code, account, sum::text AS sum FROM ${gateway.db.table('paybox_event')}
     WHERE payment_code = $1 ORDER BY id`,
    [paymentId],
  );

async function paid(): Promise<{ fields: Record<string, string>; id: string }> {
  const fields = resultFields();
  expect(readAnswer(await call('result', fields), 'result').status).toBe('ok');
  const [row] = await gateway.db.query<{ id: string }>(
    `SELECT id::text AS id FROM ${gateway.db.table('paybox_transaction')} WHERE code = $1`,
    [fields.pg_payment_id],
  );
  return { fields, id: row!.id };
}

function refundOf(payment: Record<string, string>, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    pg_merchant_id: MERCHANT,
    pg_order_id: payment.pg_order_id!,
    pg_payment_id: payment.pg_payment_id!,
    pg_refund_id: `9${payment.pg_payment_id}`,
    pg_amount: payment.pg_amount!,
    pg_refund_amount: '500.00',
    pg_refund_date: '2026-03-16 11:20:00',
    pg_refund_type: 'refund',
    pg_salt: 'refundsalt',
    ...overrides,
  };
}

describe('a failed or incomplete result', () => {
  it.each([
    ['0', 'failure'],
    ['2', 'incomplete'],
  ])('pg_result=%s: ok, no payment, a %s event naming the payment, once however often it comes', async (result, type) => {
    const fields = resultFields({ pg_result: result, pg_failure_code: '101', pg_failure_description: 'Недостаточно средств' });
    const answers = await Promise.all([1, 2, 3].map((n) => call('result', { ...fields, pg_salt: `s${n}` })));
    expect(answers.map((answer) => readAnswer(answer, 'result').status)).toEqual(['ok', 'ok', 'ok']);
    const transactions = await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('paybox_transaction')} WHERE code = $1`, [
      fields.pg_payment_id,
    ]);
    expect(transactions).toEqual([]);
    expect(await eventRows(fields.pg_payment_id!)).toEqual([
      {
        type,
        idempotency_key: fields.pg_payment_id,
        code: null,
        payment_code: fields.pg_payment_id,
        account: fields.pg_order_id,
        sum: '1500.00',
      },
    ]);
    await waitFor(() => eventsAbout(fields.pg_payment_id!).length === 1, 'the event');
    const event = backend.received.find((entry) => JSON.parse(entry.body).payment_transaction_id === fields.pg_payment_id)!;
    new Webhook(WEBHOOK_SECRET).verify(event.body, event.headers as Record<string, string>);
    expect(JSON.parse(event.body)).toMatchObject({
      type,
      transaction_id: null,
      payment_transaction_id: fields.pg_payment_id,
      payment_id: null,
      account: fields.pg_order_id,
      sum: 1500,
      fields: { pg_failure_code: '101', pg_failure_description: 'Недостаточно средств', pg_result: result },
      code: fields.pg_payment_id,
    });
  });
});

describe('a refund', () => {
  it('is ok, an event naming the payment by both ids, delivered once, in the payment’s timeline', async () => {
    const { fields, id } = await paid();
    const refund = refundOf(fields);
    const answers = await Promise.all([1, 2, 3, 4].map((n) => call('refund', { ...refund, pg_salt: `r${n}` })));
    for (const [n, answer] of answers.entries()) {
      expect(readAnswer(answer, 'refund')).toEqual({ http: 200, status: 'ok', description: 'accepted', salt: `r${n + 1}` });
    }
    expect(await eventRows(fields.pg_payment_id!)).toEqual([
      {
        type: 'refund',
        idempotency_key: refund.pg_refund_id,
        code: refund.pg_refund_id,
        payment_code: fields.pg_payment_id,
        account: fields.pg_order_id,
        sum: '500.00',
      },
    ]);
    await waitFor(() => eventsAbout(fields.pg_payment_id!).length === 1, 'the refund event');
    expect(eventsAbout(fields.pg_payment_id!)[0]).toMatchObject({
      type: 'refund',
      transaction_id: refund.pg_refund_id,
      payment_transaction_id: fields.pg_payment_id,
      payment_id: id,
      sum: 500,
      code: fields.pg_payment_id,
      fields: { pg_refund_type: 'refund', pg_refund_amount: '500.00' },
    });
    const story = (
      await gateway.app.inject({
        method: 'GET',
        url: `/admin/api/transactions/paybox/${id}`,
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json();
    expect(story.events).toEqual([expect.objectContaining({ type: 'refund', code: refund.pg_refund_id, sum: '500.00' })]);
    expect(story.details).toMatchObject({ currency: 'KZT', testing_mode: true });
  });

  it('a second, partial refund of the same payment is an event of its own', async () => {
    const { fields } = await paid();
    await call('refund', refundOf(fields, { pg_refund_id: '71', pg_refund_amount: '100.00' }));
    await call('refund', refundOf(fields, { pg_refund_id: '72', pg_refund_amount: '200.00' }));
    expect((await eventRows(fields.pg_payment_id!)).map(({ code, sum }) => [code, sum])).toEqual([
      ['71', '100.00'],
      ['72', '200.00'],
    ]);
  });

  it('without a pg_refund_id (or an empty one) is one event per content, whatever salt its repeats carry', async () => {
    const { fields } = await paid();
    const { pg_refund_id: _id, ...refund } = refundOf(fields);
    await call('refund', { ...refund, pg_salt: 'a1' });
    await call('refund', { ...refund, pg_salt: 'a2' });
    await call('refund', { ...refund, pg_refund_amount: '10.00', pg_salt: 'a3' });
    // An empty pg_refund_id names no refund either.
    await call('refund', { ...refund, pg_refund_id: '', pg_refund_amount: '20.00', pg_salt: 'a4' });
    await call('refund', { ...refund, pg_refund_id: '', pg_refund_amount: '30.00', pg_salt: 'a5' });
    expect((await eventRows(fields.pg_payment_id!)).map(({ code, sum }) => [code, sum])).toEqual([
      [null, '500.00'],
      [null, '10.00'],
      [null, '20.00'],
      [null, '30.00'],
    ]);
  });

  it('of a payment payrelay has not recorded is still told, with no payment_id', async () => {
    const refund = refundOf(resultFields());
    expect(readAnswer(await call('refund', refund), 'refund').status).toBe('ok');
    await waitFor(() => eventsAbout(refund.pg_payment_id!).length === 1, 'the event');
    expect(eventsAbout(refund.pg_payment_id!)[0]).toMatchObject({ payment_id: null });
  });
});

describe('a capture', () => {
  it('is ok and one capture event per payment', async () => {
    const { fields, id } = await paid();
    const capture = { pg_merchant_id: MERCHANT, pg_payment_id: fields.pg_payment_id!, pg_amount: '1500.00', pg_salt: 'c1' };
    expect(readAnswer(await call('capture', capture), 'capture')).toMatchObject({ status: 'ok', salt: 'c1' });
    expect(readAnswer(await call('capture', { ...capture, pg_salt: 'c2' }), 'capture')).toMatchObject({ status: 'ok' });
    expect(await eventRows(fields.pg_payment_id!)).toEqual([
      {
        type: 'capture',
        idempotency_key: fields.pg_payment_id,
        code: null,
        payment_code: fields.pg_payment_id,
        account: null,
        sum: '1500.00',
      },
    ]);
    await waitFor(() => eventsAbout(fields.pg_payment_id!).length === 1, 'the capture event');
    expect(eventsAbout(fields.pg_payment_id!)[0]).toMatchObject({ type: 'capture', payment_id: id });
  });
});

describe('an event the database cannot take', () => {
  it('is error with HTTP 503, and the repeat is recorded', async () => {
    const { fields } = await paid();
    const { db } = gateway;
    await db.exec(`ALTER TABLE ${db.table('paybox_event')} RENAME TO paybox_event_away`);
    let answer: ReturnType<typeof readAnswer>;
    try {
      answer = readAnswer(await call('refund', refundOf(fields)), 'refund');
    } finally {
      await db.exec(`ALTER TABLE ${db.table('paybox_event_away')} RENAME TO paybox_event`);
    }
    expect(answer).toMatchObject({ http: 503, status: 'error', salt: 'refundsalt' });
    expect(readAnswer(await call('refund', refundOf(fields)), 'refund').status).toBe('ok');
    expect(await eventRows(fields.pg_payment_id!)).toHaveLength(1);
  });
});
