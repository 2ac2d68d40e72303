/** `payrelay <command>` as an operator types it: help, refusals, migrate, prune, pruning while serving. */
import { describe, expect, it, vi } from 'vitest';
import type { Env } from '../src/config/env.js';
import { openDatabase } from './helpers/backlog.js';
import { freshDatabaseOnDisk } from './helpers/engine.js';
import { spawnGateway, startGatewayProcess } from './helpers/process.js';

/** Runs `payrelay <args>` to its end: exit code, stdout and stderr apart. */
async function payrelay(args: string[], env: Env = { DATA_DIR: 'memory://' }) {
  const run = spawnGateway(env, { args });
  let stdout = '';
  let stderr = '';
  run.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  run.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await run.exited;
  return { code, stdout, stderr };
}

const COMMANDS = ['serve', 'migrate', 'prune', 'simulate'];

describe('help', () => {
  it('lists every command with a line each', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const { code, stdout, stderr } = await payrelay(args);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^usage: payrelay \[command\] \[options\]/);
      for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
  });

  it.each(COMMANDS)('payrelay %s --help prints its usage and does nothing else', async (name) => {
    const { code, stdout } = await payrelay([name, '--help'], { DATA_DIR: '/nonexistent/never-created' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage:/);
    expect(stdout).toContain(name === 'serve' ? 'payrelay [serve]' : `payrelay ${name}`);
    expect((await payrelay(['help', name])).stdout).toBe(stdout);
  });
});

describe('refusals: exit code 2, one message, a pointer to --help, no stack trace', () => {
  it.each([
    [['bogus'], /^payrelay: unknown command "bogus"/],
    [['migrate', 'now'], /^payrelay migrate: unexpected argument "now"\nsee: payrelay migrate --help/],
    [['serve', '--port', '1'], /^payrelay serve: Unknown option '--port'/],
    [['prune'], /^payrelay prune: --older-than is required/],
    [['prune', '--older-than', '30'], /^payrelay prune: --older-than must be days, hours or minutes/],
    [['prune', '--older-than', '0d'], /^payrelay prune: --older-than must be/],
    [['prune', '--older-than'], /^payrelay prune: Option '--older-than <value>' argument missing/],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await payrelay(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a bad HTTP_LOG_RETENTION_DAYS stops serve with the variable named', async () => {
    const { code, stderr } = await payrelay([], { DATA_DIR: 'memory://', HTTP_LOG_RETENTION_DAYS: 'forever' });
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^payrelay: configuration error: HTTP_LOG_RETENTION_DAYS must be a whole number/);
  });
});

/** Request-log rows `days` old, for every provider. */
async function insertLogRows(env: Env, days: number[]): Promise<void> {
  const db = await openDatabase(env);
  try {
    for (const provider of ['qiwi', 'cloudpayments']) {
      for (const age of days) {
        await db.query(
          `INSERT INTO ${db.table(`${provider}_http_log`)} (ip, url, method, headers, body, created_at)
           VALUES ('127.0.0.1', '/x', 'GET', '{}', $1, now() - $2 * interval '1 day')`,
          [`${age} days old`, age],
        );
      }
    }
  } finally {
    await db.close();
  }
}

async function remainingLogRows(env: Env): Promise<string[]> {
  const db = await openDatabase(env);
  try {
    const rows = await db.query<{ provider: string; body: string }>(
      `SELECT 'qiwi' AS provider, body FROM ${db.table('qiwi_http_log')}
       UNION ALL SELECT 'cloudpayments', body FROM ${db.table('cloudpayments_http_log')} ORDER BY 1, 2`,
    );
    return rows.map((row) => `${row.provider}: ${row.body}`);
  } finally {
    await db.close();
  }
}

describe('prune', () => {
  it('deletes the request-log rows older than the age, of every provider, and says how many', async () => {
    const db = freshDatabaseOnDisk();
    const migrated = await payrelay(['migrate'], db.env);
    expect(migrated.code).toBe(0);
    for (const id of [
      'core/002_alert.sql',
      'qiwi/shared/002_pending_and_log_age.sql',
      'cloudpayments/shared/002_pending_and_log_age.sql',
    ]) {
      expect(migrated.stdout).toContain(id);
    }
    await insertLogRows(db.env, [40, 31, 29, 1]);

    const { code, stdout } = await payrelay(['prune', '--older-than', '30d'], db.env);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('deleted 4 request-log rows older than 30d (qiwi 2, cloudpayments 2)');
    expect(await remainingLogRows(db.env)).toEqual([
      'cloudpayments: 1 days old',
      'cloudpayments: 29 days old',
      'qiwi: 1 days old',
      'qiwi: 29 days old',
    ]);
    const again = await payrelay(['prune', '--older-than', '720h'], db.env);
    expect(again.stdout.trim()).toBe('deleted 0 request-log rows older than 720h (qiwi 0, cloudpayments 0)');
  }, 90_000); // several processes one after the other, each opening the database

  it('happens by itself while serving when HTTP_LOG_RETENTION_DAYS is set', async () => {
    const db = freshDatabaseOnDisk();
    expect((await payrelay(['migrate'], db.env)).code).toBe(0);
    await insertLogRows(db.env, [10, 3]);
    const gateway = await startGatewayProcess({ ...db.env, HTTP_LOG_RETENTION_DAYS: '7' });
    await vi.waitFor(() => expect(gateway.output()).toContain('request log pruned'), { timeout: 20_000, interval: 50 });
    expect(gateway.output()).toContain('request log: kept 7 days');
    expect(gateway.output()).toMatch(/"deleted":\{"qiwi":1,"cloudpayments":1\},"days":7,"msg":"request log pruned"/);
    expect(await gateway.kill()).toBe(0);
    expect(await remainingLogRows(db.env)).toEqual(['cloudpayments: 3 days old', 'qiwi: 3 days old']);
  }, 90_000); // a migrate, then a gateway that prunes as it starts
});

describe('serve through the dispatcher', () => {
  it('serve is the default and also answers by name; /readyz says ready', async () => {
    const db = freshDatabaseOnDisk();
    for (const args of [[], ['serve']]) {
      const run = spawnGateway({ ...db.env, HOST: '127.0.0.1', PORT: '0' }, { args });
      const url = await vi.waitFor(
        () => {
          const listening = /payrelay listening on (http:\/\/[\d.:]+)/.exec(run.output())?.[1];
          expect(listening, run.output()).toBeDefined();
          return listening!;
        },
        { timeout: 30_000, interval: 50 },
      );
      expect(run.output()).toContain('alerts: no channel');
      expect(run.output()).toContain('request log: kept 90 days (HTTP_LOG_RETENTION_DAYS)');
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      process.kill(-run.child.pid!, 'SIGTERM');
      expect(await run.exited).toBe(0);
    }
  }, 90_000); // two gateways one after the other
});
