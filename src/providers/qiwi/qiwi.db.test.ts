/**
 * The QIWI endpoint as a terminal network sees it: the bytes it sends (docs/providers/qiwi.md)
 * and the bytes it gets back, plus the rows each request leaves.
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
const transactions = () =>
  gateway.db.query<{ id: string; account: string; code: string; sum: string; status: number; txn_date: string | null }>(
    `SELECT id, account, code, sum::text AS sum, status, txn_date FROM ${gateway.db.table('qiwi_transaction')} ORDER BY id`,
  );

function xml(fields: Record<string, string | number>): string {
  const lines = Object.entries(fields).map(([tag, value]) => `  <${tag}>${value}</${tag}>\n`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<response>\n${lines.join('')}</response>\n`;
}

describe('check', () => {
  it('answers the protocol example byte for byte', async () => {
    const response = await get('/payment?command=check&txn_id=1234567&account=4957835959&sum=10.45');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toBe(xml({ osmp_txn_id: 1234567, sum: '10.45', result: 0, comment: 'OK' }));
    expect(response.rawPayload[0]).toBe('<'.charCodeAt(0)); // no byte-order mark
    expect(await transactions()).toEqual([]);
  });

  it('works without a sum, and under /_qiwi_/payment', async () => {
    const response = await get('/_qiwi_/payment?command=check&txn_id=7&account=42');
    expect(response.body).toBe(xml({ osmp_txn_id: 7, result: 0, comment: 'OK' }));
  });
});

describe('pay', () => {
  const payUrl = '/payment?command=pay&txn_id=1234567&txn_date=20050815120133&account=4957835959&sum=10.45';

  it('records the payment and answers with prv_txn', async () => {
    const response = await get(payUrl);
    const [row] = await transactions();
    expect(row).toMatchObject({ account: '4957835959', code: '1234567', sum: '10.45', status: 0, txn_date: '20050815120133' });
    expect(response.body).toBe(xml({ osmp_txn_id: 1234567, prv_txn: row!.id, sum: '10.45', result: 0, comment: 'OK' }));
  });

  it('answers a repeat with the same prv_txn and keeps one row', async () => {
    const first = await get(payUrl);
    const second = await get(payUrl);
    expect(second.body).toBe(first.body);
    expect(await transactions()).toHaveLength(1);
  });

  it('answers ten concurrent repeats alike, with one row', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(payUrl)));
    const [row] = await transactions();
    for (const answer of answers) {
      expect(answer.body).toBe(xml({ osmp_txn_id: 1234567, prv_txn: row!.id, sum: '10.45', result: 0, comment: 'OK' }));
    }
    expect(await transactions()).toHaveLength(1);
  });

  it('accepts a POST form body, with unknown parameters', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/payment',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'command=pay&txn_id=555&account=%D0%B0%D0%B1%D0%B2+1&sum=152&prv_id=9&trm_id=10&pay_type=1',
    });
    const [row] = await transactions();
    expect(row).toMatchObject({ account: 'абв 1', code: '555', sum: '152.00' });
    expect(response.body).toBe(xml({ osmp_txn_id: 555, prv_txn: row!.id, sum: '152.00', result: 0, comment: 'OK' }));
  });

  it('keeps the fields it only stores exactly as sent', async () => {
    const response = await get('/payment?command=pay&txn_id=8&txn_date=20261123120000&ccy=RUB&account=1&sum=1.00');
    expect(response.body).toContain('<result>0</result>');
    const [row] = await gateway.db.query(`SELECT txn_date, ccy FROM ${gateway.db.table('qiwi_transaction')}`);
    expect(row).toEqual({ txn_date: '20261123120000', ccy: 'RUB' });
  });

  it('keeps a 20-digit txn_id exactly', async () => {
    await get('/payment?command=pay&txn_id=98765432109876543210&account=1&sum=1.00');
    expect((await transactions())[0]!.code).toBe('98765432109876543210');
  });

  it('refuses a txn_id reused for another account or sum, and keeps the first', async () => {
    await get(payUrl);
    const response = await get('/payment?command=pay&txn_id=1234567&account=4957835959&sum=99.00');
    expect(response.body).toBe(
      xml({ osmp_txn_id: 1234567, sum: '99.00', result: 300, comment: 'txn_id already used for another payment' }),
    );
    expect(await transactions()).toMatchObject([{ sum: '10.45' }]);
  });
});

describe('malformed requests get a final refusal and create nothing', () => {
  const cases: [string, string, number][] = [
    ['no txn_id', 'command=pay&account=1&sum=1.00', 300],
    ['a txn_id with letters', 'command=pay&txn_id=12a&account=1&sum=1.00', 300],
    ['a txn_id of 21 digits', 'command=pay&txn_id=123456789012345678901&account=1&sum=1.00', 300],
    ['no account', 'command=pay&txn_id=1&sum=1.00', 4],
    ['an empty account', 'command=pay&txn_id=1&account=&sum=1.00', 4],
    ['an account with a NUL byte', 'command=pay&txn_id=1&account=12%0034&sum=1.00', 4],
    ['an account with a line break', 'command=check&txn_id=1&account=12%0A34', 4],
    ['an account of 201 characters', `command=pay&txn_id=1&account=${'9'.repeat(201)}&sum=1.00`, 4],
    ['a negative sum', 'command=pay&txn_id=1&account=1&sum=-1.00', 300],
    ['a zero sum', 'command=pay&txn_id=1&account=1&sum=0.00', 241],
    ['a sum that is not a number', 'command=pay&txn_id=1&account=1&sum=abc', 300],
    ['a sum with a comma', 'command=pay&txn_id=1&account=1&sum=10,45', 300],
    ['a sum with three decimals', 'command=pay&txn_id=1&account=1&sum=10.455', 300],
    ['a sum in exponent form', 'command=pay&txn_id=1&account=1&sum=1e3', 300],
    ['an absurdly large sum', 'command=pay&txn_id=1&account=1&sum=10000000000000', 242],
    ['a pay without sum', 'command=pay&txn_id=1&account=1', 300],
    ['an unknown command', 'command=refund&txn_id=1&account=1&sum=1.00', 300],
    ['no command', 'txn_id=1&account=1&sum=1.00', 300],
    ['a check with a bad sum', 'command=check&txn_id=1&account=1&sum=x', 300],
  ];
  it.each(cases)('%s', async (_name, query, result) => {
    const response = await get(`/payment?${query}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toMatch(new RegExp(`<result>${result}</result>`));
    expect(response.body).not.toContain('<prv_txn>');
    expect(await transactions()).toEqual([]);
  });

  it('refuses a body it cannot take in the protocol, not with an HTTP error', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/payment?txn_id=3',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(xml({ osmp_txn_id: 3, result: 300, comment: 'malformed request' }));
    const logged = await gateway.db.query(`SELECT url FROM ${gateway.db.table('qiwi_http_log')}`);
    expect(logged).toEqual([{ url: '/payment?txn_id=3' }]);
  });
});

describe('XML escaping', () => {
  it('escapes what the network sent back to it', async () => {
    const response = await get(`/payment?command=pay&txn_id=${encodeURIComponent('1<&>\'"')}&account=1&sum=1`);
    expect(response.body).toContain('<osmp_txn_id>1&lt;&amp;&gt;&apos;&quot;</osmp_txn_id>');
    expect(response.body).not.toContain('<&');
  });
});

describe('request log', () => {
  it('records every request with its method, url, headers and body', async () => {
    await get('/payment?command=check&txn_id=1&account=2');
    await gateway.app.inject({
      method: 'POST',
      url: '/_qiwi_/payment',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-network': 'osmp' },
      payload: 'command=pay&txn_id=2&account=3&sum=bad',
      remoteAddress: '79.142.16.5',
    });
    const rows = await gateway.db.query<{
      ip: string;
      url: string;
      method: string;
      headers: Record<string, string>;
      body: string | null;
    }>(`SELECT ip, url, method, headers, body FROM ${gateway.db.table('qiwi_http_log')} ORDER BY id`);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ method: 'GET', url: '/payment?command=check&txn_id=1&account=2', body: null });
    expect(rows[1]).toMatchObject({
      ip: '79.142.16.5',
      method: 'POST',
      url: '/_qiwi_/payment',
      body: 'command=pay&txn_id=2&account=3&sum=bad',
    });
    expect(rows[1]!.headers['x-network']).toBe('osmp');
  });
});

describe('database failures', () => {
  async function withTableGone(table: string, run: () => Promise<void>) {
    const { db } = gateway;
    await db.exec(`ALTER TABLE ${db.table(table)} RENAME TO ${table}_away`);
    try {
      await run();
    } finally {
      await db.exec(`ALTER TABLE ${db.table(`${table}_away`)} RENAME TO ${table}`);
    }
  }

  it('a pay that cannot be recorded gets result 1, so the network repeats it', async () => {
    await withTableGone('qiwi_transaction', async () => {
      const response = await get('/payment?command=pay&txn_id=4242&account=1&sum=3.00');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
      expect(response.body).toBe(xml({ osmp_txn_id: 4242, result: 1, comment: 'temporary error, try again later' }));
    });
    const repeat = await get('/payment?command=pay&txn_id=4242&account=1&sum=3.00');
    expect(repeat.body).toContain('<result>0</result>');
    expect(await transactions()).toHaveLength(1);
  });

  it('a request that cannot be logged gets result 1 and is not acted on', async () => {
    await withTableGone('qiwi_http_log', async () => {
      const response = await get('/payment?command=pay&txn_id=4343&account=1&sum=3.00');
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<result>1</result>');
    });
    expect(await transactions()).toEqual([]);
  });
});
