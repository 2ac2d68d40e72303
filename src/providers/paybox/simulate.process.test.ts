/**
 * `payrelay simulate paybox ...` against the real gateway process: FreedomPay's calls signed with
 * PAYBOX_SECRET_KEY from the operator's environment, what the gateway answered and what it means.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../config/env.js';
import { freshDatabaseOnDisk, type TestDatabase } from '../../../test/helpers/engine.js';
import { type GatewayProcess, spawnGateway, startGatewayProcess } from '../../../test/helpers/process.js';
import { type Receiver, startReceiver, waitFor } from '../../../test/helpers/receiver.js';

const OPERATOR_ENV: Env = { PROVIDERS: 'paybox', PAYBOX_SECRET_KEY: 'operator-secret-key', PAYBOX_MERCHANT_ID: '552233' };

let database: TestDatabase;
let backend: Receiver;
let gateway: GatewayProcess;
beforeAll(async () => {
  database = freshDatabaseOnDisk();
  backend = await startReceiver((request) =>
    request.url.includes('account=missing') ? { status: 404 } : { status: 200, body: 'ok' },
  );
  gateway = await startGatewayProcess({
    ...database.env,
    ...OPERATOR_ENV,
    ALLOW_UNAUTHENTICATED: 'false',
    PAYBOX_CHECK_URL: `${backend.url}/check`,
    PAYBOX_WEBHOOK_URL: `${backend.url}/payments`,
    PAYBOX_EVENTS_WEBHOOK_URL: `${backend.url}/events`,
  });
});
afterAll(async () => {
  await gateway?.kill();
  await backend?.close();
  await database?.drop();
});

async function simulate(args: string[], env: Env = OPERATOR_ENV) {
  const run = spawnGateway({ DATA_DIR: 'memory://', ...env }, { args: ['simulate', 'paybox', ...args, '--url', gateway.url] });
  return { code: await run.exited, stdout: run.output() };
}

const bodies = (path: string) =>
  backend.received.filter((request) => request.url === path).map((request) => JSON.parse(request.body));

describe('simulate paybox', () => {
  it('check asks the merchant’s check and prints the answer with its meaning', async () => {
    const ok = await simulate(['check', '--account', 'P-1', '--sum', '10.00']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/_paybox_\/check {2}\(signed\)$/m);
    expect(ok.stdout).toMatch(/^< <response><pg_salt>\w+<\/pg_salt><pg_status>ok<\/pg_status>/m);
    expect(ok.stdout).toMatch(/^pg_status ok: accepted/m);
    expect(backend.received.some((request) => request.url.startsWith('/check?account=P-1'))).toBe(true);
    const missing = await simulate(['check', '--account', 'missing', '--sum', '10.00']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^pg_description: account not found$/m);
  });

  it('pay is a signed result, recorded and delivered; a repeat is accepted too', async () => {
    const first = await simulate(['pay', '--order-id', 'P-2', '--amount', '150.50', '--payment-id', '5002']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/_paybox_\/result {2}\(signed\)$/m);
    expect(first.stdout).toMatch(
      /^> pg_sig=[0-9a-f]{32}&pg_merchant_id=552233&pg_order_id=P-2&pg_payment_id=5002&pg_amount=150\.50&/m,
    );
    await waitFor(() => bodies('/payments').find((body) => body.code === '5002'), 'the payment webhook');
    expect(bodies('/payments').find((body) => body.code === '5002')).toMatchObject({ account: 'P-2', sum: 150.5 });
    expect((await simulate(['pay', '--account', 'P-2', '--sum', '150.50', '--txn-id', '5002', '--format', 'xml'])).code).toBe(0);
  });

  it('result --result 0 and refund reach the events webhook', async () => {
    expect((await simulate(['result', '--account', 'P-3', '--sum', '20.00', '--txn-id', '5003', '--result', '0'])).code).toBe(0);
    expect(
      (await simulate(['refund', '--account', 'P-2', '--sum', '50.00', '--txn-id', '5002', '--format', 'multipart'])).code,
    ).toBe(0);
    await waitFor(() => bodies('/events').length === 2, 'both events');
    expect(bodies('/events')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'failure', payment_transaction_id: '5003' }),
        expect.objectContaining({ type: 'refund', payment_transaction_id: '5002', sum: 50 }),
      ]),
    );
  });

  it('signed with another key, the gateway refuses: invalid signature, exit 1', async () => {
    const { code, stdout } = await simulate(['pay', '--account', 'P-4', '--sum', '1.00'], {
      ...OPERATOR_ENV,
      PAYBOX_SECRET_KEY: 'another-key',
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^pg_status error: /m);
    expect(stdout).toMatch(/^pg_description: invalid signature$/m);
  });
});
