/**
 * What happened to one payment: its delivery attempts, the requests that concern it and the
 * events recorded about it later (a cancel, a refund), for every instance alike.
 */
import type { Db } from '../db/index.js';
import { parseTransactionId } from '../delivery/redeliver.js';
import { redactUrl } from '../util/redact-url.js';
import type { AdminContext } from './index.js';
import { iso, standaloneTokenPattern } from './sql.js';
import { maskRequest, maskValue, secretFieldsOf } from './secrets.js';
import { findTransaction } from './transactions.js';

export interface Attempt {
  id: string;
  attempt: number;
  url: string;
  request_body: string;
  response_status: number | null;
  response_excerpt: string | null;
  error: string | null;
  duration_ms: number;
  created_at: string | null;
}

/** Characters of the backend's answer shown per attempt (the table keeps up to 2,000). */
const EXCERPT = 500;

export async function listAttempts(db: Db, provider: string, id: string): Promise<Attempt[]> {
  const rows = await db.query(
    `SELECT id, attempt, url, request_body, response_status, left(response_body, ${EXCERPT}) AS response_excerpt,
       error, duration_ms, created_at
     FROM ${db.table(`${provider}_webhook_log`)} WHERE transaction_id = $1 ORDER BY id`,
    [id],
  );
  return rows.map((row) => ({
    id: String(row.id),
    attempt: Number(row.attempt),
    // Stored masked; masked again for the rows of a version that stored the URL as it came.
    url: redactUrl(String(row.url)),
    request_body: String(row.request_body),
    response_status: row.response_status === null ? null : Number(row.response_status),
    response_excerpt: row.response_excerpt as string | null,
    error: row.error as string | null,
    duration_ms: Number(row.duration_ms),
    created_at: iso(row.created_at),
  }));
}

export interface LoggedRequest {
  provider: string;
  id: string;
  ip: string | null;
  method: string | null;
  url: string | null;
  headers: unknown;
  body: string | null;
  created_at: string | null;
}

/** How far before the payment a request about it may be: a check precedes the pay by moments. */
const REQUESTS_BEFORE = '1 day';
const MAX_REQUESTS = 100;

/**
 * The request-log rows that name the payment's code as a value of its own in the URL or the
 * body (the network's id of the payment, in a pay or a later request about it), from a day before
 * the payment on: the check, the pay and its repeats, later notifications. The log keeps no
 * parsed fields, so this is a scan of the log from that day on.
 */
export async function requestsAbout(db: Db, provider: string, code: string, createdAt: Date): Promise<LoggedRequest[]> {
  const rows = await db.query(
    `SELECT id, ip, url, method, headers, body, created_at FROM ${db.table(`${provider}_http_log`)}
     WHERE created_at >= $2::timestamptz - interval '${REQUESTS_BEFORE}' AND (url ~ $1 OR body ~ $1)
     ORDER BY id LIMIT ${MAX_REQUESTS}`,
    [standaloneTokenPattern(code), createdAt],
  );
  return rows.map((row) => toLoggedRequest(provider, row));
}

export function toLoggedRequest(provider: string, row: Record<string, unknown>): LoggedRequest {
  return {
    provider,
    id: String(row.id),
    ip: row.ip as string | null,
    method: row.method as string | null,
    url: row.url as string | null,
    headers: row.headers ?? null,
    body: row.body as string | null,
    created_at: iso(row.created_at),
  };
}

/** The events recorded about the payment (a cancel, a refund...), with how their delivery went. */
export async function eventsAbout(db: Db, instance: string, code: string): Promise<Record<string, unknown>[]> {
  const rows = await db.query(
    `SELECT id, type, code, account, sum::text AS sum, payload, created_at, status, delivery_attempts, delivered_at, last_error
     FROM ${db.table(`${instance}_event`)} WHERE payment_code = $1 ORDER BY id`,
    [code],
  );
  return rows.map((row) => {
    const shown: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) shown[column] = value instanceof Date ? value.toISOString() : value;
    return { ...shown, id: String(row.id), status: Number(row.status), delivery_attempts: Number(row.delivery_attempts) };
  });
}

/** The payment with everything that happened to it, or undefined. */
export async function transactionStory(context: AdminContext, provider: string, id: string) {
  const transactionId = parseTransactionId(id);
  if (transactionId === undefined) return undefined;
  const transaction = await findTransaction(context.db, provider, transactionId);
  if (!transaction) return undefined;
  const [attempts, requests, events] = await Promise.all([
    listAttempts(context.db, provider, transactionId),
    requestsAbout(context.db, provider, transaction.code, new Date(transaction.created_at ?? 0)),
    eventsAbout(context.db, provider, transaction.code),
  ]);
  const secret = secretFieldsOf(context, provider);
  return {
    ...transaction,
    details: maskValue(transaction.details, secret) as Record<string, unknown>,
    attempts,
    requests: requests.map((request) => maskRequest(request, secret)),
    events: events.map((event) => maskValue(event, secret) as Record<string, unknown>),
  };
}

export function hasWebhookUrl(context: AdminContext, provider: string): boolean {
  return context.providers.some(({ name, settings }) => name === provider && settings.webhookUrl);
}
