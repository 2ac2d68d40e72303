import type { Db } from '../db/index.js';
import type { PendingPayment } from './body.js';
import type { AttemptResult } from './send.js';

export interface ClaimedPayment extends PendingPayment {
  delivery_attempts: number;
}

/**
 * Claims up to `limit` due payments for this process: their next_attempt_at moves `leaseMs`
 * ahead, so no other process takes them meanwhile, and a process that dies holding them only
 * delays them by the lease. SKIP LOCKED lets several processes claim side by side.
 */
export async function claimDue(db: Db, provider: string, limit: number, leaseMs: number): Promise<ClaimedPayment[]> {
  const table = db.table(`${provider}_transaction`);
  return db.query<ClaimedPayment & Record<string, unknown>>(
    `UPDATE ${table} SET next_attempt_at = now() + $2 * interval '1 millisecond'
     WHERE id IN (
       SELECT id FROM ${table}
       WHERE status = 0 AND next_attempt_at <= now()
       ORDER BY next_attempt_at, id
       LIMIT $1
       FOR UPDATE SKIP LOCKED)
     RETURNING id, account, code, sum::text AS sum, created_at, delivery_attempts`,
    [limit, leaseMs],
  );
}

export interface AttemptRecord {
  provider: string;
  payment: ClaimedPayment;
  url: string;
  requestBody: string;
  result: AttemptResult;
  accepted: boolean;
  /** When not accepted: how long until the next attempt. */
  retryInMs: number;
}

/** The attempt's log row and the payment's new state, together or not at all. */
export async function recordAttempt(db: Db, attempt: AttemptRecord): Promise<void> {
  const { provider, payment, result } = attempt;
  const error = result.error ?? (attempt.accepted ? null : `HTTP ${result.status}`);
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO ${db.table(`${provider}_webhook_log`)}
         (transaction_id, url, attempt, request_body, response_status, response_body, error, duration_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [payment.id, attempt.url, payment.delivery_attempts + 1, attempt.requestBody, result.status ?? null,
        result.responseBody ?? null, error, result.durationMs],
    );
    const table = db.table(`${provider}_transaction`);
    if (attempt.accepted) {
      await tx.query(
        `UPDATE ${table} SET status = 1, delivered_at = now(), delivery_attempts = delivery_attempts + 1, last_error = NULL
         WHERE id = $1`,
        [payment.id],
      );
    } else {
      // status = 0 guards against undoing a delivery another process completed meanwhile.
      await tx.query(
        `UPDATE ${table} SET delivery_attempts = delivery_attempts + 1, last_error = $2,
           next_attempt_at = now() + $3 * interval '1 millisecond'
         WHERE id = $1 AND status = 0`,
        [payment.id, error, attempt.retryInMs],
      );
    }
  });
}
