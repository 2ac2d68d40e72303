/**
 * `payrelay simulate` against the real gateway process and a stand-in merchant backend: what it
 * sends is what the gateway accepts (signed, authenticated), and what it prints is the answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../src/config/env.js';
import { freshDatabaseOnDisk, type TestDatabase } from './helpers/engine.js';
import { type GatewayProcess, spawnGateway, startGatewayProcess } from './helpers/process.js';
import { type Receiver, startReceiver, waitFor } from './helpers/receiver.js';

const CREDENTIALS = { HTTP_AUTH_USERNAME: 'terminal', HTTP_AUTH_PASSWORD: 'pass word' };
const API_SECRET = 'cp-api-secret';

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
    ...CREDENTIALS,
    CLOUDPAYMENTS_API_SECRET: API_SECRET,
    QIWI_CHECK_URL: `${backend.url}/check`,
    QIWI_WEBHOOK_URL: `${backend.url}/qiwi-hook`,
    CLOUDPAYMENTS_CHECK_URL: `${backend.url}/check`,
    CLOUDPAYMENTS_WEBHOOK_URL: `${backend.url}/cp-hook`,
  });
});

afterAll(async () => {
  await gateway?.kill();
  await backend?.close();
  await database?.drop();
});

/** `payrelay simulate <args>` with the gateway's credentials in its environment (as an operator's shell has them). */
async function simulate(args: string[], env: Env = { ...CREDENTIALS, CLOUDPAYMENTS_API_SECRET: API_SECRET }) {
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
      /^> GET http:\/\/127\.0\.0\.1:\d+\/payment\?command=check&txn_id=5001&account=A-1&sum=10\.00 {2}\(basic auth\)$/m,
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
    expect(stdout).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/pay {2}\(signed, basic auth\)$/m);
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
    const { code, stdout } = await simulate(['cloudpayments', 'check', '--account', 'missing', '--amount', '5.00']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^code 11: wrong AccountId/m);
  });

  it('signed with another secret: refused with code 13', async () => {
    const env = { ...CREDENTIALS, CLOUDPAYMENTS_API_SECRET: 'not-the-secret' };
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
    expect(stdout).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/receipt {2}\(signed, basic auth\)$/m);
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
    [[], /which provider\? qiwi or cloudpayments/],
    [['paypal', 'pay'], /unknown provider "paypal"/],
    [['qiwi'], /which action for qiwi\? check, pay/],
    [['qiwi', 'refund', '--account', 'A'], /unknown action "refund" for qiwi: check, pay/],
    [['qiwi', 'pay', '--sum', '1'], /--account is required/],
    [['qiwi', 'pay', '--account', 'A', '--amount', '1'], /--amount is not an option of qiwi/],
    [['cloudpayments', 'pay', '--account', 'A'], /--amount is required/],
    [['cloudpayments', 'pay', '--account', 'A', '--amount', '1', '--sum', '1'], /--sum is not an option of cloudpayments/],
    [['qiwi', 'pay', '--account', 'A', '--url', 'ftp://x'], /--url must start with http/],
    [['qiwi', 'pay', '--account', 'A', '--colour', 'red'], /Unknown option '--colour'/],
  ])('%j', async (args, message) => {
    const run = spawnGateway({ DATA_DIR: 'memory://' }, { args: ['simulate', ...args] });
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(message);
    expect(run.output()).toContain('see: payrelay simulate --help');
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
