/**
 * Escaping for the pages protocols show customers. Every value on such a page is whatever a link
 * carried, so each one goes through one of these on its way in.
 */

/**
 * Text and attribute escaping: enough for any value placed between tags or in quotes. Numeric
 * references (`&#60;`), which the card page's bytes have always used.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * JSON safe inside a <script> block: no "</script>", "<!--" or "&" survives, and U+2028/2029
 * are escaped for old parsers that treat them as line ends.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
