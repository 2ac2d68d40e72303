import type { Db } from '../db/index.js';

export interface NewPayment {
  account: string;
  /** The provider's own id of the payment (QIWI txn_id, CloudPayments TransactionId). */
  code: string;
  /** A decimal string with two places. */
  sum: string;
  /** Provider-specific columns of `<provider>_transaction`, named by the provider's code. */
  extra?: Record<string, unknown>;
}

export type RecordOutcome =
  | { kind: 'created' | 'repeated'; id: string }
  /** The code is taken by a payment with another account or sum: not a repeat, a clash. */
  | { kind: 'conflict'; id: string; account: string; sum: string };

/**
 * Records a payment once per code. The insert is its own committed statement, so when this
 * resolves the payment is durable and the provider may be told so. Concurrent repeats meet at
 * the unique index: one inserts, the others wait for its commit and find its row.
 */
export async function recordPayment(db: Db, provider: string, payment: NewPayment): Promise<RecordOutcome> {
  const table = db.table(`${provider}_transaction`);
  const extra = Object.entries(payment.extra ?? {}).filter(([, value]) => value !== undefined);
  const columns = ['account', 'code', 'sum', ...extra.map(([column]) => column)];
  const values = [payment.account, payment.code, payment.sum, ...extra.map(([, value]) => value)];
  const inserted = await db.query<{ id: string }>(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
     ON CONFLICT (code) DO NOTHING RETURNING id`,
    values,
  );
  if (inserted[0]) return { kind: 'created', id: inserted[0].id };
  const [existing] = await db.query<{ id: string; account: string; sum: string; same: boolean }>(
    `SELECT id, account, sum::text AS sum, (account = $2 AND sum = $3::numeric) AS same FROM ${table} WHERE code = $1`,
    [payment.code, payment.account, payment.sum],
  );
  if (!existing) throw new Error(`${provider} transaction ${payment.code} vanished after a conflicting insert`);
  if (existing.same) return { kind: 'repeated', id: existing.id };
  return { kind: 'conflict', id: existing.id, account: existing.account, sum: existing.sum };
}
