/**
 * The database port: the little the application needs from PostgreSQL, the same whether the
 * server is a real one (pg) or the embedded PGlite. Both return 8-byte integers and numerics as
 * strings, timestamps as Date and json as parsed values; json parameters are passed serialised.
 */
export type Row = Record<string, unknown>;

export interface QueryOptions {
  /**
   * Keep the statement parsed and planned on each connection (a named prepared statement) and
   * only bind and run it the next time: for the few hot statements whose text never changes.
   * An engine or a setting without prepared statements runs it as usual.
   */
  prepare?: boolean;
}

export interface Queryable {
  /** One statement with $n parameters. */
  query<T extends Row = Row>(sql: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
  /** A script of several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  readonly schema: string;
  /** A table name qualified with the configured schema, quoted for splicing into SQL. */
  table(name: string): string;
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Connection use, for the metrics. */
  poolStats?(): PoolStats;
}

export interface PoolStats {
  /** Most connections there may be. */
  max: number;
  /** Connections open now, and of those the ones not in use. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

export function qualify(schema: string, table: string): string {
  return `"${schema}"."${table}"`;
}
