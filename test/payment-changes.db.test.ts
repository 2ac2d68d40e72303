/**
 * What a network may do to a payment later, through the intake context and never a protocol's
 * own SQL: find it, cancel it, and tell the merchant with an event delivered like payments.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Protocol } from '../src/providers/types.js';
import { freshDatabase, type TestDatabase } from './helpers/engine.js';
import { startTestGateway } from './helpers/gateway.js';
import { startReceiver, waitFor } from './helpers/receiver.js';

/** A network whose JSON requests pay, cancel (by its id or by ours) and refund. */
const changes: Protocol = {
  name: 'changes',
  title: 'Changes (a protocol of the test)',
  variables: [],
  readSettings: (_env, shared) => shared,
  requestTypes: ['pay', 'cancel', 'refund'],
  endpoints: {
    '/pay': async (message, { recordPayment }) => {
      const { id, account, sum } = JSON.parse(message.body.toString()) as Record<string, string>;
      const outcome = await recordPayment({ account: account!, code: id!, sum: sum! });
      return { contentType: 'application/json', body: JSON.stringify({ id: outcome.id }), type: 'pay' };
    },
    '/cancel': async (message, { cancelPayment, recordEvent }) => {
      const { id, ours, reason } = JSON.parse(message.body.toString()) as Record<string, string>;
      const ref = ours ? { id: ours } : { code: id! };
      const outcome = await cancelPayment(ref, reason!);
      if (outcome.kind !== 'missing') {
        const { payment } = outcome;
        await recordEvent({
          type: 'cancel',
          idempotencyKey: payment.code,
          payment: ref,
          account: payment.account,
          sum: payment.sum,
        });
      }
      return { contentType: 'application/json', body: JSON.stringify({ outcome: outcome.kind }), type: 'cancel' };
    },
    '/refund': async (message, { findPayment, recordEvent }) => {
      const { id, of, sum } = JSON.parse(message.body.toString()) as Record<string, string>;
      const payment = await findPayment({ code: of! });
      if (!payment) return { contentType: 'application/json', body: '{"error":"no such payment"}', type: 'refund' };
      const outcome = await recordEvent({
        type: 'refund',
        idempotencyKey: id!,
        code: id,
        payment: { id: payment.id },
        sum,
        payload: { id, of, sum },
      });
      return { contentType: 'application/json', body: JSON.stringify({ outcome }), type: 'refund' };
    },
  },
  charset: () => 'utf-8',
  refuse: (refusal) => ({ contentType: 'application/json', body: JSON.stringify({ refused: refusal }) }),
  acceptsWebhookStatus: (status) => status === 200,
};

const SECRET = `whsec_${Buffer.from('payment-changes-0123456789').toString('base64')}`;

async function start(env: Record<string, string> = {}, database?: TestDatabase) {
  const gateway = await startTestGateway({ WEBHOOK_SECRET: SECRET, ...env }, database, [changes]);
  const post = async (path: string, body: object) =>
    (await gateway.app.inject({ method: 'POST', url: `/_changes_${path}`, payload: JSON.stringify(body) })).json();
  const rows = (table: string, columns: string) =>
    gateway.db.query(`SELECT ${columns} FROM ${gateway.db.table(`changes_${table}`)} ORDER BY id`);
  return { gateway, post, rows };
}

describe('a payment that changes after it is made', () => {
  it('cancelled before its delivery is never delivered as a payment; the merchant hears of it as an event', async () => {
    const events = await startReceiver();
    // No payments URL yet: the payment waits, and is cancelled while it waits.
    const database = await freshDatabase();
    const first = await start({ CHANGES_EVENTS_WEBHOOK_URL: `${events.url}/events` }, database);
    const { post, rows } = first;
    const { id } = await post('/pay', { id: 'n-1', account: '42', sum: '10.00' });
    expect(await post('/cancel', { id: 'n-1', reason: 'customer withdrew' })).toEqual({ outcome: 'cancelled' });
    // Once: a repeat finds it cancelled and keeps the first reason; one event.
    expect(await post('/cancel', { ours: id, reason: 'again' })).toEqual({ outcome: 'already' });
    expect(await post('/cancel', { id: 'n-404', reason: 'x' })).toEqual({ outcome: 'missing' });
    expect(await rows('transaction', 'status, cancel_reason, cancelled_at IS NOT NULL AS cancelled')).toEqual([
      { status: 0, cancel_reason: 'customer withdrew', cancelled: true },
    ]);

    await waitFor(() => events.received.length === 1, 'the cancel event');
    const [event] = events.received;
    await first.gateway.close();

    // Now with a payments URL: a later payment is delivered, the cancelled one (claimed first
    // were it due: the claim takes the oldest) never.
    const payments = await startReceiver();
    const second = await start({ CHANGES_WEBHOOK_URL: `${payments.url}/payments` }, database);
    await second.post('/pay', { id: 'n-9', account: '43', sum: '1.00' });
    await waitFor(() => payments.received.length === 1, 'the later payment');
    expect(JSON.parse(payments.received[0]!.body)).toMatchObject({ code: 'n-9' });
    // The attempt is recorded a moment after the backend answered it.
    await waitFor(
      async () => (await second.rows('transaction', 'status')).some(({ status }) => status === 1),
      'the delivery recorded',
    );
    expect(await second.rows('transaction', 'code, status')).toEqual([
      { code: 'n-1', status: 0 },
      { code: 'n-9', status: 1 },
    ]);
    new Webhook(SECRET).verify(event!.body, event!.headers as Record<string, string>);
    expect(event!.headers['webhook-id']).toMatch(/^changes_event_\d+$/);
    expect(JSON.parse(event!.body)).toEqual({
      type: 'cancel',
      id: expect.any(String),
      transaction_id: null,
      payment_transaction_id: 'n-1',
      payment_id: id,
      account: '42',
      sum: 10,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      fields: {},
      code: 'n-1',
    });
  });

  it('cancelled after its delivery stays delivered, and the event follows it', async () => {
    const backend = await startReceiver();
    const url = { CHANGES_WEBHOOK_URL: `${backend.url}/payments`, CHANGES_EVENTS_WEBHOOK_URL: `${backend.url}/events` };
    const { post, rows } = await start(url);
    await post('/pay', { id: 'n-2', account: '7', sum: '5.50' });
    await waitFor(async () => (await rows('transaction', 'status'))[0]?.status === 1, 'the payment delivered');
    await post('/cancel', { id: 'n-2', reason: 'reversed' });
    await waitFor(() => backend.received.length === 2, 'the cancel event');
    expect(backend.received.map(({ url }) => url)).toEqual(['/payments', '/events']);
    expect(await rows('transaction', 'status, cancel_reason')).toEqual([{ status: 1, cancel_reason: 'reversed' }]);
  });

  it('records an event once per key, about a payment named by our id, with the network’s fields', async () => {
    const events = await startReceiver();
    const { post, rows } = await start({ CHANGES_EVENTS_WEBHOOK_URL: `${events.url}/events` });
    const { id } = await post('/pay', { id: 'n-3', account: '9', sum: '100.00' });
    const refund = { id: 'r-1', of: 'n-3', sum: '40.00' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('/refund', refund)));
    expect(answers.filter(({ outcome }) => outcome === 'created')).toHaveLength(1);
    expect(await rows('event', 'type, code, payment_code, sum::text AS sum')).toEqual([
      { type: 'refund', code: 'r-1', payment_code: 'n-3', sum: '40.00' },
    ]);
    await waitFor(() => events.received.length === 1, 'the refund event');
    expect(JSON.parse(events.received[0]!.body)).toMatchObject({
      type: 'refund',
      transaction_id: 'r-1',
      payment_id: id,
      sum: 40,
      fields: refund,
    });
    expect(await post('/refund', { id: 'r-2', of: 'n-404', sum: '1.00' })).toEqual({ error: 'no such payment' });
  });
});
