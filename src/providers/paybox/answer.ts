/**
 * Every answer FreedomPay gets: HTTP 200 (503 when it should come back later), an XML document
 * `<response>` with `pg_salt`, `pg_status` (`ok`, `rejected`, `error`), `pg_description` and
 * `pg_sig`, signed like a request with the script name of the path that was called, over the
 * three values sorted by name (`pg_description`, `pg_salt`, `pg_status`), unescaped.
 *
 * The salt is the request's own only when the request proved itself (its signature is right, or
 * the instance checks none). A salt echoed from an unproven request would let anyone have
 * payrelay sign text of their choosing, and `md5(script;…;secret)` cannot tell where one value
 * ends and the next begins: a salt `15.00;abc;999;1;x` signs as well as those five fields. A
 * fresh salt always holds a letter, so it is never a payment id or a sum either; descriptions are
 * payrelay's own words, never a caller's.
 */
import { randomBytes } from 'node:crypto';
import { escapeXml } from '../kit/answers.js';
import { md5 } from './signature.js';
import { utf8Binary } from './tree.js';

export type Status = 'ok' | 'rejected' | 'error';

export interface AnswerFields {
  /** The script name the request was made to (a binary string, as sent). */
  script: string;
  status: Status;
  description: string;
  salt: string;
  /** Unsigned without one. */
  secret?: string;
}

export function renderAnswer({ script, status, description, salt, secret }: AnswerFields): string {
  const signature = secret === undefined ? '' : `<pg_sig>${answerSignature(script, description, salt, status, secret)}</pg_sig>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<response><pg_salt>${escapeXml(salt)}</pg_salt><pg_status>${status}</pg_status>` +
    `<pg_description>${escapeXml(description)}</pg_description>${signature}</response>`
  );
}

function answerSignature(script: string, description: string, salt: string, status: Status, secret: string): string {
  return md5(script + utf8Binary(`;${description};${salt};${status};`), secret);
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALPHANUMERIC = `${LETTERS}0123456789`;

/** 16 random Latin letters and digits, the first a letter. */
export function freshSalt(): string {
  const bytes = randomBytes(16);
  let salt = LETTERS[bytes[0]! % LETTERS.length]!;
  for (let i = 1; i < bytes.length; i++) salt += ALPHANUMERIC[bytes[i]! % ALPHANUMERIC.length];
  return salt;
}

/** A salt the answer can carry as it came: one the XML shows exactly (escapeXml drops control characters). */
export function echoable(salt: string | undefined): salt is string {
  return salt !== undefined && salt !== '' && !/[\u0000-\u001f\u007f\uD800-\uDFFF\uFFFE\uFFFF]/.test(salt);
}
