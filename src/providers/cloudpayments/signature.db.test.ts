/**
 * With CLOUDPAYMENTS_API_SECRET and basic auth set: only notifications signed as CloudPayments
 * signs them get through. Fixtures are signed by the `cloudpayments` npm package, so the check
 * is proven against an implementation other than ours.
 */
import { createHash, createHmac } from 'node:crypto';
import { REFUSED_BODY_PREFIX_BYTES } from '../../http/request-log.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import {
  CHECK,
  asLogged,
  PAY,
  PAY_CP1251,
  PAY_JSON,
  PAY_PAYLOAD,
  REFUND,
  SECRET,
  contentHmac,
  decodedUtf8,
  withField,
  xContentHmac,
} from './fixtures/notifications.js';
import { emptyTables, httpLog, notifications, transactions } from './fixtures/tables.js';

const authorization = `Basic ${Buffer.from('cloudpayments:s3cret pass').toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
/** base64(HMAC-SHA256) with node:crypto: neither the gateway's code nor the fixtures' signer. */
const hmac = (text: string) => createHmac('sha256', SECRET).update(text, 'utf8').digest('base64');

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({
    CLOUDPAYMENTS_API_SECRET: SECRET,
    CLOUDPAYMENTS_PUBLIC_ID: 'pk_test_1',
    HTTP_AUTH_USERNAME: 'cloudpayments',
    HTTP_AUTH_PASSWORD: 's3cret pass',
    ADMIN_TOKEN,
  });
});
afterAll(() => gateway.close());
afterEach(() => emptyTables(gateway.db));

function post(body: string, signatures: Record<string, string>, { url = '/pay', contentType = FORM } = {}) {
  return gateway.app.inject({
    method: 'POST',
    url,
    headers: { authorization, 'content-type': contentType, ...signatures },
    payload: body,
  });
}

async function expectAnswer(response: Promise<{ statusCode: number; body: string }>, code: number) {
  const { statusCode, body } = await response;
  expect([statusCode, body]).toEqual([200, `{"code":${code}}`]);
}

describe('a signed notification is accepted', () => {
  it('with Content-HMAC over the form body as sent', async () => {
    await expectAnswer(post(PAY, { 'content-hmac': contentHmac(PAY) }), 0);
    expect(await transactions(gateway.db)).toMatchObject([{ code: '2901358781', payload: PAY_PAYLOAD }]);
  });

  it('with Content-HMAC over the query string of a GET', async () => {
    const response = gateway.app.inject({
      url: `/check?${CHECK}`,
      headers: { authorization, 'content-hmac': contentHmac(CHECK) },
    });
    await expectAnswer(response, 0);
  });

  it('with Content-HMAC over a Windows-1251 body', async () => {
    await expectAnswer(
      post(PAY_CP1251, { 'content-hmac': contentHmac(PAY_CP1251) }, { contentType: `${FORM}; charset=windows-1251` }),
      0,
    );
    expect(await transactions(gateway.db)).toMatchObject([{ payload: PAY_PAYLOAD }]);
  });

  it('with Content-HMAC over a JSON body', async () => {
    await expectAnswer(post(PAY_JSON, { 'content-hmac': contentHmac(PAY_JSON) }, { contentType: 'application/json' }), 0);
    expect(await transactions(gateway.db)).toHaveLength(1);
  });

  it('with only X-Content-HMAC, over the URL-decoded message', async () => {
    await expectAnswer(post(REFUND, { 'x-content-hmac': xContentHmac(decodedUtf8(REFUND)) }, { url: '/refund' }), 0);
    expect(await notifications(gateway.db)).toHaveLength(1);
  });

  it('with X-Content-HMAC over a decoded Windows-1251 message, signed as UTF-8 text', async () => {
    const body = 'TransactionId=5&Amount=1.00&AccountId=%c8%e2%e0%ed+1&Data=%7b%22a%22%3a1%7d';
    const decoded = 'TransactionId=5&Amount=1.00&AccountId=Иван 1&Data={"a":1}';
    await expectAnswer(
      post(body, { 'x-content-hmac': xContentHmac(decoded) }, { contentType: `${FORM}; charset=windows-1251` }),
      0,
    );
    expect(await transactions(gateway.db)).toMatchObject([{ account: 'Иван 1' }]);
  });
});

describe('a missing or wrong signature gets 13, is logged, and records nothing', () => {
  const recapitalised = PAY.replace(/%[0-9a-f]{2}/g, (hex) => hex.toUpperCase());
  it.each([
    ['no signature', PAY, {}],
    ['a signature made with another secret', PAY, { 'content-hmac': contentHmac(PAY, 'another secret') }],
    ['a body changed after signing', withField(PAY, 'Amount', '15.00'), { 'content-hmac': contentHmac(PAY) }],
    ['a signature over the re-encoded body, not the bytes sent', PAY, { 'content-hmac': contentHmac(recapitalised) }],
    ['the bytes re-encoded after signing', recapitalised, { 'content-hmac': contentHmac(PAY) }],
    ['an X-Content-HMAC over the raw, not the decoded, message', PAY, { 'x-content-hmac': xContentHmac(PAY) }],
    [
      'a wrong Content-HMAC beside a right X-Content-HMAC: Content-HMAC alone decides',
      PAY,
      { 'content-hmac': contentHmac(PAY, 'another secret'), 'x-content-hmac': xContentHmac(decodedUtf8(PAY)) },
    ],
    [
      'an empty Content-HMAC beside a right X-Content-HMAC',
      PAY,
      { 'content-hmac': '', 'x-content-hmac': xContentHmac(decodedUtf8(PAY)) },
    ],
    ['a signature that is not base64 of an HMAC', PAY, { 'content-hmac': 'not a signature', 'x-content-hmac': '' }],
    ['a truncated signature', PAY, { 'content-hmac': contentHmac(PAY).slice(0, 20) }],
  ])('%s', async (_name, body, signatures) => {
    await expectAnswer(post(body, signatures), 13);
    expect(await transactions(gateway.db)).toEqual([]);
    // A stranger's body is kept only in part, with its length and digest.
    const prefix = asLogged(body).slice(0, REFUSED_BODY_PREFIX_BYTES);
    const digest = createHash('sha256').update(body).digest('hex');
    expect(await httpLog(gateway.db)).toMatchObject([
      { method: 'POST', url: '/pay', body: prefix, body_length: body.length, body_sha256: digest },
    ]);
  });

  it('a GET whose query was changed after signing', async () => {
    const query = withField(CHECK, 'AccountId', '1');
    await expectAnswer(
      gateway.app.inject({ url: `/check?${query}`, headers: { authorization, 'content-hmac': contentHmac(CHECK) } }),
      13,
    );
  });

  it('a refund signed for another one', async () => {
    const other = withField(REFUND, 'TransactionId', '2901360002');
    await expectAnswer(post(other, { 'content-hmac': contentHmac(REFUND) }, { url: '/refund' }), 13);
    expect(await notifications(gateway.db)).toEqual([]);
  });
});

/**
 * X-Content-HMAC covers the decoded text, where `%26` and `&` are the same character: a customer
 * who types `x&Status=Cancelled` as their name gets a signature that also covers the body with
 * that name split into fields. Content-HMAC covers the bytes, where the two differ.
 */
describe('a field split by decoding under a signature made for it whole', () => {
  const honest = withField(PAY, 'Name', 'x%26Status%3DCancelled');
  const split = withField(PAY, 'Name', 'x&Status=Cancelled');

  it('covers the same decoded text, so X-Content-HMAC cannot tell the two apart', () => {
    expect(decodedUtf8(split)).toBe(decodedUtf8(honest));
    expect(decodedUtf8(split)).toContain('Name=x&Status=Cancelled&');
  });

  it('is refused when Content-HMAC is sent: the bytes decide, not the decoded text', async () => {
    const signatures = { 'content-hmac': hmac(honest), 'x-content-hmac': hmac(decodedUtf8(honest)) };
    await expectAnswer(post(split, signatures, { url: '/cancel' }), 13);
    await expectAnswer(post(split, signatures), 13);
    expect(await notifications(gateway.db)).toEqual([]);
    expect(await transactions(gateway.db)).toEqual([]);
    // The message as CloudPayments sent it is accepted, its name whole.
    await expectAnswer(post(honest, signatures), 0);
    expect(await transactions(gateway.db)).toMatchObject([{ payload: { Name: 'x&Status=Cancelled', Status: 'Completed' } }]);
  });

  it('is refused under X-Content-HMAC alone when the split repeats a field CloudPayments sent', async () => {
    const signatures = { 'x-content-hmac': hmac(decodedUtf8(honest)) };
    await expectAnswer(post(split, signatures, { url: '/cancel' }), 13);
    await expectAnswer(post(split, signatures), 13);
    expect(await notifications(gateway.db)).toEqual([]);
    expect(await transactions(gateway.db)).toEqual([]);
    await expectAnswer(post(honest, signatures), 0);
    expect(await transactions(gateway.db)).toMatchObject([{ payload: { Name: 'x&Status=Cancelled', Status: 'Completed' } }]);
  });
});

describe('the signatures are not kept readable once verified', () => {
  const signatures = { 'content-hmac': hmac(PAY), 'x-content-hmac': hmac(decodedUtf8(PAY)) };

  it('the request log masks Content-HMAC and X-Content-HMAC as it masks Authorization', async () => {
    await expectAnswer(post(PAY, signatures), 0);
    await expectAnswer(post(withField(PAY, 'Amount', '1.00'), signatures), 13);
    const logged = await httpLog(gateway.db);
    expect(logged.map((row) => [row.headers['content-hmac'], row.headers['x-content-hmac']])).toEqual([
      ['***', '***'],
      ['***', '***'],
    ]);
    expect(JSON.stringify(logged)).not.toContain(signatures['content-hmac']);
    expect(JSON.stringify(logged)).not.toContain(signatures['x-content-hmac']);
  });

  it('the admin API shows them masked', async () => {
    await expectAnswer(post(PAY, signatures), 0);
    const response = await gateway.app.inject({
      url: '/admin/api/requests?provider=cloudpayments',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.statusCode, response.body).toBe(200);
    const [logged] = response.json().items;
    expect(logged).toMatchObject({ url: '/pay', body: asLogged(PAY) });
    expect([logged.headers['content-hmac'], logged.headers['x-content-hmac']]).toEqual(['***', '***']);
    expect(response.body).not.toContain(signatures['content-hmac']);
    expect(response.body).not.toContain(signatures['x-content-hmac']);
  });
});

describe('basic authentication', () => {
  it.each([
    ['no credentials', undefined],
    ['a wrong password', `Basic ${Buffer.from('cloudpayments:wrong').toString('base64')}`],
  ])('refuses %s with 401, a challenge and {"code":13}, before looking at the signature', async (_name, header) => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/_cloudpayments_/pay',
      headers: { 'content-type': FORM, 'content-hmac': contentHmac(PAY), ...(header ? { authorization: header } : {}) },
      payload: PAY,
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="payrelay"/);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.body).toBe('{"code":13}');
    expect(await transactions(gateway.db)).toEqual([]);
    const [logged] = await httpLog(gateway.db);
    // Refused before the body was read: nothing of it is stored but the length it declared.
    expect(logged).toMatchObject({ url: '/_cloudpayments_/pay', body: null, body_length: PAY.length });
    if (header) expect(logged!.headers.authorization).toBe('***');
  });

  it('masks the credentials that got through in the request log', async () => {
    await expectAnswer(post(PAY, { 'content-hmac': contentHmac(PAY) }), 0);
    const [logged] = await httpLog(gateway.db);
    expect(logged!.headers.authorization).toBe('***');
    expect(JSON.stringify(logged)).not.toContain(authorization.slice(6));
  });

  it('leaves the card page open, and logs it in cloudpayments_http_log', async () => {
    const url = '/pub/card?account=4957835959&sum=10.00&description=test&currency=RUB';
    const response = await gateway.app.inject(url);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(await httpLog(gateway.db)).toMatchObject([{ method: 'GET', url, body: null }]);
  });
});

describe('source address allow-list (CLOUDPAYMENTS_ALLOWED_IPS)', () => {
  it('refuses other networks with 403 and {"code":13}, logs them, and leaves the card page open', async () => {
    const listed = await startTestGateway({
      CLOUDPAYMENTS_ALLOWED_IPS: '130.193.70.192/27, 2001:db8::/32',
      CLOUDPAYMENTS_PUBLIC_ID: 'pk_test_1',
    });
    try {
      const pay = (ip: string, id: string) =>
        listed.app.inject({ url: `/pay?${withField(PAY, 'TransactionId', id)}`, remoteAddress: ip });
      const refused = await pay('8.8.8.8', '1');
      expect([refused.statusCode, refused.body]).toEqual([403, '{"code":13}']);
      await expectAnswer(pay('130.193.70.200', '2'), 0);
      await expectAnswer(pay('::ffff:130.193.70.193', '3'), 0);
      await expectAnswer(pay('2001:db8::1', '4'), 0);
      expect((await transactions(listed.db)).map((row) => row.code)).toEqual(['2', '3', '4']);
      expect((await httpLog(listed.db)).map((row) => row.ip)).toContain('8.8.8.8');
      const card = await listed.app.inject({
        url: '/pub/card?account=1&sum=1.00&description=x&currency=RUB',
        remoteAddress: '8.8.8.8',
      });
      expect(card.statusCode).toBe(200);
    } finally {
      await listed.close();
    }
  });
});
