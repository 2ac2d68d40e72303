/**
 * The Kaspi endpoint as the network sees it: the contract's examples byte for byte (the backend
 * knows 4957835959 and shows its holder, not 111), then pay, repeats and our own failures, with
 * the rows each request leaves and the webhook a payment becomes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver, waitFor } from '../../../test/helpers/receiver.js';
import { JSON_TYPE, type KaspiGateway, startKaspi } from './fixtures/gateway.js';

let backend: Receiver;
let merchant: Receiver;
let kaspi: KaspiGateway;
beforeAll(async () => {
  backend = await startReceiver();
  merchant = await startReceiver();
  kaspi = await startKaspi({ KASPI_CHECK_URL: `${backend.url}/check`, KASPI_WEBHOOK_URL: `${merchant.url}/payments` });
});
afterAll(async () => {
  await kaspi.gateway.close();
  await Promise.all([backend.close(), merchant.close()]);
});
afterEach(async () => {
  await kaspi.empty('kaspi', true);
  backend.received.length = 0;
  merchant.received.length = 0;
});

/** The contract's backend: 4957835959 exists, with its holder's name; every other account does not. */
function knowsTheExampleAccount() {
  backend.respondWith((request) =>
    new URL(request.url, backend.url).searchParams.get('account') === '4957835959'
      ? { status: 200, body: JSON.stringify({ fields: { name: 'Иванов И.' } }) }
      : { status: 404 },
  );
}

async function withTableGone<T>(table: string, run: () => Promise<T>): Promise<T> {
  const { db } = kaspi.gateway;
  await db.exec(`ALTER TABLE ${db.table(table)} RENAME TO ${table}_away`);
  try {
    return await run();
  } finally {
    await db.exec(`ALTER TABLE ${db.table(`${table}_away`)} RENAME TO ${table}`);
  }
}

describe('the contract’s examples, byte for byte', () => {
  it('check of a known account: 0 with the holder’s fields, in UTF-8', async () => {
    knowsTheExampleAccount();
    const response = await kaspi.get('/_kaspi_/payment?command=check&txn_id=1234567&account=4957835959&sum=0.00');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.body).toBe(
      '{"txn_id":"1234567","result":0,"comment":"OK","fields":{"field1":{"@name":"name","#text":"Иванов И."}}}',
    );
    expect(response.rawPayload).toEqual(Buffer.from(response.body, 'utf8'));
    expect(await kaspi.transactions()).toEqual([]);
  });

  it('check of an unknown account: 1', async () => {
    knowsTheExampleAccount();
    const response = await kaspi.get('/_kaspi_/payment?command=check&txn_id=1234568&account=111&sum=0.00');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"txn_id":"1234568","result":1,"comment":"Account not found"}');
  });

  it('pay: recorded, prv_txn_id and prv_txn alike, the sum with two decimals', async () => {
    await kaspi.nextIdIs(17);
    const response = await kaspi.get(
      '/_kaspi_/payment?command=pay&txn_id=1234567&txn_date=20260501153045&account=4957835959&sum=200.00',
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.body).toBe('{"txn_id":"1234567","prv_txn_id":17,"prv_txn":17,"result":0,"sum":200.00,"comment":"OK"}');
    expect(await kaspi.transactions()).toMatchObject([
      { id: '17', account: '4957835959', code: '1234567', sum: '200.00', txn_date: '20260501153045' },
    ]);
  });

  it('the same txn_id with another sum: 5, nothing changed', async () => {
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=1234567&txn_date=20260501153045&account=4957835959&sum=200.00');
    await waitFor(async () => (await kaspi.transactions())[0]?.status === 1, 'the delivery');
    const before = await kaspi.transactions();
    const response = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=1234567&account=4957835959&sum=300.00');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"txn_id":"1234567","result":5,"comment":"txn_id already used with other data"}');
    expect(await kaspi.transactions()).toEqual(before);
  });

  it('a txn_id that is no number: 5, echoed as sent', async () => {
    const response = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=nope&account=4957835959&sum=1.00');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"txn_id":"nope","result":5,"comment":"Invalid txn_id"}');
    expect(await kaspi.transactions()).toEqual([]);
  });

  it('database down: HTTP 503 with result 4, nothing recorded; the repeat is recorded', async () => {
    const url = '/_kaspi_/payment?command=pay&txn_id=1234570&account=4957835959&sum=200.00';
    const response = await withTableGone('kaspi_transaction', () => kaspi.get(url));
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.body).toBe('{"txn_id":"1234570","result":4,"comment":"Temporary error, retry"}');
    expect(await kaspi.transactions()).toEqual([]);
    const repeat = await kaspi.get(url);
    expect(repeat.statusCode).toBe(200);
    expect(JSON.parse(repeat.body)).toMatchObject({ result: 0 });
    expect(await kaspi.transactions()).toHaveLength(1);
  });
});

describe('pay', () => {
  it('keeps txn_id as text: leading zeros and 20 digits, beyond JavaScript’s integers', async () => {
    for (const txnId of ['00123', '00000000000000000042', '18446744073709551617', '99999999999999999999']) {
      const response = await kaspi.get(`/_kaspi_/payment?command=pay&txn_id=${txnId}&account=1&sum=5`);
      expect(response.body).toMatch(new RegExp(`^\\{"txn_id":"${txnId}","prv_txn_id":\\d+,`));
    }
    expect((await kaspi.transactions()).map(({ code }) => code)).toEqual([
      '00123',
      '00000000000000000042',
      '18446744073709551617',
      '99999999999999999999',
    ]);
  });

  it.each([
    ['200', '200.00'],
    ['200.5', '200.50'],
    ['0.01', '0.01'],
    ['007.10', '7.10'],
    ['999999999999.99', '999999999999.99'],
  ])('answers and stores sum=%s as %s', async (sum, exact) => {
    const response = await kaspi.get(`/_kaspi_/payment?command=pay&txn_id=55&account=1&sum=${sum}`);
    expect(response.body).toContain(`"result":0,"sum":${exact},"comment":"OK"}`);
    expect((await kaspi.transactions())[0]!.sum).toBe(exact);
  });

  it('answers a repeat with the first answer’s bytes, one row and one webhook', async () => {
    const url = '/_kaspi_/payment?command=pay&txn_id=777&txn_date=20260501153045&account=A-1&sum=10.00';
    const first = await kaspi.get(url);
    // The same pay: the sum spelled otherwise, another date (not compared), a parameter more.
    const repeat = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=777&txn_date=20260501160000&account=A-1&sum=10&x=1');
    expect(repeat.body).toBe(first.body);
    expect(await kaspi.transactions()).toMatchObject([{ code: '777', txn_date: '20260501153045' }]);
    await waitFor(async () => (await kaspi.transactions())[0]!.status === 1, 'the delivery');
    // A later payment delivered means a later round: a second webhook of 777 would have gone by then.
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=778&account=A-2&sum=1.00');
    await waitFor(() => merchant.received.some(({ body }) => JSON.parse(body).code === '778'), 'the later payment');
    expect(merchant.received.map(({ body }) => JSON.parse(body).code)).toEqual(['777', '778']);
  });

  it('another account under a recorded txn_id is refused too', async () => {
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=90&account=A&sum=1.00');
    const response = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=90&account=B&sum=1.00');
    expect(response.body).toBe('{"txn_id":"90","result":5,"comment":"txn_id already used with other data"}');
    expect(await kaspi.transactions()).toMatchObject([{ account: 'A' }]);
  });

  it('delivers the payment with the body every protocol has, non-ASCII account included', async () => {
    await kaspi.get(`/_kaspi_/payment?command=pay&txn_id=4401&account=${encodeURIComponent('Әлия №5')}&sum=200.00`);
    const [row] = await kaspi.transactions();
    const webhook = await waitFor(() => merchant.received.find(({ body }) => JSON.parse(body).code === '4401'), 'the webhook');
    const { created_at } = JSON.parse(webhook!.body) as { created_at: string };
    expect(webhook!.body).toBe(
      `{"id": "${row!.id}", "account": "Әлия №5", "code": "4401", "sum": 200.0, "created_at": "${created_at}"}`,
    );
  });

  it('does not ask the account check: the customer has paid already', async () => {
    backend.respondWith(() => ({ status: 404 }));
    const response = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=91&account=111&sum=1.00');
    expect(JSON.parse(response.body)).toMatchObject({ result: 0 });
    expect(backend.received).toEqual([]);
  });

  it('takes a POST form body, merged with the query', async () => {
    const response = await kaspi.post(
      '/_kaspi_/payment?command=pay',
      'txn_id=5005&account=%D0%B0%D0%B1%D0%B2+1&sum=152&txn_date=20260501153045&prv_id=9',
    );
    const [row] = await kaspi.transactions();
    expect(row).toMatchObject({ account: 'абв 1', code: '5005', sum: '152.00', txn_date: '20260501153045' });
    expect(response.body).toBe(
      `{"txn_id":"5005","prv_txn_id":${row!.id},"prv_txn":${row!.id},"result":0,"sum":152.00,"comment":"OK"}`,
    );
  });

  it('records every request, refused ones too, with its parameters as sent', async () => {
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=1&account=1&sum=1.00&terminal=42');
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=x');
    expect(await kaspi.logged()).toEqual([
      { method: 'GET', url: '/_kaspi_/payment?command=pay&txn_id=1&account=1&sum=1.00&terminal=42', ip: '127.0.0.1' },
      { method: 'GET', url: '/_kaspi_/payment?command=pay&txn_id=x', ip: '127.0.0.1' },
    ]);
  });

  it('is not served at the root: a new protocol has no root paths', async () => {
    expect((await kaspi.get('/payment?command=pay&txn_id=1&account=1&sum=1.00')).statusCode).toBe(404);
    expect(await kaspi.transactions()).toEqual([]);
  });
});

describe('our own failures', () => {
  it('a pay whose request cannot be logged gets 503 and result 4, and is not recorded', async () => {
    const response = await withTableGone('kaspi_http_log', () =>
      kaspi.get('/_kaspi_/payment?command=pay&txn_id=4343&account=1&sum=3.00'),
    );
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('{"txn_id":"4343","result":4,"comment":"Temporary error, retry"}');
    expect(await kaspi.transactions()).toEqual([]);
  });

  it('a check that cannot be logged gets 503 and result 5: a check has no "in progress"', async () => {
    backend.respondWith(() => ({ status: 200 }));
    const response = await withTableGone('kaspi_http_log', () =>
      kaspi.get('/_kaspi_/payment?command=check&txn_id=4344&account=1&sum=0.00'),
    );
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('{"txn_id":"4344","result":5,"comment":"Temporary error, retry"}');
  });

  it('a POST pay answered 503 echoes the txn_id of its body', async () => {
    const response = await withTableGone('kaspi_transaction', () =>
      kaspi.post('/_kaspi_/payment', 'command=pay&txn_id=4345&account=1&sum=3.00'),
    );
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('{"txn_id":"4345","result":4,"comment":"Temporary error, retry"}');
  });
});

describe('refusals before the request is let in', () => {
  it('an address outside KASPI_ALLOWED_IPS gets 403 and result 5, logged, recording nothing', async () => {
    const response = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=61&account=1&sum=1.00', '194.187.247.152');
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.body).toBe('{"txn_id":"61","result":5,"comment":"Source address not allowed"}');
    expect(await kaspi.transactions()).toEqual([]);
    expect(await kaspi.logged()).toMatchObject([{ ip: '194.187.247.152' }]);
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const)(
    '%s gets 405 with Allow: GET, POST, logged, recording nothing',
    async (method) => {
      const url = '/_kaspi_/payment?command=pay&txn_id=62&account=1&sum=1.00';
      const response = await kaspi.gateway.app.inject({ method, url });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, POST');
      if (method !== 'HEAD')
        expect(response.body).toBe('{"txn_id":"62","result":5,"comment":"Method not allowed: use GET or POST"}');
      expect(await kaspi.transactions()).toEqual([]);
      expect(await kaspi.logged()).toEqual([{ method, url, ip: '127.0.0.1' }]);
    },
  );

  it('a body over the limit gets result 5 in JSON, not an HTTP error', async () => {
    const response = await kaspi.post('/_kaspi_/payment?txn_id=63', 'x'.repeat(2 * 1024 * 1024));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"txn_id":"63","result":5,"comment":"Malformed request"}');
    expect(await kaspi.transactions()).toEqual([]);
    expect(await kaspi.logged()).toMatchObject([{ method: 'POST', url: '/_kaspi_/payment?txn_id=63' }]);
  });

  it('asks for no Basic credentials, even where the deployment sets them for other networks', async () => {
    const withCredentials = await startKaspi({ HTTP_AUTH_USERNAME: 'terminal', HTTP_AUTH_PASSWORD: 'a-long-enough-s3cret' });
    try {
      const response = await withCredentials.get('/_kaspi_/payment?command=pay&txn_id=64&account=1&sum=1.00');
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ result: 0 });
    } finally {
      await withCredentials.gateway.close();
    }
  });
});
