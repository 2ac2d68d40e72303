/**
 * The database's own ceiling for one pay: `pgbench` replaying the SQL of one pay of a kind
 * (QIWI or CloudPayments) at the bench's concurrency: the very request-log row and transaction
 * row the gateway wrote for one such pay (read back from its database), one commit per pay, in
 * a schema of its own in a database of its own (`<database>_pgbench`), migrated by payrelay
 * itself. Only the transaction's code changes from one pay to the next. Two forms:
 *   statement    the two inserts as one statement (data-modifying CTEs)
 *   transaction  BEGIN; INSERT; INSERT; COMMIT, the form the issue first measured
 * both prepared (-M prepared), the fastest pgbench offers. Debian's pgbench is installed with
 * apt when missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader } from '../../src/config/env.js';

export interface PgbenchResult {
  form: 'statement' | 'transaction';
  tps: number;
  latencyMs: number;
  /** At a fixed rate only: the 99th percentile from each transaction's scheduled start, as the open loop counts. */
  p99Ms?: number;
}

export interface PgbenchRun {
  form: PgbenchResult['form'];
  clients: number;
  seconds: number;
  /** Transactions per second on a schedule (pgbench -R) instead of as fast as it goes. */
  rate?: number;
  /** pgbench's threads (-j): one per core the clients have (bench/lib/cores.ts). */
  threads: number;
}

/** One pay's two rows: the columns the gateway set, as JSON values. */
export interface PayRows {
  provider: string;
  log: Record<string, unknown>;
  transaction: Record<string, unknown>;
}

/** Columns the database fills by itself (identity, defaults, delivery state): not replayed. */
const FILLED_BY_DATABASE = new Set([
  'id',
  'created_at',
  'status',
  'delivery_attempts',
  'next_attempt_at',
  'locked_until',
  'delivered_at',
  'last_error',
]);

/** The first pay's rows in the database of `env`, as the gateway wrote them. */
export async function readPayRows(env: Record<string, string | undefined>, provider: string): Promise<PayRows> {
  const config = readDatabaseConfig(new EnvReader(env));
  if (config.kind !== 'postgres') throw new Error('not a server');
  const client = new pg.Client(config.connection);
  await client.connect();
  try {
    const first = async (table: string) => {
      const sql = `SELECT row_to_json(t) AS r FROM "${config.schema}"."${provider}_${table}" t ORDER BY id LIMIT 1`;
      const row = (await client.query(sql)).rows[0]?.r as Record<string, unknown> | undefined;
      if (!row) throw new Error(`no ${provider}_${table} row to replay`);
      return Object.fromEntries(Object.entries(row).filter(([name, value]) => value !== null && !FILLED_BY_DATABASE.has(name)));
    };
    return { provider, log: await first('http_log'), transaction: await first('transaction') };
  } finally {
    await client.end();
  }
}

/** A value as an SQL literal of unknown type: the column's own type reads it, as with the gateway's rows. */
function literal(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text.replaceAll("'", "''")}'`;
}

function script(schema: string, rows: PayRows, form: PgbenchResult['form']): string {
  const insert = (table: string, row: Record<string, unknown>) =>
    `INSERT INTO "${schema}"."${rows.provider}_${table}" (${Object.keys(row).join(', ')}) VALUES (${Object.values(row).join(', ')})`;
  const logRow = Object.fromEntries(Object.entries(rows.log).map(([name, value]) => [name, literal(value)]));
  const transactionRow = Object.fromEntries(
    Object.entries(rows.transaction).map(([name, value]) => [name, name === 'code' ? `:client_id || '-' || :n` : literal(value)]),
  );
  const log = insert('http_log', logRow);
  const transaction = `${insert('transaction', transactionRow)} ON CONFLICT (code) DO NOTHING RETURNING id, code`;
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
  rows: PayRows,
  { form, clients, seconds, rate, threads }: PgbenchRun,
): PgbenchResult {
  const config = readDatabaseConfig(new EnvReader(env));
  if (config.kind !== 'postgres') throw new Error('pgbench needs a PostgreSQL server');
  const { host, port, database, user, password } = config.connection;
  const dir = mkdtempSync(join(tmpdir(), 'payrelay-pgbench-'));
  try {
    const file = join(dir, 'pay.sql');
    writeFileSync(file, script(config.schema, rows, form));
    const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', String(threads), '-T', String(seconds), '-f', file];
    if (rate) args.push('-R', String(rate), '-l', `--log-prefix=${join(dir, 'log')}`);
    args.push('-h', String(host), '-p', String(port ?? 5432), '-U', user ?? 'postgres', String(database));
    const output = execFileSync('pgbench', args, {
      encoding: 'utf8',
      env: { ...process.env, PGOPTIONS: env.PGOPTIONS ?? '', ...(password ? { PGPASSWORD: String(password) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1];
    if (!tps || !latency) throw new Error(`cannot read pgbench's output:\n${output}`);
    const result: PgbenchResult = { form, tps: Math.round(Number(tps)), latencyMs: Number(latency) };
    if (rate) result.p99Ms = scheduledP99(dir);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The 99th percentile of pgbench's per-transaction logs (`-l` with `-R`): each line's elapsed time
 * plus its schedule lag, so a transaction that waited for a busy client counts its wait.
 */
function scheduledP99(dir: string): number {
  const latencies: number[] = [];
  for (const name of readdirSync(dir).filter((file) => file.startsWith('log'))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      const fields = line.split(' ');
      if (fields.length >= 7) latencies.push(Number(fields[2]) + Number(fields[6]));
    }
  }
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN;
  return Math.round(p99 / 10) / 100;
}

/** Rows pgbench left: a check that it wrote what a pay writes. */
export async function countRows(
  env: Record<string, string | undefined>,
  provider: string,
): Promise<{ logs: number; transactions: number }> {
  const config = readDatabaseConfig(new EnvReader(env));
  if (config.kind !== 'postgres') throw new Error('not a server');
  const client = new pg.Client(config.connection);
  await client.connect();
  try {
    const count = async (table: string) =>
      Number((await client.query(`SELECT count(*) AS n FROM "${config.schema}"."${table}"`)).rows[0].n);
    return { logs: await count(`${provider}_http_log`), transactions: await count(`${provider}_transaction`) };
  } finally {
    await client.end();
  }
}
