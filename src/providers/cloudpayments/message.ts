/**
 * A CloudPayments notification as it arrives (bytes, charset, format) and as it is kept (its
 * fields). See docs/providers/cloudpayments.md: `key=value&...` in the query string of a GET or
 * the body of a POST, or a JSON body; UTF-8 or Windows-1251.
 */
import { forEachFormField } from '../../http/form.js';
import { decodeText } from '../../http/raw-body.js';
import { mapTexts, storableText } from '../../util/text.js';
import type { IncomingMessage } from '../types.js';

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

/** The signed message of a request: the body of a POST, the query string of anything else. */
export function readMessage(incoming: IncomingMessage): Message {
  const { contentType, charset } = incoming;
  if (incoming.method !== 'POST') return { raw: incoming.query, charset, json: false };
  const raw = incoming.body;
  const json = /\bjson\b/i.test(contentType) || (!/urlencoded/i.test(contentType) && startsWithBrace(raw));
  return { raw, charset, json };
}

/** The fields, or undefined for a JSON body that is not a JSON object. */
export function parseMessage(message: Message): Notification | undefined {
  const payload = message.json ? jsonPayload(decodeText(message.raw, message.charset)) : formPayload(message);
  if (!payload) return undefined;
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
 * Form text is always well-formed: every decoder here shows what it cannot read as U+FFFD, never
 * as half of a surrogate pair. Only a NUL still has to go.
 */
function formPayload({ raw, charset }: Message): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  forEachFormField(raw, charset, (name, value) => keep(payload, storableText(name), storableText(value)));
  return payload;
}

function jsonPayload(text: string): Record<string, unknown> | undefined {
  try {
    const strict = JSON.parse(text) as unknown; // validates: the rewrite below is lenient
    if (!isObject(strict)) return undefined;
    const payload: Record<string, unknown> = {};
    const fields = storableJson(JSON.parse(quoteTopLevelNumbers(text)), text) as Record<string, unknown>;
    for (const [name, value] of Object.entries(fields)) keep(payload, name, value);
    return payload;
  } catch {
    return undefined;
  }
}

/** The first of a field's repeats is kept, a blank value counts as absent, Data is read as JSON. */
function keep(payload: Record<string, unknown>, name: string, value: unknown): void {
  if (Object.hasOwn(payload, name) || isBlank(value)) return;
  const field = name === 'Data' ? carriedJson(value) : value;
  // A field named __proto__ is a field like any other, not a prototype: defined, not assigned.
  if (name === '__proto__') Object.defineProperty(payload, name, { value: field, enumerable: true, writable: true });
  else payload[name] = field;
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
    const parsed = storableJson(JSON.parse(value), value);
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

/**
 * PostgreSQL text and jsonb refuse U+0000 and half of a surrogate pair (`"\ud83d"`): either would
 * make every retry of a charged card fail. Both become U+FFFD, in names as in values; the exact
 * message stays in the request log. JSON text makes either only from an escape (`\u0000`,
 * `\ud83d`): parsed text without one is kept as it is, with no second walk over it.
 */
function storableJson(parsed: unknown, text: string): unknown {
  return MAY_NEED_MENDING.test(text) ? mapTexts(parsed, (text) => storableText(text.toWellFormed())) : parsed;
}

const MAY_NEED_MENDING = /\\u(?:0000|[dD][89a-fA-F])/;

function startsWithBrace(raw: Buffer): boolean {
  return raw.toString('latin1', 0, 64).trimStart().startsWith('{');
}
