/** The SQL of delivery, one query per function. */
import type { Db } from '../db/index.js';
import { jsonParam } from '../db/json-param.js';
import { storableText } from '../util/text.js';
import type { PendingPayment } from './body.js';
import type { AttemptResult } from './send.js';

export interface ClaimedPayment extends PendingPayment {
  delivery_attempts: number;
}

/**
 * Where a stream of deliveries lives: the table whose rows are delivered (status 0 until
 * accepted, with the bookkeeping columns of a `<provider>_transaction`) and the log of their
 * attempts (a `<provider>_webhook_log`, `transaction_id` naming the row).
 */
export interface Outbox {
  table: string;
  log: string;
  /** What a claim reads of a row: at least the columns of a PendingPayment and delivery_attempts. */
  columns: string;
  /** Rows of the table that are never delivered, ruled out as SQL. */
  where?: string;
  /** The column that says delivered (1) or not yet (0). */
  status: string;
  /** What one row is, in words: an alert counts `payment`s or `event`s. */
  item: string;
}

/**
 * An instance's payments: `<name>_transaction`, logged in `<name>_webhook_log`. A payment the
 * network cancelled before it was delivered is not delivered as a payment (its event is).
 */
export function paymentsOutbox(instance: string): Outbox {
  return {
    table: `${instance}_transaction`,
    log: `${instance}_webhook_log`,
    columns: 'id, account, code, sum::text AS sum, created_at, delivery_attempts',
    where: 'cancelled_at IS NULL',
    status: 'status',
    item: 'payment',
  };
}

/** An outbox's rows not yet delivered, as SQL: what its partial index covers. */
export function pendingRows(outbox: Outbox): string {
  return `${outbox.status} = 0 AND ${outbox.where ?? 'true'}`;
}

/**
 * Claims up to `limit` due payments for this process, unless their URL is failing (then only
 * probes go out). The lease (locked_until) keeps other processes off them meanwhile; SKIP
 * LOCKED lets several processes claim side by side without waiting for one another.
 */
export async function claimDue(db: Db, outbox: Outbox, url: string, limit: number, leaseMs: number): Promise<ClaimedPayment[]> {
  const table = db.table(outbox.table);
  return db.query<ClaimedPayment & Record<string, unknown>>(
    `UPDATE ${table} SET locked_until = now() + $2 * interval '1 millisecond'
     WHERE id IN (
       SELECT id FROM ${table}
       WHERE ${pendingRows(outbox)} AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
         AND NOT EXISTS (SELECT 1 FROM ${db.table('webhook_endpoint')} WHERE url = $3 AND failing_since IS NOT NULL)
       ORDER BY next_attempt_at, id
       LIMIT $1
       FOR UPDATE SKIP LOCKED)
     RETURNING ${outbox.columns}`,
    [limit, leaseMs, url],
  );
}

/**
 * The right to probe a failing URL, for one process at a time: the probe's number when this
 * call took it. The slot is leased like a payment, so a process dying mid-probe does not stall it.
 * Only a stream with a payment to probe with takes it: several streams may share the URL, and an
 * empty one holding the slot for its lease would hold every probe back that long.
 */
export async function takeProbeSlot(db: Db, outbox: Outbox, url: string, leaseMs: number): Promise<number | undefined> {
  const [row] = await db.query<{ probes: number }>(
    `UPDATE ${db.table('webhook_endpoint')} SET next_probe_at = now() + $2 * interval '1 millisecond', probes = probes + 1
     WHERE url = $1 AND failing_since IS NOT NULL AND next_probe_at <= now()
       AND EXISTS (SELECT 1 FROM ${db.table(outbox.table)}
                   WHERE ${pendingRows(outbox)} AND (locked_until IS NULL OR locked_until < now()))
     RETURNING probes`,
    [url, leaseMs],
  );
  return row?.probes;
}

/**
 * The payment to probe with: the pending one whose turn is nearest, due or not. A payment the
 * backend refuses for reasons of its own is pushed back by its own backoff, so the probes
 * rotate through the backlog instead of repeating one bad payment.
 */
export async function claimProbe(db: Db, outbox: Outbox, leaseMs: number): Promise<ClaimedPayment[]> {
  const table = db.table(outbox.table);
  return db.query<ClaimedPayment & Record<string, unknown>>(
    `UPDATE ${table} SET locked_until = now() + $1 * interval '1 millisecond'
     WHERE id IN (
       SELECT id FROM ${table}
       WHERE ${pendingRows(outbox)} AND (locked_until IS NULL OR locked_until < now())
       ORDER BY next_attempt_at, id
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     RETURNING ${outbox.columns}`,
    [leaseMs],
  );
}

export interface AttemptRecord {
  provider: string;
  payment: ClaimedPayment;
  url: string;
  requestBody: string;
  result: AttemptResult;
  accepted: boolean;
  /** When not accepted: how long until this payment's next attempt. */
  retryInMs: number;
}

/**
 * Attempts' log rows and their payments' new states, all in one statement (one commit) or not
 * at all. A failure's update is guarded by status = 0: a late failure must not undo a delivery
 * another process completed meanwhile.
 */
export async function recordAttempts(db: Db, outbox: Outbox, attempts: AttemptRecord[]): Promise<void> {
  const { status } = outbox;
  const rows = attempts.map((attempt) => ({
    id: attempt.payment.id,
    url: attempt.url,
    attempt: attempt.payment.delivery_attempts + 1,
    request_body: attempt.requestBody,
    response_status: attempt.result.status ?? null,
    response_body: attempt.result.responseBody === undefined ? null : storableText(attempt.result.responseBody),
    error: attemptError(attempt),
    duration_ms: attempt.result.durationMs,
    accepted: attempt.accepted,
    retry_ms: attempt.retryInMs,
  }));
  // One JSON parameter for any number of attempts: the text stays the same, and prepared.
  await db.query(
    `WITH a AS (
       SELECT * FROM json_to_recordset($1::json) AS a(id bigint, url text, attempt int, request_body text,
         response_status int, response_body text, error text, duration_ms int, accepted boolean, retry_ms bigint)),
     logged AS (
       INSERT INTO ${db.table(outbox.log)}
         (transaction_id, url, attempt, request_body, response_status, response_body, error, duration_ms)
       SELECT id, url, attempt, request_body, response_status, response_body, error, duration_ms FROM a)
     UPDATE ${db.table(outbox.table)} t
     SET delivery_attempts = t.delivery_attempts + 1, last_error = a.error, locked_until = NULL,
       ${status} = CASE WHEN a.accepted THEN 1 ELSE t.${status} END,
       delivered_at = CASE WHEN a.accepted THEN now() ELSE t.delivered_at END,
       next_attempt_at = CASE WHEN a.accepted THEN t.next_attempt_at ELSE now() + a.retry_ms * interval '1 millisecond' END
     FROM a WHERE t.id = a.id AND (a.accepted OR t.${status} = 0)`,
    [jsonParam(rows)],
    { prepare: true },
  );
}

/**
 * The backend took the payment but the attempt could not be recorded (say, a response body
 * PostgreSQL refuses): the delivery at least must stick, or the payment would go out again.
 */
export async function markDelivered(db: Db, outbox: Outbox, id: string): Promise<void> {
  await db.query(
    `UPDATE ${db.table(outbox.table)}
     SET ${outbox.status} = 1, delivered_at = now(), delivery_attempts = delivery_attempts + 1, last_error = NULL, locked_until = NULL
     WHERE id = $1`,
    [id],
  );
}

export function attemptError({ result, accepted }: Pick<AttemptRecord, 'result' | 'accepted'>): string | null {
  return result.error ?? (accepted ? null : `HTTP ${result.status}`);
}

/** One more failure in a row for a URL; returns how many there are now. */
export async function countEndpointFailure(db: Db, url: string, error: string | null): Promise<number> {
  const endpoint = db.table('webhook_endpoint');
  const [row] = await db.query<{ consecutive_failures: number }>(
    `INSERT INTO ${endpoint} AS e (url, consecutive_failures, last_error) VALUES ($1, 1, $2)
     ON CONFLICT (url) DO UPDATE SET consecutive_failures = e.consecutive_failures + 1, last_error = $2, updated_at = now()
     RETURNING consecutive_failures`,
    [url, error],
  );
  return row!.consecutive_failures;
}

/** Marks a URL failing, with its first probe in `inMs`; a URL already failing keeps its schedule. */
export async function markFailing(db: Db, url: string, inMs: number): Promise<void> {
  await db.query(
    `UPDATE ${db.table('webhook_endpoint')}
     SET failing_since = now(), probes = 0, next_probe_at = now() + $2 * interval '1 millisecond'
     WHERE url = $1 AND failing_since IS NULL`,
    [url, inMs],
  );
}

/** After a failed probe: when the next one goes. */
export async function scheduleProbe(db: Db, url: string, inMs: number): Promise<void> {
  await db.query(
    `UPDATE ${db.table('webhook_endpoint')} SET next_probe_at = now() + $2 * interval '1 millisecond' WHERE url = $1`,
    [url, inMs],
  );
}

/** A success clears the URL's record; true when the URL had been failing. */
export async function clearEndpoint(db: Db, url: string): Promise<boolean> {
  const rows = await db.query<{ failing_since: Date | null }>(
    `DELETE FROM ${db.table('webhook_endpoint')} WHERE url = $1 RETURNING failing_since`,
    [url],
  );
  return rows.some((row) => row.failing_since !== null);
}

/** Claimed payments this process will not send after all: free for any claim again. */
export async function releaseClaims(db: Db, outbox: Outbox, ids: string[]): Promise<void> {
  await db.query(
    `UPDATE ${db.table(outbox.table)} SET locked_until = NULL WHERE id = ANY($1::bigint[]) AND ${outbox.status} = 0`,
    [ids],
  );
}

/** After a recovery: every pending payment is due now, whatever its own backoff said. */
export async function releaseBacklog(db: Db, outbox: Outbox): Promise<void> {
  await db.query(
    `UPDATE ${db.table(outbox.table)} SET next_attempt_at = now()
     WHERE ${pendingRows(outbox)} AND next_attempt_at > now()`,
  );
}
