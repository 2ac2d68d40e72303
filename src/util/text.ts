/** PostgreSQL text cannot hold NUL: it becomes U+FFFD, so a row is never refused for it. */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

/**
 * `value` with `change` applied to every string in it, in the names of its objects' fields as
 * in their values, through arrays and plain objects (what JSON.parse makes); anything else is
 * kept as it is. A field named __proto__ stays a field like any other.
 */
export function mapTexts(value: unknown, change: (text: string) => string): unknown {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value)) return value.map((item) => mapTexts(item, change));
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    Object.defineProperty(copy, change(name), {
      value: mapTexts(inner, change),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
