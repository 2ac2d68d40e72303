/**
 * Generated requests over real HTTP against both providers: whatever arrives gets the provider's
 * own answer (never a 5xx, never another format), a row appears only when the answer says the
 * payment was taken, and a valid payment with any text a customer could type is always taken.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const SECRET = 'property-secret';
let gateway: TestGateway;
let base: string;
beforeAll(async () => {
  gateway = await startTestGateway({ CLOUDPAYMENTS_API_SECRET: SECRET });
  base = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => gateway.close());

const RUNS = 120;
const count = async (table: string) =>
  Number((await gateway.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${gateway.db.table(table)}`))[0]!.n);

/** Any text, lone surrogates and controls included, percent-escaped as UTF-8 where it can be. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({
    unit: fc.constantFrom('0', '9', '.', ',', ' ', '?', '&', '=', '%', '+', '\0', '\n', '\ufeff', 'я'),
    maxLength: 12,
  }),
);
const percentEscape = (text: string) =>
  encodeURIComponent(text.toWellFormed()).replace(/%EF%BF%BD/g, () => (Math.random() < 0.5 ? '%FF' : '%ED%A0%BD'));
const param = fc.tuple(
  fc.constantFrom('command', 'txn_id', 'account', 'sum', 'txn_date', 'ccy', 'prv_id', '\ufefftxn_id', 'TXN_ID'),
  anyText,
);
const rawQuery = fc
  .array(param, { maxLength: 7 })
  .map((pairs) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${percentEscape(value)}`).join('&'));
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
const contentType = fc.constantFrom(
  undefined,
  'application/x-www-form-urlencoded',
  'application/json',
  'text/plain; charset=windows-1251',
  'x/y; charset=nonsense',
);

describe('QIWI', () => {
  it('answers anything in its XML, and records a payment only when it says so', async () => {
    await fc.assert(
      fc.asyncProperty(method, rawQuery, rawQuery, contentType, async (verb, query, body, type) => {
        const before = await count('qiwi_transaction');
        const withBody = verb !== 'GET' && verb !== 'HEAD';
        const response = await request(`${base}/payment?${query}`, {
          method: verb,
          headers: type ? { 'content-type': type } : {},
          body: withBody ? body : undefined,
        });
        const text = await response.body.text();
        expect(response.statusCode).toBeLessThan(500);
        expect([200, 405]).toContain(response.statusCode);
        if (verb !== 'HEAD') {
          expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
          expect(text).toMatch(
            /^<\?xml version="1.0" encoding="UTF-8"\?>\n<response>\n[\s\S]*<result>\d+<\/result>[\s\S]*<\/response>\n$/,
          );
        }
        const prvTxn = /<prv_txn>(\d+)<\/prv_txn>/.exec(text)?.[1];
        const after = await count('qiwi_transaction');
        if (!prvTxn) expect(after).toBe(before);
        else
          expect(
            (await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('qiwi_transaction')} WHERE id = $1`, [prvTxn])).length,
          ).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('takes a valid pay with any account a customer could dial, exactly as sent', async () => {
    const account = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
      .filter((text) => text.trim() !== '' && !/[\u0000-\u001f\u007f-\u009f\ufeff]/.test(text));
    let txnId = 10_000;
    await fc.assert(
      fc.asyncProperty(account, fc.constantFrom('10', '10.0', '10.5', '10.45', '1'), async (dialled, sum) => {
        const id = String(txnId++);
        const response = await request(
          `${base}/payment?command=pay&txn_id=${id}&account=${encodeURIComponent(dialled)}&sum=${sum}`,
        );
        const text = await response.body.text();
        expect(text).toContain('<result>0</result>');
        const [row] = await gateway.db.query<{ account: string }>(
          `SELECT account FROM ${gateway.db.table('qiwi_transaction')} WHERE code = $1`,
          [id],
        );
        expect(row?.account).toBe(dialled);
      }),
      { numRuns: RUNS },
    );
  });
});

const sign = (body: string | Buffer) => createHmac('sha256', SECRET).update(body).digest('base64');

describe('CloudPayments', () => {
  it('answers anything {"code":N}, and a forged message never leaves a row', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/pay', '/check', '/fail', '/refund', '/receipt', '/_cloudpayments_/kkt'),
        method,
        rawQuery,
        contentType,
        fc.boolean(),
        async (path, verb, body, type, signed) => {
          const before = (await count('cloudpayments_transaction')) + (await count('cloudpayments_notification'));
          // A GET carries its message in the query, a POST in the body: both signed alike.
          const response = await request(`${base}${path}${verb === 'GET' ? `?${body}` : ''}`, {
            method: verb,
            headers: { ...(type ? { 'content-type': type } : {}), ...(signed ? { 'content-hmac': sign(body) } : {}) },
            body: verb === 'GET' || verb === 'HEAD' ? undefined : body,
          });
          const text = await response.body.text();
          expect(response.statusCode).toBeLessThan(500);
          if (verb !== 'HEAD') expect(text).toMatch(/^\{"code":\d+\}$/);
          const after = (await count('cloudpayments_transaction')) + (await count('cloudpayments_notification'));
          if (!signed || (verb !== 'GET' && verb !== 'POST')) expect(after).toBe(before);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('records a signed Pay whatever its free-form fields hold', async () => {
    let transactionId = 500_000;
    await fc.assert(
      fc.asyncProperty(anyText, anyText, fc.boolean(), async (name, data, asJson) => {
        const id = String(transactionId++);
        const fields = {
          TransactionId: id,
          Amount: '10.00',
          AccountId: 'acc-1',
          Name: name,
          Data: data,
          Description: `${name}${data}`,
        };
        const body = asJson
          ? JSON.stringify(fields)
          : Object.entries(fields)
              .map(([key, value]) => `${key}=${percentEscape(value)}`)
              .join('&');
        const response = await request(`${base}/pay`, {
          method: 'POST',
          headers: {
            'content-type': asJson ? 'application/json' : 'application/x-www-form-urlencoded',
            'content-hmac': sign(body),
          },
          body,
        });
        expect(await response.body.text()).toBe('{"code":0}');
        const rows = await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('cloudpayments_transaction')} WHERE code = $1`, [
          id,
        ]);
        expect(rows).toHaveLength(1);
      }),
      { numRuns: RUNS },
    );
  });
});
