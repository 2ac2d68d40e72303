import { mapTexts } from '../util/text.js';

/**
 * A value as the text of a json or jsonb parameter: a json column's value, or rows for one
 * statement (json_to_recordset), whose text then stays the same whatever the number of rows.
 * JSON.stringify writes half a surrogate pair (JSON.parse can make one) as an escape
 * PostgreSQL refuses; the driver sends such a string as U+FFFD, and so does this.
 */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  return /\\u[dD][89a-fA-F]/.test(text) ? JSON.stringify(mapTexts(value, (text) => text.toWellFormed())) : text;
}
