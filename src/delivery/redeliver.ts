/**
 * Sending payments again on an operator's word. A redelivered payment goes back to status 0
 * and is due now: the dispatcher sends it as it sends any pending payment (same body, same
 * `webhook-id`, a new row in `<provider>_webhook_log`), and status 1 returns when the backend
 * accepts it again. The lease is left alone, so a payment in flight is not sent twice at once.
 */
import type { Db } from '../db/index.js';

/** Which payments a bulk redelivery takes; every field narrows it. */
export interface RedeliveryFilter {
  /** Providers to touch, by name; all given ones when absent. */
  providers: string[];
  /** Only payments not delivered yet: the retry schedule is skipped, they are due now. */
  undeliveredOnly?: boolean;
  /** Received at or after this time. */
  since?: Date;
  /** Received before this time. */
  until?: Date;
}

const PG_BIGINT_MAX = 9223372036854775807n;

/** A transaction id as PostgreSQL's bigint can hold it, or undefined: such an id matches nothing. */
export function parseTransactionId(id: string): string | undefined {
  if (!/^[0-9]{1,19}$/.test(id)) return undefined;
  return BigInt(id) <= PG_BIGINT_MAX ? BigInt(id).toString() : undefined;
}

/**
 * Queues one payment for redelivery; false when the provider has no such transaction.
 * `wake` tells an in-process dispatcher to look now (another process finds it within its poll).
 */
export async function redeliverOne(db: Db, provider: string, id: string, wake?: () => void): Promise<boolean> {
  const transactionId = parseTransactionId(id);
  if (transactionId === undefined) return false;
  const rows = await db.query(
    `UPDATE ${db.table(`${provider}_transaction`)} SET status = 0, next_attempt_at = now()
     WHERE id = $1 RETURNING id`,
    [transactionId],
  );
  if (rows.length > 0) wake?.();
  return rows.length > 0;
}

/** Queues every payment the filter takes; returns how many per provider. */
export async function redeliverMany(db: Db, filter: RedeliveryFilter, wake?: () => void): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const provider of filter.providers) {
    const conditions = ['true'];
    const params: unknown[] = [];
    if (filter.undeliveredOnly) conditions.push('status = 0');
    if (filter.since) conditions.push(`created_at >= $${params.push(filter.since)}`);
    if (filter.until) conditions.push(`created_at < $${params.push(filter.until)}`);
    const [row] = await db.query<{ queued: number }>(
      `WITH queued AS (
         UPDATE ${db.table(`${provider}_transaction`)} SET status = 0, next_attempt_at = now()
         WHERE ${conditions.join(' AND ')} RETURNING 1)
       SELECT count(*)::int AS queued FROM queued`,
      params,
    );
    counts[provider] = row?.queued ?? 0;
  }
  if (Object.values(counts).some((count) => count > 0)) wake?.();
  return counts;
}
