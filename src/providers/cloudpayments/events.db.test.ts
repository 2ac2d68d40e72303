/**
 * Fail, Confirm, Refund, Cancel and Recurrent: kept once each with their whole payload, and a
 * refund or cancel seen next to the payment it is about. Check without a check URL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { CANCEL, CHECK, CONFIRM, FAIL, PAY, RECURRENT, REFUND, withField, withoutField } from './fixtures/notifications.js';
import { emptyTables, notifications, transactions } from './fixtures/tables.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.close());
afterEach(() => emptyTables(gateway.db));

const post = (url: string, body: string) =>
  gateway.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });
const codeOf = (response: { statusCode: number; body: string }) => {
  expect(response.statusCode).toBe(200);
  return (JSON.parse(response.body) as { code: number }).code;
};

describe('each type is recorded once with its whole payload', () => {
  it.each([
    [
      '/fail',
      FAIL,
      {
        type: 'Fail',
        idempotency_key: '2901358790',
        payment_transaction_id: null,
        status: 'Declined',
        payload: { Reason: 'InsufficientFunds', ReasonCode: '5051', Name: 'Иван Петров' },
      },
    ],
    [
      '/confirm',
      CONFIRM,
      {
        type: 'Confirm',
        idempotency_key: '2901358781',
        payment_transaction_id: '2901358781',
        amount: '1500.00',
        payload: { AuthCode: 'A1B2C3' },
      },
    ],
    [
      '/refund',
      REFUND,
      {
        type: 'Refund',
        idempotency_key: '2901360001',
        transaction_id: '2901360001',
        payment_transaction_id: '2901358781',
        amount: '500.00',
        payload: { OperationType: 'Refund' },
      },
    ],
    [
      '/cancel',
      CANCEL,
      {
        type: 'Cancel',
        idempotency_key: '2901358781',
        payment_transaction_id: '2901358781',
        account_id: '4957835959',
        payload: { DateTime: '2024-03-15 11:00:00' },
      },
    ],
    [
      '/recurrent',
      RECURRENT,
      {
        type: 'Recurrent',
        transaction_id: null,
        subscription_id: 'sc_8cf8a9338fb8ebf7202b08d09c938',
        status: 'Active',
        payload: { Description: 'Подписка на интернет', Interval: 'Month' },
      },
    ],
  ])('%s', async (path, body, expected) => {
    expect(codeOf(await post(path, body))).toBe(0);
    expect(codeOf(await gateway.app.inject(`/_cloudpayments_${path}?${body}`))).toBe(0);
    const rows = await notifications(gateway.db);
    expect(rows).toMatchObject([expected]);
    expect(Object.values(rows[0]!.payload)).not.toContain(''); // empty optional fields count as absent
    expect(Object.keys(rows[0]!.payload)).toHaveLength(body.split('&').filter((pair) => !pair.endsWith('=')).length);
    expect(await transactions(gateway.db)).toEqual([]);
  });

  it('keeps ten concurrent repeats of a refund as one row', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post('/refund', REFUND)));
    expect(answers.map(codeOf)).toEqual(Array(10).fill(0));
    expect(await notifications(gateway.db)).toHaveLength(1);
  });

  it('keeps each status a subscription goes through, but not a repeat of one', async () => {
    const pastDue = withField(withField(RECURRENT, 'Status', 'PastDue'), 'FailedTransactionsNumber', '1');
    for (const body of [RECURRENT, pastDue, pastDue, RECURRENT]) expect(codeOf(await post('/recurrent', body))).toBe(0);
    expect((await notifications(gateway.db)).map((row) => row.status)).toEqual(['Active', 'PastDue']);
  });

  it.each([
    ['/fail', withoutField(FAIL, 'TransactionId')],
    ['/refund', withField(REFUND, 'TransactionId', 'x1')],
    ['/confirm', ''],
    ['/recurrent', withField(RECURRENT, 'Id', '')],
  ])('%s without a usable id gets 13 and records nothing', async (path, body) => {
    expect(codeOf(await post(path, body))).toBe(13);
    expect(await notifications(gateway.db)).toEqual([]);
  });
});

describe('a payment and what happened to it later, in cloudpayments_transaction_state', () => {
  const state = () =>
    gateway.db.query<{ code: string; sum: string; refunded_sum: string; confirmed_at: Date | null; cancelled_at: Date | null }>(
      `SELECT code, sum::text AS sum, refunded_sum::text AS refunded_sum, confirmed_at, cancelled_at
       FROM ${gateway.db.table('cloudpayments_transaction_state')} ORDER BY id`,
    );

  it('shows a fresh payment with nothing after it', async () => {
    await post('/pay', PAY);
    expect(await state()).toEqual([
      { code: '2901358781', sum: '1500.00', refunded_sum: '0', confirmed_at: null, cancelled_at: null },
    ]);
  });

  it('adds up partial refunds and shows the confirmation and the cancellation', async () => {
    await post('/pay', PAY);
    await post('/confirm', CONFIRM);
    await post('/refund', REFUND);
    await post('/refund', REFUND);
    await post('/refund', withField(withField(REFUND, 'TransactionId', '2901360002'), 'Amount', '250.50'));
    await post('/cancel', CANCEL);
    const [row] = await state();
    expect(row).toMatchObject({ code: '2901358781', refunded_sum: '750.50' });
    expect(row!.confirmed_at).toBeInstanceOf(Date);
    expect(row!.cancelled_at).toBeInstanceOf(Date);
  });

  it('keeps a refund of a payment it never saw, without inventing the payment', async () => {
    await post('/refund', withField(REFUND, 'PaymentTransactionId', '1111'));
    expect(await notifications(gateway.db)).toMatchObject([{ type: 'Refund', payment_transaction_id: '1111' }]);
    expect(await state()).toEqual([]);
  });
});

describe('check without CLOUDPAYMENTS_CHECK_URL', () => {
  it('accepts every account, by GET and by POST, and records nothing', async () => {
    expect(codeOf(await gateway.app.inject(`/check?${CHECK}`))).toBe(0);
    expect(codeOf(await post('/_cloudpayments_/check', CHECK))).toBe(0);
    expect(await transactions(gateway.db)).toEqual([]);
    expect(await notifications(gateway.db)).toEqual([]);
  });

  it.each([
    ['no AccountId: the payment could not be delivered', withoutField(CHECK, 'AccountId'), 11],
    ['an empty AccountId', withField(CHECK, 'AccountId', '+'), 11],
    ['a malformed Amount', withField(CHECK, 'Amount', '1500%2c00'), 12],
    ['no Amount', withoutField(CHECK, 'Amount'), 12],
  ])('declines %s', async (_name, query, code) => {
    expect(codeOf(await gateway.app.inject(`/check?${query}`))).toBe(code);
  });
});
