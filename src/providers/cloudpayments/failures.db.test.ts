/**
 * When we fail, CloudPayments must still get `{"code":N}` (never an HTML page or a 500), and a
 * non-zero N so that it repeats the notification later. Every request is in the request log.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { asLogged, PAY, REFUND } from './fixtures/notifications.js';
import { emptyTables, httpLog, notifications, transactions } from './fixtures/tables.js';

const FORM = 'application/x-www-form-urlencoded';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.close());
afterEach(() => emptyTables(gateway.db));

const post = (url: string, body: string, contentType = FORM) =>
  gateway.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: body });

function expectCode(response: { statusCode: number; headers: Record<string, unknown>; body: string }, code: number) {
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(response.body).toBe(`{"code":${code}}`);
}

/** Makes a table unreachable for the duration of `work`, as a failing database would. */
async function without<T>(table: string, work: () => Promise<T>): Promise<T> {
  const { db } = gateway;
  await db.exec(`ALTER TABLE ${db.table(table)} RENAME TO ${table}_away`);
  try {
    return await work();
  } finally {
    await db.exec(`ALTER TABLE ${db.table(`${table}_away`)} RENAME TO ${table}`);
  }
}

describe('a database failure answers 13, and the repeat CloudPayments then sends succeeds', () => {
  it('when the transaction cannot be written', async () => {
    expectCode(await without('cloudpayments_transaction', () => post('/pay', PAY)), 13);
    expect(await transactions(gateway.db)).toEqual([]);
    expectCode(await post('/pay', PAY), 0);
    expect(await transactions(gateway.db)).toHaveLength(1);
    expect(await httpLog(gateway.db)).toHaveLength(2);
  });

  it('when a notification cannot be written', async () => {
    expectCode(await without('cloudpayments_notification', () => post('/refund', REFUND)), 13);
    expectCode(await post('/refund', REFUND), 0);
    expect(await notifications(gateway.db)).toHaveLength(1);
  });

  it('when the request cannot be logged: nothing is acted on unlogged', async () => {
    expectCode(await without('cloudpayments_http_log', () => post('/pay', PAY)), 13);
    expect(await transactions(gateway.db)).toEqual([]);
  });
});

describe('the request log', () => {
  it('records GET and POST requests with their url, headers and body as received', async () => {
    await gateway.app.inject({ url: `/pay?${PAY}`, remoteAddress: '130.193.70.192' });
    await post('/_cloudpayments_/refund', REFUND);
    expect(await httpLog(gateway.db)).toMatchObject([
      { ip: '130.193.70.192', method: 'GET', url: `/pay?${asLogged(PAY)}`, body: null },
      { method: 'POST', url: '/_cloudpayments_/refund', body: REFUND, headers: { 'content-type': FORM } },
    ]);
  });

  it('records a body too large to read, which is answered 13 like any other failure', async () => {
    const response = await post('/pay', `${PAY}&Junk=${'x'.repeat(2 * 1024 * 1024)}`);
    expectCode(response, 13);
    expect(await httpLog(gateway.db)).toMatchObject([{ method: 'POST', url: '/pay', body: null }]);
    expect(await transactions(gateway.db)).toEqual([]);
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const)(
    'refuses %s with 405, Allow and {"code":13}, and logs it',
    async (method) => {
      const response = await gateway.app.inject({
        method,
        url: '/_cloudpayments_/pay',
        payload: method === 'HEAD' ? undefined : PAY,
      });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, POST');
      if (method !== 'HEAD') expect(response.body).toBe('{"code":13}');
      expect(await httpLog(gateway.db)).toMatchObject([{ method, url: '/_cloudpayments_/pay' }]);
      expect(await transactions(gateway.db)).toEqual([]);
    },
  );
});
