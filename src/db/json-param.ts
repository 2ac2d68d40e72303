/**
 * Rows for one statement as one JSON parameter (json_populate_recordset, json_to_recordset):
 * the statement's text stays the same whatever the number of rows, so it can stay prepared.
 * JSON.stringify writes half a surrogate pair (JSON.parse can make one) as an escape
 * PostgreSQL refuses; the driver sends such a string as U+FFFD, and so does this.
 */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  return /\\u[dD][89a-fA-F]/.test(text) ? JSON.stringify(wellFormed(value)) : text;
}

function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.toWellFormed(), wellFormed(item)]));
}
