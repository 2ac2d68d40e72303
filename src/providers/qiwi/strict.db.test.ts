/**
 * A value is taken exactly as sent or refused (docs/providers/qiwi.md): nothing trimmed, no
 * character stripped, no byte read in the wrong charset, no `?` taken for the end of the query.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.close());
afterEach(async () => {
  for (const table of ['qiwi_transaction', 'qiwi_http_log']) await gateway.db.query(`DELETE FROM ${gateway.db.table(table)}`);
});

const get = (url: string) => gateway.app.inject({ method: 'GET', url });
const resultOf = (body: string) => Number(/<result>(\d+)<\/result>/.exec(body)?.[1]);
const transactions = () =>
  gateway.db.query<{ account: string; code: string; sum: string }>(
    `SELECT account, code, sum::text AS sum FROM ${gateway.db.table('qiwi_transaction')} ORDER BY id`,
  );
const logged = () =>
  gateway.db.query<{ method: string; url: string }>(`SELECT method, url FROM ${gateway.db.table('qiwi_http_log')} ORDER BY id`);

describe('a value that is not exactly right is refused, never rewritten', () => {
  it.each([
    ['a line break inside txn_id', 'command=pay&txn_id=70%0A03&account=1&sum=1.00', 300],
    ['a NUL inside sum', 'command=pay&txn_id=1&account=1&sum=1%000', 300],
    ['a NUL inside command', 'command=pa%00y&txn_id=1&account=1&sum=1.00', 300],
    ['a space before sum', 'command=pay&txn_id=1&account=1&sum=%2010.45', 300],
    ['a space after txn_id', 'command=pay&txn_id=1%20&account=1&sum=1.00', 300],
    ['a byte-order mark before txn_id', 'command=pay&%EF%BB%BFtxn_id=1&account=1&sum=1.00', 300],
    ['non-ASCII digits in txn_id', 'command=pay&txn_id=%D9%A1%D9%A2&account=1&sum=1.00', 300],
    ['non-ASCII digits in sum', 'command=pay&txn_id=1&account=1&sum=%D9%A1', 300],
    ['a sum with a trailing dot', 'command=pay&txn_id=1&account=1&sum=10.', 300],
    ['a sum with two dots', 'command=pay&txn_id=1&account=1&sum=1.0.0', 300],
    ['a sum with a sign', 'command=pay&txn_id=1&account=1&sum=%2B10', 300],
    ['an upper-case command', 'command=PAY&txn_id=1&account=1&sum=1.00', 300],
    ['txn_id given twice, differently', 'command=pay&txn_id=1&txn_id=2&account=1&sum=1.00', 300],
    ['sum given twice, differently', 'command=pay&txn_id=1&account=1&sum=1.00&sum=2.00', 300],
    ['a NUL in txn_date', 'command=pay&txn_id=1&account=1&sum=1.00&txn_date=2026%0011', 300],
    ['a control character in ccy', 'command=pay&txn_id=1&account=1&sum=1.00&ccy=RU%0AB', 300],
    ['an account that is only spaces', 'command=pay&txn_id=1&account=%20%20&sum=1.00', 4],
    ['an account with a C1 control', 'command=pay&txn_id=1&account=12%C2%8534&sum=1.00', 4],
    ['an account in bytes that are not UTF-8', 'command=pay&txn_id=1&account=%C8%E2%E0%ED&sum=1.00', 4],
  ])('%s', async (_name, query, result) => {
    const response = await get(`/payment?${query}`);
    expect(response.statusCode).toBe(200);
    expect(resultOf(response.body)).toBe(result);
    expect(response.body).not.toContain('<prv_txn>');
    expect(await transactions()).toEqual([]);
    expect(await logged()).toHaveLength(1);
  });

  it.each([
    ['10', '10.00'],
    ['10.0', '10.00'],
    ['10.5', '10.50'],
    ['10.45', '10.45'],
    ['007.10', '7.10'],
  ])('takes sum=%s as %s', async (sum, stored) => {
    const response = await get(`/payment?command=pay&txn_id=55&account=1&sum=${sum}`);
    expect(response.body).toContain(`<sum>${stored}</sum>`);
    expect(await transactions()).toEqual([{ account: '1', code: '55', sum: stored }]);
  });

  it('takes the same value given twice', async () => {
    const response = await get('/payment?command=pay&txn_id=56&txn_id=56&account=1&sum=1.00');
    expect(resultOf(response.body)).toBe(0);
  });

  it('keeps an account exactly as dialled, spaces included', async () => {
    await get('/payment?command=pay&txn_id=57&account=+49+57%20&sum=1.00');
    expect((await transactions())[0]!.account).toBe(' 49 57 ');
  });
});

describe('only the first ? starts the query', () => {
  it('keeps a ? inside the account', async () => {
    const response = await get('/payment?command=pay&txn_id=60&account=what?&sum=10.45');
    expect(resultOf(response.body)).toBe(0);
    expect(await transactions()).toEqual([{ account: 'what?', code: '60', sum: '10.45' }]);
  });

  it('refuses a sum followed by ?x instead of cutting it', async () => {
    const response = await get('/payment?command=pay&txn_id=61&account=1&sum=10.45?x');
    expect(resultOf(response.body)).toBe(300);
    expect(await transactions()).toEqual([]);
  });
});

describe('methods', () => {
  it('a HEAD never records a payment', async () => {
    const response = await gateway.app.inject({ method: 'HEAD', url: '/payment?command=pay&txn_id=70&account=1&sum=1.00' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
    expect(await transactions()).toEqual([]);
    expect(await logged()).toEqual([{ method: 'HEAD', url: '/payment?command=pay&txn_id=70&account=1&sum=1.00' }]);
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const)(
    '%s gets 405, Allow and the XML refusal, and is logged',
    async (method) => {
      const url = '/_qiwi_/payment?command=pay&txn_id=71&account=1&sum=1.00';
      const response = await gateway.app.inject({ method, url });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, POST');
      expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
      expect(resultOf(response.body)).toBe(300);
      expect(response.body).toContain('<osmp_txn_id>71</osmp_txn_id>');
      expect(await transactions()).toEqual([]);
      expect(await logged()).toEqual([{ method, url }]);
    },
  );
});

describe('QIWI_ENCODING', () => {
  it('reads a Windows-1251 account when the deployment says so, in the query and the body', async () => {
    const cp1251 = await startTestGateway({ QIWI_ENCODING: 'windows-1251' });
    try {
      await cp1251.app.inject('/payment?command=pay&txn_id=80&account=%C8%E2%E0%ED&sum=1.00');
      await cp1251.app.inject({
        method: 'POST',
        url: '/payment',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'command=pay&txn_id=81&account=%CF%E5%F2%F0&sum=1.00',
      });
      const rows = await cp1251.db.query(`SELECT account FROM ${cp1251.db.table('qiwi_transaction')} ORDER BY code`);
      expect(rows).toEqual([{ account: 'Иван' }, { account: 'Петр' }]);
    } finally {
      await cp1251.close();
    }
  });

  it('lets a charset in the Content-Type win over the setting', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/payment',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=windows-1251' },
      payload: 'command=pay&txn_id=82&account=%C8%E2%E0%ED&sum=1.00',
    });
    expect(resultOf(response.body)).toBe(0);
    expect((await transactions())[0]!.account).toBe('Иван');
  });

  it('refuses an unknown encoding at start-up, naming the variable', async () => {
    await expect(startTestGateway({ QIWI_ENCODING: 'koi8-r' })).rejects.toThrow(/QIWI_ENCODING/);
  });
});
