/**
 * Delivery a merchant can bet on: signed webhooks verified by the standardwebhooks package,
 * Retry-After, a bounded number of webhooks in flight, an immediate first attempt, and one
 * probe at a time while the backend is down, then the whole backlog at once when it returns.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { EnvReader, readCoreConfig } from '../src/config/index.js';
import { claimDue } from '../src/delivery/store.js';
import { configureProviders } from '../src/providers/index.js';
import { startupSummary } from '../src/summary.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { startReceiver, waitFor } from './helpers/receiver.js';

// The dispatcher's claims, watched (and left to do their work): a check that a payment is not
// sent (again) waits for the claim that would have taken it.
vi.mock(import('../src/delivery/store.js'), async (importOriginal) => {
  const store = await importOriginal();
  return { ...store, claimDue: vi.fn(store.claimDue) };
});
const claims = vi.mocked(claimDue).mock;
/** Resolves once the claim numbered `index` (counting this file's claims from 0) has read the table. */
const claimRead = (index: number) =>
  vi.waitFor(() => expect(claims.settledResults[index]?.type).toBe('fulfilled'), { timeout: 10_000, interval: 5 });

const pay = (g: TestGateway, txnId: string | number) => g.app.inject(`/payment?command=pay&txn_id=${txnId}&account=42&sum=1.00`);
const delivered = async (g: TestGateway) =>
  Number((await g.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${g.db.table('qiwi_transaction')} WHERE status = 1`))[0]!.n);
const attempts = async (g: TestGateway, code: string) =>
  (
    await g.db.query<{ n: number }>(`SELECT delivery_attempts AS n FROM ${g.db.table('qiwi_transaction')} WHERE code = $1`, [
      code,
    ])
  )[0]?.n ?? 0;

// Not the Standard Webhooks test vector's key: start-up refuses that published one.
const SECRET = 'whsec_Yx9W0NDMaXtZWvp9kwI0w0zfEOqKJCGn';
const OTHER_SECRET = 'whsec_c2Vjb25kLXNlY3JldC1mb3ItcWl3aQ==';

describe('signed webhooks', () => {
  it('carry Standard Webhooks headers that the standardwebhooks package verifies, the same id on every retry', async () => {
    const backend = await startReceiver((_request, index) => (index === 0 ? { status: 500 } : { status: 200 }));
    const g = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url, WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_MIN_MS: '50' });
    await pay(g, 1);
    await waitFor(() => backend.received.length === 2, 'a retry');

    const verifier = new Webhook(SECRET);
    for (const hook of backend.received) {
      const headers = hook.headers as Record<string, string>;
      expect(verifier.verify(hook.body, headers)).toMatchObject({ code: '1', sum: 1 });
      expect(() => new Webhook(OTHER_SECRET).verify(hook.body, headers)).toThrow();
    }
    const [first, second] = backend.received.map((hook) => hook.headers['webhook-id']);
    expect(first).toMatch(/^qiwi_\d+$/);
    expect(second).toBe(first);
  });

  it('take the provider secret over the shared one, and are unsigned without a secret', async () => {
    const backend = await startReceiver();
    const signed = await startTestGateway({
      QIWI_WEBHOOK_URL: backend.url,
      WEBHOOK_SECRET: SECRET,
      QIWI_WEBHOOK_SECRET: OTHER_SECRET,
    });
    await pay(signed, 2);
    const unsigned = await startTestGateway({ QIWI_WEBHOOK_URL: `${backend.url}/plain` });
    await pay(unsigned, 3);
    await waitFor(() => backend.received.length === 2, 'both webhooks');

    const hook = backend.received.find((r) => r.url === '/')!;
    expect(new Webhook(OTHER_SECRET).verify(hook.body, hook.headers as Record<string, string>)).toMatchObject({ code: '2' });
    const plain = backend.received.find((r) => r.url === '/plain')!;
    expect(plain.headers['webhook-signature']).toBeUndefined();
  });
});

describe('retry timing', () => {
  it('honours Retry-After within the configured bounds', async () => {
    const backend = await startReceiver((_request, index) =>
      index === 0 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const g = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url, WEBHOOK_RETRY_MIN_MS: '50', WEBHOOK_RETRY_MAX_MS: '5000' });
    await pay(g, 4);
    await waitFor(() => backend.received.length === 2, 'the retry', 5000);
    expect(backend.received[1]!.at - backend.received[0]!.at).toBeGreaterThanOrEqual(950);

    const capped = await startReceiver((_request, index) =>
      index === 0 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 200 },
    );
    const h = await startTestGateway({ QIWI_WEBHOOK_URL: capped.url, WEBHOOK_RETRY_MIN_MS: '50', WEBHOOK_RETRY_MAX_MS: '300' });
    await pay(h, 5);
    // An hour asked, 300 ms allowed: the retry comes within seconds.
    await waitFor(() => capped.received.length === 2, 'the capped retry', 5000);
  });

  it('starts the first attempt on commit, without waiting for the poller', async () => {
    const backend = await startReceiver();
    const startUp = claims.calls.length;
    const g = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url, WEBHOOK_POLL_MS: '60000' });
    // Let the start-up round find nothing, so only the wake-up on commit can start this attempt.
    await claimRead(startUp);
    await pay(g, 6);
    await waitFor(() => backend.received.length === 1, 'the webhook', 5000);
  });
});

describe('load on the backend', () => {
  it('keeps at most WEBHOOK_CONCURRENCY webhooks in flight', async () => {
    let most = 0;
    const backend = await startReceiver(() => {
      // This request and those still open: the connections the gateway holds at this moment.
      most = Math.max(most, backend.hangingNow() + 1);
      return 'hang';
    });
    const g = await startTestGateway({
      QIWI_WEBHOOK_URL: backend.url,
      WEBHOOK_CONCURRENCY: '4',
      WEBHOOK_TIMEOUT_MS: '400',
      WEBHOOK_RETRY_MIN_MS: '20',
    });
    for (let i = 0; i < 12; i++) await pay(g, 100 + i);
    // An attempt after the first four timed out: a dispatcher without the bound would have sent
    // all twelve at once before it.
    await waitFor(() => backend.received.length > 4, 'an attempt after the first wave', 20_000);
    expect(most).toBe(4);
  });

  it('probes a failing URL one delivery at a time, then sends the backlog as soon as it recovers', async () => {
    let down = true;
    // While down the backend asks for an hour's pause: each failed payment's own retry is an hour away.
    const backend = await startReceiver(() => (down ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }));
    const g = await startTestGateway({
      QIWI_WEBHOOK_URL: backend.url,
      WEBHOOK_RETRY_MIN_MS: '100',
      WEBHOOK_RETRY_MAX_MS: '3600000',
      WEBHOOK_PROBE_MAX_MS: '500',
    });
    const backlog = 60;
    for (let i = 0; i < backlog; i++) await pay(g, 1000 + i);
    const endpoint = async () =>
      (
        await g.db.query<{ failing_since: Date | null; probes: number }>(
          `SELECT failing_since, probes FROM ${g.db.table('webhook_endpoint')}`,
        )
      )[0];
    // Three probes, a claim round before each: without probing, those rounds would have tried every payment.
    await waitFor(async () => ((await endpoint())?.probes ?? 0) >= 3, 'three probes', 10_000);
    expect(backend.received.length).toBeLessThan(35);
    expect((await endpoint())?.failing_since).toBeInstanceOf(Date);
    const tried = await g.db.query<{ soon: boolean }>(
      `SELECT next_attempt_at < now() + interval '30 minutes' AS soon FROM ${g.db.table('qiwi_transaction')} WHERE delivery_attempts > 0`,
    );
    expect(tried.length).toBeGreaterThanOrEqual(3);
    expect(tried.filter((row) => row.soon)).toEqual([]);

    down = false;
    const recoveredAt = Date.now();
    await waitFor(async () => (await delivered(g)) === backlog, 'the whole backlog, long before an hour', 10_000);
    expect(await g.db.query(`SELECT 1 FROM ${g.db.table('webhook_endpoint')}`)).toEqual([]);
    const codes = backend.received.filter((r) => r.at >= recoveredAt).map((r) => JSON.parse(r.body).code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('streams that share a URL', () => {
  it('probes with whichever has a payment: a stream with nothing to send does not hold the probe back', async () => {
    let down = true;
    const backend = await startReceiver(() => (down ? { status: 503 } : { status: 200 }));
    // QIWI's events go where its payments go, and there are none: its stream is empty throughout.
    const g = await startTestGateway({
      QIWI_WEBHOOK_URL: backend.url,
      QIWI_EVENTS_WEBHOOK_URL: backend.url,
      WEBHOOK_RETRY_MIN_MS: '100',
      WEBHOOK_PROBE_MAX_MS: '300',
    });
    for (let i = 0; i < 10; i++) await pay(g, 5000 + i);
    const probes = async () =>
      (await g.db.query<{ probes: number }>(`SELECT probes FROM ${g.db.table('webhook_endpoint')}`))[0]?.probes ?? 0;
    // Half the claim rounds start with the empty stream: had it taken the probe's slot and kept it
    // for a lease (a minute), the probes would stop here.
    await waitFor(async () => (await probes()) >= 8, 'eight probes, one every 300 ms at most', 15_000);
    down = false;
    await waitFor(async () => (await delivered(g)) === 10, 'the backlog, once the backend is back', 10_000);
  });
});

describe('what the backend answers', () => {
  it('a refusal (4xx) is this payment’s own business: it backs off alone and the URL is not marked down', async () => {
    const backend = await startReceiver((request) =>
      JSON.parse(request.body).code === '7001' ? { status: 422 } : { status: 200 },
    );
    const g = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url, WEBHOOK_RETRY_MIN_MS: '100', WEBHOOK_PROBE_MAX_MS: '100' });
    const failing = () => g.db.query(`SELECT 1 FROM ${g.db.table('webhook_endpoint')} WHERE failing_since IS NOT NULL`);
    await pay(g, 7001);
    // Four tries recorded: had a refusal counted against the URL, the third would have marked it
    // down, and the fourth would have been a probe, WEBHOOK_PROBE_MAX_MS after it.
    await waitFor(async () => (await attempts(g, '7001')) >= 4, 'four tries of the refused payment');
    expect(await failing()).toEqual([]);
    // Its own backoff, 100, 200, 400 ms (±20 %), not one try every probe interval (100 ms).
    const at = backend.received.filter((r) => JSON.parse(r.body).code === '7001').map((r) => r.at);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(155);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(315);
    await pay(g, 7002);
    await waitFor(async () => (await delivered(g)) === 1, 'the good payment');
    expect(await failing()).toEqual([]);
  });

  it('an acceptance sticks even when the attempt cannot be logged as received', async () => {
    const backend = await startReceiver(() => ({ status: 200, body: 'ok\0' }));
    const g = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url, WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_LEASE_MS: '2500' });
    await pay(g, 7003);
    await waitFor(async () => (await delivered(g)) === 1, 'delivery');
    // Past the lease, as the row tells it, the next claim would take the payment if it were due again.
    const lease = async () =>
      (
        await g.db.query<{ over: boolean; attempts: number }>(
          `SELECT locked_until IS NULL OR locked_until < now() AS over, delivery_attempts AS attempts
           FROM ${g.db.table('qiwi_transaction')}`,
        )
      )[0]!;
    await waitFor(async () => (await lease()).over, 'the end of the lease');
    await claimRead(claims.calls.length);
    // Not taken again (a claim would have leased it anew), and not sent twice.
    expect(await lease()).toEqual({ over: true, attempts: 1 });
    expect(backend.received).toHaveLength(1);
    const [log] = await g.db.query<{ response_body: string }>(`SELECT response_body FROM ${g.db.table('qiwi_webhook_log')}`);
    expect(log!.response_body).toBe('ok\uFFFD');
  });

  it('sends the credentials of a webhook URL as Basic authorization, and never stores the password', async () => {
    const backend = await startReceiver((request) =>
      request.headers.authorization === `Basic ${Buffer.from('shop:p@ss word').toString('base64')}`
        ? { status: 200 }
        : { status: 401 },
    );
    const url = new URL(backend.url);
    url.username = 'shop';
    url.password = encodeURIComponent('p@ss word');
    const g = await startTestGateway({ QIWI_WEBHOOK_URL: `${url.href}hook` });
    await pay(g, 7004);
    await waitFor(async () => (await delivered(g)) === 1, 'an authorized delivery');
    const [log] = await g.db.query<{ url: string }>(`SELECT url FROM ${g.db.table('qiwi_webhook_log')}`);
    expect(log!.url).toBe(`http://shop:***@127.0.0.1:${url.port}/hook`);
  });

  it.each([
    ['a token in its query', (base: URL) => `${base.origin}/hook?token=s3cret&shop=7`, '/hook?token=***&shop=***'],
    ['a user name alone (an API key)', (base: URL) => `http://apikey@${base.host}/hook`, '/hook'],
  ])('sends a webhook URL with %s as configured, and never stores or shows the secret', async (_, configured, shownPath) => {
    const backend = await startReceiver(() => ({ status: 503 }));
    const url = configured(new URL(backend.url));
    const shown = `http://${url.includes('apikey') ? '***@' : ''}127.0.0.1:${new URL(backend.url).port}${shownPath}`;
    const env = {
      QIWI_WEBHOOK_URL: url,
      QIWI_CHECK_URL: url.replace('/hook', '/check'),
      WEBHOOK_RETRY_MIN_MS: '20',
      WEBHOOK_RETRY_MAX_MS: '100',
      WEBHOOK_PROBE_MAX_MS: '100',
    };
    const g = await startTestGateway(env);
    await pay(g, 7006);
    // Failing: the URL's health is stored under it too.
    const endpoint = () =>
      g.db.query<{ url: string }>(`SELECT url FROM ${g.db.table('webhook_endpoint')} WHERE failing_since IS NOT NULL`);
    const failing = await waitFor(async () => (await endpoint())[0], 'the URL marked failing');
    expect(failing!.url).toBe(shown);
    backend.respondWith(() => ({ status: 200 }));
    await waitFor(async () => (await delivered(g)) === 1, 'the delivery');

    // What was requested is what was configured: the query, and the user name as Basic authorization.
    const requested = new URL(url);
    for (const hook of backend.received) {
      expect(hook.url).toBe(`${requested.pathname}${requested.search}`);
      const basic = requested.username ? `Basic ${Buffer.from(`${requested.username}:`).toString('base64')}` : undefined;
      expect(hook.headers.authorization).toBe(basic);
    }
    const logged = await g.db.query<{ url: string }>(`SELECT url FROM ${g.db.table('qiwi_webhook_log')}`);
    expect(logged.length).toBeGreaterThan(1);
    for (const log of logged) expect(log.url).toBe(shown);

    const reader = new EnvReader(env);
    const summary = startupSummary(readCoreConfig(reader), configureProviders(reader), 'http://0.0.0.0:8080');
    expect(summary).toContain(`webhook: ${shown}`);
    expect(summary).toContain(`account check: ${shown.replace('/hook', '/check')}`);
    expect(summary).not.toMatch(/s3cret|apikey/);
  });

  it('serves every provider in turn: one provider’s backlog does not hold back another’s payment', async () => {
    const backend = await startReceiver();
    backend.respondWith((request) => ({ status: request.url === '/qiwi' ? 200 : 201 }));
    const g = await startTestGateway({
      QIWI_WEBHOOK_URL: `${backend.url}/qiwi`,
      CLOUDPAYMENTS_WEBHOOK_URL: `${backend.url}/cloudpayments`,
      WEBHOOK_CONCURRENCY: '2',
    });
    await g.db.query(
      `INSERT INTO ${g.db.table('cloudpayments_transaction')} (account, code, sum)
       SELECT 'a', n::text, 1.00 FROM generate_series(1, 300) AS n`,
    );
    await pay(g, 7005);
    await waitFor(() => backend.received.some((r) => r.url === '/qiwi'), 'the QIWI payment');
    const before = backend.received.findIndex((r) => r.url === '/qiwi');
    expect(before).toBeLessThan(100);
  });
});
