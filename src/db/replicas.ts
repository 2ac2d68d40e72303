/**
 * Read replicas (PG_SLAVES, as the replaced containers named them): where read-only work that
 * tolerates replication lag may go, such as the admin API's lists. Payments, claims and
 * deliveries always use the primary: they write, and they must see their own writes.
 */
import pg from 'pg';
import type { DatabaseConfig } from '../config/database.js';
import { ConfigError, type EnvReader } from '../config/env.js';
import type { Db, Row } from './port.js';
import { redactUrl } from '../util/redact-url.js';

/** The little read-only work needs: a query, the schema's table names. */
export interface ReadDb {
  readonly schema: string;
  table(name: string): string;
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * `host` or `host:port` (or `[ipv6]:port`), comma-separated; each replica is reached with the
 * primary's user, password and database. An entry that is not an address stops start-up.
 */
export function readReplicas(env: EnvReader, primary: pg.ClientConfig | undefined): pg.ClientConfig[] {
  const raw = env.string('PG_SLAVES');
  if (!raw) return [];
  if (!primary) throw new ConfigError('PG_SLAVES', 'needs a PostgreSQL server: set DATABASE_URL or PG_HOST too');
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => ({ ...primary, ...parseAddress(entry, primary.port ?? 5432) }));
}

function parseAddress(entry: string, defaultPort: number): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(entry);
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
  const validHost = host !== undefined && (match?.[1] !== undefined || HOST.test(host));
  if (!validHost || port < 1 || port > 65535) {
    throw new ConfigError('PG_SLAVES', `has "${redactUrl(entry)}", which is not host or host:port`);
  }
  return { host: host!, port };
}

/**
 * A pool per replica, each session read-only so that a mistaken write fails even when the
 * "replica" is really a primary. Queries rotate over the replicas; one that cannot be reached
 * is skipped, and with none reachable the primary answers: a list is better late than absent.
 */
export function openReadDb(config: DatabaseConfig, primary: Db, onError?: (error: Error) => void): ReadDb {
  if (config.kind !== 'postgres' || !config.replicas?.length) {
    // Closing the read side must not close the primary it borrows.
    return {
      schema: primary.schema,
      table: (name) => primary.table(name),
      query: <T extends Row>(sql: string, params?: unknown[]) => primary.query<T>(sql, params),
      close: async () => undefined,
    };
  }
  const pools = config.replicas.map((connection) => readOnlyPool(connection, config.poolSize, onError));
  let next = 0;
  return {
    schema: primary.schema,
    table: (name) => primary.table(name),
    async query<T extends Row>(sql: string, params: unknown[] = []) {
      const start = next++ % pools.length;
      for (let i = 0; i < pools.length; i++) {
        try {
          return (await pools[(start + i) % pools.length]!.query<T>(sql, params)).rows;
        } catch (error) {
          if (!isUnreachable(error)) throw error;
          onError?.(error as Error);
        }
      }
      return primary.query<T>(sql, params);
    },
    async close() {
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };
}

function readOnlyPool(connection: pg.ClientConfig, poolSize: number, onError?: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    ...connection,
    max: poolSize,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'payrelay-read',
  });
  pool.on('error', (error) => onError?.(error));
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    // Queued ahead of the query the client was taken for.
    client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY').catch(() => undefined);
  });
  return pool;
}

/** No answer from the server at all (as opposed to the server refusing the statement). */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (code === undefined) return true;
  // Connection exceptions (08), the server shutting down (57P), and the socket's own errors.
  return code.startsWith('08') || code.startsWith('57P') || /^E[A-Z]+$/.test(code);
}
