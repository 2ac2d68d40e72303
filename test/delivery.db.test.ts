/**
 * Webhook delivery to a real HTTP receiver on loopback: the body, the log of attempts, retries
 * with a growing delay, and payments that wait for a webhook URL or survive a restart.
 */
import { describe, expect, it } from 'vitest';
import { freshDatabaseOnDisk } from './helpers/engine.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { startReceiver, waitFor } from './helpers/receiver.js';

const pay = (g: TestGateway, txnId: string, sum = '10.45', account = '4957835959') =>
  g.app.inject(`/payment?command=pay&txn_id=${txnId}&account=${account}&sum=${sum}`);

const transaction = async (g: TestGateway, code: string) => {
  const [row] = await g.db.query<{
    id: string;
    status: number;
    delivery_attempts: number;
    created_at: Date;
    last_error: string | null;
  }>(`SELECT id, status, delivery_attempts, created_at, last_error FROM ${g.db.table('qiwi_transaction')} WHERE code = $1`, [
    code,
  ]);
  return row!;
};

const attempts = (g: TestGateway) =>
  g.db.query<{
    transaction_id: string;
    attempt: number;
    url: string;
    request_body: string;
    response_status: number | null;
    response_body: string | null;
    error: string | null;
    duration_ms: number;
    created_at: Date;
  }>(`SELECT * FROM ${g.db.table('qiwi_webhook_log')} ORDER BY id`);

describe('delivery', () => {
  it('posts the documented body and marks the payment delivered', async () => {
    const backend = await startReceiver(() => ({ status: 200, body: 'accepted' }));
    const g = await startTestGateway({ QIWI_WEBHOOK_URL: `${backend.url}/hooks/qiwi?key=1`, MS_TIMEZONE: 'Europe/Moscow' });
    await pay(g, '563456456745', '45.00', '123456');
    await waitFor(() => backend.received.length === 1, 'the webhook');
    await waitFor(async () => (await transaction(g, '563456456745')).status === 1, 'status 1');
    const row = await transaction(g, '563456456745');

    const hook = backend.received[0]!;
    expect(hook.method).toBe('POST');
    expect(hook.url).toBe('/hooks/qiwi?key=1');
    expect(hook.headers['content-type']).toBe('application/json');
    const moscow = new Date(row.created_at.getTime() + 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(hook.body).toBe(
      `{"id": "${row.id}", "account": "123456", "code": "563456456745", "sum": 45.0, "created_at": "${moscow}"}`,
    );
    expect(JSON.parse(hook.body)).toEqual({ id: row.id, account: '123456', code: '563456456745', sum: 45, created_at: moscow });

    const [log] = await attempts(g);
    expect(log).toMatchObject({
      transaction_id: row.id,
      attempt: 1,
      // Sent with its query, stored with the values masked.
      url: `${backend.url}/hooks/qiwi?key=***`,
      request_body: hook.body,
      response_status: 200,
      response_body: 'accepted',
      error: null,
    });
    expect(row.delivery_attempts).toBe(1);
  });

  it('retries with a doubling delay until the backend accepts, logging every attempt', async () => {
    const backend = await startReceiver((_request, index) =>
      index < 3 ? { status: 500, body: 'x'.repeat(10_000) } : { status: 204 },
    );
    const g = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url, WEBHOOK_RETRY_MIN_MS: '200', WEBHOOK_RETRY_MAX_MS: '400' });
    await pay(g, '1');
    await waitFor(async () => (await transaction(g, '1')).status === 1, 'delivery after retries');

    const log = await attempts(g);
    expect(log.map((a) => [a.attempt, a.response_status, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 500, 'HTTP 500'],
      [4, 204, null],
    ]);
    expect(log[0]!.response_body!.length).toBe(2000);
    const gaps = backend.received.slice(1).map((r, i) => r.at - backend.received[i]!.at);
    // 200 ms, then 400 (capped), each within the ±20 % jitter.
    expect(gaps[0]).toBeGreaterThanOrEqual(155);
    expect(gaps[1]).toBeGreaterThanOrEqual(315);
    expect(new Set(backend.received.map((r) => r.body)).size).toBe(1);
  });

  it('counts a timeout, a redirect and a refused connection as failures', async () => {
    const backend = await startReceiver((_request, index) =>
      index === 0 ? 'hang' : index === 1 ? { status: 302, headers: { location: '/ok' } } : { status: 200 },
    );
    const g = await startTestGateway({
      QIWI_WEBHOOK_URL: backend.url,
      WEBHOOK_TIMEOUT_MS: '300',
      WEBHOOK_RETRY_MIN_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '50',
    });
    await pay(g, '2');
    await waitFor(async () => (await transaction(g, '2')).status === 1, 'delivery');
    const log = await attempts(g);
    expect(log.map((a) => [a.response_status, a.error])).toEqual([
      [null, 'timeout'],
      [302, 'HTTP 302'],
      [200, null],
    ]);
    expect(backend.received.filter((r) => r.url === '/ok')).toHaveLength(0);

    // Port 6000 is one fetch() refuses to call; a merchant's backend may still listen there.
    const refused = await startTestGateway({ QIWI_WEBHOOK_URL: 'http://127.0.0.1:6000/hook', WEBHOOK_RETRY_MIN_MS: '50' });
    await pay(refused, '3');
    await waitFor(async () => (await attempts(refused)).length > 0, 'an attempt');
    const [failed] = await attempts(refused);
    expect(failed).toMatchObject({ response_status: null, error: 'ECONNREFUSED' });
    expect((await transaction(refused, '3')).status).toBe(0);
  });

  it('keeps payments at status 0 without a webhook URL, and sends them once one is configured', async () => {
    const database = freshDatabaseOnDisk();
    const before = await startTestGateway({}, database);
    await pay(before, '10');
    await pay(before, '11');
    // Stopped, the dispatcher has finished whatever the two commits woke it for: nothing was sent.
    await before.dispatcher.stop(10_000);
    expect((await transaction(before, '10')).status).toBe(0);
    expect((await transaction(before, '11')).status).toBe(0);
    await before.close();

    const backend = await startReceiver();
    const after = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url }, database);
    await waitFor(() => backend.received.length === 2, 'both pending webhooks');
    expect(backend.received.map((r) => JSON.parse(r.body).code).sort()).toEqual(['10', '11']);
    await waitFor(async () => (await transaction(after, '11')).status === 1, 'status 1');
  });

  it('resumes pending retries after a restart', async () => {
    const database = freshDatabaseOnDisk();
    const backend = await startReceiver(() => ({ status: 503 }));
    const env = { QIWI_WEBHOOK_URL: backend.url, WEBHOOK_RETRY_MIN_MS: '100', WEBHOOK_RETRY_MAX_MS: '100' };
    const first = await startTestGateway(env, database);
    await pay(first, '20');
    await waitFor(() => backend.received.length >= 1, 'a failed attempt');
    await first.close();

    backend.respondWith(() => ({ status: 200 }));
    const second = await startTestGateway(env, database);
    await waitFor(async () => (await transaction(second, '20')).status === 1, 'delivery after the restart');
    const log = await attempts(second);
    expect(log.at(-1)).toMatchObject({ response_status: 200 });
    expect(log.length).toBeGreaterThanOrEqual(2);
  });

  it('delivers a backlog once each, one attempt row per attempt, accepted and refused ones side by side', async () => {
    // Odd codes are refused (a 4xx: their own business, the URL stays up), even ones accepted.
    const backend = await startReceiver((request) =>
      Number(JSON.parse(request.body).code) % 2 ? { status: 400 } : { status: 200 },
    );
    const g = await startTestGateway({
      QIWI_WEBHOOK_URL: backend.url,
      WEBHOOK_RETRY_MIN_MS: '600000',
      WEBHOOK_RETRY_MAX_MS: '600000',
    });
    await g.db.query(
      `INSERT INTO ${g.db.table('qiwi_transaction')} (account, code, sum) SELECT 'a' || n, n::text, 1.50 FROM generate_series(1, 300) AS n`,
    );
    const settled = async () =>
      (await g.db.query(`SELECT 1 FROM ${g.db.table('qiwi_transaction')} WHERE delivery_attempts = 0`)).length === 0;
    await waitFor(settled, 'an attempt for each of 300 payments', 30_000);

    const codes = backend.received.map((r) => Number(JSON.parse(r.body).code));
    expect(codes).toHaveLength(300);
    expect(new Set(codes).size).toBe(300);
    const rows = await g.db.query<{ code: string; status: number; attempts: number; due_later: boolean; logged: string }>(
      `SELECT t.code, t.status, t.delivery_attempts AS attempts, t.next_attempt_at > now() + interval '1 minute' AS due_later,
         (SELECT count(*) FROM ${g.db.table('qiwi_webhook_log')} l WHERE l.transaction_id = t.id)::text AS logged
       FROM ${g.db.table('qiwi_transaction')} t`,
    );
    for (const row of rows) {
      const refused = Number(row.code) % 2 === 1;
      expect(row).toEqual({ code: row.code, status: refused ? 0 : 1, attempts: 1, due_later: refused, logged: '1' });
    }
    const log = await g.db.query<{ response_status: number; error: string | null }>(
      `SELECT response_status, error FROM ${g.db.table('qiwi_webhook_log')}`,
    );
    expect(log.filter((row) => row.response_status === 400 && row.error === 'HTTP 400')).toHaveLength(150);
    expect(log.filter((row) => row.response_status === 200 && row.error === null)).toHaveLength(150);
  });
});
