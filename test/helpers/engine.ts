/**
 * Which database the suite runs on: PGlite (in memory) by default, the PostgreSQL server when
 * DATABASE_URL or PG_HOST is set. On a server every caller gets a schema of its own, so test
 * files and repeated runs never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader, type Env } from '../../src/config/env.js';

const SERVER_VARIABLES = ['DATABASE_URL', 'PG_HOST', 'PG_PORT', 'PG_DATABASE', 'PG_USER', 'PG_PASSWORD', 'PG_REAL_HOST'];

export const onServer = Boolean(process.env.DATABASE_URL || process.env.PG_HOST);
export const engineName = onServer ? 'postgres' : 'pglite';

export interface TestDatabase {
  /** Variables that point payrelay at this database. */
  env: Env;
  /** Drops the schema (server) so that nothing is left behind. */
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file or one spawned process. */
export function freshDatabase(dataDir?: string): TestDatabase {
  if (!onServer) {
    return { env: { DATA_DIR: dataDir ?? 'memory://' }, drop: async () => undefined };
  }
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const env: Env = { PG_SCHEMA: schema };
  for (const name of SERVER_VARIABLES) if (process.env[name]) env[name] = process.env[name];
  return {
    env,
    async drop() {
      const config = readDatabaseConfig(new EnvReader(env));
      if (config.kind !== 'postgres') return;
      const client = new pg.Client(config.admin);
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

/**
 * Like freshDatabase(), but PGlite keeps its data in a temporary folder rather than in memory:
 * for a restart, or for a second process. drop() removes the folder too.
 */
export function freshDatabaseOnDisk(): TestDatabase {
  const dataDir = mkdtempSync(join(tmpdir(), 'payrelay-'));
  const database = freshDatabase(dataDir);
  return {
    env: database.env,
    async drop() {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
