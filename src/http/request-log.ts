import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import type { RequestLogRow } from '../payments/record.js';
import { storableText } from '../util/text.js';
import { charsetOf, decodeText } from './raw-body.js';

const MASKED = '***';
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Requests whose log row was written or attempted: an error handler logs only the others. */
const attempted = new WeakSet<FastifyRequest>();

export type RequestLogger = (request: FastifyRequest) => Promise<void>;

/** Pays whose log row goes into the payment's own commit (recordPayment), not a commit of its own. */
const deferred = new WeakSet<FastifyRequest>();

/**
 * A preHandler that logs each request before it is acted on. A failure to log fails the
 * request: nothing is acted on unrecorded. A request `defer` picks (a pay) is logged with its
 * payment instead (takeLogRow), or by logDeferred if it is answered without one (a refusal).
 */
export function logBeforeHandling(write: RequestLogger, defer?: (request: FastifyRequest) => boolean) {
  return async (request: FastifyRequest): Promise<void> => {
    if (defer?.(request)) {
      deferred.add(request);
      return;
    }
    // Marked first: with the database down, a second try from the error handler would only double the wait.
    attempted.add(request);
    await write(request);
  };
}

/**
 * For an error handler: logs a request that failed before its preHandler ran (an unreadable or
 * oversized body), so refused requests are recorded too. Never throws.
 */
export async function logIfMissed(request: FastifyRequest, write: RequestLogger): Promise<void> {
  if (attempted.has(request)) return;
  attempted.add(request);
  await write(request).catch((error: unknown) => request.log.error({ err: error }, 'request log failed'));
}

/** The log row of a deferred request, for the caller to commit with the payment; written once. */
export function takeLogRow(request: FastifyRequest, charset = 'utf-8'): RequestLogRow | undefined {
  if (!deferred.has(request) || attempted.has(request)) return undefined;
  attempted.add(request);
  return requestLogRow(request, charset);
}

/** An onSend hook: a deferred request answered without a payment (refused) is logged before its answer. */
export function logDeferred(write: RequestLogger) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!deferred.has(request) || attempted.has(request)) return;
    attempted.add(request);
    await write(request).catch((error: unknown) => request.log.error({ err: error }, 'request log failed'));
  };
}

/**
 * One row in `<provider>_http_log` for a request, written before the request is acted on:
 * refused and unauthorized requests are recorded too. Credentials never reach the table.
 * `charset` is how to read a body whose Content-Type names none.
 */
export async function logRequest(db: Db, provider: string, request: FastifyRequest, charset = 'utf-8'): Promise<void> {
  const row = requestLogRow(request, charset);
  await db.query(
    `INSERT INTO ${db.table(`${provider}_http_log`)} (ip, url, method, headers, body) VALUES ($1, $2, $3, $4::json, $5)`,
    [row.ip, row.url, row.method, JSON.stringify(row.headers), row.body],
  );
}

function requestLogRow(request: FastifyRequest, charset: string): RequestLogRow {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = SECRET_HEADERS.has(name) ? MASKED : value;
  }
  const body = request.rawBody?.length
    ? storableText(decodeText(request.rawBody, charsetOf(request.headers['content-type']) ?? charset))
    : null;
  return { ip: request.ip, url: request.url, method: request.method, headers, body };
}
