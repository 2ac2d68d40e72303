/** The process as an operator meets it: bad configuration, migrations, a graceful stop. */
import pg from 'pg';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { freshDatabaseOnDisk, onServer } from './helpers/engine.js';
import { spawnGateway, startGatewayProcess } from './helpers/process.js';
import { startReceiver } from './helpers/receiver.js';

describe('a bad configuration stops start-up with one line naming the variable', () => {
  it.each([
    ['DATABASE_URL', { DATABASE_URL: 'postgres//nohost' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://u:p@h/db' }],
    ['PG_PORT', { PG_HOST: '127.0.0.1', PG_PORT: 'five' }],
    ['PG_PASSWORD', { PG_HOST: '127.0.0.1', PG_PASSWORD: 'hunter2' }],
    ['PG_SCHEMA', { PG_SCHEMA: 'bad-name; drop' }],
    ['PORT', { PORT: '99999' }],
    ['MS_TIMEZONE', { MS_TIMEZONE: 'Mars/Olympus' }],
    ['QIWI_WEBHOOK_URL', { QIWI_WEBHOOK_URL: 'ftp://example.com/hook' }],
    ['QIWI_CHECK_URL', { QIWI_CHECK_URL: 'not a url' }],
    ['HTTP_AUTH_PASSWORD', { HTTP_AUTH_USERNAME: 'only-user' }],
    ['WEBHOOK_RETRY_MAX_MS', { WEBHOOK_RETRY_MIN_MS: '5000', WEBHOOK_RETRY_MAX_MS: '1000' }],
    ['DEBUG', { DEBUG: 'maybe' }],
    ['QIWI_ALLOWED_IPS', { QIWI_ALLOWED_IPS: '79.142.16.0/20, qiwi.com' }],
    ['WEBHOOK_SECRET', { WEBHOOK_SECRET: 'not-a-whsec' }],
    ['CLOUDPAYMENTS_REDIRECT_HOSTS', { CLOUDPAYMENTS_REDIRECT_HOSTS: 'shop.example.com, shop example.com/paid' }],
    ['CLOUDPAYMENTS_ENCODING', { CLOUDPAYMENTS_ENCODING: 'koi8-r' }],
    ['CLOUDPAYMENTS_CHECK_TIMEOUT_MS', { CLOUDPAYMENTS_CHECK_TIMEOUT_MS: '30000' }],
    ['PG_PREPARED_STATEMENTS', { PG_PREPARED_STATEMENTS: 'sometimes' }],
  ])('%s', async (variable, env) => {
    const run = spawnGateway({ DATA_DIR: 'memory://', ...env });
    expect(await run.exited).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^payrelay: configuration error: ${variable} `));
    expect(run.output()).not.toMatch(/\n\s+at /);
    expect(run.output()).not.toContain('hunter2');
  });
});

describe('migrate', () => {
  it('applies the migrations once, then finds nothing to do', async () => {
    const db = freshDatabaseOnDisk();
    const first = spawnGateway(db.env, { args: ['migrate'] });
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/^applied: /);
    expect(first.output()).toContain('qiwi/shared/001_tables.sql');
    const second = spawnGateway(db.env, { args: ['migrate'] });
    expect(await second.exited).toBe(0);
    expect(second.output().trim()).toBe('database is up to date');
  });

  it.runIf(onServer)('lets two instances start at the same moment on one empty database', async () => {
    const db = freshDatabaseOnDisk();
    const [a, b] = await Promise.all([startGatewayProcess(db.env), startGatewayProcess(db.env)]);
    for (const instance of [a, b]) expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
  });
});

describe('the PostgreSQL variables of the replaced containers', () => {
  it.runIf(onServer)('create PG_DATABASE and PG_SCHEMA when missing, migrating through PG_REAL_HOST', async () => {
    const name = `payrelay_new_${Date.now().toString(36)}`;
    const server = new URL(
      process.env.DATABASE_URL ??
        `postgres://${process.env.PG_USER ?? 'postgres'}@${process.env.PG_HOST}:${process.env.PG_PORT ?? 5432}/postgres`,
    );
    const env = {
      PG_HOST: 'localhost',
      PG_REAL_HOST: server.hostname,
      PG_PORT: server.port || '5432',
      PG_USER: decodeURIComponent(server.username),
      PG_PASSWORD: decodeURIComponent(server.password),
      PG_DATABASE: name,
      PG_SCHEMA: 'gateway',
    };
    const on = (database: string) => Object.assign(new URL(server.href), { pathname: `/${database}` }).href;
    // Registered before the gateway starts (and creates it): teardowns run last-registered first,
    // so the database is dropped once the gateway is stopped.
    onTestFinished(async () => {
      const admin = new pg.Client({ connectionString: on('postgres') });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await admin.end();
      }
    });
    const gateway = await startGatewayProcess(env);
    expect(gateway.output()).toContain(
      `database: PostgreSQL ${env.PG_USER}@localhost:${env.PG_PORT}/${name}, schema gateway (migrations via ${server.hostname})`,
    );
    const answer = await (await fetch(`${gateway.url}/payment?command=pay&txn_id=1&account=2&sum=3`)).text();
    expect(answer).toContain('<result>0</result>');
    const client = new pg.Client({ connectionString: on(name) });
    await client.connect();
    onTestFinished(() => client.end()); // before the drop: a session on the database would block it
    const { rows } = await client.query('SELECT code FROM gateway.qiwi_transaction');
    expect(rows).toEqual([{ code: '1' }]);
  });
});

describe('logs', () => {
  it('are JSON lines, with debug detail only under DEBUG=true', async () => {
    const backend = await startReceiver();
    const run = async (debug: string) => {
      const gateway = await startGatewayProcess({ ...freshDatabaseOnDisk().env, QIWI_CHECK_URL: backend.url, DEBUG: debug });
      await fetch(`${gateway.url}/payment?command=check&txn_id=1&account=2`);
      await gateway.kill();
      return gateway
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string });
    };
    const quiet = await run('false');
    expect(quiet.some((line) => line.msg === 'account check answered')).toBe(false);
    const chatty = await run('true');
    expect(chatty.find((line) => line.msg === 'account check answered')?.level).toBe(20);
  }, 90_000); // two processes, one after the other

  it('say each request once, when it is answered, soon while running and in full at a stop', async () => {
    const gateway = await startGatewayProcess(freshDatabaseOnDisk().env);
    const lines = () =>
      gateway
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = () => lines().filter((line) => line.msg === 'request completed');
    await fetch(`${gateway.url}/payment?command=check&txn_id=1&account=2`);
    // Written in batches, but not held back for long on an idle gateway.
    await vi.waitFor(() => expect(completed()).toHaveLength(1), { timeout: 2000, interval: 50 });
    expect(completed()[0]).toMatchObject({
      level: 30,
      method: 'GET',
      url: '/payment?command=check&txn_id=1&account=2',
      ip: '127.0.0.1',
      statusCode: 200,
    });
    expect(completed()[0]!.ms).toEqual(expect.any(Number));
    expect(lines().some((line) => line.msg === 'incoming request')).toBe(false);
    // The lines of the last requests before a stop are not lost with the process.
    await Promise.all([2, 3, 4].map((n) => fetch(`${gateway.url}/payment?command=check&txn_id=${n}&account=2`)));
    expect(await gateway.kill()).toBe(0);
    expect(completed().map((line) => line.url)).toHaveLength(4);
  });
});

describe('a database that is not there yet', () => {
  it('delays start-up with a warning instead of exiting', async () => {
    const run = spawnGateway({ PG_HOST: '127.0.0.1', PG_PORT: '6', PG_USER: 'payrelay' });
    // Still waiting for the database when the test ends: killed then, before the helper's SIGTERM.
    onTestFinished(async () => void (await run.kill('SIGKILL')));
    const warnings = () => run.output().match(/database unreachable, waiting for it/g)?.length ?? 0;
    await vi.waitFor(() => expect(warnings()).toBeGreaterThan(0), { timeout: 10_000 });
    expect(run.output()).toContain('"reason":"connect ECONNREFUSED 127.0.0.1:6"');
    // Waiting, not giving up: it tries again (a second later, its warning says) and has not exited.
    await vi.waitFor(() => expect(warnings()).toBeGreaterThan(1), { timeout: 10_000 });
    expect(run.child.exitCode).toBeNull();
  });
});

describe('SIGTERM', () => {
  it('finishes the request under way, then exits 0', async () => {
    const backend = await startReceiver(() => 'hang');
    backend.respondWith(() => 'hang');
    const gateway = await startGatewayProcess({
      ...freshDatabaseOnDisk().env,
      QIWI_CHECK_URL: backend.url,
      QIWI_CHECK_TIMEOUT_MS: '1500',
    });
    const answer = fetch(`${gateway.url}/payment?command=check&txn_id=1&account=2`).then((r) => r.text());
    await vi.waitFor(() => expect(backend.received).toHaveLength(1), { timeout: 10_000, interval: 10 });
    const exited = gateway.kill('SIGTERM');
    expect(await answer).toContain('<result>1</result>');
    expect(await exited).toBe(0);
    expect(gateway.output()).toContain('"msg":"stopped"');
  });
});
