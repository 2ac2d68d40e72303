/**
 * A fresh, migrated database for one bench scenario, on the engine the environment selects
 * (the same choice as the test suite's: PGlite in a temporary DATA_DIR, or a schema of its own
 * on the server when DATABASE_URL or PG_HOST is set, dropped afterwards).
 */
import type { Env } from '../../src/config/env.js';
import type { Db } from '../../src/db/index.js';
import { insertBacklog as insertRows, openDatabase } from '../../test/helpers/backlog.js';
import { engineName, freshDatabaseOnDisk, onServer } from '../../test/helpers/engine.js';
import { spawnGateway } from '../../test/helpers/process.js';

export { engineName, onServer };

export interface BenchDatabase {
  /** Variables that point payrelay at this database. */
  env: Env;
  /** Opens it through payrelay's own Db port. PGlite admits one process: not while a gateway runs. */
  open(): Promise<Db>;
  drop(): Promise<void>;
}

/** A new, migrated database (`node dist/main.js migrate`, as an operator would run it). */
export async function freshDatabase(): Promise<BenchDatabase> {
  const { env, drop } = freshDatabaseOnDisk();
  const database = { env, drop, open: () => openDatabase(env) };
  const migrate = spawnGateway(env, { args: ['migrate'] });
  if ((await migrate.exited) !== 0) {
    await drop();
    throw new Error(`migrate failed:\n${migrate.output()}`);
  }
  return database;
}

export function insertBacklog(database: BenchDatabase, count: number): Promise<void> {
  return insertRows(database.env, count);
}

/** Payments still waiting for delivery (status 0), and all of them. */
export async function paymentCounts(db: Db): Promise<{ pending: number; total: number }> {
  const [row] = await db.query<{ pending: string; total: string }>(
    `SELECT count(*) FILTER (WHERE status = 0) AS pending, count(*) AS total FROM ${db.table('qiwi_transaction')}`,
  );
  return { pending: Number(row!.pending), total: Number(row!.total) };
}
