/**
 * The previous release's database (test/fixtures/previous-release.sql, made by payrelay at
 * 17c48cc; test/fixtures/previous-release.md says how and what it holds) loaded into a database
 * of its own on a PostgreSQL server, whatever engine the run is on: the run's server when it is
 * on one (DATABASE_URL, PG_HOST), else the local one on 127.0.0.1:5432 (user postgres, trust).
 * The dump was made in a database of its own with the default schema `public`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader } from '../../src/config/env.js';
import { closeWithTest } from './cleanup.js';
import { onServer, serverVariables } from './engine.js';

const FIXTURE = new URL('../fixtures/previous-release.sql', import.meta.url);

/** The variables the fixture's author started that release with (previous-release.md), but the database and the receiver. */
export const PREVIOUS_RELEASE_CREDENTIALS = {
  HTTP_AUTH_USERNAME: 'relay',
  HTTP_AUTH_PASSWORD: 's3cret-relay-pass-9',
  CLOUDPAYMENTS_API_SECRET: 'cp-fixture-secret-7f3a9',
} as const;

export interface PreviousReleaseDatabase {
  /** A DATABASE_URL for it, as the fixture's author gave one. */
  url: string;
  /** A query on a connection of the test's own (search_path public, as payrelay's is). */
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Closes the connection and drops the database; done by itself when the test that made it ends. */
  drop(): Promise<void>;
}

/** The server to make it on: the run's own when it is on one, else the local PostgreSQL server. */
function serverConnection(): pg.ClientConfig {
  if (onServer) {
    const config = readDatabaseConfig(new EnvReader(serverVariables()));
    if (config.kind === 'postgres') return config.admin;
  }
  return { host: '127.0.0.1', port: 5432, user: 'postgres' };
}

async function onMaintenanceDatabase(connection: pg.ClientConfig, sql: string): Promise<void> {
  const client = new pg.Client({ ...connection, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function databaseUrl({ host, port, user, password }: pg.ClientConfig, database: string): string {
  const credentials = user
    ? `${encodeURIComponent(user)}${typeof password === 'string' ? `:${encodeURIComponent(password)}` : ''}@`
    : '';
  return `postgres://${credentials}${host}:${port ?? 5432}/${database}`;
}

/** A fresh database holding the fixture, loaded on a connection of its own (the dump empties that session's search_path). */
export async function previousReleaseDatabase(): Promise<PreviousReleaseDatabase> {
  const connection = serverConnection();
  const name = `payrelay_upgrade_${randomBytes(5).toString('hex')}`;
  await onMaintenanceDatabase(connection, `CREATE DATABASE "${name}"`);
  let client: pg.Client | undefined;
  const drop = closeWithTest(async () => {
    await client?.end().catch(() => undefined);
    await onMaintenanceDatabase(connection, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  try {
    const loader = new pg.Client({ ...connection, database: name });
    await loader.connect();
    try {
      await loader.query(readFileSync(FIXTURE, 'utf8'));
    } finally {
      await loader.end();
    }
    client = new pg.Client({ ...connection, database: name });
    await client.connect();
  } catch (error) {
    await drop();
    throw error;
  }
  const open = client;
  return {
    url: databaseUrl(connection, name),
    query: async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await open.query<T>(sql, params)).rows,
    drop,
  };
}
