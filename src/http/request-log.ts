import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import { charsetOf, decodeText } from './raw-body.js';

const MASKED = '***';
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

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
    ? decodeText(request.rawBody, charsetOf(request.headers['content-type']) ?? charset).replaceAll('\0', '\uFFFD')
    : null;
  await db.query(
    `INSERT INTO ${db.table(`${provider}_http_log`)} (ip, url, method, headers, body) VALUES ($1, $2, $3, $4::json, $5)`,
    [request.ip, request.url, request.method, JSON.stringify(headers), body],
  );
}
