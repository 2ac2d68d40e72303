import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { RequestLogRow } from '../payments/record.js';
import { storableText } from '../util/text.js';
import { decodeBytes } from './form.js';

const MASKED = '***';
/**
 * Kept as `***`: credentials, and the headers that sign a provider's messages (its own
 * `signatureHeaders`), which with the body beside them would be a request anyone reading the log
 * or the admin API could send again as its sender.
 */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** How much of a body is kept from a request that failed authentication or its signature. */
export const REFUSED_BODY_PREFIX_BYTES = 1024;
/**
 * How much of the URL and the headers of a request that proved nothing is kept (a refused one, a
 * visit to a public page): a stranger's 16 KB of headers on every request would fill the disk.
 */
export const UNPROVEN_URL_CHARS = 1024;
export const UNPROVEN_HEADER_CHARS = 2048;

/**
 * A `<provider>_http_log` row for a request: credentials and signatures masked, the body as text
 * in its charset. `trusted` is false for a request that failed authentication or its signature:
 * a stranger must not fill the disk, so only a prefix of its body is kept, with the full length
 * and a digest.
 * A body whose text would not be the exact bytes also keeps the bytes: the raw message is the truth.
 */
export function requestLogRow(
  request: FastifyRequest,
  body: Buffer | undefined,
  charset: string,
  trusted: boolean,
  signatureHeaders: readonly string[] = [],
): RequestLogRow {
  const headers = maskedHeaders(request, signatureHeaders);
  const row: RequestLogRow = {
    ip: request.ip,
    url: trusted ? request.url : truncated(request.url, UNPROVEN_URL_CHARS),
    method: request.method,
    headers: trusted ? headers : boundedHeaders(headers, UNPROVEN_HEADER_CHARS),
    body: null,
    receivedAt: new Date(),
  };
  const declared = Number(request.headers['content-length']);
  if (!body?.length) {
    // Refused before it was read: say how much the caller meant to send.
    if (Number.isSafeInteger(declared) && declared > 0) row.bodyLength = declared;
    return row;
  }
  if (!trusted && body.length > REFUSED_BODY_PREFIX_BYTES) {
    const prefix = body.subarray(0, REFUSED_BODY_PREFIX_BYTES);
    row.body = storableText(decodeBytes(prefix, charset) ?? '');
    row.bodyLength = body.length;
    row.bodySha256 = createHash('sha256').update(body).digest('hex');
    return row;
  }
  const exact = decodeBytes(body, charset, true);
  const text = exact ?? decodeBytes(body, charset) ?? '';
  row.body = storableText(text);
  if (exact === undefined || row.body !== text) {
    row.bodyLength = body.length;
    row.bodyRaw = body;
  }
  return row;
}

function maskedHeaders(request: FastifyRequest, signatureHeaders: readonly string[]): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = CREDENTIAL_HEADERS.includes(name) || signatureHeaders.includes(name) ? MASKED : value;
  }
  return headers;
}

function truncated(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}…` : text;
}

/**
 * The headers in their order until `budget` characters (names and values) are spent, the last
 * one cut short; how many more there were is said under `…`.
 */
function boundedHeaders(headers: Record<string, unknown>, budget: number): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  const entries = Object.entries(headers);
  let left = budget;
  let index = 0;
  for (; index < entries.length && left > 0; index++) {
    const [name, value] = entries[index]!;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    const shortName = truncated(name, Math.min(64, left));
    left -= shortName.length;
    kept[shortName] = truncated(text, Math.max(0, left));
    left -= text.length;
  }
  if (index < entries.length) kept['…'] = `${entries.length - index} more headers not kept`;
  return kept;
}
