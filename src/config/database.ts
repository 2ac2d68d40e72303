import type { ClientConfig } from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { readReplicas } from '../db/replicas.js';
import { ConfigError, type EnvReader, redactUrl } from './env.js';

export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string; schema: string }
  | {
      kind: 'postgres';
      schema: string;
      /** Where the application's queries go (possibly a pooler such as PgBouncer). */
      connection: ClientConfig;
      /** Where DDL goes: creating the database and schema, migrations (PG_REAL_HOST). */
      admin: ClientConfig;
      poolSize: number;
      /** Read replicas (PG_SLAVES) for read-only work that tolerates lag; see db/replicas.ts. */
      replicas?: ClientConfig[];
    };

/**
 * DATABASE_URL or PG_HOST select a PostgreSQL server; neither selects the embedded PGlite.
 * The PG_* names are those of the containers payrelay replaces and keep their meaning.
 */
export function readDatabaseConfig(env: EnvReader): DatabaseConfig {
  const schema = env.identifier('PG_SCHEMA', 'public');
  const poolSize = env.int('PG_POOL_SIZE', 10, 1, 1000);
  const connection = env.string('DATABASE_URL') ? fromUrl(env) : fromPgVariables(env);
  const replicas = readReplicas(env, connection);
  if (!connection) return { kind: 'pglite', dataDir: env.string('DATA_DIR') ?? './data', schema };
  const realHost = env.string('PG_REAL_HOST');
  const admin = realHost ? { ...connection, host: realHost } : connection;
  return { kind: 'postgres', schema, connection, admin, poolSize, replicas };
}

function fromUrl(env: EnvReader): ClientConfig {
  const url = env.url('DATABASE_URL', ['postgres:', 'postgresql:'])!;
  const parsed = parseConnectionString(url.href);
  if (!parsed.host) throw new ConfigError('DATABASE_URL', `names no host: "${redactUrl(url.href)}"`);
  if (parsed.password && !parsed.user) {
    throw new ConfigError('DATABASE_URL', 'has a password but no user name');
  }
  const { host, port, database, user, password, ssl } = parsed;
  return {
    host,
    port: port ? Number(port) : 5432,
    database: database ?? 'postgres',
    user,
    password,
    ...(ssl ? { ssl: ssl as ClientConfig['ssl'] } : {}),
  };
}

function fromPgVariables(env: EnvReader): ClientConfig | undefined {
  const host = env.string('PG_HOST');
  if (!host) return undefined;
  const user = env.string('PG_USER');
  const password = env.secret('PG_PASSWORD');
  if (password && !user) throw new ConfigError('PG_PASSWORD', 'is set but PG_USER is not: give the user too');
  return {
    host,
    port: env.int('PG_PORT', 5432, 1, 65535),
    database: env.string('PG_DATABASE') ?? 'postgres',
    user,
    password,
  };
}

/** A description safe to print: no password. */
export function describeDatabase(config: DatabaseConfig): string {
  if (config.kind === 'pglite') return `embedded PostgreSQL (PGlite) in ${config.dataDir}, schema ${config.schema}`;
  const { host, port, database, user } = config.connection;
  const via = config.admin.host !== host ? ` (migrations via ${config.admin.host})` : '';
  const reads = config.replicas?.length ? `, read replicas ${config.replicas.map((r) => `${r.host}:${r.port}`).join(', ')}` : '';
  return `PostgreSQL ${user ? `${user}@` : ''}${host}:${port}/${database}, schema ${config.schema}${via}${reads}`;
}
