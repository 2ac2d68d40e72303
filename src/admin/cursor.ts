/**
 * Keyset paging across providers. A page ends at a row's (created_at, provider, id) and the
 * next page starts strictly after it in the newest-first order, so rows inserted meanwhile never
 * shift a page: no row repeats and none is skipped. created_at travels as PostgreSQL's own
 * text with microseconds; a JavaScript Date would round it to milliseconds.
 */
export interface Position {
  createdAt: string;
  provider: string;
  id: string;
}

/** A parameter the schema let through that still cannot be used: the caller's 400. */
export class BadParameter extends Error {}

export class BadCursor extends BadParameter {
  constructor() {
    super('cursor is not one this API gave out');
  }
}

/** created_at as text that keeps every microsecond, for a Position. */
export const POSITION_SQL = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.provider, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw new BadCursor();
  const [createdAt, provider, id] = parsed as unknown[];
  const wellFormed =
    typeof createdAt === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(createdAt) &&
    typeof provider === 'string' &&
    typeof id === 'string' &&
    /^[0-9]{1,19}$/.test(id);
  if (!wellFormed || !isCalendarTime(createdAt)) throw new BadCursor();
  return { createdAt, provider, id };
}

/** A time that exists (no 30 February), as PostgreSQL would otherwise refuse it with an error. */
function isCalendarTime(text: string): boolean {
  const seconds = `${text.slice(0, 19)}Z`;
  const parsed = new Date(seconds);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 19) === text.slice(0, 19);
}

/**
 * The WHERE condition that starts a page after `position` (rows sort newest first by
 * created_at, then provider and id descending); `literal` is this table's provider as SQL.
 */
export function afterCondition(literal: string, params: unknown[], position: Position): string {
  const at = params.push(position.createdAt);
  const provider = params.push(position.provider);
  const id = params.push(position.id);
  return `(created_at, ${literal}::text, id) < ($${at}::timestamptz, $${provider}::text, $${id}::bigint)`;
}

/** Splits a fetched `limit + 1` rows into the page and the cursor of the next one. */
export function page<T extends { position: string; provider: string; id: string }>(
  rows: T[],
  limit: number,
): { rows: T[]; next: string | null } {
  if (rows.length <= limit) return { rows, next: null };
  const last = rows[limit - 1]!;
  return { rows: rows.slice(0, limit), next: encodeCursor({ createdAt: last.position, provider: last.provider, id: last.id }) };
}
