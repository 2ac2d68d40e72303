/**
 * A deployment runs instances of protocols (PROVIDERS): a second network of the QIWI protocol
 * is a payment space of its own, with its own tables, paths, credentials and webhook URL.
 */
import { describe, expect, it } from 'vitest';
import { startTestGateway } from './helpers/gateway.js';
import { startReceiver, waitFor } from './helpers/receiver.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const SHARED = basic('terminals', 'shared-secret-1');
const PAY24 = basic('pay24', 'pay24-secret-2');
const PAY = 'command=pay&txn_id=900100&txn_date=20261207120000&account=42&sum=';

describe('PROVIDERS=qiwi,cloudpayments,pay24:qiwi', () => {
  it('keeps two QIWI networks apart: tables, paths, credentials and webhooks', async () => {
    const qiwiBackend = await startReceiver();
    const pay24Backend = await startReceiver();
    const gateway = await startTestGateway({
      PROVIDERS: 'qiwi,cloudpayments,pay24:qiwi',
      HTTP_AUTH_USERNAME: 'terminals',
      HTTP_AUTH_PASSWORD: 'shared-secret-1',
      PAY24_HTTP_AUTH_USERNAME: 'pay24',
      PAY24_HTTP_AUTH_PASSWORD: 'pay24-secret-2',
      QIWI_WEBHOOK_URL: `${qiwiBackend.url}/qiwi`,
      PAY24_WEBHOOK_URL: `${pay24Backend.url}/pay24`,
    });
    const pay = (url: string, authorization: string) => gateway.app.inject({ method: 'GET', url, headers: { authorization } });

    // The same txn_id on both networks: two payments.
    expect((await pay(`/payment?${PAY}10.00`, SHARED)).body).toContain('<result>0</result>');
    expect((await pay(`/_pay24_/payment?${PAY}25.00`, PAY24)).body).toContain('<result>0</result>');
    const rows = async (table: string) =>
      gateway.db.query<{ code: string; sum: string }>(`SELECT code, sum::text AS sum FROM ${gateway.db.table(table)}`);
    expect(await rows('qiwi_transaction')).toEqual([{ code: '900100', sum: '10.00' }]);
    expect(await rows('pay24_transaction')).toEqual([{ code: '900100', sum: '25.00' }]);

    // Each to its own backend, and only there.
    await waitFor(() => qiwiBackend.received.length === 1 && pay24Backend.received.length === 1, 'both deliveries');
    expect(qiwiBackend.received[0]!.url).toBe('/qiwi');
    expect(JSON.parse(qiwiBackend.received[0]!.body)).toMatchObject({ code: '900100', sum: 10 });
    expect(pay24Backend.received[0]!.url).toBe('/pay24');
    expect(JSON.parse(pay24Backend.received[0]!.body)).toMatchObject({ code: '900100', sum: 25 });

    // Each instance's credentials are refused on the other, before anything is recorded.
    expect((await pay(`/_pay24_/payment?${PAY}25.00`, SHARED)).statusCode).toBe(401);
    expect((await pay(`/payment?${PAY}10.00`, PAY24)).statusCode).toBe(401);
    expect((await pay(`/_qiwi_/payment?${PAY}10.00`, PAY24)).statusCode).toBe(401);

    // A second instance keeps no root path: /payment stays the qiwi instance's.
    expect(await rows('qiwi_transaction')).toHaveLength(1);
    expect(await rows('pay24_transaction')).toHaveLength(1);
  });

  it('has nothing of an instance it does not list: no routes, no tables', async () => {
    // A schema of its own: the run's template database already holds the default instances' tables.
    const gateway = await startTestGateway({ PROVIDERS: 'pay24:qiwi', PG_SCHEMA: 'only_pay24' });
    expect((await gateway.app.inject({ method: 'GET', url: `/payment?${PAY}1.00` })).statusCode).toBe(404);
    expect((await gateway.app.inject({ method: 'POST', url: '/pay', payload: 'a=1' })).statusCode).toBe(404);
    expect((await gateway.app.inject({ method: 'POST', url: '/_qiwi_/payment', payload: 'a=1' })).statusCode).toBe(404);
    expect((await gateway.app.inject({ method: 'GET', url: `/_pay24_/payment?${PAY}1.00` })).body).toContain(
      '<result>0</result>',
    );
    const tables = await gateway.db.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'only_pay24' AND tablename NOT IN
         ('payrelay_migration', 'webhook_endpoint', 'alert_incident', 'alert_notice', 'admin_session') ORDER BY 1`,
    );
    expect(tables.map(({ name }) => name)).toEqual([
      'pay24_event',
      'pay24_event_webhook_log',
      'pay24_http_log',
      'pay24_transaction',
      'pay24_webhook_log',
    ]);
  });
});
