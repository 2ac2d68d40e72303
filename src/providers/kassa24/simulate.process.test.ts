/**
 * `payrelay simulate kassa24 ...` against the real gateway process and a stand-in merchant
 * backend: every action of the network, through the protocol's simulator, as an operator runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../config/env.js';
import { freshDatabaseOnDisk, type TestDatabase } from '../../../test/helpers/engine.js';
import { type GatewayProcess, spawnGateway, startGatewayProcess } from '../../../test/helpers/process.js';
import { type Receiver, startReceiver, waitFor } from '../../../test/helpers/receiver.js';

/** What an operator's shell has: the instance's credentials and its PROVIDERS. */
const OPERATOR_ENV: Env = {
  PROVIDERS: 'kassa24',
  KASSA24_HTTP_AUTH_USERNAME: 'kassa24',
  KASSA24_HTTP_AUTH_PASSWORD: 'pass word',
};

let database: TestDatabase;
let backend: Receiver;
let gateway: GatewayProcess;

beforeAll(async () => {
  database = freshDatabaseOnDisk();
  // The backend knows every number but 999999, and takes every webhook.
  backend = await startReceiver((request) =>
    request.url.includes('account=999999') ? { status: 404 } : { status: 200, body: 'ok' },
  );
  gateway = await startGatewayProcess({
    ...database.env,
    ...OPERATOR_ENV,
    KASSA24_CHECK_URL: `${backend.url}/check`,
    KASSA24_WEBHOOK_URL: `${backend.url}/payments`,
    KASSA24_EVENTS_WEBHOOK_URL: `${backend.url}/events`,
  });
});

afterAll(async () => {
  await gateway?.kill();
  await backend?.close();
  await database?.drop();
});

async function simulate(args: string[], env: Env = OPERATOR_ENV) {
  const run = spawnGateway({ DATA_DIR: 'memory://', ...env }, { args: ['simulate', 'kassa24', ...args, '--url', gateway.url] });
  let stdout = '';
  run.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return { code: await run.exited, stdout, output: run.output() };
}

describe('simulate kassa24', () => {
  it('check asks the backend: code 0 for a number it knows, code 2 and exit 1 for one it does not', async () => {
    const known = await simulate(['check', '--number', '100234']);
    expect(known.code).toBe(0);
    expect(known.stdout).toMatch(
      /^> GET http:\/\/127\.0\.0\.1:\d+\/_kassa24_\/payment\?action=check&number=100234 {2}\(basic auth\)$/m,
    );
    expect(known.stdout).toContain('< HTTP 200 text/xml; charset=utf-8');
    expect(known.stdout).toMatch(/^code 0: OK/m);
    const unknown = await simulate(['check', '--account', '999999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/^code 2: subscriber not found/m);
  });

  it('payment is recorded and delivered; a repeat gets the same date and authcode; status, cancel and status again', async () => {
    const pay = ['payment', '--number', '100234', '--amount', '1500.00', '--receipt', '105512', '--date', '2024-08-03T15:53:00'];
    const first = await simulate([...pay, '--type', '1', '--commission', '50.00']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^> GET .*\/_kassa24_\/payment\?action=payment&number=100234&amount=1500\.00&receipt=105512&date=2024-08-03T15:53:00&type=1&commission=50\.00 /m,
    );
    const authcode = /^authcode: (\d+)$/m.exec(first.stdout)?.[1];
    const date = /^date: (\S+)$/m.exec(first.stdout)?.[1];
    expect(authcode).toBeDefined();
    expect(date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const hook = await waitFor(() => backend.received.find((r) => r.url === '/payments'), 'the payment webhook');
    expect(JSON.parse(hook!.body)).toMatchObject({ id: authcode, account: '100234', code: '105512', sum: 1500 });

    const repeat = await simulate(pay.slice(0, -2));
    expect(repeat.code).toBe(0);
    expect(repeat.stdout).toContain(`date: ${date}\nauthcode: ${authcode}\n`);

    // The pay the bench and the contract suite send is the same action.
    const clash = await simulate(['pay', '--number', '100299', '--sum', '1500.00', '--txn-id', '105512']);
    expect(clash.code).toBe(1);
    expect(clash.stdout).toMatch(/^code 4: wrong receipt/m);

    const live = await simulate(['status', '--receipt', '105512']);
    expect(live.code).toBe(0);
    expect(live.stdout).toContain(`date: ${date}\nauthcode: ${authcode}\n`);

    const cancel = await simulate(['cancel', '--receipt', '105512', '--mes', '2']);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/^> GET .*\?action=cancel&receipt=105512&mes=2 /m);
    expect(cancel.stdout).toContain('message: Cancelled\nauthcode:');
    await waitFor(() => backend.received.find((r) => r.url === '/events'), 'the cancel event');

    const cancelled = await simulate(['status', '--txn-id', '105512']);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stdout).toMatch(/^code 7: payment cancelled$/m);
    expect(cancelled.stdout).toContain(`date: ${date}\nauthcode: ${authcode}\n`);
  });

  it('without the credentials the gateway says 401 with code 10, and the simulator shows it', async () => {
    const { code, stdout } = await simulate(['check', '--number', '1'], { PROVIDERS: 'kassa24' });
    expect(code).toBe(1);
    expect(stdout).toContain('< HTTP 401');
    expect(stdout).toMatch(/^code 10: other error/m);
    expect(stdout).toMatch(/^message: Unauthorized$/m);
  });

  it('says what a request lacks, in the network’s words too, and sends nothing', async () => {
    const { code, stdout, output } = await simulate(['status']);
    expect(code).toBe(2);
    expect(stdout).not.toContain('> GET');
    expect(output).toMatch(/--txn-id or --receipt is required/);
  });
});
