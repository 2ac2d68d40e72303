/**
 * Every environment variable payrelay reads, in one list: the readers refuse a name that is not
 * here, and docs/configuration.md is generated from it (`npm run docs:config`), so the code and
 * the documentation cannot drift apart. Adding a variable is adding one entry.
 *
 * `default` is what the documentation shows. When it is a plain number or word, the reader checks
 * that the code's fallback is the same value; a computed default is written in words.
 */
export type Group = 'Server' | 'Database' | 'Providers' | 'QIWI' | 'CloudPayments' | 'Webhooks' | 'Operations' | 'Alerts';

export interface Variable {
  name: string;
  group: Group;
  default?: string;
  meaning: string;
}

export const GROUPS: Record<Group, string> = {
  Server: 'Where payrelay listens, how it logs and stops',
  Database: 'Which PostgreSQL: a server, or the embedded PGlite when none is configured',
  Providers: 'Settings every provider shares',
  QIWI: 'QIWI-protocol terminal networks',
  CloudPayments: 'CloudPayments (see docs/cloudpayments.md)',
  Webhooks: 'Delivery of payments to your backend',
  Operations: 'Running it: the request log’s retention, the admin API and dashboard',
  Alerts: 'Telling someone when webhooks are late (see docs/operations.md)',
};

const server: Variable[] = [
  { name: 'PORT', group: 'Server', default: '8080', meaning: 'TCP port to listen on (the container image sets 80)' },
  { name: 'HOST', group: 'Server', default: '0.0.0.0', meaning: 'address to listen on' },
  {
    name: 'TRUST_PROXY',
    group: 'Server',
    default: 'false',
    meaning:
      'behind proxies (TLS ending at an ingress), which hops of `X-Forwarded-For` to believe: their number (`1`: one proxy in front) or their addresses and networks (`10.0.0.0/8, loopback`); the client is the first address from the right that is not one of them. `true` believes the whole header, whose left-most address any client writes (a start-up warning says so)',
  },
  {
    name: 'HTTP_AUTH_USERNAME',
    group: 'Server',
    meaning: 'HTTP Basic user the providers must send (strongly advised; with `HTTP_AUTH_PASSWORD`)',
  },
  { name: 'HTTP_AUTH_PASSWORD', group: 'Server', meaning: 'HTTP Basic password the providers must send' },
  { name: 'MS_TIMEZONE', group: 'Server', default: 'UTC', meaning: 'IANA time zone of the webhook’s `created_at`' },
  { name: 'DEBUG', group: 'Server', default: 'false', meaning: 'debug-level logs' },
  {
    name: 'SHUTDOWN_TIMEOUT_MS',
    group: 'Server',
    default: '10000',
    meaning: 'how long SIGTERM waits for requests and deliveries under way',
  },
];

const limits: Variable[] = [
  {
    name: 'HTTP_BODY_LIMIT_BYTES',
    group: 'Server',
    default: '1048576',
    meaning: 'largest request body taken; a larger one is refused in the provider’s own format',
  },
  {
    name: 'HTTP_REQUEST_TIMEOUT_MS',
    group: 'Server',
    default: '30000',
    meaning: 'a request (headers and body) must arrive within this, or its connection is closed',
  },
  {
    name: 'HTTP_HEADERS_TIMEOUT_MS',
    group: 'Server',
    default: 'min(10000, HTTP_REQUEST_TIMEOUT_MS)',
    meaning: 'the headers must arrive within this',
  },
  {
    name: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    group: 'Server',
    default: '10000',
    meaning: 'an idle kept-alive connection is closed after this',
  },
  { name: 'HTTP_MAX_CONNECTIONS', group: 'Server', default: '1024', meaning: 'connections beyond this are closed at once' },
];

const qiwi: Variable[] = [
  {
    name: 'QIWI_ENCODING',
    group: 'QIWI',
    default: 'UTF8',
    meaning:
      '`UTF8` or `Windows1251`: how percent-escaped bytes of the query and the body are read (a `charset` in the Content-Type wins)',
  },
];

const database: Variable[] = [
  {
    name: 'DATABASE_URL',
    group: 'Database',
    meaning: '`postgres://user:password@host:5432/db` of a PostgreSQL server (wins over the `PG_*` variables)',
  },
  { name: 'PG_HOST', group: 'Database', meaning: 'PostgreSQL server host, or the pooler (PgBouncer) in front of it' },
  {
    name: 'PG_REAL_HOST',
    group: 'Database',
    default: 'PG_HOST',
    meaning: 'the server itself, for creating the database and schema and for migrations, when `PG_HOST` is a pooler',
  },
  { name: 'PG_PORT', group: 'Database', default: '5432', meaning: 'server port' },
  { name: 'PG_DATABASE', group: 'Database', default: 'postgres', meaning: 'database name; created if missing' },
  { name: 'PG_USER', group: 'Database', meaning: 'user name' },
  { name: 'PG_PASSWORD', group: 'Database', meaning: 'password (needs `PG_USER`)' },
  { name: 'PG_SCHEMA', group: 'Database', default: 'public', meaning: 'schema of every table; created if missing' },
  {
    name: 'EMBEDDED_ENGINE',
    group: 'Database',
    default: 'postgres',
    meaning:
      'with no server configured: `postgres`, payrelay’s own PostgreSQL server in `DATA_DIR` (flushed to disk like any server), or `pglite` (not flushed: a power cut can lose payments)',
  },
  {
    name: 'PG_SLAVES',
    group: 'Database',
    meaning:
      'comma-separated read replicas, `host` or `host:port` (port defaults to the primary’s), same user, password and database: read-only work that tolerates replication lag (the admin API’s lists) goes there; payments and deliveries never do',
  },
  {
    name: 'PG_POOL_SIZE',
    group: 'Database',
    default: '10',
    meaning: 'connections per process (and per replica in `PG_SLAVES`)',
  },
  {
    name: 'PG_PREPARED_STATEMENTS',
    group: 'Database',
    default: 'true',
    meaning:
      'keep the hot statements (recording pays, one per batch size: up to about 8 MB of server memory per connection and provider) prepared on each connection; set `false` behind a pooler that does not keep prepared statements (PgBouncer before 1.21, or with `max_prepared_statements = 0`)',
  },
  {
    name: 'DATA_DIR',
    group: 'Database',
    default: './data',
    meaning: 'folder of the embedded database when no server is configured (`/data`, a volume, in the image)',
  },
];

const providers: Variable[] = [
  {
    name: 'WEBHOOK_SECRET',
    group: 'Providers',
    meaning: '`whsec_…` secret that signs webhooks (Standard Webhooks); a provider’s own `*_WEBHOOK_SECRET` overrides it',
  },
];

/** The variables every provider reads under its own prefix. */
function providerVariables(prefix: 'QIWI' | 'CLOUDPAYMENTS', group: Group): Variable[] {
  return [
    {
      name: `${prefix}_CHECK_URL`,
      group,
      meaning: 'your account check, asked before a payment is accepted (every account is accepted without it)',
    },
    { name: `${prefix}_CHECK_TIMEOUT_MS`, group, default: '10000', meaning: 'how long to wait for the account check' },
    {
      name: `${prefix}_WEBHOOK_URL`,
      group,
      meaning: 'where payments are delivered (they wait at status 0 until it is set)',
    },
    { name: `${prefix}_WEBHOOK_SECRET`, group, default: 'WEBHOOK_SECRET', meaning: 'signs this provider’s webhooks' },
    {
      name: `${prefix}_ALLOWED_IPS`,
      group,
      meaning: 'optional allow-list of source addresses and networks; others get HTTP 403',
    },
  ];
}

const cloudPayments: Variable[] = [
  { name: 'CLOUDPAYMENTS_PUBLIC_ID', group: 'CloudPayments', meaning: 'the site’s Public ID, for the card page' },
  {
    name: 'CLOUDPAYMENTS_EVENTS_WEBHOOK_URL',
    group: 'CloudPayments',
    meaning:
      'where every recorded notification but Check and Pay (Refund, Cancel, Confirm, Fail, Recurrent, Receipt, ...) is delivered, like payments',
  },
  {
    name: 'CLOUDPAYMENTS_API_SECRET',
    group: 'CloudPayments',
    meaning: 'the site’s API Secret: notifications must carry a valid HMAC when set',
  },
  {
    name: 'CLOUDPAYMENTS_ENCODING',
    group: 'CloudPayments',
    default: 'UTF8',
    meaning: '`UTF8` or `Windows1251`: the charset of notifications that do not name one',
  },
  {
    name: 'CLOUDPAYMENTS_REDIRECT_HOSTS',
    group: 'CloudPayments',
    meaning:
      'comma-separated hosts the card page may redirect to (`success_url`, `fail_url`); redirects are refused until it names the hosts',
  },
];

const webhooks: Variable[] = [
  { name: 'WEBHOOK_RETRY_MIN_MS', group: 'Webhooks', default: '1000', meaning: 'first retry delay' },
  {
    name: 'WEBHOOK_RETRY_MAX_MS',
    group: 'Webhooks',
    default: '3600000',
    meaning: 'longest retry delay (doubling, ±20 % jitter)',
  },
  { name: 'WEBHOOK_TIMEOUT_MS', group: 'Webhooks', default: '15000', meaning: 'one attempt’s time limit' },
  { name: 'WEBHOOK_CONCURRENCY', group: 'Webhooks', default: '16', meaning: 'webhooks in flight per process' },
  {
    name: 'WEBHOOK_PROBE_MAX_MS',
    group: 'Webhooks',
    default: '1000',
    meaning: 'longest pause between probes of a backend that is down',
  },
  {
    name: 'WEBHOOK_LEASE_MS',
    group: 'Webhooks',
    default: 'max(60000, 2 × WEBHOOK_TIMEOUT_MS)',
    meaning: 'how long a claimed delivery stays reserved for the process that claimed it',
  },
  {
    name: 'WEBHOOK_POLL_MS',
    group: 'Webhooks',
    default: '1000',
    meaning: 'how often a process looks for deliveries other processes committed',
  },
];

const operations: Variable[] = [
  {
    name: 'ADMIN_TOKEN',
    group: 'Operations',
    meaning:
      'enables the admin API and the dashboard under `/admin` (at least 16 characters); without it those routes do not exist',
  },
  {
    name: 'METRICS_TOKEN',
    group: 'Operations',
    meaning:
      'when set, `GET /metrics` answers only requests with `Authorization: Bearer <METRICS_TOKEN>` (at least 16 characters), others get 401; unset, it is open',
  },
  {
    name: 'HTTP_LOG_RETENTION_DAYS',
    group: 'Operations',
    meaning: 'while serving, request-log rows older than this many days are pruned (kept forever when unset)',
  },
];

const alerts: Variable[] = [
  {
    name: 'ALERT_AFTER_MS',
    group: 'Alerts',
    default: '300000',
    meaning: 'a webhook URL failing, or a payment pending, for longer than this opens an incident',
  },
  { name: 'ALERT_CHECK_MS', group: 'Alerts', default: '15000', meaning: 'how often a process looks for incidents' },
  { name: 'ALERT_WEBHOOK_URL', group: 'Alerts', meaning: 'a URL that gets each alert as a signed JSON POST' },
  { name: 'ALERT_WEBHOOK_SECRET', group: 'Alerts', default: 'WEBHOOK_SECRET', meaning: '`whsec_…` secret that signs the alerts' },
  {
    name: 'ALERT_TELEGRAM_BOT_TOKEN',
    group: 'Alerts',
    meaning: 'Telegram bot that posts the alerts (with `ALERT_TELEGRAM_CHAT_ID`)',
  },
  { name: 'ALERT_TELEGRAM_CHAT_ID', group: 'Alerts', meaning: 'the chat the bot posts to' },
  { name: 'ALERT_TELEGRAM_API_URL', group: 'Alerts', default: 'https://api.telegram.org', meaning: 'the Bot API’s base URL' },
  {
    name: 'ALERT_SMTP_URL',
    group: 'Alerts',
    meaning:
      '`smtp://user:password@host:587` (or `smtps://`, TLS from the start) that sends alert e-mails; with a user and password, `smtp://` signs in only after upgrading with STARTTLS (a server that does not offer it fails the channel rather than see the password), without them it upgrades when the server offers STARTTLS and otherwise stays unencrypted',
  },
  { name: 'ALERT_EMAIL_TO', group: 'Alerts', meaning: 'comma-separated recipients of alert e-mails' },
  { name: 'ALERT_EMAIL_FROM', group: 'Alerts', default: 'payrelay@<host name>', meaning: 'sender of alert e-mails' },
];

export const VARIABLES: readonly Variable[] = [
  ...server,
  ...limits,
  ...database,
  ...providers,
  ...providerVariables('QIWI', 'QIWI'),
  ...qiwi,
  ...providerVariables('CLOUDPAYMENTS', 'CloudPayments'),
  ...cloudPayments,
  ...webhooks,
  ...operations,
  ...alerts,
];

const byName = new Map(VARIABLES.map((variable) => [variable.name, variable]));

/** What every provider reads under its own prefix (readProviderSettings): a new provider's are known too. */
const PER_PROVIDER = new Map(
  providerVariables('QIWI', 'Providers').map((variable) => [variable.name.slice('QIWI'.length), variable]),
);

function perProvider(name: string): Variable | undefined {
  for (const [suffix, variable] of PER_PROVIDER) {
    if (name.endsWith(suffix) && /^[A-Z][A-Z0-9]*$/.test(name.slice(0, -suffix.length))) return variable;
  }
  return undefined;
}

/** The catalogue's entry; a name missing from it is a programming error, caught by any test. */
export function catalogued(name: string): Variable {
  const variable = byName.get(name) ?? perProvider(name);
  if (!variable) throw new Error(`${name} is not in the catalogue of variables (src/config/variables.ts): add it there`);
  return variable;
}

/** A literal documented default must be the fallback the code uses. */
export function checkDefault(name: string, fallback: string | number): void {
  const documented = catalogued(name).default;
  if (documented !== undefined && /^[\w.:/-]+$/.test(documented) && documented !== String(fallback)) {
    throw new Error(`${name}: the catalogue documents the default ${documented}, the code uses ${fallback}`);
  }
}
