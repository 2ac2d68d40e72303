/**
 * CLOUDPAYMENTS_EVENTS_WEBHOOK_URL: refunds, cancels, receipts and the rest reach the merchant's
 * backend like payments do, through a backend that fails first, each once accepted, never a Pay.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Receiver, startReceiver } from '../../../test/helpers/receiver.js';
import { claimDue } from '../../delivery/store.js';
import { CANCEL, PAY, RECEIPT, REFUND } from './fixtures/notifications.js';

// The dispatcher's claims, watched (and left to do their work): "each once" waits for the claim
// that would have taken a notification again.
vi.mock(import('../../delivery/store.js'), async (importOriginal) => {
  const store = await importOriginal();
  return { ...store, claimDue: vi.fn(store.claimDue) };
});
const claims = vi.mocked(claimDue).mock;

const SECRET = `whsec_${Buffer.from('events-secret-0123456789').toString('base64')}`;
let events: Receiver;
let payments: Receiver;
let gateway: TestGateway;
beforeAll(async () => {
  // The events backend is down for its first three requests.
  events = await startReceiver((_request, index) => ({ status: index < 3 ? 503 : 200 }));
  payments = await startReceiver();
  gateway = await startTestGateway({
    CLOUDPAYMENTS_WEBHOOK_URL: `${payments.url}/payments`,
    CLOUDPAYMENTS_EVENTS_WEBHOOK_URL: `${events.url}/events`,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_RETRY_MIN_MS: '50',
    WEBHOOK_RETRY_MAX_MS: '200',
    WEBHOOK_PROBE_MAX_MS: '200',
  });
});
afterAll(async () => {
  await gateway.close();
  await Promise.all([events.close(), payments.close()]);
});

const post = (url: string, body: string) =>
  gateway.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });

describe('the events webhook', () => {
  it('delivers refunds, cancels and receipts after the backend recovers, each once, and never a Pay', async () => {
    for (const [url, body] of [
      ['/pay', PAY],
      ['/refund', REFUND],
      ['/cancel', CANCEL],
      ['/receipt', RECEIPT],
      ['/refund', REFUND], // a repeat: recorded once, delivered once
    ] as const) {
      expect((await post(url, body)).body).toBe('{"code":0}');
    }
    const accepted = () => events.received.filter((_request, index) => index >= 3);
    await vi.waitFor(() => expect(accepted()).toHaveLength(3), { timeout: 20_000, interval: 50 });
    // Each once: every attempt recorded, the next claim of notifications takes none of them again
    // (a claim leases what it takes, and sends it).
    const notifications = gateway.db.table('cloudpayments_notification');
    const recorded = gateway.db.table('cloudpayments_event');
    const logged = async () =>
      (await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('cloudpayments_event_webhook_log')}`)).length;
    await vi.waitFor(async () => expect(await logged()).toBe(events.received.length), { timeout: 10_000, interval: 20 });
    const from = claims.calls.length;
    await vi.waitFor(
      () => {
        const next = claims.calls.findIndex(([, outbox], index) => index >= from && outbox.table === 'cloudpayments_event');
        expect(claims.settledResults[next]?.type).toBe('fulfilled');
      },
      { timeout: 10_000, interval: 5 },
    );
    expect(await gateway.db.query(`SELECT type FROM ${recorded} WHERE locked_until > now()`)).toEqual([]);
    expect(accepted()).toHaveLength(3);

    const bodies = accepted().map((request) => JSON.parse(request.body) as Record<string, unknown>);
    expect(bodies.map((body) => body.type).sort()).toEqual(['Cancel', 'Receipt', 'Refund']);
    const [payment] = await gateway.db.query<{ id: string }>(
      `SELECT id::text AS id FROM ${gateway.db.table('cloudpayments_transaction')}`,
    );
    const refund = bodies.find((body) => body.type === 'Refund')!;
    expect(refund).toMatchObject({
      transaction_id: '2901360001',
      payment_transaction_id: '2901358781',
      payment_id: payment!.id,
      sum: 500,
      fields: { TransactionId: '2901360001', PaymentTransactionId: '2901358781', Amount: '500.00' },
    });
    expect(Object.keys(refund)).toEqual([
      'type',
      'id',
      'transaction_id',
      'payment_transaction_id',
      'payment_id',
      'account',
      'sum',
      'created_at',
      'fields',
      // After the nine it always had: the payment's code, as its webhook names it.
      'code',
    ]);
    expect(refund.code).toBe('2901358781');
    expect(accepted()[bodies.indexOf(refund)]!.body).toContain('"sum": 500.0');

    // Signed like payments, with an id that names the notification and stays the same on retries.
    const verifier = new Webhook(SECRET);
    for (const request of events.received) verifier.verify(request.body, request.headers as Record<string, string>);
    const ids = new Map<string, Set<string>>();
    for (const request of events.received) {
      const type = (JSON.parse(request.body) as { type: string }).type;
      ids.set(type, (ids.get(type) ?? new Set()).add(String(request.headers['webhook-id'])));
    }
    for (const set of ids.values()) expect(set.size).toBe(1);
    expect([...ids.values()].map((set) => [...set][0])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^cloudpayments_event_\d+$/)]),
    );

    // Every attempt is logged, and the events are marked delivered; the notifications are all kept.
    const log = await gateway.db.query(`SELECT response_status FROM ${gateway.db.table('cloudpayments_event_webhook_log')}`);
    expect(log).toHaveLength(events.received.length);
    const states = await gateway.db.query<{ type: string; status: number }>(`SELECT type, status FROM ${recorded} ORDER BY type`);
    expect(states).toEqual([
      { type: 'Cancel', status: 1 },
      { type: 'Receipt', status: 1 },
      { type: 'Refund', status: 1 },
    ]);
    const kept = await gateway.db.query<{ type: string }>(`SELECT type FROM ${notifications} ORDER BY type`);
    expect(kept.map(({ type }) => type)).toEqual(['Cancel', 'Receipt', 'Refund']);
    // The payment itself went to the payments URL, not to the events one.
    expect(payments.received).toHaveLength(1);
    expect(JSON.parse(payments.received[0]!.body)).toMatchObject({ code: '2901358781' });
  }, 60_000);
});
