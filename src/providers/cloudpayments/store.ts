import type { Db } from '../../db/index.js';

/** A notification kept in <name>_notification (every type but Check). */
export interface NotificationRecord {
  /** Pay, Fail, Confirm, Refund, Cancel, Recurrent, Receipt, or whatever type the cabinet adds. */
  type: string;
  /** What makes a repeat a repeat: CloudPayments resends the same notification up to 100 times. */
  idempotencyKey: string;
  transactionId?: string;
  /** The payment this notification is about, to be found next to it (see <name>_transaction_state). */
  paymentTransactionId?: string;
  subscriptionId?: string;
  accountId?: string;
  amount?: string;
  status?: string;
  /** Why a Pay was kept here instead of becoming a transaction. */
  problem?: string;
  payload: Record<string, unknown>;
}

/** Inserts once per type and key; a repeat, also a concurrent one, changes nothing. */
export async function recordNotification(db: Db, table: string, record: NotificationRecord): Promise<'created' | 'repeated'> {
  const rows = await db.query(
    `INSERT INTO ${table}
       (type, idempotency_key, transaction_id, payment_transaction_id, subscription_id, account_id, amount, status, problem, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (type, idempotency_key) DO NOTHING RETURNING id`,
    [
      record.type,
      record.idempotencyKey,
      record.transactionId ?? null,
      record.paymentTransactionId ?? null,
      record.subscriptionId ?? null,
      record.accountId ?? null,
      record.amount ?? null,
      record.status ?? null,
      record.problem ?? null,
      JSON.stringify(record.payload),
    ],
  );
  return rows.length ? 'created' : 'repeated';
}
