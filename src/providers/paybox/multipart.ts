/**
 * A `multipart/form-data` body (RFC 7578) into its fields: each part's name and value bytes, and
 * the charset a part names for itself. Parts are delimited by CRLF `--boundary`; a part without
 * `Content-Disposition: form-data; name="..."`, an uploaded file, an encoding other than the
 * identity, or a body that never closes refuses the message: FreedomPay sends none of these.
 */
import type { RawField } from './form.js';

/** The boundary of a multipart Content-Type, or undefined when it names none (or one RFC 2046 forbids). */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;"]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && boundary.length <= 70 ? boundary : undefined;
}

export function multipartFields(body: Buffer, boundary: string): { fields: RawField[] } | { problem: string } {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const next = `\r\n${delimiter}`;
  // The first boundary opens the body or follows a preamble's line.
  let at = 0;
  if (!text.startsWith(delimiter)) {
    at = text.indexOf(next);
    if (at < 0) return { problem: 'the multipart body has no boundary line' };
    at += 2;
  }
  const fields: RawField[] = [];
  for (;;) {
    at += delimiter.length;
    if (text.startsWith('--', at)) return { fields };
    // Transport padding: spaces and tabs may follow a boundary before its line ends.
    while (text[at] === ' ' || text[at] === '\t') at++;
    if (!text.startsWith('\r\n', at)) return { problem: 'a multipart boundary line is not followed by CRLF' };
    at += 2;
    const headersEnd = text.startsWith('\r\n', at) ? at : text.indexOf('\r\n\r\n', at);
    if (headersEnd < 0) return { problem: 'a multipart part has no end to its headers' };
    const contentStart = headersEnd === at ? at + 2 : headersEnd + 4;
    const contentEnd = text.indexOf(next, contentStart);
    if (contentEnd < 0) return { problem: 'the multipart body does not close' };
    const part = readPart(text.slice(at, headersEnd));
    if ('problem' in part) return part;
    fields.push({ name: part.name, value: text.slice(contentStart, contentEnd), charset: part.charset });
    at = contentEnd + 2;
  }
}

function readPart(headers: string): { name: string; charset?: string } | { problem: string } {
  let name: string | undefined;
  let charset: string | undefined;
  for (const line of headers === '' ? [] : headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[ \t]/.test(line)) return { problem: 'a multipart part has a malformed header' };
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1);
    if (header === 'content-disposition') {
      const disposition = parseDisposition(value);
      if (!disposition) return { problem: 'a multipart part has a malformed Content-Disposition' };
      if (disposition.type !== 'form-data') return { problem: 'a multipart part is not form-data' };
      if (disposition.params.has('filename') || disposition.params.has('filename*')) {
        return { problem: 'a multipart part is a file' };
      }
      name = disposition.params.get('name');
    } else if (header === 'content-type') {
      charset = /;\s*charset\s*=\s*"?([\w-]+)"?/i.exec(value)?.[1]?.toLowerCase();
    } else if (header === 'content-transfer-encoding') {
      if (!/^\s*(?:7bit|8bit|binary)\s*$/i.test(value)) return { problem: 'a multipart part is transfer-encoded' };
    }
  }
  if (name === undefined) return { problem: 'a multipart part has no name' };
  return { name, charset };
}

/** `form-data; name="a"; other=b`: the type and its parameters, quoted strings unescaped. */
function parseDisposition(value: string): { type: string; params: Map<string, string> } | undefined {
  const type = /^\s*([^\s;]+)\s*/.exec(value);
  if (!type) return undefined;
  const params = new Map<string, string>();
  let rest = value.slice(type[0].length);
  while (rest.length > 0 && !/^;\s*$/.test(rest)) {
    const param = /^;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]*))\s*/.exec(rest);
    if (!param) return undefined;
    const key = param[1]!.toLowerCase();
    if (params.has(key)) return undefined;
    params.set(key, param[2] === undefined ? param[3]! : param[2].replace(/\\(.)/g, '$1'));
    rest = rest.slice(param[0].length);
  }
  return { type: type[1]!.toLowerCase(), params };
}
