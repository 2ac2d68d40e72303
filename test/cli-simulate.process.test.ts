/**
 * `payrelay simulate` against the real gateway process and a stand-in merchant backend: what it
 * sends is what the gateway accepts (signed, authenticated), and what it prints is the answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../src/config/env.js';
import { openDatabase } from './helpers/backlog.js';
import { freshDatabaseOnDisk, type TestDatabase } from './helpers/engine.js';
import { type GatewayProcess, spawnGateway, startGatewayProcess } from './helpers/process.js';
import { type Receiver, startReceiver, waitFor } from './helpers/receiver.js';

const CREDENTIALS = { HTTP_AUTH_USERNAME: 'terminal', HTTP_AUTH_PASSWORD: 'pass word' };
const API_SECRET = 'cp-api-secret';
/** A second QIWI-protocol network, with Basic credentials of its own. */
const PAY24 = {
  PROVIDERS: 'qiwi,cloudpayments,pay24:qiwi',
  PAY24_HTTP_AUTH_USERNAME: 'pay24',
  PAY24_HTTP_AUTH_PASSWORD: 'pay24 secret',
};
/** What an operator's shell has: the gateway's credentials, secret and instances. */
const OPERATOR_ENV: Env = { ...CREDENTIALS, ...PAY24, CLOUDPAYMENTS_API_SECRET: API_SECRET };

let database: TestDatabase;
let backend: Receiver;
let gateway: GatewayProcess;

beforeAll(async () => {
  database = freshDatabaseOnDisk();
  // The backend: account 404 does not exist; every webhook is taken.
  backend = await startReceiver((request) =>
    request.url.includes('account=missing') ? { status: 404 } : { status: 200, body: 'ok' },
  );
  gateway = await startGatewayProcess({
    ...database.env,
    ...OPERATOR_ENV,
    QIWI_CHECK_URL: `${backend.url}/check`,
    QIWI_WEBHOOK_URL: `${backend.url}/qiwi-hook`,
    CLOUDPAYMENTS_CHECK_URL: `${backend.url}/check`,
    CLOUDPAYMENTS_WEBHOOK_URL: `${backend.url}/cp-hook`,
    PAY24_WEBHOOK_URL: `${backend.url}/pay24-hook`,
  });
});

afterAll(async () => {
  await gateway?.kill();
  await backend?.close();
  await database?.drop();
});

/** `payrelay simulate <args>` with the gateway's credentials in its environment (as an operator's shell has them). */
async function simulate(args: string[], env: Env = OPERATOR_ENV) {
  const run = spawnGateway({ DATA_DIR: 'memory://', ...env }, { args: ['simulate', ...args, '--url', gateway.url] });
  let stdout = '';
  let stderr = '';
  run.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  run.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { code: await run.exited, stdout, stderr };
}

const hooks = (path: string) => backend.received.filter((request) => request.url === path);

describe('simulate qiwi', () => {
  it('check asks the backend and prints the result with its meaning', async () => {
    const { code, stdout } = await simulate(['qiwi', 'check', '--account', 'A-1', '--sum', '10.00', '--txn-id', '5001']);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^> GET http:\/\/127\.0\.0\.1:\d+\/_qiwi_\/payment\?command=check&txn_id=5001&account=A-1&sum=10\.00 {2}\(basic auth\)$/m,
    );
    expect(stdout).toContain('< HTTP 200 text/xml');
    expect(stdout).toMatch(/^result 0: OK: the account exists \(check\) or the payment is recorded \(pay\)$/m);
    expect(backend.received.some((r) => r.url.startsWith('/check?account=A-1'))).toBe(true);
  });

  it('check of an account the backend does not know: result 5, exit 1', async () => {
    const { code, stdout } = await simulate(['qiwi', 'check', '--account', 'missing']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^result 5: account not found \(your account check answered 4xx\)$/m);
  });

  it('pay is recorded, delivered to the backend, and a repeat gets the same prv_txn', async () => {
    const first = await simulate(['qiwi', 'pay', '--account', 'A-2', '--sum', '150.50', '--txn-id', '5002']);
    expect(first.code).toBe(0);
    const prvTxn = /^prv_txn: (\d+)$/m.exec(first.stdout)?.[1];
    expect(prvTxn).toBeDefined();
    const hook = await waitFor(() => hooks('/qiwi-hook').find((r) => r.body.includes('"5002"')), 'the QIWI webhook');
    expect(JSON.parse(hook!.body)).toMatchObject({ id: prvTxn, account: 'A-2', code: '5002', sum: 150.5 });

    const repeat = await simulate(['qiwi', 'pay', '--account', 'A-2', '--sum', '150.50', '--txn-id', '5002']);
    expect(repeat.code).toBe(0);
    expect(repeat.stdout).toContain(`prv_txn: ${prvTxn}`);
  });

  it('pay without a sum is the gateway refusal, printed: result 300, exit 1', async () => {
    const { code, stdout } = await simulate(['qiwi', 'pay', '--account', 'A-3']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^result 300: other error \(see the comment\); final$/m);
    expect(stdout).toMatch(/^comment: sum is required$/m);
  });

  it('without the credentials the gateway says 401, and the simulator shows it', async () => {
    const { code, stdout } = await simulate(['qiwi', 'check', '--account', 'A-1'], {});
    expect(code).toBe(1);
    expect(stdout).toContain('< HTTP 401');
    expect(stdout).toMatch(/^comment: unauthorized$/m);
  });

  it('credentials in --url are used too', async () => {
    const url = gateway.url.replace('http://', 'http://terminal:pass%20word@');
    const run = spawnGateway(
      { DATA_DIR: 'memory://' },
      { args: ['simulate', 'qiwi', 'check', '--account', 'A-1', '--url', url] },
    );
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('http://terminal:***@127.0.0.1');
    expect(run.output()).not.toContain('pass%20word');
  });
});

describe('simulate cloudpayments', () => {
  it('pay is signed, accepted with code 0, and delivered', async () => {
    const { code, stdout } = await simulate([
      'cloudpayments',
      'pay',
      '--account',
      'C-1',
      '--amount',
      '99.90',
      '--txn-id',
      '7001',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/_cloudpayments_\/pay {2}\(signed, basic auth\)$/m);
    expect(stdout).toMatch(/^> TransactionId=7001&Amount=99\.90&Currency=RUB&/m);
    expect(stdout).toContain('< {"code":0}');
    expect(stdout).toMatch(/^code 0: accepted$/m);
    const hook = await waitFor(() => hooks('/cp-hook').find((r) => r.body.includes('"7001"')), 'the CloudPayments webhook');
    expect(JSON.parse(hook!.body)).toMatchObject({ account: 'C-1', code: '7001', sum: 99.9 });
  });

  it.each(['check', 'fail', 'refund', 'cancel'])('%s is accepted with code 0', async (action) => {
    const { code, stdout } = await simulate([
      'cloudpayments',
      action,
      '--account',
      'C-2',
      '--amount',
      '5.00',
      '--txn-id',
      '7002',
    ]);
    expect(stdout).toMatch(/^code 0: accepted$/m);
    expect(code).toBe(0);
  });

  it('check for an account the backend does not know: code 11', async () => {
    // --sum, as for every protocol, is CloudPayments' --amount.
    const { code, stdout } = await simulate(['cloudpayments', 'check', '--account', 'missing', '--sum', '5.00']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^code 11: wrong AccountId/m);
  });

  it('signed with another secret: refused with code 13', async () => {
    const env = { ...OPERATOR_ENV, CLOUDPAYMENTS_API_SECRET: 'not-the-secret' };
    const { code, stdout } = await simulate(['cloudpayments', 'pay', '--account', 'C-3', '--amount', '1.00'], env);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^code 13: cannot be accepted/m);
  });

  it('receipt is sent to /receipt and whatever comes back is printed', async () => {
    const { code, stdout } = await simulate([
      'cloudpayments',
      'receipt',
      '--account',
      'C-4',
      '--amount',
      '12.00',
      '--txn-id',
      '7004',
    ]);
    expect(stdout).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/_cloudpayments_\/receipt {2}\(signed, basic auth\)$/m);
    expect(stdout).toMatch(/&DocumentNumber=1&.*&Receipt=%7B%22Items%22/m);
    // Until the gateway serves /receipt, its 404 is shown as it is.
    const status = Number(/^< HTTP (\d+)/m.exec(stdout)?.[1]);
    if (status === 404) {
      expect(stdout).toMatch(/^no \{"code":N\} in the answer/m);
      expect(code).toBe(1);
    } else {
      expect(stdout).toMatch(/^code \d+: /m);
    }
  });
});

describe('simulate refusals and failures', () => {
  it.each([
    [[], /which instance\? qiwi, cloudpayments$/m],
    [['paypal', 'pay'], /unknown instance "paypal": qiwi, cloudpayments$/m],
    [['qiwi'], /which action for qiwi\? check, pay/],
    [['qiwi', 'refund', '--account', 'A'], /unknown action "refund" for qiwi: check, pay/],
    [['qiwi', 'pay', '--sum', '1'], /--account is required/],
    [['qiwi', 'pay', '--account', 'A', '--amount', '1'], /--amount is not an option of qiwi/],
    [['cloudpayments', 'pay', '--account', 'A'], /--sum or --amount is required/],
    [['cloudpayments', 'pay', '--account', 'A', '--amount', '1', '--sum', '1'], /--amount and --sum are the same: give one/],
    [['qiwi', 'pay', '--account', 'A', '--url', 'ftp://x'], /--url must start with http/],
    [['qiwi', 'pay', '--account', 'A', '--colour', 'red'], /Unknown option '--colour'/],
  ])('%j', async (args, message) => {
    const run = spawnGateway({ DATA_DIR: 'memory://' }, { args: ['simulate', ...args] });
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(message);
    expect(run.output()).toContain('see: payrelay simulate --help');
  });

  it('an instance PROVIDERS does not name: exit 2, naming the ones it does', async () => {
    const run = spawnGateway({ DATA_DIR: 'memory://', ...PAY24 }, { args: ['simulate', 'pay25', 'pay', '--account', 'A'] });
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/^payrelay simulate: unknown instance "pay25": qiwi, cloudpayments, pay24$/m);
  });

  it('--help names every protocol with its actions and own options', async () => {
    const run = spawnGateway({ DATA_DIR: 'memory://' }, { args: ['simulate', '--help'] });
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/^ {2}qiwi +QIWI terminals: check, pay$/m);
    expect(run.output()).toMatch(/^ {2}cloudpayments +CloudPayments: check, pay, fail, refund, cancel, receipt$/m);
    expect(run.output()).toMatch(/^ +--amount S +the same as --sum$/m);
    expect(run.output()).toMatch(/^ +--invoice-id I +/m);
  });

  it('a gateway that is not there: exit 1 and why', async () => {
    const run = spawnGateway(
      { DATA_DIR: 'memory://' },
      { args: ['simulate', 'qiwi', 'check', '--account', 'A', '--url', 'http://127.0.0.1:9'] },
    );
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/^cannot reach the gateway at http:\/\/127\.0\.0\.1:9: ECONNREFUSED$/m);
  });
});

// Last: it stops the gateway, as only then is its database open to another process on every engine.
describe('simulate a second instance of a protocol', () => {
  it('pay24 pay reaches /_pay24_/payment with its own credentials and is recorded in pay24_transaction', async () => {
    const { code, stdout } = await simulate(['pay24', 'pay', '--account', 'P-1', '--sum', '24.00', '--txn-id', '9001']);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^> GET http:\/\/127\.0\.0\.1:\d+\/_pay24_\/payment\?command=pay&txn_id=9001&account=P-1&sum=24\.00&txn_date=\d{14} {2}\(basic auth\)$/m,
    );
    expect(stdout).toMatch(/^result 0: OK/m);
    const prvTxn = /^prv_txn: (\d+)$/m.exec(stdout)?.[1];
    const hook = await waitFor(() => hooks('/pay24-hook').find((r) => r.body.includes('"9001"')), 'the pay24 webhook');
    expect(JSON.parse(hook!.body)).toMatchObject({ id: prvTxn, account: 'P-1', code: '9001', sum: 24 });

    // The shared credentials are not pay24's: the gateway refuses them.
    const shared = await simulate(['pay24', 'check', '--account', 'P-1'], { ...CREDENTIALS, PROVIDERS: PAY24.PROVIDERS });
    expect(shared.code).toBe(1);
    expect(shared.stdout).toContain('< HTTP 401');

    await gateway.kill();
    const db = await openDatabase(database.env);
    try {
      const rows = (table: string) =>
        db.query<{ account: string; sum: string }>(`SELECT account, sum::text AS sum FROM ${db.table(table)} WHERE code = $1`, [
          '9001',
        ]);
      expect(await rows('pay24_transaction')).toEqual([{ account: 'P-1', sum: '24.00' }]);
      expect(await rows('qiwi_transaction')).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
