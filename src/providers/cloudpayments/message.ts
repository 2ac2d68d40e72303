/**
 * A CloudPayments notification as it arrives (bytes, charset, format) and as it is kept (its
 * fields). See shared/protocols/cloudpayments.md: `key=value&...` in the query string of a GET or
 * the body of a POST, or a JSON body; UTF-8 or Windows-1251.
 */
import type { FastifyRequest } from 'fastify';
import { charsetOf, decodeText } from '../../http/raw-body.js';

export interface Message {
  /** Exactly what was signed: the POST body, or the query string of a GET without its '?'. */
  raw: Buffer;
  charset: string;
  json: boolean;
}

/** The fields of a notification; blank values count as absent and are not kept. */
export interface Notification {
  payload: Record<string, unknown>;
  /** A top-level value as trimmed text, or undefined when absent or blank. */
  get(name: string): string | undefined;
}

export function readMessage(request: FastifyRequest, defaultCharset: string): Message {
  const contentType = request.headers['content-type'] ?? '';
  const charset = charsetOf(contentType) ?? defaultCharset;
  if (request.method !== 'POST') {
    const query = request.url.indexOf('?');
    // Node hands over the request line as latin1, so this gives back the bytes on the wire.
    const raw = Buffer.from(query < 0 ? '' : request.url.slice(query + 1), 'latin1');
    return { raw, charset, json: false };
  }
  const raw = request.rawBody ?? Buffer.alloc(0);
  const json = /\bjson\b/i.test(contentType) || (!/urlencoded/i.test(contentType) && startsWithBrace(raw));
  return { raw, charset, json };
}

/** The fields, or undefined for a JSON body that is not a JSON object. */
export function parseMessage(message: Message): Notification | undefined {
  const entries = message.json ? jsonEntries(decodeText(message.raw, message.charset)) : formEntries(message);
  if (!entries) return undefined;
  const payload: Record<string, unknown> = {};
  for (const [name, value] of entries) {
    if (Object.hasOwn(payload, name) || isBlank(value)) continue;
    // defineProperty: a field named __proto__ is a field like any other, not a prototype.
    Object.defineProperty(payload, name, { value: name === 'Data' ? carriedJson(value) : value, enumerable: true });
  }
  return {
    payload,
    get(name) {
      const value = payload[name];
      if (typeof value === 'string') return value.trim() || undefined;
      return typeof value === 'boolean' ? String(value) : undefined;
    },
  };
}

/**
 * Percent-decoding to bytes, `+` as a space, as a form decoder does: the bytes are then read in
 * the message's charset. URLSearchParams would read them as UTF-8 whatever the charset.
 */
export function urlDecode(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const bytes = Buffer.alloc(raw.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes[length++] = parseInt(hex, 16);
      i += 2;
    } else {
      bytes[length++] = text[i] === '+' ? 0x20 : text.charCodeAt(i);
    }
  }
  return bytes.subarray(0, length);
}

function formEntries({ raw, charset }: Message): [string, unknown][] {
  const decode = (part: string) => clean(decodeText(urlDecode(Buffer.from(part, 'latin1')), charset));
  return raw
    .toString('latin1')
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals < 0 ? [decode(pair), ''] : [decode(pair.slice(0, equals)), decode(pair.slice(equals + 1))];
    });
}

function jsonEntries(text: string): [string, unknown][] | undefined {
  try {
    const strict = JSON.parse(text) as unknown; // validates: the rewrite below is lenient
    if (!isObject(strict)) return undefined;
    return Object.entries(JSON.parse(quoteTopLevelNumbers(text), (_key, value: unknown) => cleanDeep(value)));
  } catch {
    return undefined;
  }
}

const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[{}[\]]/g;

/**
 * `"Amount": 696.00` becomes `"Amount": "696.00"`: amounts stay exact decimals and a long
 * TransactionId keeps every digit, as they would in a form body. Nested values (Data) keep their
 * JSON types.
 */
function quoteTopLevelNumbers(text: string): string {
  let depth = 0;
  return text.replace(JSON_TOKEN, (token) => {
    if (token === '{' || token === '[') depth++;
    else if (token === '}' || token === ']') depth--;
    else if (depth === 1 && token[0] !== '"') return `"${token}"`;
    return token;
  });
}

/** `Data` carries the merchant's JSON as a string: keep it as that JSON when it is an object. */
function carriedJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const parsed = JSON.parse(value, (_key, inner: unknown) => cleanDeep(inner)) as unknown;
    return isObject(parsed) || Array.isArray(parsed) ? parsed : value;
  } catch {
    return value;
  }
}

function isBlank(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// PostgreSQL text and jsonb cannot hold U+0000: one would make every retry fail.
const clean = (text: string) => text.replaceAll('\0', '\uFFFD');
const cleanDeep = (value: unknown) => (typeof value === 'string' ? clean(value) : value);

function startsWithBrace(raw: Buffer): boolean {
  return raw.toString('latin1', 0, 64).trimStart().startsWith('{');
}
