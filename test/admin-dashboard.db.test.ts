/**
 * The dashboard over HTTP: sign-in and its cookie, refusals of cross-site and forged posts,
 * what the pages show, and escaping of attacker-chosen text. The browser's view of the same
 * pages is admin-dashboard.browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FAILURES } from '../src/http/token-throttle.js';
import { PAY, REFUND } from '../src/providers/cloudpayments/fixtures/notifications.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { startReceiver, waitFor, type Receiver } from './helpers/receiver.js';

const TOKEN = 'dashboard-token-for-tests-987654';
const HOST = 'payrelay.test';
const ORIGIN = `http://${HOST}`;
const FORM = 'application/x-www-form-urlencoded';
const EVIL_ACCOUNT = '<script>alert(1)</script>"\'&';

let gateway: TestGateway;
let backend: Receiver;
let cookie: string;

const page = (url: string, session = cookie) =>
  gateway.app.inject({ url, headers: { host: HOST, ...(session ? { cookie: session } : {}) } });
/** A form post as a browser on this site sends it; `origin: ''` leaves the Origin header out. */
function form(url: string, body: Record<string, string>, headers: Record<string, string> = {}, remoteAddress?: string) {
  const all: Record<string, string> = { host: HOST, 'content-type': FORM, origin: ORIGIN, ...headers };
  if (all.origin === '') delete all.origin;
  const payload = new URLSearchParams(body).toString();
  return gateway.app.inject({ method: 'POST', url, headers: all, payload, remoteAddress });
}
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

async function signIn(): Promise<string> {
  const response = await form('/admin/login', { token: TOKEN });
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toBe('/admin');
  const setCookie = String(response.headers['set-cookie']);
  return setCookie.split(';')[0]!;
}

beforeAll(async () => {
  backend = await startReceiver();
  gateway = await startTestGateway({ ADMIN_TOKEN: TOKEN, QIWI_WEBHOOK_URL: `${backend.url}/qiwi` });
  await gateway.app.inject(`/payment?command=pay&txn_id=5001&account=${encodeURIComponent(EVIL_ACCOUNT)}&sum=12.30`);
  await gateway.app.inject('/payment?command=pay&txn_id=5002&account=plain&sum=7');
  await waitFor(() => backend.received.length === 2, 'both deliveries');
  cookie = await signIn();
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});

describe('signing in', () => {
  it('shows a password field to a visitor without a session, under a strict CSP', async () => {
    const response = await page('/admin', '');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<input id="token" name="token" type="password"');
    expect(response.body).not.toContain('<script');
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sets an HttpOnly, SameSite=Strict session cookie that does not hold the token', async () => {
    const response = await form('/admin/login', { token: TOKEN });
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^payrelay_admin=[^;]+; Max-Age=43200; Path=\/admin; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(TOKEN);
    expect(setCookie).not.toContain(Buffer.from(TOKEN).toString('base64'));
  });

  it('refuses a wrong token, and a sign-in posted from another site', async () => {
    const wrong = await form('/admin/login', { token: `${TOKEN}x` });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.body).toContain('That is not the admin token.');
    const missing = await form('/admin/login', {});
    expect(missing.statusCode).toBe(401);
    const crossSite = await form('/admin/login', { token: TOKEN }, { origin: 'https://evil.example' });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.headers['set-cookie']).toBeUndefined();
    const fetchedCrossSite = await form('/admin/login', { token: TOKEN }, { origin: '', 'sec-fetch-site': 'cross-site' });
    expect(fetchedCrossSite.statusCode).toBe(403);
    // A client that is not a browser names no origin; the token alone decides.
    expect((await form('/admin/login', { token: TOKEN }, { origin: '' })).statusCode).toBe(303);
  });

  it(`refuses an address for a while after ${MAX_FAILURES} wrong tokens, and says so; its sessions and other addresses go on`, async () => {
    const guesser = '203.0.113.5';
    for (let n = 0; n < MAX_FAILURES; n++) {
      expect((await form('/admin/login', { token: `guess-${n}` }, {}, guesser)).statusCode).toBe(401);
    }
    const blocked = await form('/admin/login', { token: TOKEN }, {}, guesser);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['set-cookie']).toBeUndefined();
    expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
    expect(blocked.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(blocked.body).toContain(
      '<p class="problem" role="alert">Too many wrong tokens from this address. Try again in 15 min.</p>',
    );
    expect((await form('/admin/login', { token: TOKEN }, {}, '203.0.113.6')).statusCode).toBe(303);
    // A session signed in before is not the guesser's to end.
    const signedIn = await gateway.app.inject({ url: '/admin', headers: { host: HOST, cookie }, remoteAddress: guesser });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.body).not.toContain('name="token"');
  });

  it('does not take a forged, altered or foreign session cookie', async () => {
    const [name, value] = cookie.split('=') as [string, string];
    const [expires, nonce, signature] = value.split('.');
    const later = `${Number(expires) + 86_400}.${nonce}.${signature}`;
    for (const forged of [`${name}=${later}`, `${name}=${value.slice(0, -2)}AA`, `${name}=${TOKEN}`, `${name}=`]) {
      const response = await page('/admin', forged);
      expect(response.body, forged).toContain('type="password"');
    }
    const otherGateway = await startTestGateway({ ADMIN_TOKEN: `${TOKEN}-other` });
    const response = await otherGateway.app.inject({ url: '/admin', headers: { cookie } });
    expect(response.body).toContain('type="password"');
  });
});

describe('pages', () => {
  it('shows per-provider counts, the latest payments, and escapes what a payer typed', async () => {
    const response = await page('/admin');
    expect(response.statusCode).toBe(200);
    const qiwiCard = /<article class="card" data-provider="qiwi">[\s\S]*?<\/article>/.exec(response.body)![0];
    expect(qiwiCard).toContain('<dd data-stat="received">2</dd>');
    expect(qiwiCard).toContain('<dd data-stat="delivered">2</dd>');
    expect(qiwiCard).toContain('<dd data-stat="pending" class="">0</dd>');
    expect(response.body).toContain('data-provider="cloudpayments"');
    expect(response.body).toContain('<input id="q" name="q" type="search"');
    expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(response.body).not.toContain('<script>');
  });

  it('shows the open alert incidents, and none once resolved', async () => {
    const incidents = gateway.db.table('alert_incident');
    const [row] = await gateway.db.query<{ id: string }>(
      `INSERT INTO ${incidents} (url, providers, reason, started_at, pending, last_error)
       VALUES ('https://backend.example/<hook>', 'qiwi', 'failing', now() - interval '7 minutes', 12, 'HTTP 503') RETURNING id::text AS id`,
    );
    try {
      const open = await page('/admin');
      const item = new RegExp(`<tr data-incident="${row!.id}">[\\s\\S]*?</tr>`).exec(open.body)?.[0];
      expect(open.body).toContain('<h2>Open incidents</h2>');
      expect(item).toContain('https://backend.example/&lt;hook&gt;');
      expect(item).toContain('<td>12</td>');
      expect(item).toContain('HTTP 503');
      await gateway.db.query(`UPDATE ${incidents} SET resolved_at = now() WHERE id = $1`, [row!.id]);
      expect((await page('/admin')).body).not.toContain('Open incidents');
    } finally {
      await gateway.db.query(`DELETE FROM ${incidents} WHERE id = $1`, [row!.id]);
    }
  });

  it('finds a payment by account or code, and escapes the search text', async () => {
    const byCode = await page('/admin?q=5002');
    expect(byCode.body).toContain('Payments for “5002”');
    expect(byCode.body).toMatch(/<td class="mono">plain<\/td><td class="mono">5002<\/td>/);
    const byAccount = await page(`/admin?q=${encodeURIComponent(EVIL_ACCOUNT)}`);
    expect(byAccount.body).toContain('<td class="mono">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</td>');
    expect(byAccount.body).not.toContain('<script>');
    expect((await page('/admin?q=%00')).statusCode).toBe(200);
    const none = await page('/admin?q=%22%3E%3Cimg%20src%3Dx%3E');
    expect(none.body).toContain('No payment has this account or code.');
    expect(none.body).toContain('value="&quot;&gt;&lt;img src=x&gt;"');
  });

  it("tells a payment's story as a timeline", async () => {
    const overview = await page('/admin?q=5002');
    const href = /href="(\/admin\/payments\/qiwi\/\d+)"/.exec(overview.body)![1]!;
    const response = await page(href);
    expect(response.statusCode).toBe(200);
    const timeline = /<ol class="timeline">([\s\S]*)<\/ol>/.exec(response.body)![1]!;
    const kinds = [...timeline.matchAll(/<li class="(\w+)/g)].map((match) => match[1]);
    expect(kinds).toEqual(['request', 'answer', 'attempt']);
    expect(timeline).toContain('<code>GET /payment?command=pay&amp;txn_id=5002&amp;account=plain&amp;sum=7</code>');
    expect(timeline).toContain('Delivery attempt 1</strong>: HTTP 200, accepted');
    expect(response.body).toContain('<button type="submit">Redeliver</button>');
  });

  it('shows a CloudPayments payment with its refund', async () => {
    const post = (url: string, payload: string) =>
      gateway.app.inject({ method: 'POST', url, headers: { 'content-type': FORM }, payload });
    expect((await post('/pay', PAY)).json()).toEqual({ code: 0 });
    expect((await post('/refund', REFUND)).json()).toEqual({ code: 0 });
    const overview = await page('/admin?q=2901358781');
    const href = /href="(\/admin\/payments\/cloudpayments\/\d+)"/.exec(overview.body)![1]!;
    const response = await page(href);
    const timeline = /<ol class="timeline">([\s\S]*)<\/ol>/.exec(response.body)![1]!;
    const kinds = [...timeline.matchAll(/<li class="(\w+)/g)].map((match) => match[1]);
    expect(kinds).toEqual(['request', 'answer', 'request', 'event', 'next']);
    expect(timeline).toContain('<strong>Waiting</strong> for a webhook URL:');
    expect(timeline).toContain('<strong>Refund</strong> of 500.00');
    // No webhook URL for CloudPayments here: no button, and the reason instead.
    expect(response.body).not.toContain('>Redeliver</button>');
    expect(response.body).toContain('No webhook URL is set for cloudpayments');
  });

  it('answers 404 for a payment that does not exist and sends a visitor to sign in', async () => {
    expect((await page('/admin/payments/qiwi/424242')).statusCode).toBe(404);
    expect((await page('/admin/payments/paypal/1')).statusCode).toBe(404);
    expect((await page('/admin/payments/qiwi/abc')).statusCode).toBe(404);
    const visitor = await page('/admin/payments/qiwi/1', '');
    expect(visitor.statusCode).toBe(303);
    expect(visitor.headers.location).toBe('/admin');
  });
});

describe('redeliver from the dashboard', () => {
  async function paymentPath(code: string) {
    const overview = await page(`/admin?q=${code}`);
    return /href="(\/admin\/payments\/qiwi\/\d+)"/.exec(overview.body)![1]!;
  }

  it('needs the session, this origin and the anti-forgery token', async () => {
    const path = await paymentPath('5002');
    const csrf = csrfOf((await page(path)).body);
    const sent = backend.received.length;
    const payment = async () =>
      (
        await gateway.db.query<{ status: number; attempts: number }>(
          `SELECT status, delivery_attempts AS attempts FROM ${gateway.db.table('qiwi_transaction')} WHERE code = '5002'`,
        )
      )[0];
    const before = await payment();
    expect(before).toMatchObject({ status: 1 });
    const attempts = [
      form(`${path}/redeliver`, { csrf }),
      form(`${path}/redeliver`, { csrf }, { cookie, origin: 'https://evil.example' }),
      form(`${path}/redeliver`, {}, { cookie }),
      form(`${path}/redeliver`, { csrf: `${csrf}x` }, { cookie }),
    ];
    for (const response of await Promise.all(attempts)) expect(response.statusCode).toBe(403);
    const otherSession = await signIn();
    expect((await form(`${path}/redeliver`, { csrf }, { cookie: otherSession })).statusCode).toBe(403);
    // A redelivery is queued before the answer (status 0, then a new attempt): none was.
    expect(await payment()).toEqual(before);
    expect(backend.received.length).toBe(sent);
  });

  it('queues a new attempt with the page own button', async () => {
    const path = await paymentPath('5002');
    const csrf = csrfOf((await page(path)).body);
    const response = await form(`${path}/redeliver`, { csrf }, { cookie });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`${path}?queued=1`);
    await waitFor(() => backend.received.filter((request) => request.body.includes('"5002"')).length === 2, 'the redelivery');
    const story = await waitFor(async () => {
      const body = (await page(`${path}?queued=1`)).body;
      return body.includes('Delivery attempt 2</strong>') && body;
    }, 'the second attempt on the page');
    expect(story).toContain('Redelivery queued');
  });

  it('signs out, and a copy of the cookie kept from before no longer signs in', async () => {
    const session = await signIn();
    const csrf = csrfOf((await page('/admin', session)).body);
    expect((await form('/admin/logout', { csrf: 'nope' }, { cookie: session })).statusCode).toBe(403);
    const response = await form('/admin/logout', { csrf }, { cookie: session });
    expect(response.statusCode).toBe(303);
    expect(String(response.headers['set-cookie'])).toMatch(
      /^payrelay_admin=; Max-Age=0; Path=\/admin; HttpOnly; SameSite=Strict$/,
    );
    const kept = await page('/admin', session);
    expect(kept.statusCode).toBe(200);
    expect(kept.body).toContain('type="password"');
    expect(kept.body).not.toContain('name="csrf"');
    expect((await page('/admin/payments/qiwi/1', session)).headers.location).toBe('/admin');
    // Other sessions go on.
    expect((await page('/admin')).body).toContain('name="csrf"');
  });
});
