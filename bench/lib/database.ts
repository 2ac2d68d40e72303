/**
 * A fresh database for one bench scenario, on the engine the environment selects: the
 * embedded PGlite in a temporary DATA_DIR by default, the PostgreSQL server when DATABASE_URL or
 * PG_HOST is set (then in a schema of its own, dropped afterwards, so runs never meet).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader, type Env } from '../../src/config/env.js';
import { openDb, type Db } from '../../src/db/index.js';
import { spawnGateway } from '../../test/helpers/process.js';

const SERVER_VARIABLES = ['DATABASE_URL', 'PG_HOST', 'PG_PORT', 'PG_DATABASE', 'PG_USER', 'PG_PASSWORD', 'PG_REAL_HOST'];

export const onServer = Boolean(process.env.DATABASE_URL || process.env.PG_HOST);
export const engineName = onServer ? 'postgres' : 'pglite';

export interface BenchDatabase {
  /** Variables that point payrelay at this database. */
  env: Env;
  /** Opens it through payrelay's own Db port. PGlite admits one process: not while a gateway runs. */
  open(): Promise<Db>;
  drop(): Promise<void>;
}

/** A new, migrated database (`node dist/main.js migrate`, as an operator would run it). */
export async function freshDatabase(): Promise<BenchDatabase> {
  const database = onServer ? serverSchema() : await pgliteDir();
  const migrate = spawnGateway(database.env, { args: ['migrate'] });
  if ((await migrate.exited) !== 0) {
    await database.drop();
    throw new Error(`migrate failed:\n${migrate.output()}`);
  }
  return database;
}

function serverSchema(): BenchDatabase {
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const env: Env = { PG_SCHEMA: schema };
  for (const name of SERVER_VARIABLES) if (process.env[name]) env[name] = process.env[name];
  const config = readDatabaseConfig(new EnvReader(env));
  return {
    env,
    open: () => openDb(config),
    async drop() {
      if (config.kind !== 'postgres') return;
      const client = new pg.Client(config.admin);
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

async function pgliteDir(): Promise<BenchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'payrelay-bench-'));
  const env: Env = { DATA_DIR: dir };
  return {
    env,
    open: () => openDb(readDatabaseConfig(new EnvReader(env))),
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `count` received, undelivered QIWI payments, as a stream of pays would have left them. */
export async function insertBacklog(database: BenchDatabase, count: number): Promise<void> {
  const db = await database.open();
  try {
    await db.query(
      `INSERT INTO ${db.table('qiwi_transaction')} (account, code, sum)
       SELECT 'acc-' || n, 'code-' || n, 10.45 FROM generate_series(1, $1::int) AS n`,
      [count],
    );
  } finally {
    await db.close();
  }
}

/** Payments still waiting for delivery (status 0), and all of them. */
export async function paymentCounts(db: Db): Promise<{ pending: number; total: number }> {
  const [row] = await db.query<{ pending: string; total: string }>(
    `SELECT count(*) FILTER (WHERE status = 0) AS pending, count(*) AS total FROM ${db.table('qiwi_transaction')}`,
  );
  return { pending: Number(row!.pending), total: Number(row!.total) };
}
