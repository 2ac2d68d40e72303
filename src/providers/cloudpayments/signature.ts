/**
 * CloudPayments signs every notification twice, each `base64(HMAC-SHA256(message, ApiSecret))`:
 * Content-HMAC over the message exactly as received, X-Content-HMAC over the URL-decoded
 * message. The raw bytes are the check; re-encoding parsed fields never reproduces them.
 *
 * The decoded text cannot tell an encoded `%26`/`%3D` from a bare `&`/`=`: a value a customer
 * typed (`Name=x%26Status%3DCancelled`) decodes to the same text as the body with that value split
 * into fields of its own (`Name=x&Status=Cancelled`), so X-Content-HMAC signs both alike. It
 * therefore never outvotes Content-HMAC.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { forEachFormField, urlDecode } from '../../http/form.js';
import { decodeText } from '../../http/raw-body.js';
import { storableText } from '../../util/text.js';
import type { Message } from './message.js';

/** The two signature headers, masked in the request log once read. */
export const SIGNATURE_HEADERS = ['content-hmac', 'x-content-hmac'] as const;

export function hasValidSignature(message: Message, headers: IncomingHttpHeaders, secret: string): boolean {
  // Sent (even empty), Content-HMAC alone decides: a right X-Content-HMAC beside a wrong one may
  // sign a different split of the same text.
  if (headers['content-hmac'] !== undefined) return matches(headers['content-hmac'], [message.raw], secret);
  // Older cabinets send X-Content-HMAC only: still accepted, but not for a form that repeats a
  // field. CloudPayments never sends a field twice, and a value split into fields overrides
  // only by repeating one that follows it (the first of a repeat is the one kept).
  return matches(headers['x-content-hmac'], decodedForms(message), secret) && !repeatsAField(message);
}

/**
 * Whether a form message names a field twice, as message.ts would read its names. A JSON body is
 * not checked: it is split by a customer typing `%22` (decoded, a quote), and JSON.parse keeps
 * the last of a repeated key, not the first. A known gap of X-Content-HMAC alone.
 */
function repeatsAField({ raw, charset, json }: Message): boolean {
  if (json) return false;
  const names = new Set<string>();
  let repeated = false;
  forEachFormField(raw, charset, (name) => {
    const kept = storableText(name);
    if (names.has(kept)) repeated = true;
    names.add(kept);
  });
  return repeated;
}

/**
 * The decoded message as text, signed as UTF-8. For a Windows-1251 message the decoded bytes
 * themselves are tried too: the documentation does not say which of the two is signed.
 */
function decodedForms({ raw, charset }: Message): Buffer[] {
  const bytes = urlDecode(raw);
  const utf8 = Buffer.from(decodeText(bytes, charset), 'utf8');
  return utf8.equals(bytes) ? [utf8] : [utf8, bytes];
}

function matches(header: string | string[] | undefined, candidates: Buffer[], secret: string): boolean {
  if (typeof header !== 'string') return false;
  const given = Buffer.from(header.trim(), 'base64');
  let valid = false;
  for (const candidate of candidates) {
    const expected = createHmac('sha256', secret).update(candidate).digest();
    // The length of an HMAC is public: only the comparison of equal lengths must be constant-time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  return valid;
}
