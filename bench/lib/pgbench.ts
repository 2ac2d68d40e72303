/**
 * The database's own ceiling for one pay: `pgbench` replaying a QIWI pay's SQL (its request-log
 * row and its transaction row, one commit) at the bench's concurrency, in a schema of its own
 * in a database of its own (`<database>_pgbench`), migrated by payrelay itself. Two forms:
 *   statement    the two inserts as one statement (data-modifying CTEs), the form payrelay uses
 *   transaction  BEGIN; INSERT; INSERT; COMMIT, the form the issue first measured
 * both prepared (-M prepared), the fastest pgbench offers. Debian's pgbench is installed with
 * apt when missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader } from '../../src/config/env.js';

export interface PgbenchResult {
  form: 'statement' | 'transaction';
  tps: number;
  latencyMs: number;
}

const LOG_VALUES = `'127.0.0.1', '/payment?command=pay&txn_id=' || :n || '&txn_date=20260101120000&account=4957835959&sum=10.45', 'GET', '{"host":"127.0.0.1:40000","connection":"keep-alive"}'::json, NULL`;
const TRANSACTION_VALUES = `'4957835959', :client_id || '-' || :n, 10.45, '20260101120000'`;

function script(schema: string, form: PgbenchResult['form']): string {
  const log = `INSERT INTO "${schema}"."qiwi_http_log" (ip, url, method, headers, body) VALUES (${LOG_VALUES})`;
  const transaction = `INSERT INTO "${schema}"."qiwi_transaction" (account, code, sum, txn_date) VALUES (${TRANSACTION_VALUES}) ON CONFLICT (code) DO NOTHING RETURNING id, code`;
  const lines = ['\\set n random(1, 9000000000000000)'];
  if (form === 'statement') lines.push(`WITH logged AS (${log}), inserted AS (${transaction}) SELECT id, code FROM inserted;`);
  else lines.push('BEGIN;', `${log};`, `${transaction};`, 'COMMIT;');
  return `${lines.join('\n')}\n`;
}

export function ensurePgbench(): void {
  if (spawnSync('pgbench', ['--version']).status === 0) return;
  console.error('pgbench missing: installing Debian postgresql-client with apt');
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-q', 'postgresql-client'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** The server variables of `env`, pointed at the database `<name>_pgbench`. */
export function pgbenchEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const url = env.DATABASE_URL;
  if (url) {
    const parsed = new URL(url);
    parsed.pathname = `${parsed.pathname.slice(1) || 'postgres'}_pgbench`;
    return { ...env, DATABASE_URL: parsed.href };
  }
  return { ...env, PG_DATABASE: `${env.PG_DATABASE ?? 'postgres'}_pgbench` };
}

/** Runs pgbench for `seconds` with `clients` connections against `schema` (already migrated). */
export function runPgbench(
  env: Record<string, string | undefined>,
  form: PgbenchResult['form'],
  clients: number,
  seconds: number,
): PgbenchResult {
  const config = readDatabaseConfig(new EnvReader(env));
  if (config.kind !== 'postgres') throw new Error('pgbench needs a PostgreSQL server');
  const { host, port, database, user, password } = config.connection;
  const dir = mkdtempSync(join(tmpdir(), 'payrelay-pgbench-'));
  try {
    const file = join(dir, 'pay.sql');
    writeFileSync(file, script(config.schema, form));
    const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', file];
    args.push('-h', String(host), '-p', String(port ?? 5432), '-U', user ?? 'postgres', String(database));
    const output = execFileSync('pgbench', args, {
      encoding: 'utf8',
      env: { ...process.env, ...(password ? { PGPASSWORD: String(password) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1];
    if (!tps || !latency) throw new Error(`cannot read pgbench's output:\n${output}`);
    return { form, tps: Math.round(Number(tps)), latencyMs: Number(latency) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows pgbench left: a check that it wrote what a pay writes. */
export async function countRows(env: Record<string, string | undefined>): Promise<{ logs: number; transactions: number }> {
  const config = readDatabaseConfig(new EnvReader(env));
  if (config.kind !== 'postgres') throw new Error('not a server');
  const client = new pg.Client(config.connection);
  await client.connect();
  try {
    const count = async (table: string) =>
      Number((await client.query(`SELECT count(*) AS n FROM "${config.schema}"."${table}"`)).rows[0].n);
    return { logs: await count('qiwi_http_log'), transactions: await count('qiwi_transaction') };
  } finally {
    await client.end();
  }
}
