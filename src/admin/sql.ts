/** Small pieces the admin queries share. */

/** A provider's name as an SQL string literal; names come from the provider list, never from a request. */
export function providerLiteral(provider: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(provider)) throw new Error(`unexpected provider name ${provider}`);
  return `'${provider}'`;
}

/** A timestamp as the API shows it (ISO 8601, UTC), null kept. */
export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : String(value);
}

/**
 * A PostgreSQL regular expression that finds `token` standing alone: not as a part of a
 * longer number or word (payment 12 must not find the request about payment 123).
 */
export function standaloneTokenPattern(token: string): string {
  // In PostgreSQL's regular expressions a backslash before a non-alphanumeric is that character.
  const escaped = token.replace(/[^A-Za-z0-9]/g, (char) => `\\${char}`);
  return `(^|[^A-Za-z0-9_])${escaped}($|[^A-Za-z0-9_])`;
}
