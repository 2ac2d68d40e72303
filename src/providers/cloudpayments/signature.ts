/**
 * CloudPayments signs every notification twice, each `base64(HMAC-SHA256(message, ApiSecret))`:
 * Content-HMAC over the message exactly as received, X-Content-HMAC over the URL-decoded
 * message. The raw bytes are the primary check; re-encoding parsed fields never reproduces them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { decodeText } from '../../http/raw-body.js';
import { urlDecode } from '../../http/form.js';
import type { Message } from './message.js';

export function hasValidSignature(message: Message, headers: IncomingHttpHeaders, secret: string): boolean {
  if (matches(headers['content-hmac'], [message.raw], secret)) return true;
  return matches(headers['x-content-hmac'], decodedForms(message), secret);
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
