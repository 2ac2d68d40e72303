import type { Db } from '../db/index.js';
import { GroupCommit, type ItemResult } from './group-commit.js';

export interface NewPayment {
  account: string;
  /** The provider's own id of the payment (QIWI txn_id, CloudPayments TransactionId). */
  code: string;
  /** A decimal string with two places. */
  sum: string;
  /** Provider-specific columns of `<provider>_transaction`, named by the provider's code. */
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

/** PostgreSQL's statement parameters run out at 65,535; a batch of 200 pays uses a few thousand. */
const MAX_BATCH = 200;
/** On a server: overlapping commits share WAL flushes there, and a pool of 10 leaves room for deliveries. */
const COMMITS_IN_FLIGHT = 4;

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
  const params: unknown[] = [];
  await db.query(`INSERT INTO ${logTable(db, provider)} ${logValues(rows, params)}`, params);
}

const logTable = (db: Db, provider: string) =>
  `${db.table(`${provider}_http_log`)} (ip, url, method, headers, body, body_length, body_sha256, body_raw, created_at)`;

/** `VALUES (...), ...` of log rows, their parameters appended to `params`. */
function logValues(rows: RequestLogRow[], params: unknown[]): string {
  const param = (value: unknown, cast = '') => `$${params.push(value)}${cast}`;
  const tuples = rows.map((row) => {
    const values = [
      param(row.ip),
      param(row.url),
      param(row.method),
      param(JSON.stringify(row.headers), '::json'),
      param(row.body),
      param(row.bodyLength ?? null),
      param(row.bodySha256 ?? null),
      param(row.bodyRaw ?? null, '::bytea'),
      row.receivedAt ? param(row.receivedAt, '::timestamptz') : 'now()',
    ];
    return `(${values.join(', ')})`;
  });
  return `VALUES ${tuples.join(', ')}`;
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
      maxInFlight: db.kind === 'postgres' ? COMMITS_IN_FLIGHT : 1,
    });
    byProvider.set(provider, batcher);
  }
  return batcher;
}

/**
 * One statement, hence one commit, for the whole batch: the log rows and the transaction rows
 * as data-modifying CTEs. A code already taken, by an earlier payment or by an earlier pay in
 * this very batch, is skipped by ON CONFLICT and looked up once the statement has committed.
 */
async function commitPays(db: Db, provider: string, pays: Pay[]): Promise<ItemResult<RecordOutcome>[]> {
  const params: unknown[] = [];
  const param = (value: unknown, cast = '') => `$${params.push(value)}${cast}`;
  const logRows = pays.flatMap(({ logRow }) => (logRow ? [logRow] : []));
  const logCte = logRows.length ? `logged AS (INSERT INTO ${logTable(db, provider)} ${logValues(logRows, params)}), ` : '';
  const extraColumns = [...new Set(pays.flatMap(({ payment }) => definedExtras(payment).map(([column]) => column)))];
  const rows = pays.map(({ payment }) => {
    const extra = Object.fromEntries(definedExtras(payment));
    const values = [param(payment.account), param(payment.code), param(payment.sum)];
    for (const column of extraColumns) values.push(column in extra ? param(extra[column]) : 'DEFAULT');
    return `(${values.join(', ')})`;
  });
  const inserted = await db.query<{ id: string; code: string }>(
    `WITH ${logCte}inserted AS (
       INSERT INTO ${db.table(`${provider}_transaction`)} (${['account', 'code', 'sum', ...extraColumns].join(', ')})
       VALUES ${rows.join(', ')}
       ON CONFLICT (code) DO NOTHING RETURNING id, code)
     SELECT id, code FROM inserted`,
    params,
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
