/**
 * Which database the suite runs on. With DATABASE_URL or PG_HOST: that PostgreSQL server.
 * Without: the embedded engine `npm start` uses, the PostgreSQL server payrelay starts in a
 * DATA_DIR; or, with TEST_ENGINE=pglite, PGlite in a folder.
 *
 * The run's setup (test/setup/database.ts) prepares one server and a migrated template
 * database on it; freshDatabase() clones that template for each test gateway. On PGlite the
 * template is a migrated data folder, copied: a copy opens in a second where initdb takes five.
 * A process of its own gets a DATA_DIR of its own (freshDatabaseOnDisk), seeded from one initdb
 * for the run.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader, type Env } from '../../src/config/env.js';
import { openDb, prepareDatabase } from '../../src/db/index.js';
import { startEmbeddedServer } from '../../src/db/embedded/server.js';
import { migratedProviders } from '../../src/providers/index.js';

const providers = migratedProviders(new EnvReader({}));
import { closeWithTest } from './cleanup.js';

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
  /** Removes it, so that nothing is left behind; done by itself when the test that made it ends. */
  drop(): Promise<void>;
}

/** Where the run's setup left its server and template, for the test processes. */
const SERVER_VARIABLE = 'PAYRELAY_TEST_SERVER';
const CLUSTER_VARIABLE = 'PAYRELAY_TEST_CLUSTER_TEMPLATE';
const PGLITE_VARIABLE = 'PAYRELAY_TEST_PGLITE_TEMPLATE';
const PGLITE_EMPTY_VARIABLE = 'PAYRELAY_TEST_PGLITE_EMPTY';

interface TestServer {
  connection: pg.ClientConfig;
  template: string;
}

/** The groups whose setup provides a database (vitest.config.ts). */
const GROUPS_WITH_A_DATABASE = ['db', 'process', 'browser'];

/** A fresh database for one test gateway: the run's template cloned (on PGlite, its folder copied). */
export async function freshDatabase(): Promise<TestDatabase> {
  const group = process.env.PAYRELAY_TEST_GROUP;
  if (group && !GROUPS_WITH_A_DATABASE.includes(group)) {
    throw new Error(`a test of the ${group} group asked for a database: name its file *.db.test.ts`);
  }
  if (engineName === 'pglite') return pgliteCopy(PGLITE_VARIABLE);
  const server = process.env[SERVER_VARIABLE];
  if (!server) throw new Error('no test database server: this runs under vitest, whose setup starts it');
  const { connection, template } = JSON.parse(server) as TestServer;
  const name = `${template.replace(/_template$/, '')}_${randomBytes(5).toString('hex')}`;
  await onServerDatabase(connection, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  const drop = closeWithTest(() => onServerDatabase(connection, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  return { env: databaseVariables(connection, name), drop };
}

/** payrelay's variables for one database on the server. */
function databaseVariables({ host, port, user, password }: pg.ClientConfig, database: string): Env {
  const env: Env = { PG_HOST: String(host), PG_PORT: String(port), PG_DATABASE: database };
  if (user) env.PG_USER = user;
  if (typeof password === 'string') env.PG_PASSWORD = password;
  return env;
}

async function onServerDatabase(connection: pg.ClientConfig, sql: string): Promise<void> {
  const client = new pg.Client({ ...connection, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database for a process of its own, as an operator would give it: a DATA_DIR (the embedded
 * engines keep their data in a temporary folder, PGlite too) or a schema of its own on the
 * server. drop() removes it. Works outside vitest too (the benches).
 */
export function freshDatabaseOnDisk(): TestDatabase {
  if (onServer) return freshSchema();
  if (localEngine === 'pglite') return pgliteCopy(PGLITE_EMPTY_VARIABLE);
  const dataDir = mkdtempSync(join(tmpdir(), 'payrelay-'));
  const drop = closeWithTest(async () => rmSync(dataDir, { recursive: true, force: true }));
  seedCluster(dataDir);
  return { env: { DATA_DIR: dataDir }, drop };
}

/**
 * A PGlite folder of its own, seeded from one of the run's templates when there is one (PGlite's
 * initdb takes seconds where a copy opens in one); an empty folder outside vitest (the benches).
 */
function pgliteCopy(templateVariable: string): TestDatabase {
  const dataDir = mkdtempSync(join(tmpdir(), 'payrelay-pglite-'));
  const template = process.env[templateVariable];
  if (template) cpSync(template, dataDir, { recursive: true });
  const drop = closeWithTest(async () => rmSync(dataDir, { recursive: true, force: true }));
  return { env: { DATA_DIR: dataDir, EMBEDDED_ENGINE: 'pglite' }, drop };
}

function freshSchema(): TestDatabase {
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const env: Env = { PG_SCHEMA: schema, ...serverVariables() };
  const drop = closeWithTest(async () => {
    const config = readDatabaseConfig(new EnvReader(env));
    if (config.kind === 'postgres')
      await onServerDatabase({ ...config.admin, database: config.admin.database }, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
  return { env, drop };
}

/** A copy of a stopped cluster is a cluster: payrelay finds it and skips initdb. */
function seedCluster(dataDir: string): void {
  const template = process.env[CLUSTER_VARIABLE];
  const cluster = join(dataDir, 'postgres');
  if (template && existsSync(template) && !existsSync(cluster)) cpSync(template, cluster, { recursive: true });
}

/**
 * For the run's setup: the server and its migrated template database. On the embedded engine
 * one initdb (made, started and stopped by payrelay's own code) seeds every DATA_DIR of the run,
 * as initdb's flushed 40 MB each would make the suite several times slower, and a copy of it is
 * the run's server. Returns the teardown.
 */
export async function prepareTestServer(): Promise<() => Promise<void>> {
  if (engineName === 'pglite') return prepareTestPglite();
  const folders: string[] = [];
  let stopServer = async () => {};
  let connection: pg.ClientConfig;
  if (engineName === 'embedded') {
    const clusterTemplate = mkdtempSync(join(tmpdir(), 'payrelay-template-'));
    folders.push(clusterTemplate);
    await (await startEmbeddedServer(clusterTemplate)).stop();
    process.env[CLUSTER_VARIABLE] = join(clusterTemplate, 'postgres');
    const runFolder = mkdtempSync(join(tmpdir(), 'payrelay-run-'));
    folders.push(runFolder);
    seedCluster(runFolder);
    const server = await startEmbeddedServer(runFolder);
    stopServer = () => server.stop();
    connection = server.connection;
  } else {
    const config = readDatabaseConfig(new EnvReader(process.env as Env));
    if (config.kind !== 'postgres') throw new Error('no PostgreSQL server in DATABASE_URL or PG_HOST');
    connection = config.admin;
  }
  const template = `${connection.database ?? 'payrelay'}_${randomBytes(3).toString('hex')}_template`;
  await prepareDatabase(readDatabaseConfig(new EnvReader(databaseVariables(connection, template))), providers);
  process.env[SERVER_VARIABLE] = JSON.stringify({ connection, template } satisfies TestServer);
  return async () => {
    await onServerDatabase(connection, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`).catch(() => undefined);
    await stopServer();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  };
}

/** PGlite's two templates: a folder after initdb, for a process of its own, and a copy migrated. */
async function prepareTestPglite(): Promise<() => Promise<void>> {
  const empty = mkdtempSync(join(tmpdir(), 'payrelay-pglite-empty-'));
  await (await openDb(pgliteConfig(empty))).close();
  const migrated = mkdtempSync(join(tmpdir(), 'payrelay-pglite-migrated-'));
  cpSync(empty, migrated, { recursive: true });
  await prepareDatabase(pgliteConfig(migrated), providers);
  process.env[PGLITE_EMPTY_VARIABLE] = empty;
  process.env[PGLITE_VARIABLE] = migrated;
  return async () => {
    for (const folder of [empty, migrated]) rmSync(folder, { recursive: true, force: true });
  };
}

const pgliteConfig = (dataDir: string) => readDatabaseConfig(new EnvReader({ DATA_DIR: dataDir, EMBEDDED_ENGINE: 'pglite' }));
