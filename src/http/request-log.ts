import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import { storableText } from '../util/text.js';
import { charsetOf, decodeText } from './raw-body.js';

const MASKED = '***';
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Requests whose log row was written or attempted: an error handler logs only the others. */
const attempted = new WeakSet<FastifyRequest>();

export type RequestLogger = (request: FastifyRequest) => Promise<void>;

/**
 * A preHandler that logs each request before it is acted on. A failure to log fails the
 * request: nothing is acted on unrecorded.
 */
export function logBeforeHandling(write: RequestLogger) {
  return async (request: FastifyRequest): Promise<void> => {
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

/**
 * One row in `<provider>_http_log` for a request, written before the request is acted on:
 * refused and unauthorized requests are recorded too. Credentials never reach the table.
 * `charset` is how to read a body whose Content-Type names none.
 */
export async function logRequest(db: Db, provider: string, request: FastifyRequest, charset = 'utf-8'): Promise<void> {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = SECRET_HEADERS.has(name) ? MASKED : value;
  }
  const body = request.rawBody?.length
    ? storableText(decodeText(request.rawBody, charsetOf(request.headers['content-type']) ?? charset))
    : null;
  await db.query(
    `INSERT INTO ${db.table(`${provider}_http_log`)} (ip, url, method, headers, body) VALUES ($1, $2, $3, $4::json, $5)`,
    [request.ip, request.url, request.method, JSON.stringify(headers), body],
  );
}
