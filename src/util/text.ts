/** PostgreSQL text cannot hold NUL: it becomes U+FFFD, so a row is never refused for it. */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}
