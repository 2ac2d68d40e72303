/** Check against a stand-in merchant backend: what it is asked, and the code each answer gives. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver.js';
import { CHECK, PAY, withField, withoutField } from './fixtures/notifications.js';

let backend: Receiver;
let gateway: TestGateway;
beforeAll(async () => {
  backend = await startReceiver();
  gateway = await startTestGateway({
    CLOUDPAYMENTS_CHECK_URL: `${backend.url}/accounts/check?token=s3cret`,
    CLOUDPAYMENTS_CHECK_TIMEOUT_MS: '300',
  });
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});
afterEach(() => {
  backend.received.length = 0;
  backend.respondWith(() => ({ status: 200 }));
});

const check = (query = CHECK) => gateway.app.inject(`/check?${query}`);
const answer = (code: number) => ({ statusCode: 200, body: `{"code":${code}}` });

describe('check asks the backend', () => {
  it('with the account and the payment, keeping the query the URL already has', async () => {
    const response = await check(withField(CHECK, 'AccountId', 'ivan%40example.ru+%26+co'));
    expect(response).toMatchObject(answer(0));
    expect(backend.received).toHaveLength(1);
    const asked = new URL(backend.received[0]!.url, backend.url);
    expect(backend.received[0]!.method).toBe('GET');
    expect(asked.pathname).toBe('/accounts/check');
    expect(Object.fromEntries(asked.searchParams)).toEqual({
      token: 's3cret',
      account: 'ivan@example.ru & co',
      sum: '1500.00',
      currency: 'RUB',
      invoice_id: '1842',
      transaction_id: '2901358781',
    });
  });

  it('from a POST body too, leaving out what the notification does not carry', async () => {
    const body = withoutField(withField(CHECK, 'InvoiceId', ''), 'Currency');
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const response = await gateway.app.inject({ method: 'POST', url: '/check', headers, payload: body });
    expect(response).toMatchObject(answer(0));
    const asked = new URL(backend.received[0]!.url, backend.url);
    expect([...asked.searchParams.keys()]).toEqual(['token', 'account', 'sum', 'transaction_id']);
  });
});

describe('the code follows the backend', () => {
  it.each([
    [200, 0],
    [404, 11],
    [400, 11],
    [500, 13],
    [503, 13],
    [302, 13],
  ])('a backend answering %i gives code %i', async (status, code) => {
    const headers: Record<string, string> = status === 302 ? { location: '/elsewhere' } : {};
    backend.respondWith(() => ({ status, headers }));
    expect(await check()).toMatchObject(answer(code));
  });

  it('a backend that does not answer within CLOUDPAYMENTS_CHECK_TIMEOUT_MS gives 13', async () => {
    backend.respondWith(() => 'hang');
    const started = Date.now();
    expect(await check()).toMatchObject(answer(13));
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an unreachable backend gives 13', async () => {
    const down = await startTestGateway({ CLOUDPAYMENTS_CHECK_URL: 'http://127.0.0.1:1/check' });
    try {
      expect(await down.app.inject(`/check?${CHECK}`)).toMatchObject(answer(13));
    } finally {
      await down.close();
    }
  });
});

describe('what is wrong before asking', () => {
  it.each([
    ['no AccountId', withoutField(CHECK, 'AccountId'), 11],
    ['a malformed Amount', withField(CHECK, 'Amount', '1%2c5'), 12],
  ])('%s gets its code without a call to the backend', async (_name, query, code) => {
    backend.respondWith(() => ({ status: 200 }));
    expect(await check(query)).toMatchObject(answer(code));
    expect(backend.received).toHaveLength(0);
  });

  it('pay does not ask the backend: the card is already charged', async () => {
    backend.respondWith(() => ({ status: 404 }));
    expect(await gateway.app.inject(`/pay?${PAY}`)).toMatchObject(answer(0));
    expect(backend.received).toHaveLength(0);
  });
});
