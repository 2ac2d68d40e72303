import { existsSync } from 'node:fs';
import { readDatabaseConfig, type DatabaseConfig } from './database.js';
import { parseAllowList } from '../http/ip-allow-list.js';
import { ConfigError, EnvReader, type Env, type InstanceEnv } from './env.js';

export { ConfigError, EnvReader, type Env, type InstanceEnv };

export interface DeliveryConfig {
  retryMinMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  concurrency: number;
  /** How long a claimed delivery stays reserved for the process that claimed it. */
  leaseMs: number;
  /** How often an idle dispatcher looks for work that other processes committed. */
  pollMs: number;
  /** The longest wait between probes of a failing webhook URL: how soon a recovery is noticed. */
  probeMaxMs: number;
}

/** Bounds on what one client may hold: a slow or abusive client cannot keep connections forever. */
export interface HttpLimits {
  /** Largest request body taken, in bytes. */
  bodyLimit: number;
  /** The whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** The headers must arrive within this. */
  headersTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed at once. */
  maxConnections: number;
  /** Connections one source address may hold (not applied behind proxies, whose addresses all callers share). */
  maxConnectionsPerAddress: number;
}

/** No proxy; every proxy (the left-most address); this many hops; these proxies' addresses and networks. */
export type TrustProxy = boolean | number | string[];

export interface CoreConfig {
  host: string;
  port: number;
  /**
   * Behind reverse proxies: which hops of X-Forwarded-For to believe (Fastify's trustProxy). The
   * client is the first address from the right that is not a trusted proxy; `true` believes the
   * whole header, so the left-most address, which any client can write.
   */
  trustProxy: TrustProxy;
  http: HttpLimits;
  database: DatabaseConfig;
  timeZone: string;
  debug: boolean;
  delivery: DeliveryConfig;
  shutdownTimeoutMs: number;
  /** Enables the admin API and dashboard under /admin; absent, those routes do not exist. */
  adminToken?: string;
  /** When set, GET /metrics wants it as a Bearer token; absent, /metrics is open. */
  metricsToken?: string;
  /** Instances whose callers prove nothing (no credentials, signature or allow-list) take requests all the same. */
  allowUnauthenticated: boolean;
}

export function readCoreConfig(env: EnvReader): CoreConfig {
  return {
    host: env.string('HOST') ?? '0.0.0.0',
    port: env.int('PORT', 8080, 0, 65535),
    trustProxy: readTrustProxy(env),
    http: readHttpLimits(env),
    database: readDatabaseConfig(env),
    timeZone: env.timeZone('MS_TIMEZONE', 'UTC'),
    debug: env.bool('DEBUG'),
    delivery: readDeliveryConfig(env),
    shutdownTimeoutMs: env.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 3_600_000),
    adminToken: readToken(env, 'ADMIN_TOKEN'),
    metricsToken: readToken(env, 'METRICS_TOKEN'),
    allowUnauthenticated: env.bool('ALLOW_UNAUTHENTICATED'),
  };
}

function readHttpLimits(env: EnvReader): HttpLimits {
  const requestTimeoutMs = env.int('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000);
  const headersTimeoutMs = env.int('HTTP_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeoutMs), 100, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  }
  const maxConnections = env.int('HTTP_MAX_CONNECTIONS', 1024, 1, 1_000_000);
  return {
    bodyLimit: env.int('HTTP_BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: env.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 10_000, 100, 600_000),
    maxConnections,
    maxConnectionsPerAddress: env.int(
      'HTTP_MAX_CONNECTIONS_PER_ADDRESS',
      Math.max(1, Math.floor(maxConnections / 4)),
      1,
      maxConnections,
    ),
  };
}

/** Names proxy-addr gives to the loopback, link-local and private ranges, accepted as they are. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `TRUST_PROXY`: `false` (the default), a hop count (`1`: one proxy in front), or the proxies'
 * addresses and networks (`10.0.0.0/8, loopback`). `true` keeps its old meaning, every hop.
 */
function readTrustProxy(env: EnvReader): TrustProxy {
  const raw = env.string('TRUST_PROXY')?.toLowerCase();
  if (raw === undefined || ['false', 'no', 'off', '0'].includes(raw)) return false;
  if (['true', 'yes', 'on'].includes(raw)) return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 100) throw new ConfigError('TRUST_PROXY', `must be a number of proxies up to 100, got ${raw}`);
    return hops;
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // Validated as an allow-list is; the names go to proxy-addr as they are.
  parseAllowList('TRUST_PROXY', entries.filter((entry) => !PROXY_RANGES.has(entry)).join(',') || undefined);
  return entries;
}

/** A short token could be guessed by anyone who reaches payrelay. */
function readToken(env: EnvReader, name: string): string | undefined {
  const token = env.secret(name);
  if (token !== undefined && token.length < 16) throw new ConfigError(name, 'must be at least 16 characters');
  return token;
}

function readDeliveryConfig(env: EnvReader): DeliveryConfig {
  const day = 86_400_000;
  const retryMinMs = env.int('WEBHOOK_RETRY_MIN_MS', 1000, 1, day);
  const retryMaxMs = env.int('WEBHOOK_RETRY_MAX_MS', 3_600_000, 1, 7 * day);
  if (retryMaxMs < retryMinMs) {
    throw new ConfigError('WEBHOOK_RETRY_MAX_MS', `must not be below WEBHOOK_RETRY_MIN_MS (${retryMinMs})`);
  }
  const timeoutMs = env.int('WEBHOOK_TIMEOUT_MS', 15_000, 1, day);
  return {
    retryMinMs,
    retryMaxMs,
    timeoutMs,
    concurrency: env.int('WEBHOOK_CONCURRENCY', 16, 1, 1000),
    leaseMs: readLease(env, timeoutMs),
    pollMs: env.int('WEBHOOK_POLL_MS', 1000, 10, 60_000),
    probeMaxMs: Math.min(retryMaxMs, env.int('WEBHOOK_PROBE_MAX_MS', 1000, 1, day)),
  };
}

/** A lease shorter than an attempt would let a second process send a webhook still in flight. */
function readLease(env: EnvReader, timeoutMs: number): number {
  const leaseMs = env.int('WEBHOOK_LEASE_MS', Math.max(60_000, 2 * timeoutMs), 1000, 7 * 86_400_000);
  if (leaseMs <= timeoutMs + 1000) {
    throw new ConfigError('WEBHOOK_LEASE_MS', `must exceed WEBHOOK_TIMEOUT_MS (${timeoutMs}) by more than a second`);
  }
  return leaseMs;
}

/**
 * The process environment, with a `.env` file in the working directory underneath it:
 * Node's loader never overrides a variable the real environment already sets.
 */
export function loadEnv(cwd = process.cwd()): Env {
  const path = `${cwd}/.env`;
  if (existsSync(path)) process.loadEnvFile(path);
  return process.env;
}
