/**
 * What real terminal networks send beyond the basic pair (docs/providers/qiwi.md): account
 * lookups without a transaction, kiosk pre-checks, getInfo, the holder's name on the screen,
 * lowercase escapes, long txn_ids and extra parameters.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Responder, type Receiver, startReceiver } from '../../../test/helpers/receiver.js';

let backend: Receiver;
let gateway: TestGateway;
beforeAll(async () => {
  backend = await startReceiver();
  gateway = await startTestGateway({ QIWI_CHECK_URL: `${backend.url}/check` });
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});
afterEach(async () => {
  backend.received.length = 0;
  backend.respondWith(() => ({ status: 200 }));
  for (const table of ['qiwi_transaction', 'qiwi_http_log']) await gateway.db.query(`DELETE FROM ${gateway.db.table(table)}`);
});

const get = (url: string) => gateway.app.inject({ method: 'GET', url });
const transactions = () =>
  gateway.db.query<{ account: string; code: string; sum: string }>(
    `SELECT account, code, sum::text AS sum FROM ${gateway.db.table('qiwi_transaction')} ORDER BY id`,
  );
const answer = (backendSays: Responder) => backend.respondWith(backendSays);

function xml(fields: Record<string, string | number>, extra = ''): string {
  const lines = Object.entries(fields).map(([tag, value]) => `  <${tag}>${value}</${tag}>\n`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<response>\n${lines.join('')}${extra}</response>\n`;
}

describe('an account lookup registers nothing and is answered on the account alone', () => {
  it('without txn_id or sum: an empty osmp_txn_id and no sum', async () => {
    const response = await get('/payment?command=check&account=000000');
    expect(response.body).toBe(xml({ osmp_txn_id: '', result: 0, comment: 'OK' }));
    expect(new URL(backend.received[0]!.url, backend.url).searchParams.get('account')).toBe('000000');
    expect(await transactions()).toEqual([]);
  });

  it('a kiosk pre-check with txn_id=0&sum=0.00, before any cash is inserted', async () => {
    const response = await get('/payment?command=check&txn_id=0&account=4957835959&sum=0.00');
    expect(response.body).toBe(xml({ osmp_txn_id: 0, sum: '0.00', result: 0, comment: 'OK' }));
    expect(await transactions()).toEqual([]);
  });

  it('getInfo, the newer protocol’s lookup, is answered the same way', async () => {
    const response = await get('/payment?command=getInfo&account=4957835959');
    expect(response.body).toBe(xml({ osmp_txn_id: '', result: 0, comment: 'OK' }));
  });

  it.each([
    [404, 5, 'account not found'],
    [500, 1, 'account check unavailable, try again later'],
  ])('a backend answering %i gives result %i', async (status, result, comment) => {
    answer(() => ({ status }));
    const response = await get('/payment?command=check&account=1');
    expect(response.body).toBe(xml({ osmp_txn_id: '', result, comment }));
  });

  it('a pay still needs a txn_id and a positive sum', async () => {
    expect((await get('/payment?command=pay&account=1&sum=1.00')).body).toContain('<result>300</result>');
    expect((await get('/payment?command=pay&txn_id=5&account=1&sum=0.00')).body).toContain('<result>241</result>');
    expect((await get('/payment?command=pay&txn_id=5&account=1')).body).toContain('<result>300</result>');
    expect(await transactions()).toEqual([]);
  });
});

describe('the account holder on the terminal’s screen', () => {
  it('shows the fields of the backend’s JSON, in order', async () => {
    answer(() => ({ status: 200, body: JSON.stringify({ fields: { name: 'Иванов И.', balance: '150.00' } }) }));
    const response = await get('/payment?command=check&txn_id=1&account=42&sum=10.00');
    expect(response.body).toBe(
      xml(
        { osmp_txn_id: 1, sum: '10.00', result: 0, comment: 'OK' },
        '  <fields><field1 name="name">Иванов И.</field1><field2 name="balance">150.00</field2></fields>\n',
      ),
    );
  });

  it('escapes names and values', async () => {
    answer(() => ({ status: 200, body: JSON.stringify({ fields: { 'a"<b>': 'Tom & "Jerry" <x>', due: 12.5 } }) }));
    const response = await get('/payment?command=check&account=42');
    expect(response.body).toContain(
      '<fields><field1 name="a&quot;&lt;b&gt;">Tom &amp; &quot;Jerry&quot; &lt;x&gt;</field1><field2 name="due">12.5</field2></fields>',
    );
  });

  it.each([
    ['no body', ''],
    ['plain text', 'OK'],
    ['broken JSON', '{"fields": {"name": "Ив'],
    ['fields that are not an object', '{"fields": ["Иванов"]}'],
    ['fields with nothing to show', '{"fields": {"x": {"nested": 1}}}'],
    ['huge JSON', JSON.stringify({ fields: { name: 'x'.repeat(200_000) } })],
    ['a JSON array', '[1,2]'],
  ])('any other 200 (%s) is a plain 0', async (_name, body) => {
    answer(() => ({ status: 200, body }));
    const response = await get('/payment?command=check&txn_id=1&account=42');
    expect(response.body).toBe(xml({ osmp_txn_id: 1, result: 0, comment: 'OK' }));
  });
});

describe('bytes as networks send them', () => {
  it('lowercase escapes, a 15-digit txn_id, extra parameters that do not change the sum', async () => {
    const response = await get(
      '/payment?command=pay&txn_id=123456789012345&txn_date=20260101101010&account=%d0%b0%d0%b1%d0%b2&sum=100.00&prv_id=77&trm_id=9001&pay_type=1&comsum=2.50&data1=x',
    );
    expect(response.body).toContain('<result>0</result>');
    expect(await transactions()).toEqual([{ account: 'абв', code: '123456789012345', sum: '100.00' }]);
  });

  it('a 20-digit txn_id over POST, kept exactly', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/payment',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'command=pay&txn_id=18446744073709551617&account=1&sum=5&comsum=1',
    });
    expect(response.body).toContain('<osmp_txn_id>18446744073709551617</osmp_txn_id>');
    expect(await transactions()).toEqual([{ account: '1', code: '18446744073709551617', sum: '5.00' }]);
  });
});
