/** Account checks against a stand-in merchant backend, and HTTP Basic authentication. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver.js';

let backend: Receiver;
let gateway: TestGateway;
beforeAll(async () => {
  backend = await startReceiver();
  gateway = await startTestGateway({
    QIWI_CHECK_URL: `${backend.url}/accounts/check?token=s3cret`,
    QIWI_CHECK_TIMEOUT_MS: '300',
    HTTP_AUTH_USERNAME: 'osmp',
    HTTP_AUTH_PASSWORD: 'pa:ss word',
  });
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});
afterEach(() => {
  backend.received.length = 0;
});

const authorization = `Basic ${Buffer.from('osmp:pa:ss word').toString('base64')}`;
const check = (account = '4957835959') =>
  gateway.app.inject({
    url: `/payment?command=check&txn_id=1234567&account=${encodeURIComponent(account)}&sum=10.45`,
    headers: { authorization },
  });
const resultOf = (body: string) => Number(/<result>(\d+)<\/result>/.exec(body)?.[1]);

describe('account check', () => {
  it('asks the backend with the account, keeping the query the URL already has', async () => {
    backend.respondWith(() => ({ status: 200 }));
    const response = await check('49 57&x');
    expect(resultOf(response.body)).toBe(0);
    expect(backend.received).toHaveLength(1);
    const asked = new URL(backend.received[0]!.url, backend.url);
    expect(backend.received[0]!.method).toBe('GET');
    expect(asked.pathname).toBe('/accounts/check');
    expect(asked.searchParams.get('token')).toBe('s3cret');
    expect(asked.searchParams.get('account')).toBe('49 57&x');
    expect(asked.searchParams.get('sum')).toBe('10.45');
    expect(asked.searchParams.get('txn_id')).toBe('1234567');
  });

  it.each([
    [404, 5],
    [400, 5],
    [500, 1],
    [503, 1],
    [302, 1],
  ])('a backend answering %i gives result %i', async (status, result) => {
    const headers: Record<string, string> = status === 302 ? { location: '/elsewhere' } : {};
    backend.respondWith(() => ({ status, headers }));
    expect(resultOf((await check()).body)).toBe(result);
  });

  it('a backend that does not answer in time gives result 1', async () => {
    backend.respondWith(() => 'hang');
    const response = await check();
    expect(response.statusCode).toBe(200);
    expect(resultOf(response.body)).toBe(1);
  });

  it('an unreachable backend gives result 1', async () => {
    const down = await startTestGateway({ QIWI_CHECK_URL: 'http://127.0.0.1:1/check' });
    try {
      const response = await down.app.inject('/payment?command=check&txn_id=1&account=2');
      expect(resultOf(response.body)).toBe(1);
    } finally {
      await down.close();
    }
  });

  it('pay does not ask the backend: the cash is already in the terminal', async () => {
    backend.respondWith(() => ({ status: 404 }));
    const response = await gateway.app.inject({
      url: '/payment?command=pay&txn_id=77&account=1&sum=5.00',
      headers: { authorization },
    });
    expect(resultOf(response.body)).toBe(0);
    expect(backend.received).toHaveLength(0);
  });
});

describe('basic authentication', () => {
  const logged = () =>
    gateway.db.query<{ headers: Record<string, string> }>(
      `SELECT headers FROM ${gateway.db.table('qiwi_http_log')} ORDER BY id DESC LIMIT 1`,
    );
  const payRows = async (code: string) =>
    (await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('qiwi_transaction')} WHERE code = $1`, [code])).length;

  it.each([
    ['no credentials', undefined],
    ['a wrong password', `Basic ${Buffer.from('osmp:wrong').toString('base64')}`],
    ['a prefix of the password', `Basic ${Buffer.from('osmp:pa:ss').toString('base64')}`],
    ['another scheme', 'Bearer abc'],
  ])('refuses %s with 401, logs the request, records nothing', async (_name, header) => {
    const response = await gateway.app.inject({
      url: '/payment?command=pay&txn_id=901&account=1&sum=1.00',
      headers: header ? { authorization: header } : {},
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="payrelay"/);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(resultOf(response.body)).toBe(300);
    expect(await payRows('901')).toBe(0);
    const [row] = await logged();
    if (header) expect(row!.headers.authorization).toBe('***');
  });

  it('lets the right credentials through and masks them in the log', async () => {
    const response = await gateway.app.inject({
      url: '/payment?command=pay&txn_id=902&account=1&sum=1.00',
      headers: { authorization },
    });
    expect(response.statusCode).toBe(200);
    expect(await payRows('902')).toBe(1);
    const [row] = await logged();
    expect(row!.headers.authorization).toBe('***');
    expect(JSON.stringify(row)).not.toContain(authorization.slice(6));
  });

  it('leaves /healthz open', async () => {
    const response = await gateway.app.inject('/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });
});

describe('source address allow-list', () => {
  it('refuses other networks with 403, logs them and records nothing; lets listed ones through', async () => {
    const listed = await startTestGateway({ QIWI_ALLOWED_IPS: '79.142.16.0/20, 195.189.100.0/22, 2001:db8::/32' });
    try {
      const pay = (ip: string, txnId: string) =>
        listed.app.inject({ url: `/payment?command=pay&txn_id=${txnId}&account=1&sum=1.00`, remoteAddress: ip });
      const refused = await pay('8.8.8.8', '1');
      expect(refused.statusCode).toBe(403);
      expect(resultOf(refused.body)).toBe(300);
      expect(resultOf((await pay('79.142.31.255', '2')).body)).toBe(0);
      expect(resultOf((await pay('::ffff:195.189.101.7', '3')).body)).toBe(0);
      expect(resultOf((await pay('2001:db8::1', '4')).body)).toBe(0);
      const codes = await listed.db.query<{ code: string }>(
        `SELECT code FROM ${listed.db.table('qiwi_transaction')} ORDER BY code`,
      );
      expect(codes.map((row) => row.code)).toEqual(['2', '3', '4']);
      const logged = await listed.db.query(`SELECT 1 FROM ${listed.db.table('qiwi_http_log')} WHERE ip = '8.8.8.8'`);
      expect(logged).toHaveLength(1);
    } finally {
      await listed.close();
    }
  });
});
