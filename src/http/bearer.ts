import { createHash, timingSafeEqual } from 'node:crypto';

/** Equal strings, in time that does not depend on where they differ (nor, hashed, on their length). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when the Authorization header carries the token as a Bearer credential. */
export function hasBearerToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match !== null && sameSecret(match[1]!, token);
}
