/** A check asks the merchant's backend (KASPI_CHECK_URL) and answers in Kaspi's codes. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../../test/helpers/receiver.js';
import { JSON_TYPE, type KaspiGateway, startKaspi } from './fixtures/gateway.js';

let backend: Receiver;
let kaspi: KaspiGateway;
beforeAll(async () => {
  backend = await startReceiver();
  kaspi = await startKaspi({ KASPI_CHECK_URL: `${backend.url}/accounts/check?token=s3cret`, KASPI_CHECK_TIMEOUT_MS: '300' });
});
afterAll(async () => {
  await kaspi.gateway.close();
  await backend.close();
});
afterEach(async () => {
  await kaspi.empty();
  backend.received.length = 0;
  backend.respondWith(() => ({ status: 200 }));
});

const check = (account = '4957835959', rest = '&sum=0.00') =>
  kaspi.get(`/_kaspi_/payment?command=check&txn_id=1234567&account=${encodeURIComponent(account)}${rest}`);

describe('what the backend is asked', () => {
  it('the account and txn_id, keeping the query the URL has; not the dummy sum', async () => {
    await check('49 57&x');
    expect(backend.received).toHaveLength(1);
    const asked = new URL(backend.received[0]!.url, backend.url);
    expect(backend.received[0]!.method).toBe('GET');
    expect(asked.pathname).toBe('/accounts/check');
    expect(asked.searchParams.get('token')).toBe('s3cret');
    expect(asked.searchParams.get('account')).toBe('49 57&x');
    expect(asked.searchParams.get('txn_id')).toBe('1234567');
    expect(asked.searchParams.has('sum')).toBe(false);
  });
});

describe('what the backend’s answer becomes', () => {
  it('200: 0', async () => {
    const response = await check();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.body).toBe('{"txn_id":"1234567","result":0,"comment":"OK"}');
  });

  it.each([404, 400, 403, 422, 451])('%i (a 4xx): 1, account not found', async (status) => {
    backend.respondWith(() => ({ status }));
    const response = await check();
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"txn_id":"1234567","result":1,"comment":"Account not found"}');
  });

  it.each([
    [410, 2, 'Order cancelled'],
    [409, 3, 'Order already paid'],
  ])('%i: %i, as the contract maps it', async (status, result, comment) => {
    backend.respondWith(() => ({ status }));
    const response = await check();
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(`{"txn_id":"1234567","result":${result},"comment":"${comment}"}`);
  });

  it.each([500, 503, 302])('%i: HTTP 503 and result 5, so that the network asks again', async (status) => {
    const headers: Record<string, string> = status === 302 ? { location: '/elsewhere' } : {};
    backend.respondWith(() => ({ status, headers }));
    const response = await check();
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.body).toBe('{"txn_id":"1234567","result":5,"comment":"Account check unavailable, retry"}');
  });

  it('no answer within KASPI_CHECK_TIMEOUT_MS: HTTP 503 and result 5', async () => {
    backend.respondWith(() => 'hang');
    const response = await check();
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('{"txn_id":"1234567","result":5,"comment":"Account check unavailable, retry"}');
  });

  it('an unreachable backend: HTTP 503 and result 5', async () => {
    const down = await startKaspi({ KASPI_CHECK_URL: 'http://127.0.0.1:1/check' });
    try {
      const response = await down.get('/_kaspi_/payment?command=check&txn_id=1&account=2&sum=0.00');
      expect(response.statusCode).toBe(503);
      expect(response.body).toBe('{"txn_id":"1","result":5,"comment":"Account check unavailable, retry"}');
    } finally {
      await down.gateway.close();
    }
  });

  it('without KASPI_CHECK_URL every account exists', async () => {
    const open = await startKaspi();
    try {
      const response = await open.get('/_kaspi_/payment?command=check&txn_id=1&account=anything&sum=0.00');
      expect(response.body).toBe('{"txn_id":"1","result":0,"comment":"OK"}');
    } finally {
      await open.gateway.close();
    }
  });
});

describe('the holder’s fields, Kaspi’s way', () => {
  it('in the backend’s order, numbered, non-ASCII as UTF-8', async () => {
    backend.respondWith(() => ({
      status: 200,
      body: JSON.stringify({ fields: { name: 'Иванов И.', balance: '150.00', tariff: 'Қазақ 100 Мбит' } }),
    }));
    const response = await check();
    expect(response.body).toBe(
      '{"txn_id":"1234567","result":0,"comment":"OK","fields":{' +
        '"field1":{"@name":"name","#text":"Иванов И."},' +
        '"field2":{"@name":"balance","#text":"150.00"},' +
        '"field3":{"@name":"tariff","#text":"Қазақ 100 Мбит"}}}',
    );
    expect(response.rawPayload.includes(Buffer.from('Иванов', 'utf8'))).toBe(true);
  });

  it('numbers and booleans as text; nested values left out; JSON escapes where JSON needs them', async () => {
    backend.respondWith(() => ({
      status: 200,
      body: JSON.stringify({ fields: { 'a"b\\c': 'line\nbreak', due: 12.5, active: true, nested: { x: 1 }, list: [1] } }),
    }));
    const response = await check();
    expect(response.body).toBe(
      '{"txn_id":"1234567","result":0,"comment":"OK","fields":{' +
        '"field1":{"@name":"a\\"b\\\\c","#text":"line\\nbreak"},' +
        '"field2":{"@name":"due","#text":"12.5"},' +
        '"field3":{"@name":"active","#text":"true"}}}',
    );
    expect(JSON.parse(response.body).fields.field1).toEqual({ '@name': 'a"b\\c', '#text': 'line\nbreak' });
  });

  it.each([
    ['no body', ''],
    ['plain text', 'OK'],
    ['broken JSON', '{"fields": {"name": "Ив'],
    ['fields that are not an object', '{"fields": ["Иванов"]}'],
    ['fields with nothing to show', '{"fields": {"x": {"nested": 1}}}'],
    ['a JSON array', '[1,2]'],
  ])('any other 200 (%s) is a plain 0', async (_name, body) => {
    backend.respondWith(() => ({ status: 200, body }));
    expect((await check()).body).toBe('{"txn_id":"1234567","result":0,"comment":"OK"}');
  });
});

describe('a check is answered on the account alone', () => {
  it.each([
    ['no sum', ''],
    ['a dummy sum', '&sum=0.00'],
    ['a sum that is no number', '&sum=abc'],
    ['a negative sum', '&sum=-5'],
    ['two different sums', '&sum=1.00&sum=2.00'],
    ['a sum with a control character', '&sum=1%0A'],
    ['a txn_date that is no date', '&txn_date=yesterday'],
  ])('%s: never refused for it', async (_name, rest) => {
    expect((await check('4957835959', rest)).body).toBe('{"txn_id":"1234567","result":0,"comment":"OK"}');
  });

  it('has no memory: a paid txn_id is checked as any other, and nothing is recorded', async () => {
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=1234567&account=4957835959&sum=200.00');
    const before = await kaspi.transactions();
    expect((await check()).body).toBe('{"txn_id":"1234567","result":0,"comment":"OK"}');
    expect(await kaspi.transactions()).toEqual(before);
    expect(await kaspi.events()).toEqual([]);
  });

  it('still needs a txn_id and a readable account', async () => {
    expect((await kaspi.get('/_kaspi_/payment?command=check&account=1&sum=0.00')).body).toBe(
      '{"result":5,"comment":"Invalid txn_id"}',
    );
    expect((await kaspi.get('/_kaspi_/payment?command=check&txn_id=5&sum=0.00')).body).toBe(
      '{"txn_id":"5","result":5,"comment":"Invalid account"}',
    );
    expect(backend.received).toEqual([]);
  });
});
