/**
 * Whatever a customer could type is recorded and answered {"code":0}: half of an emoji, a NUL
 * in a field name, bytes that are not text. A refusal here would be repeated about 100 times
 * and then dropped, with the card already charged. Signed, as in production.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { asLogged, CANCEL, CONFIRM, FAIL, PAY, REFUND, SECRET, withField } from './fixtures/notifications.js';
import { emptyTables, notifications, transactions } from './fixtures/tables.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ CLOUDPAYMENTS_API_SECRET: SECRET });
});
afterAll(() => gateway.close());
afterEach(() => emptyTables(gateway.db));

const post = (body: Buffer | string, contentType: string, url = '/pay') =>
  gateway.app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': contentType,
      'content-hmac': createHmac('sha256', SECRET).update(Buffer.from(body)).digest('base64'),
    },
    payload: Buffer.from(body),
  });

const rawBodies = () =>
  gateway.db.query<{ body: string; body_raw: Buffer | Uint8Array | null }>(
    `SELECT body, body_raw FROM ${gateway.db.table('cloudpayments_http_log')} ORDER BY id`,
  );

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const json = (fields: string) => `{"TransactionId":2901358781,"Amount":1500.00,"AccountId":"4957835959",${fields}}`;

describe('a Pay that PostgreSQL json would refuse is still recorded', () => {
  it.each([
    ['Data with half of an emoji', withField(PAY, 'Data', encodeURIComponent('{"note":"\\ud83d"}')), FORM],
    ['a form field with half of an emoji', withField(PAY, 'Name', encodeURIComponent('\\udc00').replace('%5C', '\\')), FORM],
    ['a JSON body with a NUL in a key', json('"Da\\u0000ta":"x"'), JSON_TYPE],
    ['a JSON body with a lone surrogate in a field', json('"Name":"\\ud83d Ivan"'), JSON_TYPE],
    ['a JSON body whose Data holds a lone surrogate', json('"Data":"{\\"note\\":\\"\\\\udc00\\"}"'), JSON_TYPE],
    ['a form field with a NUL', withField(PAY, 'Description', 'a%00b'), FORM],
  ])('%s', async (_name, body, contentType) => {
    const response = await post(body, contentType);
    expect(response.body).toBe('{"code":0}');
    const [row] = await transactions(gateway.db);
    expect(row).toMatchObject({ code: '2901358781', sum: '1500.00' });
    expect(JSON.stringify(row!.payload)).not.toMatch(/\\u0000|\\ud[89ab]/i);
    // The message itself is kept exactly as it came.
    expect((await rawBodies())[0]!.body).toBe(asLogged(body));
  });

  it('keeps the exact bytes of a body whose text cannot hold them', async () => {
    const body = Buffer.concat([Buffer.from(withField(PAY, 'Name', 'x')), Buffer.from([0xff, 0x00, 0xfe])]);
    const response = await post(body, FORM);
    expect(response.body).toBe('{"code":0}');
    expect(await transactions(gateway.db)).toHaveLength(1);
    const [logged] = await rawBodies();
    expect(Buffer.from(logged!.body_raw!).equals(asLogged(body))).toBe(true);
  });

  it.each([
    ['a form', withField(PAY, '__proto__', 'x'), FORM],
    ['a JSON body', json('"__proto__":"x","constructor":"y"'), JSON_TYPE],
  ])('keeps a field named __proto__ from %s as a field like any other', async (_name, body, contentType) => {
    expect((await post(body, contentType)).body).toBe('{"code":0}');
    const [row] = await transactions(gateway.db);
    expect(row).toMatchObject({ code: '2901358781', sum: '1500.00' });
    expect(Object.getOwnPropertyDescriptor(row!.payload, '__proto__')?.value).toBe('x');
  });

  it('answers a repeat {"code":0} and keeps one payment', async () => {
    const body = withField(PAY, 'Data', encodeURIComponent('{"note":"\\ud83d"}'));
    for (let i = 0; i < 3; i++) expect((await post(body, FORM)).body).toBe('{"code":0}');
    expect(await transactions(gateway.db)).toHaveLength(1);
  });
});

describe('every other type too', () => {
  it.each([
    ['/fail', FAIL],
    ['/confirm', CONFIRM],
    ['/refund', REFUND],
    ['/cancel', CANCEL],
    ['/receipt', REFUND],
    ['/_cloudpayments_/kkt', REFUND],
  ])('%s with half of an emoji and a NUL', async (url, base) => {
    const body = withField(withField(base, 'Data', encodeURIComponent('{"\\u0000":"\\ud83d"}')), 'Name', 'a%00b');
    const response = await post(body, FORM, url);
    expect(response.body).toBe('{"code":0}');
    expect(await notifications(gateway.db)).toHaveLength(1);
  });
});
