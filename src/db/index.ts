import pg from 'pg';
import type { DatabaseConfig } from '../config/database.js';
import { openEmbedded } from './embedded/index.js';
import { collectMigrations, type MigratedInstance, migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import type { Db } from './port.js';
import { openPostgres } from './postgres.js';

export type { Db, Queryable, Row } from './port.js';

export async function openDb(config: DatabaseConfig, onError?: (error: Error) => void): Promise<Db> {
  if (config.kind === 'pglite') return openPglite(config.dataDir, config.schema);
  if (config.kind === 'embedded') return openEmbedded({ ...config, onError });
  const { connection, schema, poolSize, prepared } = config;
  return openPostgres({ connection, schema, poolSize, prepared, onError });
}

/**
 * Makes the database ready: creates it if missing (PG_DATABASE), then applies the migrations,
 * both through the admin host (PG_REAL_HOST) when a pooler stands in front of the server.
 */
export async function prepareDatabase(config: DatabaseConfig, providers: MigratedInstance[], existing?: Db): Promise<string[]> {
  const migrations = collectMigrations(providers);
  if (config.kind !== 'postgres') {
    const db = existing ?? (await openDb(config));
    try {
      return await migrate(db, migrations);
    } finally {
      if (!existing) await db.close();
    }
  }
  await createDatabaseIfMissing(config.admin);
  const admin = openPostgres({ connection: config.admin, schema: config.schema, poolSize: 1 });
  try {
    return await migrate(admin, migrations);
  } finally {
    await admin.close();
  }
}

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

async function createDatabaseIfMissing(connection: pg.ClientConfig): Promise<void> {
  const name = connection.database ?? 'postgres';
  const client = new pg.Client({ ...connection, database: 'postgres', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((error: { code?: string }) => {
      // Another instance created it a moment ago: that is what we wanted.
      if (error.code !== DUPLICATE_DATABASE && error.code !== UNIQUE_VIOLATION) throw error;
    });
  } finally {
    await client.end();
  }
}
