import type { Db, Queryable } from '../db/index.js';

export interface NewPayment {
  account: string;
  /** The provider's own id of the payment (QIWI txn_id, CloudPayments TransactionId). */
  code: string;
  /** A decimal string with two places. */
  sum: string;
  /** Provider-specific columns of `<provider>_transaction`, named by the provider's code. */
  extra?: Record<string, unknown>;
}

/** A row of `<provider>_http_log`: the request that reported the payment. */
export interface RequestLogRow {
  ip: string;
  url: string;
  method: string;
  headers: Record<string, unknown>;
  body: string | null;
  /** Set when `body` is not the whole story: its full length, a digest, or its exact bytes. */
  bodyLength?: number;
  bodySha256?: string;
  bodyRaw?: Buffer;
}

export type RecordOutcome =
  | { kind: 'created' | 'repeated'; id: string }
  /** The code is taken by a payment with another account or sum: not a repeat, a clash. */
  | { kind: 'conflict'; id: string; account: string; sum: string };

/**
 * Records a payment once per code, in one commit with the request's log row when one is given:
 * when this resolves both are durable and the provider may be told so. Concurrent repeats meet
 * at the unique index: one inserts, the others wait for its commit and find its row.
 */
export async function recordPayment(
  db: Db,
  provider: string,
  payment: NewPayment,
  logRow?: RequestLogRow,
): Promise<RecordOutcome> {
  if (!logRow) return insertPayment(db, db, provider, payment);
  return db.transaction(async (tx) => {
    await insertLogRow(tx, db.table(`${provider}_http_log`), logRow);
    return insertPayment(tx, db, provider, payment);
  });
}

/** Writes a request-log row on its own. */
export async function writeLogRow(db: Db, provider: string, row: RequestLogRow): Promise<void> {
  await insertLogRow(db, db.table(`${provider}_http_log`), row);
}

async function insertLogRow(tx: Queryable, table: string, row: RequestLogRow): Promise<void> {
  await tx.query(
    `INSERT INTO ${table} (ip, url, method, headers, body, body_length, body_sha256, body_raw)
     VALUES ($1, $2, $3, $4::json, $5, $6, $7, $8)`,
    [
      row.ip,
      row.url,
      row.method,
      JSON.stringify(row.headers),
      row.body,
      row.bodyLength ?? null,
      row.bodySha256 ?? null,
      row.bodyRaw ?? null,
    ],
  );
}

async function insertPayment(tx: Queryable, db: Db, provider: string, payment: NewPayment): Promise<RecordOutcome> {
  const table = db.table(`${provider}_transaction`);
  const extra = Object.entries(payment.extra ?? {}).filter(([, value]) => value !== undefined);
  const columns = ['account', 'code', 'sum', ...extra.map(([column]) => column)];
  const values = [payment.account, payment.code, payment.sum, ...extra.map(([, value]) => value)];
  const inserted = await tx.query<{ id: string }>(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
     ON CONFLICT (code) DO NOTHING RETURNING id`,
    values,
  );
  if (inserted[0]) return { kind: 'created', id: inserted[0].id };
  const [existing] = await tx.query<{ id: string; account: string; sum: string; same: boolean }>(
    `SELECT id, account, sum::text AS sum, (account = $2 AND sum = $3::numeric) AS same FROM ${table} WHERE code = $1`,
    [payment.code, payment.account, payment.sum],
  );
  if (!existing) throw new Error(`${provider} transaction ${payment.code} vanished after a conflicting insert`);
  if (existing.same) return { kind: 'repeated', id: existing.id };
  return { kind: 'conflict', id: existing.id, account: existing.account, sum: existing.sum };
}
