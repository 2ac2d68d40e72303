import type { Db } from '../db/index.js';
import { jsonParam } from '../db/json-param.js';
import { GroupCommit, type ItemResult } from './group-commit.js';

export interface NewPayment {
  account: string;
  /** The provider's own id of the payment (QIWI txn_id, CloudPayments TransactionId). */
  code: string;
  /** A decimal string with two places. */
  sum: string;
  /**
   * Provider-specific columns of `<provider>_transaction`, named by the provider's code, as
   * JSON values: text, numbers, booleans, and for a json or jsonb column the value itself.
   * A column left out is NULL.
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

export type RecordOutcome =
  | { kind: 'created' | 'repeated'; id: string }
  /** The code is taken by a payment with another account or sum: not a repeat, a clash. */
  | { kind: 'conflict'; id: string; account: string; sum: string };

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
  await db.query(`INSERT INTO ${logInsert(db, provider)}`, [jsonParam(rows.map(logRecord))], { prepare: true });
}

/**
 * Rows travel as one JSON array that json_populate_recordset turns into the table's own row
 * type: the statement's text is the same whatever the batch's size, so the server parses and
 * plans a short statement instead of a new one of thousands of parameters per batch, and every
 * value still reaches its column through that column's own input function (exact numerics,
 * timestamps, bytea), never through a float.
 */
const LOG_COLUMNS = ['ip', 'url', 'method', 'headers', 'body', 'body_length', 'body_sha256', 'body_raw'];

/** `"schema"."<provider>_http_log" (...) SELECT ... FROM` the JSON array in $1. */
function logInsert(db: Db, provider: string, param = '$1'): string {
  const table = db.table(`${provider}_http_log`);
  return `${table} (${LOG_COLUMNS.join(', ')}, created_at)
    SELECT ${LOG_COLUMNS.join(', ')}, coalesce(created_at, now()) FROM json_populate_recordset(NULL::${table}, ${param}::json)`;
}

function logRecord(row: RequestLogRow): Record<string, unknown> {
  return {
    ip: row.ip,
    url: row.url,
    method: row.method,
    headers: row.headers,
    body: row.body,
    body_length: row.bodyLength ?? null,
    body_sha256: row.bodySha256 ?? null,
    body_raw: row.bodyRaw ? `\\x${row.bodyRaw.toString('hex')}` : null,
    created_at: row.receivedAt?.toISOString() ?? null,
  };
}

const batchers = new WeakMap<Db, Map<string, GroupCommit<Pay, RecordOutcome>>>();

function batcherFor(db: Db, provider: string): GroupCommit<Pay, RecordOutcome> {
  let byProvider = batchers.get(db);
  if (!byProvider) {
    byProvider = new Map();
    batchers.set(db, byProvider);
  }
  let batcher = byProvider.get(provider);
  if (!batcher) {
    batcher = new GroupCommit({
      commit: (pays) => commitPays(db, provider, pays),
      retryAlone: isOwnFailure,
      maxBatch: MAX_BATCH,
    });
    byProvider.set(provider, batcher);
  }
  return batcher;
}

/**
 * One statement, hence one commit, for the whole batch: the log rows and the transaction rows
 * as data-modifying CTEs. A code already taken, by an earlier payment or by an earlier pay in
 * this very batch, is skipped by ON CONFLICT and looked up once the statement has committed.
 * A provider's extra columns take NULL where a payment leaves them out.
 */
async function commitPays(db: Db, provider: string, pays: Pay[]): Promise<ItemResult<RecordOutcome>[]> {
  const logRows = pays.flatMap(({ logRow }) => (logRow ? [logRecord(logRow)] : []));
  const payments = pays.map(({ payment }) => ({
    ...payment.extra,
    account: payment.account,
    code: payment.code,
    sum: payment.sum,
  }));
  const extraColumns = [...new Set(pays.flatMap(({ payment }) => definedExtras(payment).map(([column]) => column)))].sort();
  const columns = ['account', 'code', 'sum', ...extraColumns].join(', ');
  const table = db.table(`${provider}_transaction`);
  const inserted = await db.query<{ id: string; code: string }>(
    `WITH ${logRows.length ? `logged AS (INSERT INTO ${logInsert(db, provider, '$2')}), ` : ''}inserted AS (
       INSERT INTO ${table} (${columns})
       SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json)
       ON CONFLICT (code) DO NOTHING RETURNING id, code)
     SELECT id, code FROM inserted`,
    logRows.length ? [jsonParam(payments), jsonParam(logRows)] : [jsonParam(payments)],
    { prepare: true },
  );
  return resolveOutcomes(db, provider, pays, new Map(inserted.map((row) => [row.code, row.id])));
}

function definedExtras(payment: NewPayment): [string, unknown][] {
  return Object.entries(payment.extra ?? {}).filter(([, value]) => value !== undefined);
}

/** The first pay of each inserted code created it; every other pay is a repeat or a clash. */
async function resolveOutcomes(
  db: Db,
  provider: string,
  pays: Pay[],
  created: Map<string, string>,
): Promise<ItemResult<RecordOutcome>[]> {
  const results: (ItemResult<RecordOutcome> | undefined)[] = pays.map(({ payment }) => {
    const id = created.get(payment.code);
    if (id === undefined) return undefined;
    created.delete(payment.code);
    return { value: { kind: 'created', id } };
  });
  const others = pays.filter((_, index) => results[index] === undefined).map(({ payment }) => payment);
  if (others.length === 0) return results as ItemResult<RecordOutcome>[];
  const existing = await compareWithStored(db, provider, others);
  let next = 0;
  return results.map((result) => result ?? existing[next++]!);
}

/** Each payment next to the stored one with its code: the same account and sum make a repeat. */
async function compareWithStored(db: Db, provider: string, payments: NewPayment[]): Promise<ItemResult<RecordOutcome>[]> {
  const rows = await db.query<{ i: number; id: string; account: string; sum: string; same: boolean }>(
    `SELECT p.i, t.id, t.account, t.sum::text AS sum, (t.account = p.account AND t.sum = p.sum) AS same
     FROM unnest($1::text[], $2::text[], $3::numeric[]) WITH ORDINALITY AS p(code, account, sum, i)
     JOIN ${db.table(`${provider}_transaction`)} t ON t.code = p.code`,
    [payments.map((p) => p.code), payments.map((p) => p.account), payments.map((p) => p.sum)],
  );
  const byIndex = new Map(rows.map((row) => [Number(row.i) - 1, row]));
  return payments.map((payment, index) => {
    const stored = byIndex.get(index);
    if (!stored) return { error: new Error(`${provider} transaction ${payment.code} vanished after a conflicting insert`) };
    if (stored.same) return { value: { kind: 'repeated', id: stored.id } };
    return { value: { kind: 'conflict', id: stored.id, account: stored.account, sum: stored.sum } };
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
