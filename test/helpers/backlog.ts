import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader, type Env } from '../../src/config/env.js';
import { openDb, type Db } from '../../src/db/index.js';

/** Opens the database `env` points at through payrelay's own port (PGlite: not while a gateway holds it). */
export function openDatabase(env: Env): Promise<Db> {
  return openDb(readDatabaseConfig(new EnvReader(env)));
}

/** `count` received, undelivered QIWI payments, as a stream of pays would leave them. */
export async function insertBacklog(env: Env, count: number): Promise<void> {
  const db = await openDatabase(env);
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
