/**
 * Pay transactions reach CLOUDPAYMENTS_WEBHOOK_URL with the body every protocol's payments have; only 200 and
 * 201 count as accepted, as in the container this replaces. Nothing else is delivered.
 */
import { describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { startReceiver, waitFor, type Receiver, type Responder } from '../../../test/helpers/receiver.js';
import { instancePaths } from '../../app.js';
import { cloudpayments } from './index.js';
import { CANCEL, CONFIRM, FAIL, PAY, RECURRENT, REFUND, withField } from './fixtures/notifications.js';
import { transactions } from './fixtures/tables.js';

async function start(respond: Responder, env: Record<string, string> = {}): Promise<{ backend: Receiver; gateway: TestGateway }> {
  const backend = await startReceiver(respond);
  // Polling once a minute: a delivery within the 10 s of waitFor proves the Pay woke the dispatcher.
  const gateway = await startTestGateway({
    CLOUDPAYMENTS_WEBHOOK_URL: `${backend.url}/hooks/cp`,
    WEBHOOK_POLL_MS: '60000',
    ...env,
  });
  return { backend, gateway };
}

const post = (gateway: TestGateway, path: string, body: string) =>
  gateway.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body,
  });

const attempts = (gateway: TestGateway) =>
  gateway.db.query<{ attempt: number; response_status: number | null; error: string | null; request_body: string }>(
    `SELECT attempt, response_status, error, request_body FROM ${gateway.db.table('cloudpayments_webhook_log')} ORDER BY id`,
  );

describe('delivery of a Pay', () => {
  it('posts the documented body as soon as the payment is recorded, and a 201 accepts it', async () => {
    const { backend, gateway } = await start(() => ({ status: 201, body: 'created' }), { MS_TIMEZONE: 'Europe/Moscow' });
    await post(gateway, '/pay', PAY);
    await waitFor(async () => (await transactions(gateway.db))[0]?.status === 1, 'status 1');

    const [row] = await gateway.db.query<{ id: string; created_at: Date }>(
      `SELECT id, created_at FROM ${gateway.db.table('cloudpayments_transaction')}`,
    );
    const moscow = new Date(row!.created_at.getTime() + 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    const body = `{"id": "${row!.id}", "account": "4957835959", "code": "2901358781", "sum": 1500.0, "created_at": "${moscow}"}`;
    expect(backend.received).toMatchObject([{ method: 'POST', url: '/hooks/cp', body }]);
    expect(await attempts(gateway)).toEqual([{ attempt: 1, response_status: 201, error: null, request_body: body }]);
  });

  it('retries after a 202 and a 204 until a 200', async () => {
    const statuses = [202, 204, 200];
    const { gateway } = await start((_request, index) => ({ status: statuses[index] ?? 200 }), {
      WEBHOOK_RETRY_MIN_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '100',
      WEBHOOK_POLL_MS: '50',
    });
    await post(gateway, '/pay', withField(PAY, 'Amount', '10.40'));
    await waitFor(async () => (await transactions(gateway.db))[0]?.status === 1, 'status 1');
    const log = await attempts(gateway);
    expect(log.map((a) => [a.attempt, a.response_status, a.error])).toEqual([
      [1, 202, 'HTTP 202'],
      [2, 204, 'HTTP 204'],
      [3, 200, null],
    ]);
    expect(log[0]!.request_body).toContain('"sum": 10.4,');
  });

  it('delivers nothing for the other types, nor for a Pay kept aside', async () => {
    const { backend, gateway } = await start(() => ({ status: 200 }), { WEBHOOK_POLL_MS: '50' });
    const notDelivered: [string, string][] = [
      ['/fail', FAIL],
      ['/confirm', CONFIRM],
      ['/refund', REFUND],
      ['/cancel', CANCEL],
      ['/recurrent', RECURRENT],
      ['/pay', withField(PAY, 'AccountId', '')],
    ];
    for (const [path, body] of notDelivered) {
      expect((await post(gateway, path, body)).body).toBe('{"code":0}');
    }
    // A Pay after them goes out alone: the dispatcher has looked since, and found nothing of theirs to send.
    expect((await post(gateway, '/pay', withField(PAY, 'TransactionId', '2901359999'))).body).toBe('{"code":0}');
    await waitFor(async () => (await transactions(gateway.db)).some((row) => row.status === 1), 'the later Pay delivered');
    expect(backend.received.map((request) => JSON.parse(request.body).code)).toEqual(['2901359999']);
  });
});

describe('the provider as the start-up summary shows it', () => {
  it('lists the notification paths at the root and under /_cloudpayments_/, and the card page', () => {
    const types = ['/check', '/pay', '/fail', '/confirm', '/refund', '/cancel', '/recurrent', '/receipt'];
    expect(instancePaths({ name: 'cloudpayments', protocol: cloudpayments, root: true })).toEqual([
      ...types,
      '/pub/card',
      ...types.map((path) => `/_cloudpayments_${path}`),
      '/_cloudpayments_/:type',
      '/_cloudpayments_/pub/card',
    ]);
  });
});
