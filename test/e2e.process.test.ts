/**
 * The real process, started as the README says (`npm start`, which builds it, in a copy of the
 * project so that the build does not rewrite the dist/ other test files run), spoken to over HTTP as a terminal
 * network would, delivering to a merchant backend on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseOnDisk, type TestDatabase } from './helpers/engine.js';
import { type GatewayProcess, projectCopy, startGatewayProcess } from './helpers/process.js';
import { startReceiver, waitFor, type Receiver } from './helpers/receiver.js';

let database: TestDatabase;
let backend: Receiver;
let gateway: GatewayProcess;
const copy = projectCopy();
const auth = `Basic ${Buffer.from('terminal:secret').toString('base64')}`;

beforeAll(async () => {
  database = freshDatabaseOnDisk();
  backend = await startReceiver((request) =>
    request.url.startsWith('/check') ? { status: request.url.includes('account=404') ? 404 : 200 } : { status: 200 },
  );
  gateway = await startGatewayProcess(
    {
      ...database.env,
      HTTP_AUTH_USERNAME: 'terminal',
      HTTP_AUTH_PASSWORD: 'secret',
      QIWI_CHECK_URL: `${backend.url}/check`,
      QIWI_WEBHOOK_URL: `${backend.url}/webhook`,
    },
    { npmStart: true, cwd: copy.dir },
  );
}, 120_000);

afterAll(async () => {
  await gateway?.kill();
  await backend?.close();
  await database?.drop();
  copy.remove();
});

const call = (path: string) => fetch(`${gateway.url}${path}`, { headers: { authorization: auth } });

describe('npm start', () => {
  it('prints a readable summary with the endpoints and the database', () => {
    expect(gateway.output()).toContain('QIWI terminals: /payment, /_qiwi_/payment');
    expect(gateway.output()).toMatch(/database: (embedded PostgreSQL \(PGlite\)|PostgreSQL )/);
    expect(gateway.output()).not.toContain('secret');
  });

  it('answers health checks', async () => {
    const response = await fetch(`${gateway.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('checks, takes a payment and delivers it', async () => {
    const missing = await call('/payment?command=check&txn_id=1&account=404&sum=1.00');
    expect(await missing.text()).toContain('<result>5</result>');
    const found = await call('/payment?command=check&txn_id=2&account=777&sum=10.45');
    expect(await found.text()).toContain('<result>0</result>');

    const paid = await call('/payment?command=pay&txn_id=2&txn_date=20261123120000&account=777&sum=10.45');
    expect(paid.status).toBe(200);
    const answer = await paid.text();
    const prvTxn = /<prv_txn>(\d+)<\/prv_txn>/.exec(answer)?.[1];
    expect(prvTxn).toBeDefined();

    const webhook = await waitFor(() => backend.received.find((r) => r.url === '/webhook'), 'the webhook');
    expect(JSON.parse(webhook!.body)).toMatchObject({ id: prvTxn, account: '777', code: '2', sum: 10.45 });
  });

  it('refuses requests without the credentials', async () => {
    const response = await fetch(`${gateway.url}/payment?command=pay&txn_id=3&account=1&sum=1`);
    expect(response.status).toBe(401);
  });

  it('stops when its supervisor sends SIGTERM', async () => {
    await gateway.kill('SIGTERM');
    expect(gateway.output()).toContain('"msg":"stopped"');
  });
});
