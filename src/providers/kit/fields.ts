/** What a merchant's account check may give a network to show the customer before paying. */
export type Fields = [name: string, value: string][];

/**
 * `{"fields": {"name": "...", ...}}` in the check URL's answer, in order. Texts, numbers and
 * booleans are shown; nested values are not; any other 200 (no JSON, no fields) shows nothing.
 */
export function fieldsOf(body: unknown): Fields | undefined {
  if (!isObject(body) || !isObject(body.fields)) return undefined;
  const fields = Object.entries(body.fields).flatMap(([name, value]): Fields => {
    if (typeof value === 'string') return [[name, value]];
    return typeof value === 'number' || typeof value === 'boolean' ? [[name, String(value)]] : [];
  });
  return fields.length ? fields : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
