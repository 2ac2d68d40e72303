/**
 * `payrelay redeliver <provider> <id>` run as the CLI runs it (command.run) against a real
 * database: the payment goes back to pending, and a gateway on that database sends it again
 * with the same webhook-id.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { command } from '../src/cli/redeliver.js';
import { openDatabase } from './helpers/backlog.js';
import { freshDatabaseOnDisk, onServer, type TestDatabase } from './helpers/engine.js';
import { startTestGateway } from './helpers/gateway.js';
import { startReceiver, waitFor, type Receiver } from './helpers/receiver.js';

// Not the Standard Webhooks test vector's key: start-up refuses that published one.
const SECRET = 'whsec_Yx9W0NDMaXtZWvp9kwI0w0zfEOqKJCGn';

let database: TestDatabase;
let backend: Receiver;
let gatewayEnv: Record<string, string>;

/**
 * Runs the command with the environment pointing at the test's database; returns what it
 * printed. PORT 1 by default: no payrelay there (the command looks before opening PGlite).
 */
async function run(args: string[], env: Record<string, string | undefined> = { ...database.env, HOST: '127.0.0.1', PORT: '1' }) {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  try {
    const status = await command.run(args);
    return { status, out: out.join(''), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  }
}

async function paymentRow(code: string) {
  const db = await openDatabase(database.env);
  try {
    const [row] = await db.query<{ id: string; status: number; delivery_attempts: number }>(
      `SELECT id::text AS id, status, delivery_attempts FROM ${db.table('qiwi_transaction')} WHERE code = $1`,
      [code],
    );
    return row!;
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  database = freshDatabaseOnDisk();
  backend = await startReceiver();
  gatewayEnv = { QIWI_WEBHOOK_URL: `${backend.url}/qiwi`, WEBHOOK_SECRET: SECRET };
  // One gateway takes a payment and delivers it, then stops (the embedded database serves one process).
  const gateway = await startTestGateway(gatewayEnv, database);
  await gateway.app.inject('/payment?command=pay&txn_id=880001&account=4957835959&sum=310.20');
  await waitFor(() => backend.received.length === 1, 'the first delivery');
  await waitFor(
    async () => (await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('qiwi_transaction')} WHERE status = 1`)).length === 1,
    'status 1',
  );
  await gateway.close();
});
afterAll(async () => {
  await backend.close();
  await database.drop();
});
afterEach(() => vi.unstubAllEnvs());

describe('payrelay redeliver', () => {
  it('queues a delivered payment, and the next gateway sends it again with the same webhook-id', async () => {
    const { id } = await paymentRow('880001');
    const result = await run(['qiwi', id]);
    expect(result).toMatchObject({ status: 0, err: '' });
    expect(result.out).toContain(`qiwi ${id}: queued for redelivery; a running payrelay sends it within 1000 ms`);
    expect(result.out).toContain('note: QIWI_WEBHOOK_URL is not set here');
    expect(await paymentRow('880001')).toMatchObject({ status: 0, delivery_attempts: 1 });

    const gateway = await startTestGateway(gatewayEnv, database);
    await waitFor(() => backend.received.length === 2, 'the redelivery');
    const [first, second] = backend.received;
    expect(second!.headers['webhook-id']).toBe(`qiwi_${id}`);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    const attempts = await waitFor(async () => {
      const rows = await gateway.db.query<{ attempt: number }>(
        `SELECT attempt FROM ${gateway.db.table('qiwi_webhook_log')} ORDER BY id`,
      );
      return rows.length === 2 && rows;
    }, 'the second attempt row');
    expect(attempts).toEqual([{ attempt: 1 }, { attempt: 2 }]);
    await gateway.close(); // the embedded database serves one process: paymentRow opens it next
    expect(await paymentRow('880001')).toMatchObject({ status: 1, delivery_attempts: 2 });
  });

  it(`${onServer ? 'works beside a running gateway on the server' : 'refuses while a gateway holds the embedded database'}`, async () => {
    const gateway = await startTestGateway(gatewayEnv, database);
    const address = new URL(await gateway.app.listen({ host: '127.0.0.1', port: 0 }));
    const payment = () =>
      gateway.db.query<{ id: string; status: number; delivery_attempts: number }>(
        `SELECT id::text AS id, status, delivery_attempts FROM ${gateway.db.table('qiwi_transaction')}`,
      );
    const [row] = await payment();
    const sent = backend.received.length;
    const result = await run(['qiwi', row!.id], { ...database.env, HOST: '127.0.0.1', PORT: address.port });
    if (onServer) {
      expect(result).toMatchObject({ status: 0, err: '' });
      await waitFor(() => backend.received.length === sent + 1, 'the redelivery by the running gateway');
    } else {
      expect(result.status).toBe(1);
      // PGlite: the command sees the gateway answering; the embedded server: its DATA_DIR lock.
      expect(result.err).toMatch(
        new RegExp(`a payrelay on this embedded database answers at port ${address.port}|DATA_DIR is in use`),
      );
      // Queued all the same, the payment would be back at status 0 by now, or, sent meanwhile by
      // the running gateway, one attempt further: no wait needed to see that it is untouched.
      expect(await payment()).toEqual([row]);
      expect(backend.received.length).toBe(sent);
    }
  });

  it('prints its help with --help', async () => {
    const result = await run(['--help']);
    expect(result.status).toBe(0);
    expect(result.out).toBe(`${command.help}\n`);
    expect(result.out).toMatch(/^usage: payrelay redeliver <provider> <id>/);
    expect(result.out).toContain('one of: qiwi, cloudpayments');
    expect((await run(['qiwi', '1', '-h'])).status).toBe(0);
  });

  it('refuses bad arguments with status 2 and a missing payment with status 1', async () => {
    const cases: [string[], number, string][] = [
      [[], 2, 'usage: payrelay redeliver <provider> <id>'],
      [['qiwi'], 2, 'usage:'],
      [['qiwi', '1', '2'], 2, 'usage:'],
      [['paypal', '1'], 2, 'unknown provider "paypal" (one of: qiwi, cloudpayments)'],
      [['qiwi', 'abc'], 2, '"abc" is not a transaction id'],
      [['qiwi', '99999999999999999999'], 2, 'is not a transaction id'],
      [['qiwi', '424242'], 1, 'no qiwi transaction 424242'],
    ];
    for (const [args, status, message] of cases) {
      const result = await run(args);
      expect(result.status, args.join(' ')).toBe(status);
      expect(result.err).toContain(message);
      expect(result.out).toBe('');
    }
  });

  it('names a bad configuration variable', async () => {
    const result = await run(['qiwi', '1'], { ...database.env, PORT: '1', WEBHOOK_RETRY_MIN_MS: 'soon' });
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/^payrelay: configuration error: WEBHOOK_RETRY_MIN_MS/);
  });
});
