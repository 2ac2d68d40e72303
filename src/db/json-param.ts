import { mapTexts } from '../util/text.js';

/**
 * Rows for one statement as one JSON parameter (json_populate_recordset, json_to_recordset):
 * the statement's text stays the same whatever the number of rows, so it can stay prepared.
 * JSON.stringify writes half a surrogate pair (JSON.parse can make one) as an escape
 * PostgreSQL refuses; the driver sends such a string as U+FFFD, and so does this.
 */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  return /\\u[dD][89a-fA-F]/.test(text) ? JSON.stringify(mapTexts(value, (text) => text.toWellFormed())) : text;
}
