/**
 * `key=value&...` in a query string or a form body, as FreedomPay sends it, into the field tree:
 * percent-escapes to bytes, `+` as a space, each name and value then read strictly in the
 * message's charset. A name like `a[b][]` nests as PHP nests it. Nothing is trimmed or mended:
 * bytes the charset cannot read, a NUL, a name without a name, brackets PHP would guess at, the
 * same field twice with different values: each refuses the message.
 */
import { isAscii } from 'node:buffer';
import { decodeBytes } from '../../http/form.js';
import { isAsciiText, Level, MAX_DEPTH } from './tree.js';

/** A field's name and value bytes (binary strings), from a form or a multipart part. */
export interface RawField {
  name: string;
  value: string;
  /** The charset of this value when it says its own (a multipart part's Content-Type). */
  charset?: string;
  /** Both are ASCII, known from the whole body: nothing to decode. */
  ascii?: boolean;
}

/** Each `name=value` pair, percent-decoded, as binary strings; empty pairs (`&&`) are skipped, as PHP skips them. */
export function formFields(raw: Buffer): RawField[] {
  const fields: RawField[] = [];
  const text = raw.toString('latin1');
  // Checked once for the body, not for each name and value: a form is mostly ASCII.
  const ascii = decodesToAscii(raw, text);
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const equals = text.indexOf('=', start);
      const named = equals >= 0 && equals < end;
      const name = percentDecoded(text.slice(start, named ? equals : end));
      fields.push({ name, value: named ? percentDecoded(text.slice(equals + 1, end)) : '', ascii });
    }
    start = end + 1;
  }
  return fields;
}

/** Whether every byte a form's text decodes to is ASCII: none above 0x7f, as it is or escaped (`%8…` to `%F…`). */
function decodesToAscii(raw: Buffer, text: string): boolean {
  if (!isAscii(raw)) return false;
  for (let at = text.indexOf('%'); at >= 0; at = text.indexOf('%', at + 1)) {
    if (HIGH_HEX_DIGIT.has(text[at + 1]!)) return false;
  }
  return true;
}

const HIGH_HEX_DIGIT = new Set('89abcdefABCDEF');
const ESCAPE = /%([0-9A-Fa-f]{2})|\+/g;

/** A still-escaped part as the bytes it stands for (a `%` without two hex digits stays itself). */
function percentDecoded(part: string): string {
  const spaced = part.includes('+') ? part.replaceAll('+', ' ') : part;
  if (!part.includes('%')) return spaced;
  // unescape reads `%XX` as the character XX (a byte, here) and keeps a `%` without two hex
  // digits, as a form does, natively; only its `%uXXXX` is no form's.
  if (!part.includes('%u')) return unescape(spaced);
  return part.replace(ESCAPE, (_escape: string, hex?: string) =>
    hex === undefined ? ' ' : String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** Text of a binary string in `charset`, strictly; undefined for bytes it cannot read or a NUL. */
export function readText(binary: string, charset: string, ascii = isAsciiText(binary)): string | undefined {
  const text = ascii ? binary : decodeBytes(Buffer.from(binary, 'latin1'), charset, true);
  return text === undefined || text.includes('\0') ? undefined : text;
}

/** `base[k1][k2]...` split at its brackets (binary strings), or undefined when it is not that shape. */
export function nameSegments(name: string): string[] | undefined {
  const open = name.indexOf('[');
  if (open < 0) return [name];
  const segments = [name.slice(0, open)];
  let rest = name.slice(open);
  while (rest.length > 0) {
    const match = /^\[([^[\]]*)\]/.exec(rest);
    if (!match) return undefined;
    segments.push(match[1]!);
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/** The fields into a tree, or why they cannot be one. */
export function buildTree(fields: readonly RawField[], charset: string): { level: Level } | { problem: string } {
  const level = new Level();
  for (const field of fields) {
    const problem = field.name.includes('[') ? insertNested(level, field, charset) : insertValue(level, field, charset);
    if (problem) return { problem };
  }
  return { level };
}

const UNNAMED = 'a field name is empty or has unbalanced brackets';

/** A field named without brackets, as FreedomPay names its own: no segments to split. */
function insertValue(level: Level, field: RawField, charset: string): string | undefined {
  if (field.name === '') return UNNAMED;
  const name = readText(field.name, charset, field.ascii);
  if (name === undefined) return `a field name is not readable as ${charset}`;
  const text = readText(field.value, field.charset ?? charset, field.ascii);
  if (text === undefined) return `${name} is not readable as ${charset}`;
  return level.put(name, field.name, text, field.value);
}

function insertNested(level: Level, field: RawField, charset: string): string | undefined {
  const keys = nameSegments(field.name);
  if (!keys || keys[0] === '') return UNNAMED;
  if (keys.length > MAX_DEPTH) return 'fields nest too deep';
  const names: string[] = [];
  for (const key of keys) {
    const name = readText(key, charset, field.ascii);
    if (name === undefined) return `a field name is not readable as ${charset}`;
    names.push(name);
  }
  const text = readText(field.value, field.charset ?? charset, field.ascii);
  if (text === undefined) return `${names.join('.')} is not readable as ${charset}`;
  return level.insert(names, keys, text, field.value);
}
