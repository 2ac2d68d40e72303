/**
 * Check: before the money is taken, FreedomPay asks whether the payment may go ahead. payrelay
 * asks the merchant's account check (`PAYBOX_CHECK_URL?account=<pg_order_id>`) and records no
 * payment: ok when it answers 200 (or there is none), rejected on a 4xx, error when it cannot say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Receiver, startReceiver } from '../../../test/helpers/receiver.js';
import { FORM, formBody, MERCHANT, readAnswer, SECRET, signed } from './fixtures/calls.js';

let backend: Receiver;
let withCheck: TestGateway;
let withoutCheck: TestGateway;
beforeAll(async () => {
  // Account "missing" does not exist; "broken" makes the backend fail.
  backend = await startReceiver((request) =>
    request.url.includes('account=missing')
      ? { status: 404 }
      : request.url.includes('account=broken')
        ? { status: 500 }
        : { status: 200, body: '{}' },
  );
  const env = { PROVIDERS: 'paybox', PAYBOX_SECRET_KEY: SECRET, PAYBOX_MERCHANT_ID: MERCHANT };
  [withCheck, withoutCheck] = await Promise.all([
    startTestGateway({ ...env, PAYBOX_CHECK_URL: `${backend.url}/check` }),
    startTestGateway(env),
  ]);
});
afterAll(async () => {
  await Promise.all([withCheck?.close(), withoutCheck?.close()]);
  await backend?.close();
});

const CHECK = {
  pg_merchant_id: MERCHANT,
  pg_order_id: 'A-1',
  pg_payment_id: '123456',
  pg_amount: '1500.00',
  pg_currency: 'KZT',
  pg_description: 'Заказ',
  pg_salt: 'checksalt',
};

const check = (gateway: TestGateway, fields: Record<string, string>) =>
  gateway.app.inject({
    method: 'POST',
    url: '/_paybox_/check',
    headers: { 'content-type': FORM },
    payload: formBody(signed('check', fields)),
  });

async function recorded(gateway: TestGateway) {
  const [row] = await gateway.db.query<{ payments: number; events: number; requests: number }>(
    `SELECT (SELECT count(*) FROM ${gateway.db.table('paybox_transaction')})::int AS payments,
            (SELECT count(*) FROM ${gateway.db.table('paybox_event')})::int AS events,
            (SELECT count(*) FROM ${gateway.db.table('paybox_http_log')})::int AS requests`,
  );
  return row!;
}

describe('check', () => {
  it('asks the account check with the order id, sum, currency and payment id, and answers ok, signed for "check"', async () => {
    const before = await recorded(withCheck);
    expect(readAnswer(await check(withCheck, CHECK), 'check')).toEqual({
      http: 200,
      status: 'ok',
      description: 'accepted',
      salt: 'checksalt',
    });
    const asked = backend.received.find((request) => request.url.startsWith('/check'))!;
    const query = new URL(asked.url, backend.url).searchParams;
    expect(Object.fromEntries(query)).toEqual({ account: 'A-1', sum: '1500.00', currency: 'KZT', payment_id: '123456' });
    // Nothing but the request log.
    expect(await recorded(withCheck)).toEqual({ ...before, requests: before.requests + 1 });
  });

  it('answers rejected when the account check answers 4xx', async () => {
    expect(readAnswer(await check(withCheck, { ...CHECK, pg_order_id: 'missing' }), 'check')).toMatchObject({
      http: 200,
      status: 'rejected',
      description: 'account not found',
    });
  });

  it('answers error when the account check cannot say (a 5xx)', async () => {
    expect(readAnswer(await check(withCheck, { ...CHECK, pg_order_id: 'broken' }), 'check')).toMatchObject({
      http: 200,
      status: 'error',
      description: 'account check unavailable',
    });
  });

  it('answers ok without an account check, recording nothing', async () => {
    const before = await recorded(withoutCheck);
    expect(readAnswer(await check(withoutCheck, CHECK), 'check').status).toBe('ok');
    expect(await recorded(withoutCheck)).toEqual({ ...before, requests: before.requests + 1 });
  });

  it('takes a check without a sum; refuses one without an order id', async () => {
    const { pg_amount: _sum, ...noSum } = CHECK;
    expect(readAnswer(await check(withoutCheck, noSum), 'check').status).toBe('ok');
    const { pg_order_id: _order, ...noOrder } = CHECK;
    expect(readAnswer(await check(withoutCheck, noOrder), 'check')).toMatchObject({
      status: 'error',
      description: 'malformed request',
    });
  });

  it('by GET, with the fields in the query, as FreedomPay may be set to call', async () => {
    const response = await withoutCheck.app.inject({ method: 'GET', url: `/_paybox_/check?${formBody(signed('check', CHECK))}` });
    expect(readAnswer(response, 'check').status).toBe('ok');
  });
});
