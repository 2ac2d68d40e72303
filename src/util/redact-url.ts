const MASK = '***';
const SPECIAL_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:']);

/**
 * A URL as payrelay shows or stores it (the start-up summary, logs, the `*_webhook_log` tables,
 * webhook_endpoint, alert incidents and their messages, the admin API and the dashboard,
 * configuration errors): the one rule for all of them.
 *
 * - a password is masked, the user name kept: `https://shop:***@host/`;
 * - a user name alone is a credential too (an API key): `https://***@host/`;
 * - every value of the query is masked, its names kept so that the URL can be recognised:
 *   `?token=***&shop=***` (a query on a webhook or check URL usually carries a secret); an
 *   empty value stays empty, and a parameter without `=` (it may be the token itself) is `***`;
 * - the fragment is dropped.
 *
 * Only what is shown is masked: the URL requested keeps its credentials and query. Works on the
 * text as written (a string is not rewritten the way URL.href would), so text that is not a
 * valid URL (quoted by a configuration error) is masked the same way, and a masked URL masks to
 * itself: rows stored before are shown masked when read, and otherwise as stored.
 */
export function redactUrl(url: URL | string): string {
  const text = typeof url === 'string' ? url : url.href;
  const parsed = typeof url === 'string' ? parse(url) : url;
  // Where the authority ends as a URL parser reads it: at the first / ? or # (a backslash too in
  // http: and the like). Text that is no URL may hold a password with ? or # as typed: there only
  // a slash ends it, and more is masked rather than less.
  const ends = !parsed ? /[/\\]/ : SPECIAL_SCHEMES.has(parsed.protocol) ? /[/\\?#]/ : /[/?#]/;
  // The scheme and the slashes after it, as many as there are (a parser takes http:apikey@host too).
  const prefix = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?[/\\]*/.exec(text)?.[0] ?? '';
  const rest = text.slice(prefix.length);
  const authorityEnd = rest.search(ends);
  const at = (authorityEnd < 0 ? rest : rest.slice(0, authorityEnd)).lastIndexOf('@');
  const credentials = at < 0 ? '' : `${maskCredentials(rest.slice(0, at))}@`;
  const [afterCredentials = ''] = rest.slice(at + 1).split('#', 1);
  const queryAt = afterCredentials.indexOf('?');
  if (queryAt < 0) return `${prefix}${credentials}${afterCredentials}`;
  const query = afterCredentials.slice(queryAt + 1);
  return `${prefix}${credentials}${afterCredentials.slice(0, queryAt)}${query ? `?${maskQuery(query)}` : ''}`;
}

function parse(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** `user:password` → `user:***`; `user` alone → `***`. */
function maskCredentials(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  return colon < 0 ? MASK : `${userinfo.slice(0, colon)}:${MASK}`;
}

/** `token=s3cret&shop=7` → `token=***&shop=***`, the names as written. */
function maskQuery(query: string): string {
  return query
    .split('&')
    .map((parameter) => {
      if (parameter === '') return parameter;
      const equals = parameter.indexOf('=');
      if (equals < 0) return MASK;
      return equals === parameter.length - 1 ? parameter : `${parameter.slice(0, equals)}=${MASK}`;
    })
    .join('&');
}
