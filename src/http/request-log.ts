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
  secrets: LogSecrets = {},
): RequestLogRow {
  const headers = maskedHeaders(request, secrets.headers ?? []);
  const row: RequestLogRow = {
    ip: request.ip,
    url: maskFields(trusted ? request.url : truncated(request.url, UNPROVEN_URL_CHARS), secrets.fields ?? []),
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
  const kept = maskBytes(body, secrets.fields ?? []);
  if (!trusted && body.length > REFUSED_BODY_PREFIX_BYTES) {
    const prefix = kept.subarray(0, REFUSED_BODY_PREFIX_BYTES);
    row.body = storableText(decodeBytes(prefix, charset) ?? '');
    row.bodyLength = body.length;
    row.bodySha256 = sha256(body);
    return row;
  }
  const exact = decodeBytes(kept, charset, true);
  const text = exact ?? decodeBytes(kept, charset) ?? '';
  row.body = storableText(text);
  if (exact === undefined || row.body !== text) {
    row.bodyLength = body.length;
    row.bodyRaw = kept;
  }
  return row;
}

/**
 * The bytes with the values of `fields` masked. Read as Latin-1, every byte is one character and
 * back: the field names, `=`, `&` and quotes are ASCII, and no byte of a multi-byte character is,
 * so whatever the charset the rest stays byte for byte what came.
 */
function maskBytes(body: Buffer, fields: readonly string[]): Buffer {
  if (!fields.some((field) => body.includes(field))) return body;
  const latin1 = body.toString('latin1');
  const masked = maskFields(latin1, fields);
  return masked === latin1 ? body : Buffer.from(masked, 'latin1');
}

/** What a protocol's messages carry that must not be kept for people to read. */
export interface LogSecrets {
  /** Headers (lower case) that sign its messages. */
  headers?: readonly string[];
  /** Fields of its messages that are credentials (a card token that charges the card again). */
  fields?: readonly string[];
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The text with the values of `fields` as `***`, in a form (`Token=…&`) and in JSON (`"Token": "…"`):
 * what the request log and the admin show of a message.
 */
export function maskFields(text: string, fields: readonly string[]): string {
  if (fields.length === 0) return text;
  let masked = text;
  for (const [field, form, json] of expressionsFor(fields)) {
    if (masked.includes(field)) masked = masked.replace(form, '$1$2***').replace(json, '$1"***"');
  }
  return masked;
}

/** A protocol's fields are a constant list: their expressions are built once, not on every pay. */
const expressions = new WeakMap<readonly string[], [field: string, form: RegExp, json: RegExp][]>();

function expressionsFor(fields: readonly string[]): [string, RegExp, RegExp][] {
  let built = expressions.get(fields);
  if (!built) {
    built = fields.map((field) => {
      const name = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return [field, new RegExp(`(^|[&?])(${name}=)[^&]*`, 'g'), new RegExp(`("${name}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'g')];
    });
    expressions.set(fields, built);
  }
  return built;
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
