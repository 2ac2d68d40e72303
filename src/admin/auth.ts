/**
 * Who may use /admin. The API takes `Authorization: Bearer <ADMIN_TOKEN>`; the dashboard signs
 * in once with the token and then carries a session cookie that proves it without holding it:
 * an expiry and a random nonce, signed with a key derived from the token. Every process that
 * shares the token accepts the session; changing the token ends every session.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../http/bearer.js';

export const SESSION_COOKIE = 'payrelay_admin';
export const SESSION_SECONDS = 12 * 3600;

export class Sessions {
  private readonly key: Buffer;

  constructor(token: string) {
    this.key = createHmac('sha256', token).update('payrelay admin session').digest();
  }

  /** A new session's cookie value, valid for SESSION_SECONDS. */
  issue(now = Date.now()): string {
    const payload = `${Math.floor(now / 1000) + SESSION_SECONDS}.${randomBytes(16).toString('base64url')}`;
    return `${payload}.${this.sign(payload)}`;
  }

  /** True for a cookie value this key signed that has not expired. */
  isValid(value: string | undefined, now = Date.now()): boolean {
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
    if (!match) return false;
    const [, expires, nonce, signature] = match;
    if (Number(expires) * 1000 <= now) return false;
    return sameSecret(signature!, this.sign(`${expires}.${nonce}`));
  }

  /**
   * The anti-forgery token of a session: forms carry it, and a form posted from another site
   * cannot know it (it cannot read the cookie it is derived from).
   */
  csrfToken(session: string): string {
    return this.sign(`csrf:${session}`);
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
