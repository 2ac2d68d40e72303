/**
 * A paid result (pg_result=1): recorded once, with its currency and every field, answered `ok`
 * only once committed, however often and concurrently FreedomPay repeats it; our failure is
 * `error` with HTTP 503, so that FreedomPay comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Receiver, startReceiver, waitFor } from '../../../test/helpers/receiver.js';
import {
  EXAMPLE_ANSWER,
  EXAMPLE_RESULT,
  EXAMPLE_SIGNATURE,
  FORM,
  formBody,
  readAnswer,
  resultFields,
  SECRET,
  signed,
} from './fixtures/calls.js';

let gateway: TestGateway;
let backend: Receiver;
beforeAll(async () => {
  backend = await startReceiver();
  gateway = await startTestGateway({
    PROVIDERS: 'paybox',
    PAYBOX_SECRET_KEY: SECRET,
    PAYBOX_MERCHANT_ID: '123',
    PAYBOX_WEBHOOK_URL: `${backend.url}/payments`,
  });
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

const post = (body: string, url = '/_paybox_/result', contentType = FORM) =>
  gateway.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: body });
const pay = (fields: Record<string, string>) => post(formBody(signed('result', fields)));

const table = (suffix: string) => gateway.db.table(`paybox_${suffix}`);
async function stored(code: string) {
  return gateway.db.query(
    `SELECT account, code, sum::text AS sum, currency, payment_date, testing_mode, can_reject, payload, status
     FROM ${table('transaction')} WHERE code = $1`,
    [code],
  );
}
/** Each test's payments have codes of their own: what arrived for one is found by its code, whenever it arrived. */
const deliveriesOf = (code: string) => backend.received.filter((entry) => JSON.parse(entry.body).code === code);

describe('the contract’s example', () => {
  it('is recorded and answered with the example’s answer, byte for byte', async () => {
    const response = await post(`${EXAMPLE_RESULT}&pg_sig=${EXAMPLE_SIGNATURE}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toBe(EXAMPLE_ANSWER);
    // Committed before the answer: the row is there the moment it arrives.
    expect(await stored('999')).toMatchObject([{ account: 'abc', code: '999', sum: '15.00', currency: 'KZT' }]);
  });

  it('is delivered to the merchant with the body every protocol has', async () => {
    await waitFor(() => deliveriesOf('999').length === 1, 'the delivery');
    const body = JSON.parse(deliveriesOf('999')[0]!.body);
    expect(body).toMatchObject({ account: 'abc', code: '999', sum: 15 });
  });
});

describe('a paid result', () => {
  it('keeps its currency, date, flags and every field but the signature', async () => {
    const fields = resultFields({ pg_currency: 'USD', pg_amount: '25.5' });
    readAnswer(await pay(fields), 'result');
    const [row] = await stored(fields.pg_payment_id!);
    expect(row).toMatchObject({
      account: fields.pg_order_id,
      sum: '25.50',
      currency: 'USD',
      payment_date: '2026-03-15 09:41:07',
      testing_mode: true,
      can_reject: false,
    });
    const { pg_sig: _signature, ...unsigned } = signed('result', fields);
    expect(row!.payload).toEqual(unsigned);
  });

  it.each([
    ['1.0000', '1.00'],
    ['1500', '1500.00'],
    ['0.125', '0.125'],
    ['007.10', '7.10'],
  ])('keeps the sum %s exactly: %s', async (amount, sum) => {
    const fields = resultFields({ pg_amount: amount });
    expect(readAnswer(await pay(fields), 'result').status).toBe('ok');
    expect(await stored(fields.pg_payment_id!)).toMatchObject([{ sum }]);
  });

  it('answers ok, signed over its own salt, and a repeat the same, with no new row', async () => {
    const fields = resultFields();
    const first = readAnswer(await pay(fields), 'result');
    expect(first).toEqual({ http: 200, status: 'ok', description: 'accepted', salt: fields.pg_salt });
    // FreedomPay repeats with a salt of its own each time.
    const again = readAnswer(await pay({ ...fields, pg_salt: 'another' }), 'result');
    expect(again).toEqual({ http: 200, status: 'ok', description: 'accepted', salt: 'another' });
    expect(await stored(fields.pg_payment_id!)).toHaveLength(1);
  });

  it('takes twenty concurrent repeats as one payment, delivered once', async () => {
    const fields = resultFields();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => pay({ ...fields, pg_salt: `s${i}` })));
    expect(answers.map((answer) => readAnswer(answer, 'result').status)).toEqual(Array(20).fill('ok'));
    expect(await stored(fields.pg_payment_id!)).toHaveLength(1);
    await waitFor(async () => (await stored(fields.pg_payment_id!))[0]?.status === 1, 'the delivery');
    // Another payment delivered after it: the dispatcher has had its chance to send the first twice.
    const later = resultFields();
    await pay(later);
    await waitFor(() => deliveriesOf(later.pg_payment_id!).length === 1, 'a later delivery');
    expect(deliveriesOf(fields.pg_payment_id!)).toHaveLength(1);
  });

  it('reusing a recorded pg_payment_id with another sum is answered ok, kept aside, changes and delivers nothing', async () => {
    const fields = resultFields();
    await pay(fields);
    await waitFor(() => deliveriesOf(fields.pg_payment_id!).length === 1, 'the delivery');
    const clash = { ...fields, pg_amount: '99.99', pg_salt: 'clash' };
    expect(readAnswer(await pay(clash), 'result')).toMatchObject({ status: 'ok', salt: 'clash' });
    expect(readAnswer(await pay({ ...clash, pg_salt: 'clash2' }), 'result')).toMatchObject({ status: 'ok' });
    expect(await stored(fields.pg_payment_id!)).toMatchObject([{ sum: '1500.00', account: fields.pg_order_id }]);
    const kept = await gateway.db.query(
      `SELECT payment_id, order_id, amount::text AS amount, currency, problem FROM ${table('kept_aside')} WHERE payment_id = $1`,
      [fields.pg_payment_id],
    );
    expect(kept).toEqual([
      {
        payment_id: fields.pg_payment_id,
        order_id: fields.pg_order_id,
        amount: '99.99',
        currency: 'KZT',
        problem: expect.stringContaining('already recorded'),
      },
    ]);
    const later = resultFields();
    await pay(later);
    await waitFor(() => deliveriesOf(later.pg_payment_id!).length === 1, 'a later delivery');
    expect(deliveriesOf(fields.pg_payment_id!)).toHaveLength(1);
  });
});

describe('when the database fails', () => {
  async function without<T>(name: string, work: () => Promise<T>): Promise<T> {
    const { db } = gateway;
    await db.exec(`ALTER TABLE ${table(name)} RENAME TO paybox_${name}_away`);
    try {
      return await work();
    } finally {
      await db.exec(`ALTER TABLE ${db.table(`paybox_${name}_away`)} RENAME TO paybox_${name}`);
    }
  }

  it.each(['transaction', 'http_log'])(
    'without %s: error with HTTP 503, signed over the request’s salt, nothing recorded; the repeat is',
    async (name) => {
      const fields = resultFields();
      const answer = readAnswer(await without(name, () => pay(fields)), 'result');
      expect(answer).toEqual({
        http: 503,
        status: 'error',
        description: 'temporary error, try again later',
        salt: fields.pg_salt,
      });
      expect(await stored(fields.pg_payment_id!)).toEqual([]);
      expect(readAnswer(await pay(fields), 'result')).toMatchObject({ http: 200, status: 'ok' });
      expect(await stored(fields.pg_payment_id!)).toHaveLength(1);
    },
  );
});
