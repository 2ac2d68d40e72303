import pg from 'pg';
import { qualify, type Db, type Queryable, type Row } from './port.js';

// Identical to PGlite's answers: 8-byte integers stay strings (they can exceed 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

export interface PostgresOptions {
  connection: pg.ClientConfig;
  schema: string;
  poolSize: number;
  onError?: (error: Error) => void;
}

export function openPostgres({ connection, schema, poolSize, onError }: PostgresOptions): Db {
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
    async query<T extends Row>(sql: string, params: unknown[] = []) {
      return (await target.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await target.query(sql);
    },
  });
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
    close: () => pool.end(),
    poolStats: () => ({ max: poolSize, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
