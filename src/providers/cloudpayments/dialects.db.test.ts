/**
 * CloudPayments as cabinets really use it: the merchant's backend names the check code, and every
 * notification type the cabinet offers (Receipt, Kkt, SbpToken, ...) is verified, recorded once
 * and answered {"code":0}.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Receiver, startReceiver } from '../../../test/helpers/receiver.js';
import { CHECK, contentHmac, PAY, RECEIPT, SECRET, withField } from './fixtures/notifications.js';
import { emptyTables, notifications } from './fixtures/tables.js';

const FORM = 'application/x-www-form-urlencoded';
let backend: Receiver;
let gateway: TestGateway;
beforeAll(async () => {
  backend = await startReceiver();
  gateway = await startTestGateway({ CLOUDPAYMENTS_API_SECRET: SECRET, CLOUDPAYMENTS_CHECK_URL: `${backend.url}/check` });
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});
afterEach(async () => {
  backend.respondWith(() => ({ status: 200 }));
  await emptyTables(gateway.db);
});

const post = (url: string, body: string, signature = contentHmac(body)) =>
  gateway.app.inject({ method: 'POST', url, headers: { 'content-type': FORM, 'content-hmac': signature }, payload: body });
const check = () => gateway.app.inject({ url: `/check?${CHECK}`, headers: { 'content-hmac': contentHmac(CHECK) } });

describe('the merchant names the check code', () => {
  it.each([0, 10, 11, 12, 13, 20])('a 200 with {"code": %i} is the answer', async (code) => {
    backend.respondWith(() => ({ status: 200, body: JSON.stringify({ code, message: 'why' }) }));
    expect((await check()).body).toBe(`{"code":${code}}`);
  });

  it.each([
    ['a code CloudPayments has not', '{"code": 99}', 0],
    ['a code as text', '{"code": "12"}', 0],
    ['broken JSON', '{"code": 1', 0],
    ['no JSON', 'OK', 0],
  ])('%s: any other 200 stays 0', async (_name, body, code) => {
    backend.respondWith(() => ({ status: 200, body }));
    expect((await check()).body).toBe(`{"code":${code}}`);
  });

  it('a 4xx stays 11', async () => {
    backend.respondWith(() => ({ status: 404, body: '{"code": 0}' }));
    expect((await check()).body).toBe('{"code":11}');
  });
});

describe('every notification type', () => {
  it.each(['/receipt', '/_cloudpayments_/receipt'])('a Receipt at %s is recorded once across repeats', async (url) => {
    for (let i = 0; i < 3; i++) expect((await post(url, RECEIPT)).body).toBe('{"code":0}');
    const rows = await notifications(gateway.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      type: 'Receipt',
      transaction_id: '2901358781',
      payment_transaction_id: '2901358781',
      amount: '1500.00',
    });
    expect(rows[0]!.payload).toMatchObject({ Url: 'https://receipts.ru/b7c7a4c8e9f04a2d8b1e', Type: 'Income' });
  });

  it('shows a receipt’s link next to its payment', async () => {
    await post('/pay', PAY);
    await post('/receipt', RECEIPT);
    await post('/receipt', withField(withField(RECEIPT, 'Type', 'IncomeReturn'), 'Url', 'https%3a%2f%2freceipts.ru%2freturn'));
    const [state] = await gateway.db.query(
      `SELECT code, receipt_url FROM ${gateway.db.table('cloudpayments_transaction_state')}`,
    );
    expect(state).toEqual({ code: '2901358781', receipt_url: 'https://receipts.ru/b7c7a4c8e9f04a2d8b1e' });
    expect(await notifications(gateway.db)).toHaveLength(2);
  });

  it('a type payrelay does not know yet, without a TransactionId, is recorded once by its content', async () => {
    const token = 'Token=sbp_7f3a&AccountId=4957835959&Status=Active&DateTime=2024-03-15+09%3a41%3a30';
    for (let i = 0; i < 3; i++) expect((await post('/_cloudpayments_/SbpToken', token)).body).toBe('{"code":0}');
    await post('/_cloudpayments_/SbpToken', withField(token, 'Status', 'Revoked'));
    const rows = await notifications(gateway.db);
    expect(rows.map((row) => [row.type, row.account_id, row.status])).toEqual([
      ['SbpToken', '4957835959', 'Active'],
      ['SbpToken', '4957835959', 'Revoked'],
    ]);
  });

  it('Kkt by GET, with its TransactionId', async () => {
    const query = 'TransactionId=2901358781&Status=Registered';
    const response = await gateway.app.inject({
      url: `/_cloudpayments_/Kkt?${query}`,
      headers: { 'content-hmac': contentHmac(query) },
    });
    expect(response.body).toBe('{"code":0}');
    expect(await notifications(gateway.db)).toMatchObject([{ type: 'Kkt', transaction_id: '2901358781' }]);
  });

  it.each(['/receipt', '/_cloudpayments_/Kkt'])('a forged one at %s is refused and leaves nothing', async (url) => {
    const response = await post(url, RECEIPT, contentHmac(RECEIPT, 'not the secret'));
    expect(response.body).toBe('{"code":13}');
    expect(await notifications(gateway.db)).toEqual([]);
  });

  it('unknown types live only under /_cloudpayments_/, never at the root', async () => {
    expect((await post('/SbpToken', RECEIPT)).statusCode).toBe(404);
  });
});
