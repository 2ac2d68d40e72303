/**
 * `payrelay receive`, the stand-in backend of the quick start: the real gateway checks accounts
 * with it and delivers to it, and what it prints and answers is what a backend must do. Webhooks
 * of our own are signed by an independent Standard Webhooks library.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseOnDisk, type TestDatabase } from './helpers/engine.js';
import { type GatewayProcess, spawnGateway, startGatewayProcess } from './helpers/process.js';
import { waitFor } from './helpers/receiver.js';

const SECRET = `whsec_${Buffer.from('a key of the backend and payrelay').toString('base64')}`;

let database: TestDatabase;
let receiver: ReturnType<typeof spawnGateway> & { url: string };
let gateway: GatewayProcess;

async function startReceive(args: string[], env: Record<string, string>) {
  const run = spawnGateway({ DATA_DIR: 'memory://', ...env }, { args: ['receive', '--port', '0', ...args] });
  const url = await waitFor(() => /listens on (http:\/\/[\d.:]+)\//.exec(run.output())?.[1], `payrelay receive: ${run.output()}`);
  return { ...run, url: url! };
}

beforeAll(async () => {
  database = freshDatabaseOnDisk();
  receiver = await startReceive(['--missing', 'nobody,ghost'], { WEBHOOK_SECRET: SECRET });
  gateway = await startGatewayProcess({
    ...database.env,
    WEBHOOK_SECRET: SECRET,
    QIWI_CHECK_URL: `${receiver.url}/check`,
    QIWI_WEBHOOK_URL: `${receiver.url}/payments`,
  });
});

afterAll(async () => {
  await gateway?.kill();
  await receiver?.kill();
  await database?.drop();
});

/** A QIWI-protocol request to the gateway: its result and prv_txn. */
async function qiwi(command: 'check' | 'pay', txnId: string, account: string, sum = '500.00') {
  const query = `command=${command}&txn_id=${txnId}&txn_date=20261207120000&account=${account}&sum=${sum}`;
  const body = await (await fetch(`${gateway.url}/payment?${query}`)).text();
  return { result: Number(/<result>(\d+)<\/result>/.exec(body)?.[1]), prvTxn: /<prv_txn>(\d+)<\/prv_txn>/.exec(body)?.[1] };
}

/** A webhook as payrelay sends one, signed by the standardwebhooks library. */
function signedWebhook(id: string, body: string, secret = SECRET, at = new Date()) {
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(+at / 1000)),
      'webhook-signature': signature,
    },
    body,
  };
}

describe('payrelay receive', () => {
  it('says where it listens and that it checks signatures', () => {
    expect(receiver.output()).toMatch(
      /^payrelay receive: your stand-in backend listens on http:\/\/127\.0\.0\.1:\d+\/ \(signatures: checked\)$/m,
    );
  });

  it('answers the gateway’s account check: an account exists unless --missing names it', async () => {
    expect((await qiwi('check', '7100000001', 'ghost')).result).toBe(5);
    expect((await fetch(`${receiver.url}/check?account=123456`)).status).toBe(200);
    expect((await fetch(`${receiver.url}/check?account=nobody`)).status).toBe(404);
    expect(receiver.output()).toContain('check /check: account "ghost" missing: 404');
  });

  it('prints the gateway’s webhook with its signature checked, once, and a repeated pay sends none', async () => {
    const first = await qiwi('pay', '7100000002', '123456');
    expect(first.result).toBe(0);
    const id = `qiwi_${first.prvTxn}`;
    await waitFor(() => receiver.output().includes(`webhook ${id} to /payments (signature valid), credited: 200`), 'the webhook');
    expect(receiver.output()).toContain(`"account": "123456", "code": "7100000002", "sum": 500.0`);
    expect((await qiwi('pay', '7100000002', '123456')).prvTxn).toBe(first.prvTxn);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.output().split(`webhook ${id} `).length - 1, 'one webhook for the pay and its repeat').toBe(1);
  });

  it('takes a repeat of a webhook-id with 200 and does not credit it again', async () => {
    const body = '{"id":"900","account":"1","code":"c-900","sum":1.0,"created_at":"2026-12-07 10:00:00"}';
    for (let n = 0; n < 2; n++) expect((await fetch(`${receiver.url}/hook`, signedWebhook('qiwi_900', body))).status).toBe(200);
    expect(receiver.output()).toContain('webhook qiwi_900 to /hook (signature valid), credited: 200');
    expect(receiver.output()).toContain(
      'webhook qiwi_900 to /hook (signature valid), a repeat: already credited, not again: 200',
    );
  });

  it('refuses with 401 a webhook signed with another secret, unsigned, or too old', async () => {
    const body = '{"id":"901"}';
    const other = `whsec_${Buffer.from('someone else').toString('base64')}`;
    const wrong = await fetch(`${receiver.url}/hook`, signedWebhook('qiwi_901', body, other));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'its signature matches no WEBHOOK_SECRET' });
    const unsigned = await fetch(`${receiver.url}/hook`, { method: 'POST', body });
    expect(unsigned.status).toBe(401);
    const old = await fetch(`${receiver.url}/hook`, signedWebhook('qiwi_902', body, SECRET, new Date(Date.now() - 6 * 60_000)));
    expect(old.status).toBe(401);
    expect(receiver.output()).toContain(
      'webhook qiwi_902 refused, its timestamp is more than 5 minutes away: 401 (payrelay will retry)',
    );
    const tampered = signedWebhook('qiwi_903', body);
    expect((await fetch(`${receiver.url}/hook`, { ...tampered, body: '{"id":"903"}' })).status).toBe(401);
  });

  it('without a secret takes every webhook and says it checks none', async () => {
    const open = await startReceive([], {});
    expect(open.output()).toContain('(signatures: not checked, no WEBHOOK_SECRET)');
    expect((await fetch(`${open.url}/hook`, { method: 'POST', body: '{}' })).status).toBe(200);
    expect(await open.kill('SIGINT')).toBe(0);
  });

  it('refuses a port that is not one, in its usage', async () => {
    const run = spawnGateway({ DATA_DIR: 'memory://' }, { args: ['receive', '--port', 'eighty'] });
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/payrelay receive: --port: "eighty" is not a port/);
  });
});
