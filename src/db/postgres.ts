import { createHash } from 'node:crypto';
import pg from 'pg';
import { type QueryOptions, qualify, type Db, type Queryable, type Row } from './port.js';

// Identical to PGlite's answers: 8-byte integers stay strings (they can exceed 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

export interface PostgresOptions {
  connection: pg.ClientConfig;
  schema: string;
  poolSize: number;
  /** Whether `prepare` makes named prepared statements (a pooler may not keep them: PG_PREPARED_STATEMENTS). */
  prepared?: boolean;
  onError?: (error: Error) => void;
}

export function openPostgres({ connection, schema, poolSize, prepared = true, onError }: PostgresOptions): Db {
  const pool = new pg.Pool({
    ...connection,
    max: poolSize,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'payrelay',
  });
  // An idle client that loses its server must not take the process down with it.
  pool.on('error', (error) => onError?.(error));
  // The pool listens for a client's errors only while it is idle. A client checked out when the
  // server goes away would raise an unhandled 'error' and end the process; the statement under
  // way fails instead, and its caller answers with a temporary error.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const wrap = (target: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T extends Row>(sql: string, params: unknown[] = [], options?: QueryOptions) {
      const name = prepared && options?.prepare ? statementName(sql) : undefined;
      return (await target.query<T>({ text: sql, values: params, name })).rows;
    },
    async exec(sql: string) {
      await target.query(sql);
    },
  });
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    schema,
    table: (name) => qualify(schema, name),
    ...wrap(pool),
    async transaction(work) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      } finally {
        // A connection that cannot even roll back is dropped rather than handed to the next caller.
        client.release(broken);
      }
    },
    // Twice is harmless: a stop requested from two places (a signal and a failure) closes once.
    close: () => (closing ??= pool.end()),
    poolStats: () => ({ max: poolSize, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

const statementNames = new Map<string, string>();

/** The same text gets the same name in every process: a name is what a connection caches a plan under. */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `payrelay_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}
