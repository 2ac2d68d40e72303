/**
 * Alerts as their readers see them: a signed JSON POST, a Telegram message (the Bot API stood in
 * on loopback) and an e-mail (an SMTP server of the test's own), once per incident and once on
 * recovery, whichever channel is down and however many processes watch.
 */
import { Webhook } from 'standardwebhooks';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { alertChannels } from '../src/alerts/channels.js';
import { AlertMonitor, openIncidents, readAlertConfig, watchedUrls } from '../src/alerts/index.js';
import { EnvReader, type Env } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { deliveryStreams } from '../src/delivery/streams.js';
import { REFUND } from '../src/providers/cloudpayments/fixtures/notifications.js';
import { configureProviders } from '../src/providers/index.js';
import { openDatabase } from './helpers/backlog.js';
import { onServer } from './helpers/engine.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { type Receiver, startReceiver } from './helpers/receiver.js';

// Not the Standard Webhooks test vector's key: start-up refuses that published one.
const SECRET = 'whsec_Yx9W0NDMaXtZWvp9kwI0w0zfEOqKJCGn';
const TOKEN = '123456:test-token';
const AFTER_MS = 400;
const log = createLogger(false);
log.level = process.env.TEST_LOG_LEVEL ?? 'silent';

interface Mail {
  to: string;
  /** The headers, folded lines unfolded. */
  headers: string;
  /** The body, quoted-printable decoded. */
  text: string;
}

function readMail(to: string, raw: string): Mail {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const text = Buffer.from(
    raw
      .slice(split + 4)
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
  return { to, headers, text };
}

async function startSmtp() {
  const mails: Mail[] = [];
  let refusing = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        if (refusing) return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 451 }));
        mails.push(readMail(session.envelope.rcptTo.map((r) => r.address).join(','), raw));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  // Closed when the test ends, as the helpers' servers are.
  onTestFinished(close);
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    refuse: (value: boolean) => (refusing = value),
  };
}

/** Retries and alert checks fast enough for a test, alerts to a signed webhook at `hook`. */
function quickRetriesAndAlerts(hook: string): Env {
  return {
    WEBHOOK_RETRY_MIN_MS: '20',
    WEBHOOK_RETRY_MAX_MS: '200',
    WEBHOOK_PROBE_MAX_MS: '100',
    ALERT_AFTER_MS: String(AFTER_MS),
    ALERT_CHECK_MS: '50',
    ALERT_WEBHOOK_URL: hook,
    ALERT_WEBHOOK_SECRET: SECRET,
  };
}

/** The three channels' stand-ins, the merchant's backend (failing) and a gateway delivering to it. */
async function setUp(backendAnswer = 503, webhookUrl = (backend: Receiver) => `${backend.url}/hook`) {
  const backend = await startReceiver(() => ({ status: backendAnswer }));
  const hook = await startReceiver(() => ({ status: 204 }));
  const telegram = await startReceiver(() => ({ status: 200, body: '{"ok":true,"result":{}}' }));
  const smtp = await startSmtp();
  const env: Env = {
    QIWI_WEBHOOK_URL: webhookUrl(backend),
    ...quickRetriesAndAlerts(hook.url),
    ALERT_TELEGRAM_BOT_TOKEN: TOKEN,
    ALERT_TELEGRAM_CHAT_ID: '-100200',
    ALERT_TELEGRAM_API_URL: telegram.url,
    ALERT_SMTP_URL: smtp.url,
    ALERT_EMAIL_TO: 'ops@example.com',
    ALERT_EMAIL_FROM: 'payrelay@example.com',
  };
  const gateway = await startTestGateway(env);
  const monitor = () => newMonitor(gateway, env);
  return { backend, hook, telegram, smtp, gateway, env, monitor };
}

function newMonitor(gateway: Pick<TestGateway, 'db'>, env: Env): AlertMonitor {
  const reader = new EnvReader(env);
  const config = readAlertConfig(reader);
  const monitor = new AlertMonitor({
    db: gateway.db,
    watched: watchedUrls(deliveryStreams(configureProviders(reader), (name) => gateway.db.table(name))),
    config,
    channels: alertChannels(config),
    log,
  });
  // Its rounds watched, so that a check that nothing more is sent can wait for them (rounds()).
  vi.spyOn(monitor, 'check');
  monitor.start();
  onTestFinished(() => monitor.stop());
  return monitor;
}

/** Resolves once `monitor` has run `count` whole rounds that started after this call. */
async function rounds(monitor: AlertMonitor, count = 1): Promise<void> {
  const { mock } = vi.mocked(monitor.check);
  const last = mock.calls.length + count - 1;
  await vi.waitFor(() => expect(mock.settledResults[last]?.type).toBe('fulfilled'), { timeout: 5000, interval: 10 });
}

const pay = (gateway: TestGateway, txnId: number) =>
  gateway.app.inject(`/payment?command=pay&txn_id=${txnId}&account=acc&sum=10.00`);

const bodies = (receiver: Receiver) => receiver.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
const types = (receiver: Receiver) => bodies(receiver).map((b) => b.type);
const telegramTexts = (receiver: Receiver) => bodies(receiver).map((b) => String(b.text));

afterEach(() => vi.useRealTimers());

describe('alerts', () => {
  it('tell every channel once when webhooks are late, stay quiet while it lasts, and tell the recovery', async () => {
    const { backend, hook, telegram, smtp, gateway, monitor } = await setUp();
    await pay(gateway, 1);
    await pay(gateway, 2);
    // The incident tells the last error: watched once an attempt has failed, or on a slow machine
    // the payments' wait alone could open it first, with no error yet to tell.
    await vi.waitFor(
      async () => {
        const failed = await gateway.db.query(
          `SELECT 1 FROM ${gateway.db.table('qiwi_webhook_log')} WHERE response_status = 503`,
        );
        expect(failed.length).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 20 },
    );
    const watcher = monitor();

    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened']), { timeout: 10_000, interval: 20 });
    await vi.waitFor(() => expect(telegramTexts(telegram)).toHaveLength(1), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect(smtp.mails).toHaveLength(1), { timeout: 5000, interval: 20 });

    const opened = hook.received[0]!;
    const verified = new Webhook(SECRET).verify(opened.body, opened.headers as Record<string, string>) as {
      incident: Record<string, unknown>;
    };
    expect(opened.headers['webhook-id']).toMatch(/^alert_\d+_opened$/);
    expect(verified.incident).toMatchObject({
      url: `${backend.url}/hook`,
      providers: ['qiwi'],
      pending: 2,
      resolved_at: null,
      last_error: 'HTTP 503',
    });
    expect(String(verified.incident.reason)).toMatch(/failing|waited/);
    expect(telegram.received[0]!.url).toBe(`/bot${TOKEN}/sendMessage`);
    expect(JSON.parse(telegram.received[0]!.body)).toMatchObject({ chat_id: '-100200' });
    expect(telegramTexts(telegram)[0]).toContain(`webhooks to ${backend.url}/hook (qiwi) are late`);
    expect(smtp.mails[0]!.to).toBe('ops@example.com');
    expect(smtp.mails[0]!.headers).toMatch(/^Subject: payrelay: webhooks to http:\/\/127\.0\.0\.1:\d+\/hook are late$/m);
    expect(smtp.mails[0]!.headers).toMatch(/^From: payrelay@example\.com$/m);
    expect(smtp.mails[0]!.text).toContain(`webhooks to ${backend.url}/hook (qiwi) are late since`);

    const [incident] = await openIncidents(gateway.db);
    expect(incident).toMatchObject({ url: `${backend.url}/hook`, providers: ['qiwi'], resolvedAt: null });

    // More rounds while it lasts: nothing new is sent.
    await rounds(watcher, 3);
    expect(hook.received).toHaveLength(1);
    expect(telegram.received).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);

    backend.respondWith(() => ({ status: 200 }));
    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened', 'incident.resolved']), {
      timeout: 10_000,
      interval: 20,
    });
    const resolved = bodies(hook)[1] as { incident: Record<string, unknown>; text: string };
    expect(resolved.incident).toMatchObject({ id: incident!.id, delayed: 2 });
    expect(Number(resolved.incident.duration_seconds)).toBeGreaterThanOrEqual(0);
    expect(resolved.text).toMatch(/delivered again\. The delay lasted \d+ s .*; 2 payment\(s\) were delayed\./);
    expect(hook.received[1]!.headers['webhook-id']).toBe(`alert_${incident!.id}_resolved`);
    await vi.waitFor(() => expect(telegram.received).toHaveLength(2), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect(smtp.mails).toHaveLength(2), { timeout: 5000, interval: 20 });
    expect(telegramTexts(telegram)[1]).toContain('are delivered again');
    expect(smtp.mails[1]!.headers).toMatch(/^Subject: payrelay: webhooks to .* recovered after \d+ s$/m);
    expect(smtp.mails[1]!.text).toMatch(/are delivered again\. The delay lasted \d+ s .*; 2 payment\(s\) were delayed\./);
    expect(await openIncidents(gateway.db)).toEqual([]);
    const [row] = await gateway.db.query(`SELECT delayed, resolved_at FROM ${gateway.db.table('alert_incident')}`);
    expect(row).toMatchObject({ delayed: 2 });
  });

  it('still reach the other channels when one is down, and retry it until it takes the message', async () => {
    const { backend, hook, telegram, smtp, gateway, monitor } = await setUp();
    telegram.respondWith((_request, index) =>
      index < 3 ? { status: 502, body: 'bad gateway' } : { status: 200, body: '{"ok":true}' },
    );
    smtp.refuse(true);
    const watcher = monitor();
    await pay(gateway, 1);

    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened']), { timeout: 10_000, interval: 20 });
    await vi.waitFor(() => expect(telegram.received.length).toBeGreaterThanOrEqual(4), { timeout: 10_000, interval: 20 });
    expect(smtp.mails).toEqual([]);
    const notices = await gateway.db.query<{
      channel: string;
      attempts: number;
      sent_at: Date | null;
      last_error: string | null;
    }>(`SELECT channel, attempts, sent_at, last_error FROM ${gateway.db.table('alert_notice')} WHERE channel = 'email'`);
    expect(notices[0]).toMatchObject({ sent_at: null });
    expect(notices[0]!.last_error).toMatch(/451|mailbox unavailable/);

    // The recovery is not announced on a channel before its opening got through there: the round
    // that claimed the webhook's recovery, and the one after, left the e-mail's untried.
    backend.respondWith(() => ({ status: 200 }));
    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened', 'incident.resolved']), {
      timeout: 10_000,
      interval: 20,
    });
    await rounds(watcher);
    const [recovery] = await gateway.db.query(
      `SELECT attempts, sent_at FROM ${gateway.db.table('alert_notice')} WHERE channel = 'email' AND event = 'resolved'`,
    );
    expect(recovery).toEqual({ attempts: 0, sent_at: null });
    expect(smtp.mails).toEqual([]);
    smtp.refuse(false);
    await vi.waitFor(() => expect(smtp.mails).toHaveLength(2), { timeout: 10_000, interval: 20 });
    expect(smtp.mails[0]!.text).toContain('are late');
    expect(smtp.mails[1]!.text).toContain('delivered again');
    await vi.waitFor(() => expect(telegramTexts(telegram).filter((t) => t.includes('delivered again'))).toHaveLength(1), {
      timeout: 10_000,
      interval: 20,
    });
    const accepted = telegram.received.slice(3).map((r) => String(JSON.parse(r.body).text));
    expect(accepted.map((t) => (t.includes('are late') ? 'opened' : 'resolved'))).toEqual(['opened', 'resolved']);
  });

  it('are sent once even when two processes watch the same database', async () => {
    const { hook, telegram, smtp, gateway, env, monitor } = await setUp();
    const watchers = [monitor()];
    // A second process: on a server a connection pool of its own; PGlite allows one process, so
    // there the second monitor shares the handle (the claims are the same statements).
    const secondDb = onServer ? await openDatabase(gateway.env) : gateway.db;
    if (onServer) onTestFinished(() => secondDb.close());
    watchers.push(newMonitor({ db: secondDb }, env), newMonitor({ db: secondDb }, env));
    await pay(gateway, 1);

    await vi.waitFor(() => expect(hook.received).toHaveLength(1), { timeout: 10_000, interval: 20 });
    await vi.waitFor(() => expect(telegram.received).toHaveLength(1), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect(smtp.mails).toHaveLength(1), { timeout: 5000, interval: 20 });
    // A round of each after the messages, and any round racing them done: still one of each.
    await Promise.all(watchers.map((watcher) => rounds(watcher)));
    expect(hook.received).toHaveLength(1);
    expect(telegram.received).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
    const incidents = await gateway.db.query(`SELECT id FROM ${gateway.db.table('alert_incident')}`);
    expect(incidents).toHaveLength(1);
  });

  it('open when a payment waits too long though the URL answers (a backend refusing it)', async () => {
    const { hook, gateway, monitor } = await setUp(422);
    monitor();
    await pay(gateway, 1);
    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened']), { timeout: 10_000, interval: 20 });
    const { incident } = bodies(hook)[0] as { incident: Record<string, unknown> };
    expect(String(incident.reason)).toMatch(/^the oldest pending payment has waited \d+ s$/);
    expect(incident.pending).toBe(1);
    expect(incident.last_error).toBe('HTTP 422');
    expect(
      await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('webhook_endpoint')} WHERE failing_since IS NOT NULL`),
    ).toEqual([]);
  });
});

describe('alerts about a webhook URL with secrets', () => {
  it('tell and store it with its credentials and query masked, an incident stored before the masking too', async () => {
    const secretUrl = (backend: Receiver) => `http://apikey@${new URL(backend.url).host}/hook?token=s3cret`;
    const { backend, hook, telegram, smtp, gateway, monitor } = await setUp(503, secretUrl);
    // Open since a version that stored the URL as it came: this round resolves it, and says so.
    await gateway.db.query(
      `INSERT INTO ${gateway.db.table('alert_incident')} (url, providers, reason, started_at)
       VALUES ('http://apikey@127.0.0.1:1/old?token=s3cret#s3cret', 'qiwi', 'the URL has been failing for 9 min', now())`,
    );
    monitor();
    await pay(gateway, 1);

    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.resolved', 'incident.opened']), {
      timeout: 10_000,
      interval: 20,
    });
    await vi.waitFor(() => expect(telegram.received).toHaveLength(2), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect(smtp.mails).toHaveLength(2), { timeout: 5000, interval: 20 });
    const shown = `http://***@${new URL(backend.url).host}/hook?token=***`;
    const [old, opened] = bodies(hook) as { incident: { url: string }; text: string }[];
    expect(old!.incident.url).toBe('http://***@127.0.0.1:1/old?token=***');
    expect(opened!.incident.url).toBe(shown);
    expect(opened!.text).toContain(`webhooks to ${shown} (qiwi) are late`);
    expect(telegramTexts(telegram)[1]).toContain(`webhooks to ${shown} (qiwi) are late`);
    expect(smtp.mails[1]!.headers).toContain(`Subject: payrelay: webhooks to ${shown} are late`);
    const told = [...hook.received.map((r) => r.body), ...telegramTexts(telegram), ...smtp.mails.map((m) => m.headers + m.text)];
    for (const message of told) expect(message).not.toMatch(/s3cret|apikey/);

    const stored = await gateway.db.query<{ url: string }>(
      `SELECT url FROM ${gateway.db.table('alert_incident')} WHERE resolved_at IS NULL`,
    );
    expect(stored).toEqual([{ url: shown }]);
    expect((await openIncidents(gateway.db)).map(({ url }) => url)).toEqual([shown]);
  });
});

describe('alerts of the events webhook', () => {
  it('watch CLOUDPAYMENTS_EVENTS_WEBHOOK_URL too: a refund waiting there opens an incident, its delivery resolves it', async () => {
    const events = await startReceiver(() => ({ status: 503 }));
    const hook = await startReceiver(() => ({ status: 204 }));
    const env: Env = {
      CLOUDPAYMENTS_EVENTS_WEBHOOK_URL: `${events.url}/events`,
      ...quickRetriesAndAlerts(hook.url),
    };
    const gateway = await startTestGateway(env);
    newMonitor(gateway, env);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await gateway.app.inject({ method: 'POST', url: '/refund', headers: form, payload: REFUND })).body).toBe(
      '{"code":0}',
    );

    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened']), { timeout: 10_000, interval: 20 });
    expect((bodies(hook)[0] as { incident: Record<string, unknown> }).incident).toMatchObject({
      url: `${events.url}/events`,
      providers: ['cloudpayments_event'],
      pending: 1,
      last_error: 'HTTP 503',
    });
    // What waits at the events URL is named as such: events, not payments.
    const opened = bodies(hook)[0] as { text: string; incident: { reason: string } };
    expect(opened.text).toMatch(/\. 1 event\(s\) waiting; last error: HTTP 503\./);
    expect(opened.incident.reason).not.toMatch(/payment/);

    events.respondWith(() => ({ status: 200 }));
    await vi.waitFor(() => expect(types(hook)).toEqual(['incident.opened', 'incident.resolved']), {
      timeout: 10_000,
      interval: 20,
    });
    expect((bodies(hook)[1] as { incident: Record<string, unknown> }).incident).toMatchObject({ delayed: 1 });
    expect((bodies(hook)[1] as { text: string }).text).toMatch(/; 1 event\(s\) were delayed\.$/);
    expect(JSON.parse(events.received.at(-1)!.body)).toMatchObject({ type: 'Refund' });
  });
});

describe('alert configuration', () => {
  const read = (env: Env) => () => readAlertConfig(new EnvReader(env));
  it('refuses half a channel and bad values, naming the variable', () => {
    expect(read({ ALERT_TELEGRAM_CHAT_ID: '1' })).toThrow(/^ALERT_TELEGRAM_BOT_TOKEN must be set/);
    expect(read({ ALERT_TELEGRAM_BOT_TOKEN: 't' })).toThrow(/^ALERT_TELEGRAM_CHAT_ID must be set/);
    expect(read({ ALERT_EMAIL_TO: 'a@b.c' })).toThrow(/^ALERT_SMTP_URL must be set/);
    expect(read({ ALERT_SMTP_URL: 'smtp://h' })).toThrow(/^ALERT_EMAIL_TO must be set/);
    expect(read({ ALERT_SMTP_URL: 'http://h', ALERT_EMAIL_TO: 'a@b.c' })).toThrow(/^ALERT_SMTP_URL must start with smtp/);
    expect(read({ ALERT_SMTP_URL: 'smtp://h', ALERT_EMAIL_TO: 'nobody' })).toThrow(/^ALERT_EMAIL_TO has "nobody"/);
    expect(read({ ALERT_WEBHOOK_URL: 'http://h', ALERT_WEBHOOK_SECRET: 'plain' })).toThrow(
      /^ALERT_WEBHOOK_SECRET must be whsec_/,
    );
    expect(read({ ALERT_AFTER_MS: '5m' })).toThrow(/^ALERT_AFTER_MS must be a whole number/);
  });

  it('defaults to five minutes, no channel, and the public Bot API', () => {
    expect(read({})()).toEqual({ afterMs: 300_000, checkMs: 15_000, webhook: undefined, telegram: undefined, email: undefined });
    expect(read({ ALERT_TELEGRAM_BOT_TOKEN: 't', ALERT_TELEGRAM_CHAT_ID: '1' })().telegram?.apiUrl.href).toBe(
      'https://api.telegram.org/',
    );
  });
});
