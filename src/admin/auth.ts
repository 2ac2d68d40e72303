/**
 * Who may use /admin. The API takes `Authorization: Bearer <ADMIN_TOKEN>`; the dashboard signs
 * in once with the token and then carries a session cookie that proves it without holding it:
 * an expiry and a random nonce, signed with a key derived from the token. The session is also
 * a row in the database (admin_session), so that signing out ends it on every process sharing
 * the database, not only in the browser that signed out; changing the token ends every session.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { sameSecret } from '../http/bearer.js';

export const SESSION_COOKIE = 'payrelay_admin';
export const SESSION_SECONDS = 12 * 3600;

export class Sessions {
  private readonly key: Buffer;
  private readonly table: string;

  /** `db` is the primary: a read replica may not have a session that has just started yet. */
  constructor(
    token: string,
    private readonly db: Db,
  ) {
    this.key = createHmac('sha256', token).update('payrelay admin session').digest();
    this.table = db.table('admin_session');
  }

  /** Starts a session valid for SESSION_SECONDS; returns its cookie value. */
  async start(now = Date.now()): Promise<string> {
    const expires = Math.floor(now / 1000) + SESSION_SECONDS;
    const nonce = randomBytes(16).toString('base64url');
    // Expired sessions are deleted here rather than on a timer: sign-ins are rare, and the
    // table then holds at most the sessions started within SESSION_SECONDS.
    await this.db.query(`DELETE FROM ${this.table} WHERE expires_at <= to_timestamp($1)`, [Math.floor(now / 1000)]);
    await this.db.query(`INSERT INTO ${this.table} (nonce_sha256, expires_at) VALUES ($1, to_timestamp($2))`, [
      sha256(nonce),
      expires,
    ]);
    const payload = `${expires}.${nonce}`;
    return `${payload}.${this.sign(payload)}`;
  }

  /** True for a cookie value this key signed, not expired, whose session has not been ended. */
  async isLive(value: string | undefined, now = Date.now()): Promise<boolean> {
    // The signature first: a forged or expired cookie never costs a query.
    const nonce = this.signedNonce(value, now);
    if (nonce === undefined) return false;
    const rows = await this.db.query(`SELECT 1 FROM ${this.table} WHERE nonce_sha256 = $1`, [sha256(nonce)]);
    return rows.length > 0;
  }

  /** Ends the session of a cookie value: from now on no process takes that cookie. */
  async end(value: string): Promise<void> {
    const nonce = this.signedNonce(value);
    if (nonce !== undefined) await this.db.query(`DELETE FROM ${this.table} WHERE nonce_sha256 = $1`, [sha256(nonce)]);
  }

  /**
   * The anti-forgery token of a session: forms carry it, and a form posted from another site
   * cannot know it (it cannot read the cookie it is derived from).
   */
  csrfToken(session: string): string {
    return this.sign(`csrf:${session}`);
  }

  /** The nonce of a cookie value this key signed that has not expired. */
  private signedNonce(value: string | undefined, now = Date.now()): string | undefined {
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
    if (!match) return undefined;
    const [, expires, nonce, signature] = match;
    if (Number(expires) * 1000 <= now) return undefined;
    return sameSecret(signature!, this.sign(`${expires}.${nonce}`)) ? nonce : undefined;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/** What the database keeps of a nonce: 128 random bits need no salt, and cannot be undone. */
function sha256(nonce: string): string {
  return createHash('sha256').update(nonce).digest('hex');
}
