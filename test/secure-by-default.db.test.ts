/**
 * An instance whose callers prove nothing (no credentials, no signature secret, no allow-list)
 * refuses every request in its protocol's words, unless the operator says ALLOW_UNAUTHENTICATED
 * (issue 29, finding 1). Before, an anonymous Pay of any amount reached the merchant as real.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvReader, readCoreConfig } from '../src/config/index.js';
import { configureProviders } from '../src/providers/index.js';
import { startupSummary } from '../src/summary.js';
import { startTestGateway } from './helpers/gateway.js';

const QIWI_PAY = '/payment?command=pay&txn_id=31337&account=attacker&sum=99999.00';
const CARD_PAY = 'TransactionId=31337&Amount=99999.00&Currency=RUB&AccountId=attacker&OperationType=Payment&Status=Completed';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SECURE = { ALLOW_UNAUTHENTICATED: 'false' };

async function gatewayWith(env: Record<string, string>) {
  const gateway = await startTestGateway({ ...SECURE, ...env });
  const count = async (table: string) => (await gateway.db.query(`SELECT 1 FROM ${gateway.db.table(table)}`)).length;
  const qiwi = (headers: Record<string, string> = {}) => gateway.app.inject({ method: 'GET', url: QIWI_PAY, headers });
  const card = (headers: Record<string, string> = {}) =>
    gateway.app.inject({ method: 'POST', url: '/pay', headers: { ...FORM, ...headers }, payload: CARD_PAY });
  return { gateway, count, qiwi, card };
}

describe('an instance whose callers prove nothing', () => {
  it('refuses every request in its protocol’s words, and records no payment', async () => {
    const { gateway, count, qiwi, card } = await gatewayWith({});
    const terminal = await qiwi();
    expect(terminal.statusCode).toBe(403);
    expect(terminal.body).toContain('<result>300</result>');
    const cards = await card();
    expect([cards.statusCode, cards.body]).toEqual([403, '{"code":13}']);
    expect(await count('qiwi_transaction')).toBe(0);
    expect(await count('cloudpayments_transaction')).toBe(0);
    expect(await count('cloudpayments_notification')).toBe(0);
    // The customers' card page is no notification: it still opens (and refuses its own way).
    expect((await gateway.app.inject({ method: 'GET', url: '/pub/card' })).statusCode).not.toBe(403);
  });

  it('takes them once it has credentials, an allow-list or a signature secret, each on its own', async () => {
    const basic = `Basic ${Buffer.from('terminal:s3cret-pass').toString('base64')}`;
    const withCredentials = await gatewayWith({ HTTP_AUTH_USERNAME: 'terminal', HTTP_AUTH_PASSWORD: 's3cret-pass' });
    expect((await withCredentials.qiwi({ authorization: basic })).body).toContain('<result>0</result>');

    const withAllowList = await gatewayWith({ QIWI_ALLOWED_IPS: '127.0.0.0/8' });
    expect((await withAllowList.qiwi()).body).toContain('<result>0</result>');
    expect((await withAllowList.card()).statusCode).toBe(403);

    const withSecret = await gatewayWith({ CLOUDPAYMENTS_API_SECRET: 'cabinet-secret-1' });
    const signature = createHmac('sha256', 'cabinet-secret-1').update(CARD_PAY).digest('base64');
    expect((await withSecret.card({ 'content-hmac': signature })).body).toBe('{"code":0}');
    expect(await withSecret.count('cloudpayments_transaction')).toBe(1);
    expect((await withSecret.qiwi()).statusCode).toBe(403);
  });

  it('takes them when the operator says so, and the summary calls that unsafe', async () => {
    const { count, qiwi } = await gatewayWith({ ALLOW_UNAUTHENTICATED: 'true' });
    expect((await qiwi()).body).toContain('<result>0</result>');
    expect(await count('qiwi_transaction')).toBe(1);
  });
});

describe('the start-up summary', () => {
  const summary = (env: Record<string, string>) => {
    const reader = new EnvReader(env);
    return startupSummary(readCoreConfig(reader), configureProviders(reader), 'http://127.0.0.1:8080');
  };

  it('says which instance refuses everything, and how to open it', () => {
    const text = summary({ QIWI_ALLOWED_IPS: '10.0.0.0/8' });
    expect(text).toMatch(
      /WARNING: cloudpayments refuses every request: its callers prove nothing \(set HTTP_AUTH_USERNAME and HTTP_AUTH_PASSWORD .*CLOUDPAYMENTS_ALLOWED_IPS, or its signature secret/,
    );
    expect(text).not.toMatch(/qiwi refuses every request/);
  });

  it('calls the unsafe switch unsafe', () => {
    expect(summary({ ALLOW_UNAUTHENTICATED: 'true' })).toMatch(/WARNING: UNSAFE: qiwi takes requests that prove nothing/);
  });
});
