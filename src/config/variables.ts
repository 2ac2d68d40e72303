/**
 * Every environment variable payrelay reads, in one list: the readers refuse a name that is not
 * here, and docs/configuration.md is generated from it (`npm run docs:config`), so the code and
 * the documentation cannot drift apart. Adding a variable is adding one entry.
 *
 * `default` is what the documentation shows. When it is a plain number or word, the reader checks
 * that the code's fallback is the same value; a computed default is written in words.
 */
export type Group = string;

export interface Variable {
  name: string;
  group: Group;
  default?: string;
  meaning: string;
  /** A secret payrelay checks callers against: how to make a good one (start-up refuses a placeholder). */
  ownSecret?: string;
}

/** A variable of a protocol's own, read by each instance under its prefix (`ENCODING`: `PAY24_ENCODING`). */
export interface ProtocolVariable extends Omit<Variable, 'name' | 'group'> {
  suffix: string;
}

const CORE_GROUPS: Record<Group, string> = {
  Server: 'Where payrelay listens, how it logs and stops',
  Database: 'Which PostgreSQL: a server, or the embedded one when none is configured',
  Providers:
    'Which payment networks this deployment answers, and what each instance reads under its own name: an instance `pay24` reads `PAY24_CHECK_URL` and so on; the default instances read theirs under their protocols’ names',
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
  {
    name: 'HTTP_AUTH_PASSWORD',
    group: 'Server',
    meaning: 'HTTP Basic password the providers must send',
    ownSecret: 'a generated one (openssl rand -hex 32)',
  },
  {
    name: 'ALLOW_UNAUTHENTICATED',
    group: 'Server',
    default: 'false',
    meaning:
      'an instance whose callers prove nothing (no HTTP Basic credentials, no signature secret, no allow-list) refuses every request; `true` lets it take them, so anyone who finds its endpoints can report payments: for a rehearsal on your own machine only (the start-up summary says it is unsafe)',
  },
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
  {
    name: 'HTTP_MAX_CONNECTIONS_PER_ADDRESS',
    group: 'Server',
    default: 'HTTP_MAX_CONNECTIONS / 4',
    meaning:
      'connections one source address may hold; more are closed at once, so one client cannot take every slot. Not applied behind proxies (`TRUST_PROXY`), whose addresses every caller shares',
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
    name: 'PROVIDERS',
    group: 'Providers',
    meaning:
      'the instances to run, comma-separated: `name` runs the protocol of that name, `name:protocol` another instance of it (a second network that speaks the protocol); an instance not listed has no endpoints and no tables',
  },
  {
    name: 'WEBHOOK_SECRET',
    group: 'Providers',
    meaning: '`whsec_…` secret that signs webhooks (Standard Webhooks); an instance’s own `<NAME>_WEBHOOK_SECRET` overrides it',
    ownSecret: 'a generated key (echo "whsec_$(openssl rand -base64 32)")',
  },
];

/** What every instance reads under its own prefix, documented as `<NAME>_…`. */
const PER_INSTANCE: ProtocolVariable[] = [
  {
    suffix: 'CHECK_URL',
    meaning: 'your account check, asked before a payment is accepted (every account is accepted without it)',
  },
  { suffix: 'CHECK_TIMEOUT_MS', default: '10000', meaning: 'how long to wait for the account check' },
  { suffix: 'WEBHOOK_URL', meaning: 'where payments are delivered (they wait at status 0 until it is set)' },
  {
    suffix: 'EVENTS_WEBHOOK_URL',
    meaning:
      'where events about its payments (cancel, refund, failure, ...) are delivered, like payments (they wait until it is set)',
  },
  {
    suffix: 'WEBHOOK_SECRET',
    default: 'WEBHOOK_SECRET',
    meaning: 'signs this instance’s webhooks',
    ownSecret: 'a generated key (echo "whsec_$(openssl rand -base64 32)")',
  },
  { suffix: 'ALLOWED_IPS', meaning: 'allow-list of source addresses and networks; others get HTTP 403' },
  {
    suffix: 'HTTP_AUTH_USERNAME',
    default: 'HTTP_AUTH_USERNAME',
    meaning: 'the HTTP Basic user this instance’s network must send (with `<NAME>_HTTP_AUTH_PASSWORD`)',
  },
  {
    suffix: 'HTTP_AUTH_PASSWORD',
    default: 'HTTP_AUTH_PASSWORD',
    meaning: 'its HTTP Basic password',
    ownSecret: 'a generated one (openssl rand -hex 32)',
  },
];

/** A protocol's variables, as the registry hands them over (src/providers/index.ts). */
export interface CataloguedProtocol {
  name: string;
  title: string;
  variables: readonly ProtocolVariable[];
  /** Variables of the container it replaces (by suffix) and what each means to payrelay. */
  replacedVariables?: Readonly<Record<string, string>>;
}

const protocols: CataloguedProtocol[] = [];

/** Adds the protocols' own variables and PROVIDERS' default: the registry calls this before any is read. */
export function catalogueProtocols(list: readonly CataloguedProtocol[], defaultInstances: string): void {
  for (const protocol of list) if (!protocols.some(({ name }) => name === protocol.name)) protocols.push(protocol);
  const entry = providers.find(({ name }) => name === 'PROVIDERS')!;
  entry.default ??= defaultInstances;
}

/** The replaced containers' variables the protocols name, under their default instances' names. */
export function replacedByProtocols(): [name: string, meaning: string][] {
  return protocols.flatMap(({ name, replacedVariables = {} }) =>
    Object.entries(replacedVariables).map(([suffix, meaning]): [string, string] => [`${name.toUpperCase()}_${suffix}`, meaning]),
  );
}

/** The groups in the documentation's order: the core's, then one per protocol after Providers. */
export function groups(): Record<Group, string> {
  const entries = Object.entries(CORE_GROUPS);
  const own = protocols.map(({ name, title }): [string, string] => [
    title,
    `The \`${name}\` protocol (docs/providers/${name}.md), as its default instance \`${name}\` reads them; an instance \`name:${name}\` reads the same under \`NAME_\``,
  ]);
  entries.splice(entries.findIndex(([group]) => group === 'Providers') + 1, 0, ...own);
  return Object.fromEntries(entries);
}

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
    ownSecret: 'a generated one (openssl rand -hex 32)',
    meaning:
      'enables the admin API and the dashboard under `/admin` (at least 16 characters); without it those routes do not exist',
  },
  {
    name: 'METRICS_TOKEN',
    group: 'Operations',
    ownSecret: 'a generated one (openssl rand -hex 32)',
    meaning:
      'when set, `GET /metrics` answers only requests with `Authorization: Bearer <METRICS_TOKEN>` (at least 16 characters), others get 401; unset, it is open',
  },
  {
    name: 'HTTP_LOG_RETENTION_DAYS',
    group: 'Operations',
    default: '90',
    meaning:
      'while serving, request-log rows older than this many days are pruned, hourly (payments and delivery attempts are kept forever); `0` keeps the request log forever',
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

const CORE: readonly Variable[] = [...server, ...limits, ...database, ...providers, ...webhooks, ...operations, ...alerts];

const named = (prefix: string, group: Group) => (variable: ProtocolVariable) => {
  const { suffix, ...rest } = variable;
  return { ...rest, name: `${prefix}_${suffix}`, group };
};

/** Every variable, as the documentation lists them: an instance's as `<NAME>_…`, a protocol's under its default instance. */
export function variables(): Variable[] {
  return [
    ...CORE,
    ...PER_INSTANCE.map(named('<NAME>', 'Providers')),
    ...protocols.flatMap(({ name, title, variables }) => variables.map(named(name.toUpperCase(), title))),
  ];
}

/** An instance's variable, `<PREFIX>_<SUFFIX>`, of any instance name. */
function perInstance(name: string): Variable | undefined {
  const own = protocols.flatMap(({ title, variables }) => variables.map((variable) => ({ variable, group: title })));
  const candidates = [...PER_INSTANCE.map((variable) => ({ variable, group: 'Providers' })), ...own];
  for (const { variable, group } of candidates) {
    const prefix = name.slice(0, -variable.suffix.length - 1);
    if (name.endsWith(`_${variable.suffix}`) && /^[A-Z][A-Z0-9]*$/.test(prefix)) return named(prefix, group)(variable);
  }
  return undefined;
}

/** The catalogue's entry; a name missing from it is a programming error, caught by any test. */
export function catalogued(name: string): Variable {
  const variable = CORE.find((candidate) => candidate.name === name) ?? perInstance(name);
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
