/**
 * Which database the suite runs on. With DATABASE_URL or PG_HOST: the PostgreSQL server, where
 * every caller gets a schema of its own, so test files and repeated runs never see each other's
 * rows. Without: the embedded engine `npm start` uses, the PostgreSQL server payrelay starts in
 * a DATA_DIR (a temporary folder per database); or, with TEST_ENGINE=pglite, PGlite (in memory
 * unless a folder is asked for).
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader, type Env } from '../../src/config/env.js';
import { startEmbeddedServer } from '../../src/db/embedded/server.js';

const SERVER_VARIABLES = ['DATABASE_URL', 'PG_HOST', 'PG_PORT', 'PG_DATABASE', 'PG_USER', 'PG_PASSWORD', 'PG_REAL_HOST'];

/** The variables of this process that point at the PostgreSQL server, those that are set. */
export function serverVariables(): Env {
  const env: Env = {};
  for (const name of SERVER_VARIABLES) if (process.env[name]) env[name] = process.env[name];
  return env;
}

export const onServer = Boolean(process.env.DATABASE_URL || process.env.PG_HOST);
const localEngine = process.env.TEST_ENGINE?.trim().toLowerCase() === 'pglite' ? 'pglite' : 'embedded';
export const engineName = onServer ? 'postgres' : localEngine;

export interface TestDatabase {
  /** Variables that point payrelay at this database. */
  env: Env;
  /** Drops the schema (server) so that nothing is left behind. */
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file or one spawned process. */
export function freshDatabase(dataDir?: string): TestDatabase {
  if (!onServer && localEngine === 'pglite') {
    return { env: { DATA_DIR: dataDir ?? 'memory://', EMBEDDED_ENGINE: 'pglite' }, drop: async () => undefined };
  }
  if (!onServer) {
    const folder = dataDir ?? mkdtempSync(join(tmpdir(), 'payrelay-db-'));
    seedCluster(folder);
    // A folder the caller gave is the caller's to remove.
    return {
      env: { DATA_DIR: folder },
      drop: async () => (dataDir ? undefined : rmSync(folder, { recursive: true, force: true })),
    };
  }
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const env: Env = { PG_SCHEMA: schema, ...serverVariables() };
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
 * Like freshDatabase(), but the embedded engines always keep their data in a temporary folder
 * (PGlite: rather than in memory): for a restart, or for a second process. drop() removes it.
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

/** Where the run's template cluster is, for the test processes (set by the global setup). */
const TEMPLATE_VARIABLE = 'PAYRELAY_TEST_CLUSTER_TEMPLATE';

/**
 * For the global setup: one initdb for the whole run (made, started and stopped by payrelay's own
 * code), copied into each embedded test database, as initdb's flushed 40 MB per test database
 * would make the suite several times slower. The durability tests bypass it: they create their
 * clusters themselves. Returns the teardown.
 */
export async function prepareClusterTemplate(): Promise<() => void> {
  if (engineName !== 'embedded') return () => undefined;
  const folder = mkdtempSync(join(tmpdir(), 'payrelay-template-'));
  const server = await startEmbeddedServer(folder);
  await server.stop();
  process.env[TEMPLATE_VARIABLE] = join(folder, 'postgres');
  return () => rmSync(folder, { recursive: true, force: true });
}

/** A copy of a stopped cluster is a cluster: payrelay finds it and skips initdb. */
function seedCluster(dataDir: string): void {
  const template = process.env[TEMPLATE_VARIABLE];
  const cluster = join(dataDir, 'postgres');
  if (template && existsSync(template) && !existsSync(cluster)) cpSync(template, cluster, { recursive: true });
}
