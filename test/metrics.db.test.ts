/** GET /metrics and GET /readyz as Prometheus and a load balancer see them, on either engine. */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, EnvReader, readCoreConfig } from '../src/config/index.js';
import { MAX_FAILURES } from '../src/http/token-throttle.js';
import { PAY, REFUND } from '../src/providers/cloudpayments/fixtures/notifications.js';
import { freshDatabase } from './helpers/engine.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';

/** The value of one sample in the text format, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let gateway: TestGateway;
  let backend: Receiver;
  const scrape = async () => {
    const response = await gateway.app.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.body;
  };

  beforeAll(async () => {
    backend = await startReceiver();
    // QIWI payments are delivered; CloudPayments ones wait (no webhook URL): a backlog to see.
    gateway = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url, CLOUDPAYMENTS_API_SECRET: 'cp-secret' });
  });
  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
  });

  it('counts provider requests by type and outcome, and times them', async () => {
    await gateway.app.inject('/payment?command=check&txn_id=1&account=a1&sum=10.00');
    await gateway.app.inject('/payment?command=pay&txn_id=1&account=a1&sum=10.00');
    await gateway.app.inject('/payment?command=pay&txn_id=1&account=other&sum=10.00'); // reused txn_id: 300
    await gateway.app.inject('/payment?command=bogus&txn_id=2&account=a1');
    const body = 'TransactionId=77&Amount=5.50&AccountId=c1';
    const signed = (value: string) => createHmac('sha256', 'cp-secret').update(value).digest('base64');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await gateway.app.inject({ method: 'POST', url: '/pay', payload: body, headers: { ...form, 'content-hmac': signed(body) } });
    await gateway.app.inject({ method: 'POST', url: '/pay', payload: body, headers: { ...form, 'content-hmac': 'AAAA' } });

    const text = await scrape();
    const count = (labels: string) => sample(text, `payrelay_notifications_total{${labels}}`);
    expect(count('provider="qiwi",type="check",outcome="accepted"')).toBe(1);
    expect(count('provider="qiwi",type="pay",outcome="accepted"')).toBe(1);
    expect(count('provider="qiwi",type="pay",outcome="refused"')).toBe(1);
    expect(count('provider="qiwi",type="other",outcome="refused"')).toBe(1); // command=bogus
    expect(count('provider="cloudpayments",type="pay",outcome="accepted"')).toBe(1);
    expect(count('provider="cloudpayments",type="pay",outcome="refused"')).toBe(1);
    expect(text).toMatch(/^# TYPE payrelay_http_request_duration_seconds histogram$/m);
    expect(sample(text, 'payrelay_http_request_duration_seconds_count{method="GET",route="/payment",status_code="200"}')).toBe(4);
    expect(sample(text, 'payrelay_http_request_duration_seconds_count{method="POST",route="/pay",status_code="200"}')).toBe(2);
  });

  it('labels unknown types and unmatched paths without growing the label set, whatever a stranger sends', async () => {
    const before = sample(await scrape(), 'payrelay_notifications_total{provider="qiwi",type="other",outcome="refused"}') ?? 0;
    await gateway.app.inject('/payment?command=DROP%20TABLE&txn_id=3&account=a1');
    await gateway.app.inject('/no/such/path/zz-stranger-path');
    // Words of the right shape, each new: none may open a series of its own.
    const words = Array.from({ length: 40 }, (_, n) => `zq${String.fromCharCode(97 + (n % 26))}${'x'.repeat(n % 7)}`);
    for (const word of words) {
      await gateway.app.inject(`/payment?command=${word}&txn_id=4&account=a1`);
      await gateway.app.inject({ method: 'POST', url: `/_cloudpayments_/${word}`, payload: '{}' });
    }
    const text = await scrape();
    expect(sample(text, 'payrelay_notifications_total{provider="qiwi",type="other",outcome="refused"}')).toBe(before + 41);
    for (const word of words) expect(text).not.toContain(`type="${word}"`);
    expect(text.split('\n').filter((line) => line.startsWith('payrelay_notifications_total{')).length).toBeLessThan(20);
    expect(sample(text, 'payrelay_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}')).toBe(
      1,
    );
    expect(text).not.toContain('zz-stranger-path');
  });

  it('counts webhook attempts and reads the backlog from the database', async () => {
    await gateway.app.inject('/payment?command=pay&txn_id=10&account=a2&sum=1.00');
    await waitForDelivery(backend, 2);
    backend.respondWith(() => ({ status: 503 }));
    await gateway.app.inject('/payment?command=pay&txn_id=11&account=a2&sum=1.00');
    await waitForDelivery(backend, 3);

    // The receiver has the request a moment before the dispatcher has the answer: wait for the count.
    const text = await vi.waitFor(
      async () => {
        const scraped = await scrape();
        expect(sample(scraped, 'payrelay_webhook_attempts_total{provider="qiwi",outcome="unavailable"}')).toBeGreaterThanOrEqual(
          1,
        );
        return scraped;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(sample(text, 'payrelay_webhook_attempts_total{provider="qiwi",outcome="accepted"}')).toBe(2);
    expect(sample(text, 'payrelay_webhook_pending{provider="qiwi"}')).toBe(1);
    expect(sample(text, 'payrelay_webhook_pending{provider="cloudpayments"}')).toBe(1);
    // Every instance's events have a backlog too, URL or not, as its payments do: none here.
    expect(sample(text, 'payrelay_webhook_pending{provider="qiwi_event"}')).toBe(0);
    expect(sample(text, 'payrelay_webhook_pending{provider="cloudpayments_event"}')).toBe(0);
    const oldest = sample(text, 'payrelay_webhook_oldest_pending_seconds{provider="cloudpayments"}')!;
    expect(oldest).toBeGreaterThan(0);
    expect(oldest).toBeLessThan(120);
    expect(sample(text, 'payrelay_database_up')).toBe(1);
    expect(sample(text, 'payrelay_alert_incidents_open')).toBe(0);
    await gateway.db.query(
      `INSERT INTO ${gateway.db.table('alert_incident')} (url, providers, reason, started_at) VALUES ('http://x/', 'qiwi', 'test', now())`,
    );
    expect(sample(await scrape(), 'payrelay_alert_incidents_open')).toBe(1);
    const [row] = await gateway.db.query<{ age: number }>(
      `SELECT extract(epoch FROM now() - created_at)::float8 AS age FROM ${gateway.db.table('cloudpayments_transaction')}`,
    );
    expect(Math.abs(oldest - Number(row!.age))).toBeLessThan(5);
    backend.respondWith(() => ({ status: 200 }));
  });

  it('reports the connection pool', async () => {
    const text = await scrape();
    const size = sample(text, 'payrelay_db_pool_size')!;
    const open = sample(text, 'payrelay_db_pool_connections')!;
    const idle = sample(text, 'payrelay_db_pool_idle_connections')!;
    expect(size).toBe(gateway.db.kind === 'pglite' ? 1 : 10);
    expect(open).toBeGreaterThanOrEqual(1);
    expect(open).toBeLessThanOrEqual(size);
    expect(idle).toBeLessThanOrEqual(open);
    expect(sample(text, 'payrelay_db_pool_waiting')).toBe(0);
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('times each commit of pays and counts the pays in it, as many commits as the table shows', async () => {
    const before = await scrape();
    const urls = Array.from({ length: 40 }, (_, i) => `/payment?command=pay&txn_id=${5000 + i}&account=a3&sum=2.00`);
    const answers = await Promise.all(urls.map((url) => gateway.app.inject(url)));
    for (const answer of answers) expect(answer.body).toContain('<result>0</result>');
    // A pay's log row commits with its payment and is never updated (a delivery updates the
    // payment's row): log rows committed together share an xmin, one per commit.
    const rows = await gateway.db.query<{ xid: string }>(
      `SELECT xmin::text AS xid FROM ${gateway.db.table('qiwi_http_log')} WHERE url = ANY($1)`,
      [urls],
    );
    expect(rows).toHaveLength(40);
    const commits = new Set(rows.map((row) => row.xid)).size;
    const after = await scrape();
    const delta = (series: string) => sample(after, series)! - (sample(before, series) ?? 0);
    expect(delta('payrelay_pay_commit_pays_sum{provider="qiwi"}')).toBe(40);
    expect(delta('payrelay_pay_commit_pays_count{provider="qiwi"}')).toBe(commits);
    expect(delta('payrelay_pay_commit_duration_seconds_count{provider="qiwi"}')).toBe(commits);
    expect(delta('payrelay_pay_commit_duration_seconds_sum{provider="qiwi"}')).toBeGreaterThan(0);
    expect(sample(after, 'payrelay_pay_commit_duration_seconds_bucket{le="+Inf",provider="qiwi"}')).toBe(
      sample(after, 'payrelay_pay_commit_duration_seconds_count{provider="qiwi"}'),
    );
  });
});

describe('metrics of the events webhook', () => {
  it('report the events waiting for CLOUDPAYMENTS_EVENTS_WEBHOOK_URL apart from the payments, until delivered', async () => {
    const events = await startReceiver(() => ({ status: 503 }));
    const gateway = await startTestGateway({
      CLOUDPAYMENTS_EVENTS_WEBHOOK_URL: `${events.url}/events`,
      WEBHOOK_RETRY_MIN_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '200',
      WEBHOOK_PROBE_MAX_MS: '200',
    });
    try {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      for (const [url, payload] of [
        ['/pay', PAY],
        ['/refund', REFUND],
      ]) {
        expect((await gateway.app.inject({ method: 'POST', url, headers: form, payload })).body).toBe('{"code":0}');
      }
      await waitForDelivery(events, 1);
      const text = await gateway.app.inject('/metrics').then((response) => response.body);
      // The Pay waits for CLOUDPAYMENTS_WEBHOOK_URL (not set), the Refund for the events URL.
      expect(sample(text, 'payrelay_webhook_pending{provider="cloudpayments"}')).toBe(1);
      expect(sample(text, 'payrelay_webhook_pending{provider="cloudpayments_event"}')).toBe(1);
      const oldest = sample(text, 'payrelay_webhook_oldest_pending_seconds{provider="cloudpayments_event"}')!;
      expect(oldest).toBeGreaterThan(0);
      expect(oldest).toBeLessThan(120);

      events.respondWith(() => ({ status: 200 }));
      await vi.waitFor(
        async () => {
          const scraped = (await gateway.app.inject('/metrics')).body;
          expect(sample(scraped, 'payrelay_webhook_pending{provider="cloudpayments_event"}')).toBe(0);
          expect(sample(scraped, 'payrelay_webhook_oldest_pending_seconds{provider="cloudpayments_event"}')).toBe(0);
        },
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      await gateway.close();
      await events.close();
    }
  });
});

async function waitForDelivery(backend: Receiver, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (backend.received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(backend.received.length).toBeGreaterThanOrEqual(count);
}

describe('metrics behind METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-for-tests-24680';

  it('answers a scrape with the Bearer token, refuses any other with 401 and a guessing address with 429; health and readiness stay open', async () => {
    const gateway = await startTestGateway({ METRICS_TOKEN: TOKEN });
    try {
      for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN]) {
        const refused = await gateway.app.inject({ url: '/metrics', headers: authorization ? { authorization } : {} });
        expect(refused.statusCode, String(authorization)).toBe(401);
        expect(refused.headers['www-authenticate']).toBe('Bearer');
        expect(refused.json()).toEqual({ error: 'unauthorized' });
        expect(refused.body).not.toContain('payrelay_');
      }
      const scraped = await gateway.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.statusCode).toBe(200);
      expect(sample(scraped.body, 'payrelay_database_up')).toBe(1);
      // Guessing from one address: refused for a while, then even with the token; others go on.
      const from = (remoteAddress: string, token: string) =>
        gateway.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` }, remoteAddress });
      for (let n = 0; n < MAX_FAILURES; n++) expect((await from('198.51.100.20', `guess-${n}`)).statusCode).toBe(401);
      const blocked = await from('198.51.100.20', TOKEN);
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
      expect(blocked.json()).toEqual({ error: 'too_many_wrong_tokens' });
      expect((await from('198.51.100.21', TOKEN)).statusCode).toBe(200);
      expect((await gateway.app.inject('/readyz')).statusCode).toBe(200);
      expect((await gateway.app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('refuses a short METRICS_TOKEN at start-up, naming the variable', () => {
    expect(() => readCoreConfig(new EnvReader({ METRICS_TOKEN: 'short' }))).toThrow(
      new ConfigError('METRICS_TOKEN', 'must be at least 16 characters'),
    );
    expect(readCoreConfig(new EnvReader({})).metricsToken).toBeUndefined();
  });
});

describe('readiness', () => {
  it('is ready with every migration applied, and says what is missing otherwise', async () => {
    const gateway = await startTestGateway();
    try {
      const ready = await gateway.app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready' });

      await gateway.db.query(`DELETE FROM ${gateway.db.table('payrelay_migration')} WHERE id = $1`, [
        'qiwi/shared/002_pending_and_log_age.sql',
      ]);
      const behind = await gateway.app.inject('/readyz');
      expect(behind.statusCode).toBe(503);
      expect(behind.json()).toEqual({
        status: 'unavailable',
        reason: 'migrations not applied',
        missing: ['qiwi/shared/002_pending_and_log_age.sql'],
      });
      expect((await gateway.app.inject('/healthz')).statusCode).toBe(200); // liveness is another matter
    } finally {
      await gateway.close();
    }
  });

  it('is not ready, and /metrics still answers, when the database is gone', async () => {
    const database = await freshDatabase();
    const gateway = await startTestGateway({}, database);
    await gateway.dispatcher.stop(1000);
    await gateway.db.close();
    const down = await gateway.app.inject('/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'unavailable', reason: 'database does not answer' });
    // The network's pay meanwhile is a temporary error: counted as such.
    expect((await gateway.app.inject('/payment?command=pay&txn_id=9&account=a&sum=1')).body).toContain('<result>1</result>');
    const metrics = await gateway.app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(sample(metrics.body, 'payrelay_notifications_total{provider="qiwi",type="pay",outcome="error"}')).toBe(1);
    expect(sample(metrics.body, 'payrelay_database_up')).toBe(0);
    expect(metrics.body).not.toMatch(/^payrelay_webhook_pending\{/m);
    await gateway.app.close();
    await database.drop();
  });
});
