import { isAscii, isUtf8 } from 'node:buffer';

/**
 * `key=value&...` as providers send it, in a query string or a form body: percent-escaped bytes
 * in the provider's charset (UTF-8 or Windows-1251), `+` for a space. URLSearchParams would read
 * every byte as UTF-8 and quietly turn what it cannot read into U+FFFD, so this keeps the bytes
 * and decodes them in the right charset, strictly when the caller asks.
 */

/** The query string of a URL exactly as sent: everything after the first `?` (a later `?` is data). */
export function rawQuery(url: string): Buffer {
  const start = url.indexOf('?');
  // Node hands over the request line as latin1, so this gives back the bytes on the wire.
  return Buffer.from(start < 0 ? '' : url.slice(start + 1), 'latin1');
}

/** Percent-decoding to bytes, `+` as a space, as a form decoder does. */
export function urlDecode(raw: Buffer): Buffer {
  // Most values (ids, sums, dates) have nothing to decode.
  if (raw.indexOf(PERCENT) < 0 && raw.indexOf(PLUS) < 0) return raw;
  const bytes = Buffer.alloc(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const high = raw[i] === PERCENT ? hexDigit(raw[i + 1]) : -1;
    const low = high < 0 ? -1 : hexDigit(raw[i + 2]);
    if (low >= 0) {
      bytes[length++] = high * 16 + low;
      i += 2;
    } else {
      bytes[length++] = raw[i] === PLUS ? SPACE : raw[i]!;
    }
  }
  return bytes.subarray(0, length);
}

const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;

/** The value of a hexadecimal digit's byte, or -1. */
function hexDigit(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** Each `name=value` pair, percent-decoded to bytes; a pair without `=` has an empty value. */
export function formPairs(raw: Buffer): [Buffer, Buffer][] {
  return splitPairs(raw).map(([name, value]) => [partBytes(name), partBytes(value)]);
}

/**
 * Each pair with its name percent-decoded as latin1 text (one character per byte: the names
 * providers use are ASCII words) and its value as bytes.
 */
export function formNamedPairs(raw: Buffer): [string, Buffer][] {
  return splitPairs(raw).map(([name, value]) => [escaped(name) ? partBytes(name).toString('latin1') : name, partBytes(value)]);
}

const escaped = (part: string) => part.includes('%') || part.includes('+');

/** A still-escaped part (one character per byte) as its decoded bytes. */
const partBytes = (part: string) => urlDecode(Buffer.from(part, 'latin1'));

/**
 * Each `name=value` pair as text in `charset`, leniently decoded (U+FFFD for what it cannot
 * read). The same as decoding each pair of formPairs, faster for the usual form body: all ASCII,
 * most values with nothing escaped.
 */
export function formFields(raw: Buffer, charset: string): [string, string][] {
  const fields: [string, string][] = [];
  forEachFormField(raw, charset, (name, value) => fields.push([name, value]));
  return fields;
}

/**
 * formFields without the array: each pair handed to `visit` as it is read. The usual form is
 * read in one pass of indexOf over its text, with no array per pair: in a running gateway
 * that made a signed card pay cheaper, far more than in isolation (decision 014).
 */
export function forEachFormField(raw: Buffer, charset: string, visit: (name: string, value: string) => void): void {
  const { encoding } = decoderFor(charset, false);
  if (!ASCII_BASED.has(encoding) || !isAscii(raw)) {
    for (const [name, value] of formPairs(raw)) visit(decodeBytes(name, charset) ?? '', decodeBytes(value, charset) ?? '');
    return;
  }
  const decode = (part: string) => {
    if (!escaped(part)) return part;
    // decodeURIComponent reads escapes as UTF-8, as the charset does (or as ASCII, which any of
    // them reads alike); it throws on what it cannot read, which then goes the long way.
    if (encoding === 'utf-8' || !/%[89a-f]/i.test(part)) {
      try {
        return decodeURIComponent(part.replaceAll('+', ' '));
      } catch {}
    }
    return decodeBytes(partBytes(part), charset) ?? '';
  };
  const text = raw.toString('latin1');
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const equals = text.indexOf('=', start);
      const named = equals >= 0 && equals < end;
      visit(decode(text.slice(start, named ? equals : end)), named ? decode(text.slice(equals + 1, end)) : '');
    }
    start = end + 1;
  }
}

/** The raw (still escaped) name and value of each pair, one character per byte. */
function splitPairs(raw: Buffer): [string, string][] {
  return raw
    .toString('latin1')
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals < 0 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    });
}

/**
 * Bytes as text in a charset; an unknown charset reads as UTF-8. A byte-order mark is kept as a
 * character (it is not part of any real value). Strict decoding returns undefined for bytes the
 * charset cannot read; lenient decoding shows them as U+FFFD.
 */
export function decodeBytes(bytes: Buffer, charset: string, strict = false): string | undefined {
  const decoder = decoderFor(charset, strict);
  // Fast paths with the same answers: ASCII reads alike in every ASCII-based charset, and valid
  // UTF-8 decodes natively; TextDecoder's strict mode is many times slower.
  if (ASCII_BASED.has(decoder.encoding) && isAscii(bytes)) return bytes.toString('latin1');
  if (decoder.encoding === 'utf-8' && isUtf8(bytes)) return bytes.toString('utf8');
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Charsets in which every byte below 0x80 is that ASCII character (not UTF-16, not ISO-2022-JP). */
const ASCII_BASED = new Set(['utf-8', 'windows-1251', 'windows-1252', 'koi8-r', 'koi8-u', 'ibm866', 'iso-8859-5']);

const decoders = { strict: new Map<string, TextDecoder>(), lenient: new Map<string, TextDecoder>() };

/** A decoder holds no state between whole-buffer calls, so one per charset and strictness serves all. */
function decoderFor(charset: string, strict: boolean): TextDecoder {
  const cache = strict ? decoders.strict : decoders.lenient;
  let decoder = cache.get(charset);
  if (decoder === undefined) {
    const options = { fatal: strict, ignoreBOM: true };
    try {
      decoder = new TextDecoder(charset, options);
    } catch {
      decoder = new TextDecoder('utf-8', options);
    }
    // Charsets come from callers' headers: only as many decoders as there are real charsets are kept.
    if (cache.size < 64) cache.set(charset, decoder);
  }
  return decoder;
}
