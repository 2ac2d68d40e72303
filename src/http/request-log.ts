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
 * The bytes with the values of `fields` masked, exactly as maskFields masks the body read as
 * Latin-1 (one character per byte): the field names, `=`, `&` and quotes are ASCII, and no byte
 * of a multi-byte character is, so whatever the charset the rest stays byte for byte what came.
 * Done on the bytes: a card pay carries its Token, and copying the body to text and back on every
 * one cost more than the rest of its log row.
 */
export function maskBytes(body: Buffer, fields: readonly string[]): Buffer {
  if (fields.length === 0) return body;
  let masked = body;
  for (const { formName, jsonName } of matchersFor(fields)) masked = maskJsonValues(maskFormValues(masked, formName), jsonName);
  return masked;
}

const STARS = Buffer.from('***');
const QUOTED_STARS = Buffer.from('"***"');
const [AMPERSAND, QUESTION_MARK, QUOTE, COLON, BACKSLASH] = [0x26, 0x3f, 0x22, 0x3a, 0x5c];

/** maskFields' form expression, `(^|[&?])(name=)[^&]*` → `$1$2***`, on bytes; `name` is `name=`. */
function maskFormValues(body: Buffer, name: Buffer): Buffer {
  const parts: Buffer[] = [];
  let kept = 0;
  for (let at = body.indexOf(name); at >= 0; ) {
    if (at > 0 && body[at - 1] !== AMPERSAND && body[at - 1] !== QUESTION_MARK) {
      at = body.indexOf(name, at + 1);
      continue;
    }
    const value = at + name.length;
    parts.push(body.subarray(kept, value), STARS);
    const end = body.indexOf(AMPERSAND, value);
    kept = end < 0 ? body.length : end;
    // The next match starts at this `&` at the earliest, its name one byte after it.
    at = end < 0 ? -1 : body.indexOf(name, end + 1);
  }
  return parts.length ? Buffer.concat([...parts, body.subarray(kept)]) : body;
}

/** maskFields' JSON expression, `("name"\s*:\s*)"(?:[^"\\]|\\.)*"` → `$1"***"`, on bytes; `name` is `"name"`. */
function maskJsonValues(body: Buffer, name: Buffer): Buffer {
  const parts: Buffer[] = [];
  let kept = 0;
  for (let at = body.indexOf(name); at >= 0; ) {
    const close = jsonStringAfter(body, skipSpaces(body, at + name.length));
    if (close === undefined) {
      at = body.indexOf(name, at + 1);
      continue;
    }
    parts.push(body.subarray(kept, close.open), QUOTED_STARS);
    kept = close.end;
    at = body.indexOf(name, kept);
  }
  return parts.length ? Buffer.concat([...parts, body.subarray(kept)]) : body;
}

/** After `:` and spaces, a string's opening quote and the end of its closing one; undefined when there is none. */
function jsonStringAfter(body: Buffer, colon: number): { open: number; end: number } | undefined {
  if (body[colon] !== COLON) return undefined;
  const open = skipSpaces(body, colon + 1);
  if (body[open] !== QUOTE) return undefined;
  for (let i = open + 1; i < body.length; i++) {
    if (body[i] === QUOTE) return { open, end: i + 1 };
    // `\.`: a backslash escapes any character but a line's end.
    if (body[i] === BACKSLASH && (body[++i] === 0x0a || body[i] === 0x0d)) return undefined;
  }
  return undefined;
}

/** Past what `\s` matches in Latin-1: tab to carriage return, space, no-break space. */
function skipSpaces(body: Buffer, from: number): number {
  let i = from;
  while (i < body.length && ((body[i]! >= 0x09 && body[i]! <= 0x0d) || body[i] === 0x20 || body[i] === 0xa0)) i++;
  return i;
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
  for (const { field, form, json } of matchersFor(fields)) {
    if (masked.includes(field)) masked = masked.replace(form, '$1$2***').replace(json, '$1"***"');
  }
  return masked;
}

/** How a field is found in text (its expressions) and in bytes (`name=`, `"name"`). */
interface Matcher {
  field: string;
  form: RegExp;
  json: RegExp;
  formName: Buffer;
  jsonName: Buffer;
}

/** A protocol's fields are a constant list: their matchers are built once, not on every pay. */
const matchers = new WeakMap<readonly string[], Matcher[]>();

function matchersFor(fields: readonly string[]): Matcher[] {
  let built = matchers.get(fields);
  if (!built) {
    built = fields.map((field) => {
      const name = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return {
        field,
        form: new RegExp(`(^|[&?])(${name}=)[^&]*`, 'g'),
        json: new RegExp(`("${name}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'g'),
        formName: Buffer.from(`${field}=`, 'latin1'),
        jsonName: Buffer.from(`"${field}"`, 'latin1'),
      };
    });
    matchers.set(fields, built);
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
