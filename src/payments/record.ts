import type { Db } from '../db/index.js';
import { jsonParam } from '../db/json-param.js';
import { timePayCommit } from '../metrics/counters.js';
import { GroupCommit, type ItemResult } from './group-commit.js';

export interface NewPayment {
  account: string;
  /** The network's own id of the payment (a terminal's txn_id, a card network's transaction id). */
  code: string;
  /** A decimal string with two places. */
  sum: string;
  /**
   * Provider-specific columns of `<provider>_transaction`, named by the provider's code: text,
   * numbers and booleans as their text, and for a json or jsonb column an object or array (or
   * its JSON text, a string like any other). A column left out (or undefined) is NULL.
   */
  extra?: Record<string, unknown>;
}

/** The request's row in `<provider>_http_log`, headers already masked. */
export interface RequestLogRow {
  ip: string;
  url: string;
  method: string;
  headers: Record<string, unknown>;
  body: string | null;
  /** When the request arrived: the row may be written after the work it caused (a notification). */
  receivedAt?: Date;
  /** Set when `body` is not the whole story: its full length, a digest, or its exact bytes. */
  bodyLength?: number;
  bodySha256?: string;
  bodyRaw?: Buffer;
}

/** How a pay went, with the stored payment's id and when it was first recorded (repeats included). */
export type RecordOutcome =
  | { kind: 'created' | 'repeated'; id: string; createdAt: Date }
  /** The code is taken by a payment with another account or sum: not a repeat, a clash. */
  | { kind: 'conflict'; id: string; createdAt: Date; account: string; sum: string };

interface Pay {
  payment: NewPayment;
  logRow?: RequestLogRow;
}

/** Bounds one statement's work, and so the wait of the pays that came last into it. */
const MAX_BATCH = 200;

/**
 * Records a payment once per code, together with its request-log row: both commit in one
 * statement, and when this resolves they are durable and the provider may be told so.
 * Concurrent calls share that commit (group commit). Concurrent repeats meet at the unique
 * index: one inserts, the others wait for its commit and find its row.
 */
export async function recordPayment(
  db: Db,
  provider: string,
  payment: NewPayment,
  logRow?: RequestLogRow,
): Promise<RecordOutcome> {
  try {
    return await batcherFor(db, provider).submit({ payment, logRow });
  } catch (error) {
    // The pay was refused, not the connection lost: the request is still logged, alone.
    if (logRow && isOwnFailure(error)) await insertLogRows(db, provider, [logRow]).catch(() => undefined);
    throw error;
  }
}

/** Writes a request-log row on its own: a request that records no payment. */
export async function writeLogRow(db: Db, provider: string, row: RequestLogRow): Promise<void> {
  await insertLogRows(db, provider, [row]);
}

async function insertLogRows(db: Db, provider: string, rows: RequestLogRow[]): Promise<void> {
  const sql = statement(db, `log ${provider} ${rows.length}`, () => `INSERT INTO ${logValues(db, provider, rows.length)}`);
  await db.query(sql, rows.flatMap(logRowValues), { prepare: true });
}

/**
 * Rows travel as parameters of a multi-row VALUES, each value as text (or bytes) that reaches its
 * column through the column's own input function, as a literal would: exact numerics, timestamps,
 * json parsed once. Measured against one JSON array per table (json_populate_recordset), this costs
 * the server a third less per pay: the JSON was parsed twice, once whole and once per json column.
 * The statement's text depends on the number of rows, so batches take one of a few sizes
 * (batchSize), and each size's text is built once and stays prepared.
 */
const LOG_COLUMNS = ['ip', 'url', 'method', 'headers', 'body', 'body_length', 'body_sha256', 'body_raw', 'created_at'];

function logRowValues(row: RequestLogRow): unknown[] {
  return [
    row.ip,
    row.url,
    row.method,
    jsonParam(row.headers),
    row.body,
    row.bodyLength ?? null,
    row.bodySha256 ?? null,
    row.bodyRaw ?? null,
    (row.receivedAt ?? new Date()).toISOString(),
  ];
}

/** `"schema"."<provider>_http_log" (...) VALUES (...), ...` for `count` rows, from `$1`. */
function logValues(db: Db, provider: string, count: number): string {
  return `${db.table(`${provider}_http_log`)} (${LOG_COLUMNS.join(', ')}) VALUES ${placeholders(count, LOG_COLUMNS.length, 1)}`;
}

/** `($1, $2), ($3, $4)`: `rows` rows of `columns` placeholders, numbered from `first`. */
function placeholders(rows: number, columns: number, first: number): string {
  return Array.from({ length: rows }, (_, row) => {
    const start = first + row * columns;
    return `(${Array.from({ length: columns }, (_, column) => `$${start + column}`).join(', ')})`;
  }).join(', ');
}

const statements = new WeakMap<Db, Map<string, string>>();

/** A statement's text, built once per shape: the same string each time, so looking up its prepared name is cheap. */
function statement(db: Db, shape: string, build: () => string): string {
  return kept(
    kept(statements, db, () => new Map()),
    shape,
    build,
  );
}

/** The value under `key`, made and kept the first time. */
function kept<K, V>(map: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

const batchers = new WeakMap<Db, Map<string, GroupCommit<Pay, RecordOutcome>>>();

function batcherFor(db: Db, provider: string): GroupCommit<Pay, RecordOutcome> {
  const byProvider = kept(batchers, db, () => new Map<string, GroupCommit<Pay, RecordOutcome>>());
  return kept(
    byProvider,
    provider,
    () =>
      new GroupCommit({
        commit: (pays) => timePayCommit(provider, pays.length, () => commitPays(db, provider, pays)),
        retryAlone: isOwnFailure,
        maxBatch: MAX_BATCH,
        batchSize,
      }),
  );
}

/**
 * How many of the waiting pays go into the next commit: all of up to 32, else a multiple of 16,
 * at most MAX_BATCH; the few left over go into the commit after. Each size is a statement kept
 * prepared on each connection, and its server memory grows with its rows: every size up to 200
 * would hold ten times what these 43 sizes hold (decision 013).
 */
export function batchSize(waiting: number): number {
  return waiting <= 32 ? waiting : Math.min(MAX_BATCH, waiting - (waiting % 16));
}

/**
 * One statement, hence one commit, for the whole batch: the log rows and the transaction rows
 * as data-modifying CTEs. A code already taken, by an earlier payment or by an earlier pay in
 * this very batch, is skipped by ON CONFLICT and looked up once the statement has committed.
 * A provider's extra columns take NULL where a payment leaves them out.
 */
async function commitPays(db: Db, provider: string, pays: Pay[]): Promise<ItemResult<RecordOutcome>[]> {
  const logRows = pays.flatMap(({ logRow }) => (logRow ? [logRow] : []));
  const extras = [...new Set(pays.flatMap(({ payment }) => Object.keys(payment.extra ?? {})))].sort();
  const columns = ['account', 'code', 'sum', ...extras];
  const params = logRows.flatMap(logRowValues);
  for (const { payment } of pays) {
    params.push(payment.account, payment.code, payment.sum, ...extras.map((column) => columnValue(payment.extra?.[column])));
  }
  const build = () => {
    const logged = logRows.length ? `logged AS (INSERT INTO ${logValues(db, provider, logRows.length)}), ` : '';
    return `WITH ${logged}inserted AS (
       INSERT INTO ${db.table(`${provider}_transaction`)} (${columns.join(', ')})
       VALUES ${placeholders(pays.length, columns.length, logRows.length * LOG_COLUMNS.length + 1)}
       ON CONFLICT (code) DO NOTHING RETURNING id, code, created_at)
     SELECT id, code, ${createdMs('created_at')} FROM inserted`;
  };
  // A batch whose pays are not all logged is rare: its shape is worth neither keeping nor preparing.
  const prepare = logRows.length === 0 || logRows.length === pays.length;
  const shape = `pays ${provider} ${logRows.length} ${pays.length} ${extras.join(' ')}`;
  const sql = prepare ? statement(db, shape, build) : build();
  const inserted = await db.query<{ id: string; code: string; created_ms: number }>(sql, params, { prepare });
  return resolveOutcomes(db, provider, pays, new Map(inserted.map((row) => [row.code, row])));
}

/**
 * A time as milliseconds since the epoch: a number the driver reads with parseFloat, where a
 * timestamptz is parsed into a Date by a regular expression and date arithmetic on every pay.
 * Both Date constructors drop the microseconds alike.
 */
const createdMs = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8 AS created_ms`;

/** An extra column's value as its column reads it: JSON for an object or array, else its text. */
function columnValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return typeof value === 'object' ? jsonParam(value) : String(value);
}

/** The first pay of each inserted code created it; every other pay is a repeat or a clash. */
async function resolveOutcomes(
  db: Db,
  provider: string,
  pays: Pay[],
  created: Map<string, { id: string; created_ms: number }>,
): Promise<ItemResult<RecordOutcome>[]> {
  const results: (ItemResult<RecordOutcome> | undefined)[] = pays.map(({ payment }) => {
    const row = created.get(payment.code);
    if (row === undefined) return undefined;
    created.delete(payment.code);
    return { value: { kind: 'created', id: String(row.id), createdAt: new Date(row.created_ms) } };
  });
  const others = pays.filter((_, index) => results[index] === undefined).map(({ payment }) => payment);
  if (others.length === 0) return results as ItemResult<RecordOutcome>[];
  const existing = await compareWithStored(db, provider, others);
  let next = 0;
  return results.map((result) => result ?? existing[next++]!);
}

/** Each payment next to the stored one with its code: the same account and sum make a repeat. */
async function compareWithStored(db: Db, provider: string, payments: NewPayment[]): Promise<ItemResult<RecordOutcome>[]> {
  const rows = await db.query<{ i: number; id: string; account: string; sum: string; created_ms: number; same: boolean }>(
    `SELECT p.i, t.id, t.account, t.sum::text AS sum, ${createdMs('t.created_at')}, (t.account = p.account AND t.sum = p.sum) AS same
     FROM unnest($1::text[], $2::text[], $3::numeric[]) WITH ORDINALITY AS p(code, account, sum, i)
     JOIN ${db.table(`${provider}_transaction`)} t ON t.code = p.code`,
    [payments.map((p) => p.code), payments.map((p) => p.account), payments.map((p) => p.sum)],
  );
  const byIndex = new Map(rows.map((row) => [Number(row.i) - 1, row]));
  return payments.map((payment, index) => {
    const stored = byIndex.get(index);
    if (!stored) return { error: new Error(`${provider} transaction ${payment.code} vanished after a conflicting insert`) };
    const found = { id: String(stored.id), createdAt: new Date(stored.created_ms) };
    if (stored.same) return { value: { kind: 'repeated', ...found } };
    return { value: { kind: 'conflict', ...found, account: stored.account, sum: stored.sum } };
  });
}

/**
 * A lost, refused or exhausted connection (a system error, SQLSTATE classes 08, 53, 57, 58, or
 * pg's own connection messages): retrying each pay alone would only fail the same way. Any
 * other error (a value the database or the driver refuses) may be one pay's own.
 */
function isConnectionFailure(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || /^(08|53|57|58)...$/.test(code))) return true;
  return typeof message === 'string' && /connect|terminated|timeout/i.test(message);
}

const isOwnFailure = (error: unknown) => !isConnectionFailure(error);
