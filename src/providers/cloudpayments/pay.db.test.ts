/**
 * Pay as CloudPayments sends it: GET or POST, form or JSON, UTF-8 or Windows-1251, and the
 * transaction row each leaves. Unsigned (no API secret): signatures are signature.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { PAY, PAY_CP1251, PAY_JSON, PAY_PAYLOAD, withField, withoutField } from './fixtures/notifications.js';
import { emptyTables, notifications, transactions } from './fixtures/tables.js';

const FORM = 'application/x-www-form-urlencoded';

let gateway: TestGateway;
let cp1251: TestGateway;
beforeAll(async () => {
  [gateway, cp1251] = await Promise.all([startTestGateway(), startTestGateway({ CLOUDPAYMENTS_ENCODING: 'Windows1251' })]);
});
afterAll(() => Promise.all([gateway.close(), cp1251.close()]));
afterEach(() => Promise.all([emptyTables(gateway.db), emptyTables(cp1251.db)]));

const post = (body: string | Buffer, contentType = FORM, url = '/pay', to = gateway) =>
  to.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: body });

function expectAnswer(response: { statusCode: number; headers: Record<string, unknown>; body: string }, code: number) {
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(response.body).toBe(`{"code":${code}}`);
}

const RECORDED = {
  account: '4957835959',
  code: '2901358781',
  sum: '1500.00',
  status: 0,
  currency: 'RUB',
  invoice_id: '1842',
  email: 'ivan.petrov@example.ru',
  test_mode: true,
  payload: PAY_PAYLOAD,
};

describe('a Pay is recorded once and answered {"code":0}', () => {
  it('from a UTF-8 form body', async () => {
    expectAnswer(await post(PAY), 0);
    expect(await transactions(gateway.db)).toMatchObject([RECORDED]);
  });

  it('from a GET query string, under /_cloudpayments_/ too', async () => {
    expectAnswer(await gateway.app.inject({ method: 'GET', url: `/_cloudpayments_/pay?${PAY}` }), 0);
    expect(await transactions(gateway.db)).toMatchObject([RECORDED]);
  });

  it('from a Windows-1251 body that names its charset', async () => {
    expectAnswer(await post(PAY_CP1251, `${FORM}; charset=windows-1251`), 0);
    expect(await transactions(gateway.db)).toMatchObject([RECORDED]);
  });

  it('from a Windows-1251 body or query without a charset, with CLOUDPAYMENTS_ENCODING=Windows1251', async () => {
    expectAnswer(await post(PAY_CP1251, FORM, '/pay', cp1251), 0);
    expectAnswer(await cp1251.app.inject(`/pay?${withField(PAY_CP1251, 'TransactionId', '2901358782')}`), 0);
    const rows = await transactions(cp1251.db);
    expect(rows.map((row) => row.payload)).toEqual([PAY_PAYLOAD, { ...PAY_PAYLOAD, TransactionId: '2901358782' }]);
  });

  it('from Windows-1251 bytes sent unescaped', async () => {
    const body = Buffer.concat([
      Buffer.from('TransactionId=7&Amount=10.00&AccountId=1&Name='),
      Buffer.from([0xc8, 0xe2, 0xe0, 0xed]),
    ]);
    expectAnswer(await post(body, `${FORM}; charset=windows-1251`), 0);
    expect((await transactions(gateway.db))[0]!.payload).toEqual({
      TransactionId: '7',
      Amount: '10.00',
      AccountId: '1',
      Name: 'Иван',
    });
  });

  it('from a JSON body, keeping numbers exact and Data as the JSON it carries', async () => {
    expectAnswer(await post(PAY_JSON, 'application/json'), 0);
    const [row] = await transactions(gateway.db);
    expect(row).toMatchObject({
      account: '4957835959',
      code: '2901358782',
      sum: '1500.00',
      currency: 'RUB',
      email: null,
      test_mode: true,
    });
    expect(row!.payload).toEqual({
      TransactionId: '2901358782',
      Amount: '1500.00',
      Currency: 'RUB',
      AccountId: '4957835959',
      Name: 'Иван Петров',
      TestMode: true,
      Status: 'Completed',
      Data: { comment: 'Подарок', items: [{ qty: 2, price: 750 }] },
    });
  });

  it('from a JSON body with no Content-Type, and a 20-digit TransactionId kept to the last digit', async () => {
    const body = '{"TransactionId": 98765432109876543210, "Amount": 10.5, "AccountId": "a-1"}';
    expectAnswer(await gateway.app.inject({ method: 'POST', url: '/pay', payload: body }), 0);
    expect(await transactions(gateway.db)).toMatchObject([{ code: '98765432109876543210', sum: '10.50', account: 'a-1' }]);
  });

  it('keeps unknown fields, drops empty ones, and keeps a Data that is not JSON as text', async () => {
    const body = withField(withField(PAY, 'Data', 'order+%231842'), 'FutureField', '%d0%b4%d0%b0');
    expectAnswer(await post(body), 0);
    const { payload } = (await transactions(gateway.db))[0]!;
    expect(payload).toMatchObject({ Data: 'order #1842', FutureField: 'да' });
    expect(payload).not.toHaveProperty('SubscriptionId');
    expect(payload).not.toHaveProperty('IpRegion');
  });

  it('reads TestMode=0 as false and an empty Email as none', async () => {
    expectAnswer(await post(withField(withField(PAY, 'TestMode', '0'), 'Email', '')), 0);
    expect(await transactions(gateway.db)).toMatchObject([{ test_mode: false, email: null }]);
  });
});

describe('repeats change nothing', () => {
  it('answers a repeat 0 and keeps the first row as it was', async () => {
    await post(PAY);
    const [first] = await transactions(gateway.db);
    expectAnswer(await post(withField(PAY, 'Name', 'SOMEONE+ELSE')), 0);
    expect(await transactions(gateway.db)).toEqual([first]);
  });

  it('answers ten concurrent repeats 0, with one row', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(PAY)));
    for (const answer of answers) expectAnswer(answer, 0);
    expect(await transactions(gateway.db)).toHaveLength(1);
  });
});

describe('a Pay that cannot become a transaction is kept aside, answered 0, not delivered', () => {
  it('without AccountId: the card is charged, so it is kept in cloudpayments_notification', async () => {
    expectAnswer(await post(withField(PAY, 'AccountId', '')), 0);
    expect(await transactions(gateway.db)).toEqual([]);
    expect(await notifications(gateway.db)).toMatchObject([
      {
        type: 'Pay',
        transaction_id: '2901358781',
        amount: '1500.00',
        problem: 'no AccountId: not delivered',
        payload: { Name: 'Иван Петров' },
      },
    ]);
    expectAnswer(await post(withoutField(PAY, 'AccountId')), 0);
    expect(await notifications(gateway.db)).toHaveLength(1);
  });

  it('with a TransactionId already recorded for another sum: the first stays, the clash is kept', async () => {
    await post(PAY);
    expectAnswer(await post(withField(PAY, 'Amount', '15.00')), 0);
    expect(await transactions(gateway.db)).toMatchObject([{ sum: '1500.00' }]);
    const [kept] = await notifications(gateway.db);
    expect(kept).toMatchObject({ type: 'Pay', amount: '15.00', payment_transaction_id: '2901358781' });
    expect(kept!.problem).toBe('TransactionId already recorded with account 4957835959 and sum 1500.00: not delivered');
  });
});

describe('a Pay we cannot read is answered non-zero, so that CloudPayments repeats it', () => {
  it.each([
    ['an Amount with a comma', 12, 'Amount', '1500%2c00'],
    ['a negative Amount', 12, 'Amount', '-1.00'],
    ['a zero Amount', 12, 'Amount', '0.00'],
    ['an Amount with three decimals', 12, 'Amount', '1.005'],
    ['an empty Amount', 12, 'Amount', ''],
    ['an Amount in exponent form', 12, 'Amount', '1e3'],
    ['an empty TransactionId', 13, 'TransactionId', ''],
    ['a TransactionId with letters', 13, 'TransactionId', '29013a'],
    ['a TransactionId of 21 digits', 13, 'TransactionId', '1'.repeat(21)],
  ])('%s gets %i and records nothing', async (_name, code, field, value) => {
    expectAnswer(await post(withField(PAY, field, value)), code);
    expect(await transactions(gateway.db)).toEqual([]);
    expect(await notifications(gateway.db)).toEqual([]);
  });

  it.each([
    ['an empty body', '', FORM],
    ['broken JSON', '{"TransactionId": 1, "Amount": ', 'application/json'],
    ['a JSON array', '[{"TransactionId": 1}]', 'application/json'],
  ])('%s gets 13', async (_name, body, contentType) => {
    expectAnswer(await post(body, contentType), 13);
    expect(await transactions(gateway.db)).toEqual([]);
  });
});
