/**
 * PG_PREPARED_STATEMENTS: a statement run with `prepare` is kept prepared on its connection
 * (parsed and planned once), and not at all when the setting is off (a pooler that cannot keep
 * them). PGlite has no such cache: it runs the statement as usual.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { engineName, freshDatabase } from '../../test/helpers/engine.js';
import { readDatabaseConfig } from '../config/database.js';
import { ConfigError, EnvReader } from '../config/env.js';
import { openDb } from './index.js';

async function preparedOnConnection(setting: string | undefined): Promise<{ answer: unknown; prepared: number }> {
  const database = await freshDatabase();
  const env = { ...database.env, PG_POOL_SIZE: '1', ...(setting === undefined ? {} : { PG_PREPARED_STATEMENTS: setting }) };
  const db = await openDb(readDatabaseConfig(new EnvReader(env)));
  onTestFinished(() => db.close());
  const [row] = await db.query<{ answer: number }>('SELECT $1::int + 1 AS answer', [41], { prepare: true });
  await db.query('SELECT $1::int + 1 AS answer', [1], { prepare: true });
  if (db.kind === 'pglite') return { answer: row?.answer, prepared: 0 };
  // One connection in the pool: this is the session that ran the statement above.
  const [count] = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = 'SELECT $1::int + 1 AS answer'`,
  );
  return { answer: row?.answer, prepared: Number(count?.n) };
}

describe('prepared statements', () => {
  it.skipIf(engineName === 'pglite')('kept prepared on the connection by default, once however often run', async () => {
    expect(await preparedOnConnection(undefined)).toEqual({ answer: 42, prepared: 1 });
  });

  it('not prepared with PG_PREPARED_STATEMENTS=false, and the answer is the same', async () => {
    expect(await preparedOnConnection('false')).toEqual({ answer: 42, prepared: 0 });
  });

  it('refuses a value that is not true or false, naming the variable', () => {
    expect(() =>
      readDatabaseConfig(new EnvReader({ DATABASE_URL: 'postgres://h/db', PG_PREPARED_STATEMENTS: 'sometimes' })),
    ).toThrow(ConfigError);
  });
});
