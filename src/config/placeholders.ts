import { catalogued } from './variables.js';

/**
 * Secrets everyone knows. A deployment copied from one of our examples, or signing with the key
 * of the Standard Webhooks test vectors, would start and look fine while anyone could call it or
 * forge its webhooks; start-up refuses those values instead, naming the variable (issue 29,
 * finding 2).
 *
 * The list is short and exact on purpose: the values we ship or shipped, and the one published
 * key. It is no password policy (a list of weak words never ends, and a word such as "secret" is
 * what tests and local rehearsals use on purpose); a value is compared whole, ignoring case and
 * surrounding spaces, so a value that merely contains one of these is the operator's own.
 */
const KNOWN: [value: string, what: string][] = [
  // deploy/kubernetes/secret.yaml's marker for every value: the Secret is made at deploy time.
  ['REPLACE-ME', 'the example’s placeholder'],
  // The generic "fill me in", in both spellings, for whoever writes an example of their own.
  ['changeme', 'an example’s placeholder'],
  ['change-me', 'the example’s placeholder'],
  // secret.yaml and docker-compose.yml shipped these until the fix: copies of them live on.
  ['change-me-too', 'the example’s placeholder'],
  ['change-me-as-well', 'the example’s placeholder'],
  ['change-me-metrics-token', 'the example’s placeholder'],
  // The Standard Webhooks specification's test vector, in its libraries' tests; secret.yaml had it.
  ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'the published Standard Webhooks test key, which anyone can sign with'],
];
const PLACEHOLDERS: ReadonlyMap<string, string> = new Map(KNOWN.map(([value, what]) => [value.toLowerCase(), what]));

/**
 * The secrets payrelay itself checks callers against (HTTP Basic, tokens, a network's signature)
 * or signs with (webhooks and alerts): the catalogue marks them, with how to make a good one.
 * Credentials it presents to someone else (PG_PASSWORD, ALERT_TELEGRAM_BOT_TOKEN, the SMTP URL's
 * password) are theirs to check: the database decides who signs in, and an existing database
 * keeps the password it was created with.
 */
export function isOwnSecret(name: string): boolean {
  return catalogued(name).ownSecret !== undefined || name.endsWith('_WEBHOOK_SECRET');
}

/** Why `value` must not be `name`'s secret, with what to do instead; undefined when it may be. */
export function placeholderProblem(name: string, value: string): string | undefined {
  const what = PLACEHOLDERS.get(value.trim().toLowerCase());
  if (what === undefined) return undefined;
  const howToSet = catalogued(name).ownSecret ?? 'a generated key (echo "whsec_$(openssl rand -base64 32)")';
  return `is ${what}, not a secret: set ${howToSet}`;
}
