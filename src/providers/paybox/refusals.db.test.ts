/**
 * Every refusal: a call that does not prove itself, names another merchant, or is malformed is
 * answered `error` and changes nothing but the request log; a method, an address or a body the
 * intake refuses gets FreedomPay's answer too. A refusal never echoes what it cannot trust.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import {
  EXAMPLE_RESULT,
  EXAMPLE_SIGNATURE,
  FORM,
  formBody,
  MERCHANT,
  readAnswer,
  resultFields,
  SECRET,
  signed,
} from './fixtures/calls.js';
import { answerFields, md5 } from './fixtures/php.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({
    PROVIDERS: 'paybox',
    PAYBOX_SECRET_KEY: SECRET,
    PAYBOX_MERCHANT_ID: MERCHANT,
    PAYBOX_ALLOWED_IPS: '127.0.0.1, 10.0.0.0/8',
    HTTP_BODY_LIMIT_BYTES: '2048',
  });
});
afterAll(() => gateway?.close());

const table = (suffix: string) => gateway.db.table(`paybox_${suffix}`);
async function recorded() {
  const [row] = await gateway.db.query<{ payments: number; events: number; kept: number }>(
    `SELECT (SELECT count(*) FROM ${table('transaction')})::int AS payments,
            (SELECT count(*) FROM ${table('event')})::int AS events,
            (SELECT count(*) FROM ${table('kept_aside')})::int AS kept`,
  );
  return row!;
}
let before: Awaited<ReturnType<typeof recorded>>;
let logged: number;
const logCount = async () => Number((await gateway.db.query(`SELECT count(*) AS n FROM ${table('http_log')}`))[0]!.n);
afterEach(async () => {
  // Whatever the refusal: nothing recorded but the request log, which took each request.
  if (before) expect(await recorded()).toEqual(before);
});

async function send(
  body: string,
  options: { url?: string; method?: 'POST' | 'GET' | 'PUT' | 'DELETE'; from?: string; contentType?: string } = {},
) {
  before = await recorded();
  logged = await logCount();
  const response = await gateway.app.inject({
    method: options.method ?? 'POST',
    url: options.url ?? '/_paybox_/result',
    headers: { 'content-type': options.contentType ?? FORM },
    payload: body,
    remoteAddress: options.from,
  });
  expect(await logCount()).toBe(logged + 1);
  return response;
}

describe('a call that does not prove itself: error "invalid signature", with a salt of ours', () => {
  const fields = () => resultFields({ pg_salt: 'attacker;15.00;abc;999;1;x' });
  it.each<[string, () => string]>([
    ['no pg_sig', () => formBody(fields())],
    ['an empty pg_sig', () => formBody({ ...fields(), pg_sig: '' })],
    ['a wrong pg_sig', () => formBody({ ...fields(), pg_sig: md5('wrong') })],
    [
      'a pg_sig in capitals',
      () => formBody({ ...signed('result', fields()), pg_sig: signed('result', fields()).pg_sig!.toUpperCase() }),
    ],
    ['a pg_sig made with another key', () => formBody(signed('result', fields(), 'another-key'))],
    ['a pg_sig made for another script (a check replayed to result)', () => formBody(signed('check', fields()))],
    ['a signed message with a field changed', () => formBody({ ...signed('result', fields()), pg_amount: '1.00' })],
    ['a signed message with a field added', () => formBody({ ...signed('result', fields()), pg_extra: '1' })],
    ['pg_sig given twice, one of them right', () => `${formBody(signed('result', fields()))}&pg_sig=${md5('x')}`],
    ['a body that cannot be read', () => `${formBody(signed('result', fields()))}&bad=%FF`],
  ])('%s', async (_, body) => {
    const answer = readAnswer(await send(body()), 'result');
    expect(answer).toMatchObject({ http: 200, status: 'error', description: 'invalid signature' });
    // The salt is never the caller's: signing theirs would sign text of their choosing.
    expect(answer.salt).toMatch(/^[A-Za-z][A-Za-z0-9]{15}$/);
    expect(answer.salt).not.toContain(';');
  });

  it('the contract’s example signed with its own key, sent to another script', async () => {
    const answer = readAnswer(await send(`${EXAMPLE_RESULT}&pg_sig=${EXAMPLE_SIGNATURE}`, { url: '/_paybox_/refund' }), 'refund');
    expect(answer).toMatchObject({ status: 'error', description: 'invalid signature' });
  });

  it('an XML message with a wrong signature', async () => {
    const xml = `<request><pg_order_id>1</pg_order_id><pg_salt>s</pg_salt><pg_sig>${md5('x')}</pg_sig></request>`;
    expect(readAnswer(await send(xml, { contentType: 'text/xml' }), 'result')).toMatchObject({
      description: 'invalid signature',
    });
  });
});

describe('a signed call for another merchant', () => {
  it('is error "unknown merchant"', async () => {
    const answer = readAnswer(
      await send(formBody(signed('result', resultFields({ pg_merchant_id: '999', pg_salt: 'm1' })))),
      'result',
    );
    expect(answer).toEqual({ http: 200, status: 'error', description: 'unknown merchant', salt: 'm1' });
  });
});

describe('a signed call with malformed fields: error "malformed request"', () => {
  const absent = (name: string) => {
    const { [name]: _gone, ...rest } = resultFields();
    return rest;
  };
  it.each<[string, Record<string, string>]>([
    ['no pg_order_id', absent('pg_order_id')],
    ['an empty pg_order_id', resultFields({ pg_order_id: '' })],
    ['a blank pg_order_id', resultFields({ pg_order_id: '   ' })],
    ['a control character in pg_order_id', resultFields({ pg_order_id: 'A\u0007' })],
    ['a pg_order_id of 201 characters', resultFields({ pg_order_id: 'x'.repeat(201) })],
    ['no pg_payment_id', absent('pg_payment_id')],
    ['a pg_payment_id that is not digits', resultFields({ pg_payment_id: '12a' })],
    ['a pg_payment_id of 21 digits', resultFields({ pg_payment_id: '1'.repeat(21) })],
    ['no pg_amount', absent('pg_amount')],
    ['a zero pg_amount', resultFields({ pg_amount: '0.00' })],
    ['a negative pg_amount', resultFields({ pg_amount: '-1.00' })],
    ['a pg_amount with a comma', resultFields({ pg_amount: '1,50' })],
    ['a pg_amount with an exponent', resultFields({ pg_amount: '1e3' })],
    ['a pg_amount with spaces', resultFields({ pg_amount: ' 15.00' })],
    ['a pg_amount of 13 integer digits', resultFields({ pg_amount: '1234567890123' })],
    ['no pg_result', absent('pg_result')],
    ['an unknown pg_result', resultFields({ pg_result: '3' })],
    ['a pg_currency that is not three letters', resultFields({ pg_currency: 'KZ' })],
    ['pg_order_id as a group', { ...absent('pg_order_id'), 'pg_order_id[a]': '1' }],
  ])('%s', async (_, fields) => {
    const salted = { ...fields, pg_salt: 'malformedsalt' };
    const answer = readAnswer(await send(formBody(signed('result', salted))), 'result');
    expect(answer).toEqual({ http: 200, status: 'error', description: 'malformed request', salt: 'malformedsalt' });
  });

  it('a refund without pg_payment_id', async () => {
    const answer = readAnswer(
      await send(formBody(signed('refund', { pg_order_id: '1', pg_salt: 's' })), { url: '/_paybox_/refund' }),
      'refund',
    );
    expect(answer).toMatchObject({ status: 'error', description: 'malformed request' });
  });
});

describe('refusals the intake makes', () => {
  it.each(['PUT', 'DELETE'] as const)('%s: HTTP 405 with Allow, in FreedomPay’s format', async (method) => {
    const response = await send(formBody(signed('result', resultFields())), { method });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
    expect(answerFields(response.body)).toMatchObject({
      pg_status: 'error',
      pg_description: 'method not allowed: use GET or POST',
    });
    // Signed with the instance's key, and a fresh salt: nothing of the unread request is echoed.
    expect(readAnswer(response, 'result')).toMatchObject({ http: 405, status: 'error' });
  });

  it('an address outside PAYBOX_ALLOWED_IPS: HTTP 403', async () => {
    const response = await send(formBody(signed('result', resultFields())), { from: '203.0.113.9' });
    expect(response.statusCode).toBe(403);
    expect(answerFields(response.body)).toMatchObject({ pg_status: 'error', pg_description: 'source address not allowed' });
    expect(readAnswer(response, 'result')).toMatchObject({ http: 403, status: 'error' });
  });

  it('a body over HTTP_BODY_LIMIT_BYTES: error', async () => {
    const response = await send(formBody(signed('result', resultFields({ pg_description: 'x'.repeat(3000) }))));
    expect(answerFields(response.body)).toMatchObject({ pg_status: 'error', pg_description: 'malformed request' });
  });

  it('a path it does not have: HTTP 404', async () => {
    before = await recorded();
    for (const url of ['/_paybox_/pay_result', '/_paybox_/result/', '/result', '/_paybox_/Result']) {
      expect((await gateway.app.inject({ method: 'POST', url, payload: '' })).statusCode).toBe(404);
    }
  });
});

describe('an instance without PAYBOX_SECRET_KEY', () => {
  it('takes unsigned calls only with an allow-list or ALLOW_UNAUTHENTICATED, and answers unsigned', async () => {
    const closed = await startTestGateway({ PROVIDERS: 'paybox', ALLOW_UNAUTHENTICATED: 'false' });
    const open = await startTestGateway({ PROVIDERS: 'paybox' });
    try {
      const body = formBody(resultFields({ pg_salt: 'plain' }));
      const refused = await closed.app.inject({
        method: 'POST',
        url: '/_paybox_/result',
        headers: { 'content-type': FORM },
        payload: body,
      });
      expect(refused.statusCode).toBe(403);
      expect(readAnswer(refused, 'result', null)).toMatchObject({ status: 'error' });
      const taken = await open.app.inject({
        method: 'POST',
        url: '/_paybox_/result',
        headers: { 'content-type': FORM },
        payload: body,
      });
      expect(readAnswer(taken, 'result', null)).toEqual({ http: 200, status: 'ok', description: 'accepted', salt: 'plain' });
    } finally {
      await Promise.all([closed.close(), open.close()]);
    }
  });

  it('is told in the start-up warnings', async () => {
    const { paybox } = await import('./index.js');
    const warnings = paybox.warnings!(
      { redirectHosts: [], apiUrl: new URL('https://x'), testingMode: false, checkTimeoutMs: 1 },
      (s) => `PAYBOX_${s}`,
    );
    expect(warnings.join('\n')).toMatch(/no PAYBOX_SECRET_KEY: FreedomPay's calls cannot be verified/);
  });
});
