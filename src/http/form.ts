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
  const text = raw.toString('latin1');
  const bytes = Buffer.alloc(raw.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes[length++] = Number.parseInt(hex, 16);
      i += 2;
    } else {
      bytes[length++] = text[i] === '+' ? 0x20 : text.charCodeAt(i);
    }
  }
  return bytes.subarray(0, length);
}

/** Each `name=value` pair, percent-decoded to bytes; a pair without `=` has an empty value. */
export function formPairs(raw: Buffer): [Buffer, Buffer][] {
  return raw
    .toString('latin1')
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      const value = equals < 0 ? '' : pair.slice(equals + 1);
      return [urlDecode(Buffer.from(name, 'latin1')), urlDecode(Buffer.from(value, 'latin1'))];
    });
}

/**
 * Bytes as text in a charset; an unknown charset reads as UTF-8. A byte-order mark is kept as a
 * character (it is not part of any real value). Strict decoding returns undefined for bytes the
 * charset cannot read; lenient decoding shows them as U+FFFD.
 */
export function decodeBytes(bytes: Buffer, charset: string, strict = false): string | undefined {
  try {
    return decoderFor(charset, strict).decode(bytes);
  } catch {
    return undefined;
  }
}

function decoderFor(charset: string, strict: boolean): TextDecoder {
  const options = { fatal: strict, ignoreBOM: true };
  try {
    return new TextDecoder(charset, options);
  } catch {
    return new TextDecoder('utf-8', options);
  }
}
