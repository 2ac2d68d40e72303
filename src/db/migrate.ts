import { readdirSync, readFileSync } from 'node:fs';
import type { Db } from './port.js';

export interface Migration {
  id: string;
  sql: string;
}

export interface MigrationSource {
  /** Prefix of the ids: the instance's name, or "core". */
  scope: string;
  dir: URL;
  /** Turns a file's text into the SQL to run (fills in the instance's name). */
  render?: (sql: string) => string;
}

const CORE_DIR = new URL('./migrations/', import.meta.url);
const PER_PROVIDER_DIR = new URL('./migrations/per-provider/', import.meta.url);

/** What migrations need of an instance: its name and its protocol's own migrations. */
export interface MigratedInstance {
  name: string;
  migrationsDir?: URL;
}

/**
 * The numbered migrations in the order they apply: the core ones, then per instance the tables
 * every instance has (`{{instance}}_transaction`, ...) followed by its protocol's own, each
 * template filled in with the instance's name.
 */
export function collectMigrations(instances: MigratedInstance[]): Migration[] {
  const sources: MigrationSource[] = [{ scope: 'core', dir: CORE_DIR }];
  for (const { name, migrationsDir } of instances) {
    const render = (sql: string) => sql.replaceAll('{{instance}}', name);
    sources.push({ scope: `${name}/shared`, dir: PER_PROVIDER_DIR, render });
    if (migrationsDir) sources.push({ scope: name, dir: migrationsDir, render });
  }
  return sources.flatMap(readSource);
}

function readSource({ scope, dir, render = (sql) => sql }: MigrationSource): Migration[] {
  const files = readdirSync(dir)
    .filter((file) => /^\d{3}_[\w-]+\.sql$/.test(file))
    .sort();
  return files.map((file) => ({ id: `${scope}/${file}`, sql: render(readFileSync(new URL(file, dir), 'utf8')) }));
}

/**
 * Applies what is missing, all in one transaction behind an advisory lock: two processes
 * starting at the same moment take turns, and the second finds nothing left to do.
 * Returns the ids it applied.
 */
export async function migrate(db: Db, migrations: Migration[]): Promise<string[]> {
  const schema = `"${db.schema}"`;
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`payrelay-migrate:${db.schema}`]);
    const [exists] = await tx.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [db.schema]);
    if (!exists) await tx.exec(`CREATE SCHEMA ${schema}`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${schema}.payrelay_migration (
      id text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set((await tx.query<{ id: string }>(`SELECT id FROM ${schema}.payrelay_migration`)).map((r) => r.id));
    const pending = migrations.filter((m) => !done.has(m.id));
    for (const migration of pending) {
      await tx.exec(`SET LOCAL search_path TO ${schema}`);
      await tx.exec(migration.sql);
      await tx.query(`INSERT INTO ${schema}.payrelay_migration (id) VALUES ($1)`, [migration.id]);
    }
    return pending.map((m) => m.id);
  });
}
