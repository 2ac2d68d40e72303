/**
 * An upgrade in place: the database the previous release made (test/fixtures/previous-release.sql,
 * payrelay at 17c48cc; previous-release.md says how) and the environment it ran with, given to
 * this build's real process. Same paths, tables, bodies and variables: it migrates only what it
 * adds, delivers what the old one left pending, continues its ids, answers its repeats and sends
 * the webhooks the merchant's backend already parses. Always on a PostgreSQL server (the dump's
 * engine), whatever engine the run is on.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  PREVIOUS_RELEASE_CREDENTIALS,
  type PreviousReleaseDatabase,
  previousReleaseDatabase,
} from './helpers/previous-release.js';
import { startGatewayProcess } from './helpers/process.js';
import { type Received, startReceiver, waitFor } from './helpers/receiver.js';

const { HTTP_AUTH_USERNAME, HTTP_AUTH_PASSWORD, CLOUDPAYMENTS_API_SECRET } = PREVIOUS_RELEASE_CREDENTIALS;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTH = basic(HTTP_AUTH_USERNAME, HTTP_AUTH_PASSWORD);

/** The fixture's migrations (previous-release.md: 14 rows). */
const FIXTURE_MIGRATIONS = [
  'core/001_webhook_endpoint.sql',
  'core/002_alert.sql',
  'core/003_admin_session.sql',
  'cloudpayments/shared/001_tables.sql',
  'cloudpayments/shared/002_pending_and_log_age.sql',
  'cloudpayments/shared/002_request_log_body.sql',
  'cloudpayments/001_transaction_details.sql',
  'cloudpayments/002_notifications.sql',
  'cloudpayments/003_receipts.sql',
  'cloudpayments/004_events.sql',
  'qiwi/shared/001_tables.sql',
  'qiwi/shared/002_pending_and_log_age.sql',
  'qiwi/shared/002_request_log_body.sql',
  'qiwi/001_terminal_fields.sql',
];

/** The refund event's keys, in the order the previous release sent them (previous-release.md). */
const EVENT_KEYS = [
  'type',
  'id',
  'transaction_id',
  'payment_transaction_id',
  'payment_id',
  'account',
  'sum',
  'created_at',
  'fields',
];

/** Rows the upgraded gateway is expected to change: the pending payment it delivers, the endpoints' health. */
const CHANGING = new Set(['qiwi_transaction:4']);
const CHANGING_TABLES = new Set(['webhook_endpoint']);

interface Schema {
  /** Every table and view of the schema with its columns. */
  columns: Map<string, string[]>;
  tables: string[];
}

async function readSchema(db: PreviousReleaseDatabase): Promise<Schema> {
  const rows = await db.query<{ table_name: string; table_type: string; column_name: string }>(
    `SELECT t.table_name, t.table_type, c.column_name
       FROM information_schema.tables t
       JOIN information_schema.columns c USING (table_schema, table_name)
      WHERE t.table_schema = 'public'
      ORDER BY t.table_name, c.ordinal_position`,
  );
  const columns = new Map<string, string[]>();
  const tables = new Set<string>();
  for (const row of rows) {
    columns.set(row.table_name, [...(columns.get(row.table_name) ?? []), row.column_name]);
    if (row.table_type === 'BASE TABLE') tables.add(row.table_name);
  }
  return { columns, tables: [...tables] };
}

/** Every row of every table, by its key (`id`, else its first column), as JSON. */
async function readRows(db: PreviousReleaseDatabase, schema: Schema): Promise<Map<string, Map<string, Record<string, unknown>>>> {
  const all = new Map<string, Map<string, Record<string, unknown>>>();
  for (const table of schema.tables) {
    const columns = schema.columns.get(table)!;
    const key = columns.includes('id') ? 'id' : columns[0]!;
    const rows = await db.query<{ row: Record<string, unknown> }>(`SELECT to_jsonb(t) AS row FROM public."${table}" t`);
    all.set(table, new Map(rows.map(({ row }) => [String(row[key]), row])));
  }
  return all;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC (MS_TIMEZONE's default), as the webhook bodies give created_at. */
const createdAt = async (db: PreviousReleaseDatabase, table: string, where: string, params: unknown[]) =>
  (
    await db.query<{ at: string }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at FROM public.${table} WHERE ${where}`,
      params,
    )
  )[0]?.at;

describe('an existing database and environment from the previous release', () => {
  it('upgrade in place: same paths, tables, bodies and variables', { timeout: 180_000 }, async () => {
    const receiver = await startReceiver(() => ({
      status: 200,
      body: '{"ok":true}',
      headers: { 'content-type': 'application/json' },
    }));
    const db = await previousReleaseDatabase();

    // The fixture as its author describes it.
    const schemaBefore = await readSchema(db);
    const rowsBefore = await readRows(db, schemaBefore);
    const migrationsBefore = await db.query<{ id: string; applied_at: string }>(
      'SELECT id, applied_at::text FROM public.payrelay_migration ORDER BY id',
    );
    expect(migrationsBefore.map((m) => m.id).sort()).toEqual([...FIXTURE_MIGRATIONS].sort());
    expect(
      await db.query('SELECT id::int, code, status::int, delivery_attempts FROM public.qiwi_transaction ORDER BY id'),
    ).toEqual([
      { id: 1, code: '5550001', status: 1, delivery_attempts: 1 },
      { id: 2, code: '5550002', status: 1, delivery_attempts: 1 },
      { id: 4, code: '5550003', status: 0, delivery_attempts: 2 },
    ]);
    const [{ loaded_at: loadedAt }] = (await db.query<{ loaded_at: string }>('SELECT now()::text AS loaded_at')) as [
      { loaded_at: string },
    ];

    // The previous release's variables, names and values (previous-release.md), the receiver in
    // place of :18472, no PROVIDERS; HOST and a free PORT come from the helper.
    const gateway = await startGatewayProcess({
      DATABASE_URL: db.url,
      HTTP_AUTH_USERNAME,
      HTTP_AUTH_PASSWORD,
      CLOUDPAYMENTS_API_SECRET,
      QIWI_WEBHOOK_URL: `${receiver.url}/qiwi`,
      CLOUDPAYMENTS_WEBHOOK_URL: `${receiver.url}/cloudpayments`,
      CLOUDPAYMENTS_EVENTS_WEBHOOK_URL: `${receiver.url}/cloudpayments-events`,
    });
    const failure = (what: string) => `${what}\ngateway output:\n${gateway.output()}`;
    /** waitFor, its failure telling the gateway's output at that moment. */
    const waitOr = <T>(condition: () => T | Promise<T>, what: string): Promise<NonNullable<T>> =>
      waitFor(condition, what).then(
        (value) => value as NonNullable<T>,
        (error: Error) => {
          throw new Error(failure(error.message));
        },
      );

    // Migrations: every old id stays, as it was applied (its applied_at unchanged: not run again);
    // only what this build adds is applied now.
    const migrationsAfter = await db.query<{ id: string; applied_at: string; fresh: boolean }>(
      'SELECT id, applied_at::text, applied_at >= $1::timestamptz AS fresh FROM public.payrelay_migration ORDER BY id',
      [loadedAt],
    );
    for (const old of migrationsBefore) {
      expect(
        migrationsAfter.find((m) => m.id === old.id),
        failure(`old migration ${old.id}`),
      ).toMatchObject({ id: old.id, applied_at: old.applied_at });
    }
    const added = migrationsAfter.filter((m) => !migrationsBefore.some((old) => old.id === m.id));
    for (const migration of added) expect(migration.fresh, `new migration ${migration.id} applied by this start`).toBe(true);

    // Same tables: every old table and view is there with every old column.
    const schemaAfter = await readSchema(db);
    for (const [table, columns] of schemaBefore.columns) {
      expect(schemaAfter.columns.get(table), failure(`table or view ${table} after the upgrade`)).toEqual(
        expect.arrayContaining(columns),
      );
    }

    const webhooks = (path: string) => receiver.received.filter((r) => r.url === path);
    const webhookFor = (path: string, code: string) =>
      waitOr(
        () => webhooks(path).find((r) => (JSON.parse(r.body) as { code?: string }).code === code),
        `the webhook of ${code} on ${path}`,
      );
    const expectUnsignedJson = (webhook: Received) => {
      expect(webhook.method).toBe('POST');
      expect(webhook.headers['content-type']).toMatch(/^application\/json/);
      expect(webhook.headers['user-agent']).toBe('payrelay');
      expect(Object.keys(webhook.headers).filter((name) => name.startsWith('webhook-'))).toEqual([]);
    };

    // The payment the previous release left pending (its URL was down) goes out at once, in the
    // body the previous release made for it, and is marked delivered.
    const pending = await webhookFor('/qiwi', '5550003');
    expect(pending.body).toBe(
      '{"id": "4", "account": "1003", "code": "5550003", "sum": 500.0, "created_at": "2026-12-07 17:25:43"}',
    );
    expectUnsignedJson(pending);
    await waitOr(
      async () =>
        (await db.query<{ status: number }>('SELECT status::int FROM public.qiwi_transaction WHERE id = 4'))[0]?.status === 1,
      'payment 4 marked delivered',
    );

    const qiwi = async (path: string, query: string, authorization = AUTH) => {
      const response = await fetch(`${gateway.url}${path}?${query}`, { headers: { authorization } });
      const body = await response.text();
      return {
        status: response.status,
        body,
        result: /<result>(\d+)<\/result>/.exec(body)?.[1],
        prvTxn: /<prv_txn>(\d+)<\/prv_txn>/.exec(body)?.[1],
      };
    };
    const qiwiRows = () =>
      db.query<{ id: number; code: string }>('SELECT id::int, code FROM public.qiwi_transaction ORDER BY id');

    // A new QIWI pay at the root path: the sequence continues at 5, delivered in the same format.
    const paid = await qiwi('/payment', 'command=pay&txn_id=5550004&account=1004&sum=120.00&txn_date=20261208100000');
    expect(paid, failure('the new pay on /payment')).toMatchObject({ status: 200, result: '0', prvTxn: '5' });
    expect(
      await db.query('SELECT id::int, account, sum::text, txn_date FROM public.qiwi_transaction WHERE code = $1', ['5550004']),
    ).toEqual([{ id: 5, account: '1004', sum: '120.00', txn_date: '20261208100000' }]);
    const paidWebhook = await webhookFor('/qiwi', '5550004');
    const paidAt = await createdAt(db, 'qiwi_transaction', 'id = $1', [5]);
    expect(paidWebhook.body).toBe(`{"id": "5", "account": "1004", "code": "5550004", "sum": 120.0, "created_at": "${paidAt}"}`);
    expectUnsignedJson(paidWebhook);

    // A repeat of the fixture's first pay: the same answer as then, no new row.
    const rowsBeforeRepeat = await qiwiRows();
    const repeat = await qiwi('/payment', 'command=pay&txn_id=5550001&account=1001&sum=150.00&txn_date=20261207172537');
    expect(repeat, failure('the repeat of 5550001')).toMatchObject({ status: 200, result: '0', prvTxn: '1' });
    expect(await qiwiRows()).toEqual(rowsBeforeRepeat);

    // The prefixed path answers too; once its pay is delivered, the repeat has not been sent again.
    const prefixed = await qiwi('/_qiwi_/payment', 'command=pay&txn_id=5550005&account=1005&sum=75.25&txn_date=20261208100100');
    expect(prefixed, failure('the pay on /_qiwi_/payment')).toMatchObject({ status: 200, result: '0' });
    const [prefixedRow] = await db.query<{ id: string }>('SELECT id::text FROM public.qiwi_transaction WHERE code = $1', [
      '5550005',
    ]);
    expect(prefixedRow?.id).toBe(prefixed.prvTxn);
    expect(Number(prefixedRow?.id)).toBeGreaterThan(5);
    const prefixedWebhook = await webhookFor('/qiwi', '5550005');
    expect(JSON.parse(prefixedWebhook.body)).toMatchObject({ id: prefixed.prvTxn, account: '1005', code: '5550005', sum: 75.25 });
    expect(webhooks('/qiwi').filter((r) => r.body.includes('"code": "5550001"'))).toEqual([]);

    // CloudPayments, signed with the fixture's secret: Content-HMAC over the body's bytes.
    const cloudpayments = async (path: string, fields: Record<string, string>) => {
      const body = new URLSearchParams(fields).toString();
      const response = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: AUTH,
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'content-hmac': createHmac('sha256', CLOUDPAYMENTS_API_SECRET).update(Buffer.from(body, 'utf8')).digest('base64'),
        },
        body,
      });
      return { status: response.status, body: await response.text() };
    };
    const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
    const card = { CardFirstSix: '424242', CardLastFour: '4242', CardType: 'Visa', CardExpDate: '12/30' };
    const payment = (txnId: string, account: string, amount: string) => ({
      TransactionId: txnId,
      Amount: amount,
      Currency: 'RUB',
      DateTime: now,
      AccountId: account,
      TestMode: '1',
      ...card,
      OperationType: 'Payment',
      Status: 'Completed',
    });

    const cpPaid = await cloudpayments('/pay', payment('7770004', '2004', '320.00'));
    expect(cpPaid, failure('the Pay on /pay')).toEqual({ status: 200, body: '{"code":0}' });
    expect(
      await db.query(
        'SELECT id::int, account, sum::text, currency, status::int FROM public.cloudpayments_transaction WHERE code = $1',
        ['7770004'],
      ),
    ).toEqual([{ id: 3, account: '2004', sum: '320.00', currency: 'RUB', status: expect.any(Number) }]);
    const cpWebhook = await webhookFor('/cloudpayments', '7770004');
    const cpAt = await createdAt(db, 'cloudpayments_transaction', 'id = $1', [3]);
    expect(cpWebhook.body).toBe(`{"id": "3", "account": "2004", "code": "7770004", "sum": 320.0, "created_at": "${cpAt}"}`);
    expectUnsignedJson(cpWebhook);

    const cpPrefixed = await cloudpayments('/_cloudpayments_/pay', payment('7770005', '2005', '45.10'));
    expect(cpPrefixed, failure('the Pay on /_cloudpayments_/pay')).toEqual({ status: 200, body: '{"code":0}' });
    expect(await db.query('SELECT account FROM public.cloudpayments_transaction WHERE code = $1', ['7770005'])).toEqual([
      { account: '2005' },
    ]);
    expect(JSON.parse((await webhookFor('/cloudpayments', '7770005')).body)).toMatchObject({ code: '7770005', sum: 45.1 });

    // A Refund of the new payment goes to the events URL with the previous release's keys, in order.
    const refundFields = {
      TransactionId: '7770104',
      Amount: '320.00',
      Currency: 'RUB',
      DateTime: now,
      AccountId: '2004',
      TestMode: '1',
      PaymentTransactionId: '7770004',
      OperationType: 'Refund',
    };
    const refund = await cloudpayments('/refund', refundFields);
    expect(refund, failure('the Refund on /refund')).toEqual({ status: 200, body: '{"code":0}' });
    // Recorded where the previous release kept it: the notification, and the refund in the view
    // of each payment's state that merchants query.
    const [notification] = await db.query<{ id: string; at_ms: string }>(
      `SELECT id::text, (extract(epoch FROM created_at) * 1000)::bigint::text AS at_ms
         FROM public.cloudpayments_notification WHERE type = 'Refund' AND transaction_id = $1`,
      ['7770104'],
    );
    expect(Number(notification?.id), failure('the refund in cloudpayments_notification, after the fixture’s')).toBeGreaterThan(3);
    expect(
      await db.query('SELECT refunded_sum::text FROM public.cloudpayments_transaction_state WHERE code = $1', ['7770004']),
    ).toEqual([{ refunded_sum: '320.00' }]);
    const event = await waitOr(
      () =>
        webhooks('/cloudpayments-events').find(
          (r) => (JSON.parse(r.body) as { transaction_id?: string }).transaction_id === '7770104',
        ),
      'the Refund event on /cloudpayments-events',
    );
    expectUnsignedJson(event);
    const parsed = JSON.parse(event.body) as Record<string, unknown>;
    expect(Object.keys(parsed).slice(0, EVENT_KEYS.length), event.body).toEqual(EVENT_KEYS);
    expect(parsed, event.body).toMatchObject({
      type: 'Refund',
      id: expect.stringMatching(/^\d+$/),
      transaction_id: '7770104',
      payment_transaction_id: '7770004',
      payment_id: '3',
      account: '2004',
      sum: 320.0,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      fields: refundFields,
    });
    // payrelay's id continues after the fixture's three events; created_at is the refund's, in UTC.
    expect(Number(parsed.id), 'the event id, after the fixture’s').toBeGreaterThan(3);
    const eventAt = Date.parse(`${String(parsed.created_at).replace(' ', 'T')}Z`);
    expect(Math.abs(eventAt - Number(notification!.at_ms)), 'created_at against the notification’s').toBeLessThan(2_000);

    // Nothing the previous release had delivered is sent again, its events neither (each path's
    // later deliveries above were the rounds that would have carried them).
    const codes = (path: string, key: 'code' | 'transaction_id' = 'code') =>
      webhooks(path)
        .map((r) => (JSON.parse(r.body) as Record<string, string>)[key])
        .sort();
    expect(codes('/qiwi')).toEqual(['5550003', '5550004', '5550005']);
    expect(codes('/cloudpayments')).toEqual(['7770004', '7770005']);
    expect(codes('/cloudpayments-events', 'transaction_id')).toEqual(['7770104']);

    // Wrong credentials are still refused, and record nothing.
    const wrong = await qiwi('/payment', 'command=pay&txn_id=5550009&account=1009&sum=1.00', basic(HTTP_AUTH_USERNAME, 'wrong'));
    expect(wrong.status).toBe(401);
    expect((await qiwi('/payment', 'command=pay&txn_id=5550009&account=1009&sum=1.00', '')).status).toBe(401);
    expect(await db.query('SELECT id FROM public.qiwi_transaction WHERE code = $1', ['5550009'])).toEqual([]);

    // No old table lost a row, and the rows nothing here touched keep every old column's value.
    const rowsAfter = await readRows(db, schemaBefore);
    for (const [table, rows] of rowsBefore) {
      const now = rowsAfter.get(table)!;
      for (const [key, row] of rows) {
        expect(now.has(key), `${table} row ${key} still there`).toBe(true);
        if (CHANGING_TABLES.has(table) || CHANGING.has(`${table}:${key}`)) continue;
        const kept = Object.fromEntries(Object.keys(row).map((column) => [column, now.get(key)?.[column]]));
        expect(kept, `${table} row ${key}`).toEqual(row);
      }
    }

    await gateway.kill();
    await receiver.close();
    await db.drop();
  });
});
