import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { BlockList } from 'node:net';
import { ConfigError, type CoreConfig, type EnvReader } from '../config/index.js';
import type { Db } from '../db/index.js';
import { parseWebhookSecret } from '../delivery/signature.js';
import { parseAllowList } from '../http/ip-allow-list.js';
import type { ClaimedPayment, Outbox } from '../delivery/store.js';
import type { NotificationOutcome } from '../metrics/counters.js';
import type { NewPayment, RecordOutcome } from '../payments/record.js';

/** What every provider reads from its own `<PROVIDER>_*` variables. */
export interface ProviderSettings {
  checkUrl?: URL;
  checkTimeoutMs: number;
  webhookUrl?: URL;
  /** The key that signs this provider's webhooks (Standard Webhooks); unsigned when absent. */
  webhookSecret?: Buffer;
  /** Source networks allowed to call the provider's notification endpoints; all when absent. */
  allowedIps?: BlockList;
}

export interface ProviderContext<S extends ProviderSettings = ProviderSettings> {
  db: Db;
  core: CoreConfig;
  settings: S;
  /** Tells the dispatcher a new transaction is committed, so its first attempt starts now. */
  wakeDelivery(): void;
}

/** A request to a provider endpoint as the shared intake hands it over: bytes, never guesses. */
export interface IncomingMessage {
  method: string;
  /** The endpoint's own path (`/payment`), whatever prefix it was reached under. */
  path: string;
  url: string;
  /** The query string exactly as sent (after the first `?`). */
  query: Buffer;
  /** The body exactly as sent; empty when there is none or it was not read. */
  body: Buffer;
  contentType: string;
  /** The Content-Type's charset, else the provider's configured one. */
  charset: string;
  headers: IncomingHttpHeaders;
  ip: string;
}

/** What a provider answers, in its own format. HTTP 200 unless said otherwise. */
export interface Answer {
  status?: number;
  contentType: string;
  body: string;
  /** For the metrics: the request's type (`check`, `pay`, ...) and how it went (`accepted` when unsaid). */
  type?: string;
  outcome?: NotificationOutcome;
}

/**
 * Every way the intake refuses before or around a provider's own logic. `malformed` is the
 * caller's fault and final (an unreadable body); `temporary` is ours and the caller should retry.
 */
export type Refusal = 'forbidden' | 'unauthorized' | 'method' | 'malformed' | 'forged' | 'temporary';

/** What a provider's endpoint gets besides the message: its context, a logger, and recording. */
export interface IntakeContext<S extends ProviderSettings = ProviderSettings> extends ProviderContext<S> {
  log: FastifyBaseLogger;
  /**
   * Records a payment once per code, committed together with the request's log row, and wakes
   * delivery when it is new. Resolves only once both rows are committed.
   */
  recordPayment(payment: NewPayment): Promise<RecordOutcome>;
}

export type Endpoint<S extends ProviderSettings = ProviderSettings> = (
  message: IncomingMessage,
  context: IntakeContext<S>,
) => Promise<Answer>;

/**
 * A payment provider: only what differs. The shared intake (./intake.ts) gives every endpoint
 * limits, methods, the request log, the allow-list, authentication, the signature hook and the
 * classification of failures. Its tables are `<name>_http_log`, `<name>_transaction` and
 * `<name>_webhook_log`; its endpoints answer under `/_<name>_/`, and also at `/` for the
 * providers the replaced containers served there.
 */
export interface Provider<S extends ProviderSettings = ProviderSettings> {
  name: string;
  title: string;
  /** The provider's own numbered migrations, after the tables every provider shares. */
  migrationsDir?: URL;
  readSettings(env: EnvReader): S;
  /**
   * Endpoint paths also served at the root, as the replaced containers served them; a new
   * provider has none, so two providers never collide on a path.
   */
  rootPaths?: string[];
  /**
   * The request types its metrics name (`check`, `pay`, ...): a closed set, as a type any caller
   * may send would open a series for each word; any other counts as `other`.
   */
  requestTypes: readonly string[];
  /** Notification endpoints by path (Fastify syntax, `/:type` allowed), each answering GET and POST. */
  endpoints: Record<string, Endpoint<S>>;
  /** How to read bytes whose Content-Type names no charset. */
  charset(settings: S): string;
  /** Headers (lower case) that sign its messages: masked in the request log, as credentials are. */
  signatureHeaders?: readonly string[];
  /** A check of the raw message once the caller is authenticated (a signature): false refuses it. */
  verify?(message: IncomingMessage, settings: S): boolean;
  /** The provider's own refusal. The message has what could be read (no body before authentication). */
  refuse(refusal: Refusal, message: IncomingMessage): Answer;
  /** Routes outside the intake (a page for customers), registered under each of the provider's prefixes. */
  pages?(scope: FastifyInstance, context: ProviderContext<S>): void;
  /** Those pages' paths, for the start-up summary. */
  pagePaths?: string[];
  /** Safety settings this deployment lacks, in words for the operator. */
  warnings(settings: S): string[];
  /** Which HTTP statuses from the merchant's webhook URL mean "accepted". */
  acceptsWebhookStatus(status: number): boolean;
  /** Rows besides payments the merchant must act on, delivered the same way (when configured). */
  eventStream?(settings: S, table: (name: string) => string): EventStream | undefined;
}

/** A provider's own stream of deliveries besides its payments: rows of an outbox, a body for each. */
export interface EventStream {
  /** Names it in logs, metrics and the `webhook-id`. */
  name: string;
  url: URL;
  outbox: Outbox;
  body(row: ClaimedPayment, timeZone: string): string;
}

/** A provider together with the settings read for this process. */
export interface ConfiguredProvider<S extends ProviderSettings = ProviderSettings> {
  provider: Provider<S>;
  settings: S;
}

export function readProviderSettings(env: EnvReader, prefix: string): ProviderSettings {
  return {
    checkUrl: env.url(`${prefix}_CHECK_URL`),
    checkTimeoutMs: env.int(`${prefix}_CHECK_TIMEOUT_MS`, 10_000, 1, 600_000),
    webhookUrl: env.url(`${prefix}_WEBHOOK_URL`),
    webhookSecret: readWebhookSecret(env, `${prefix}_WEBHOOK_SECRET`),
    allowedIps: parseAllowList(`${prefix}_ALLOWED_IPS`, env.string(`${prefix}_ALLOWED_IPS`)),
  };
}

/** `<PROVIDER>_WEBHOOK_SECRET`, else the shared `WEBHOOK_SECRET`. */
function readWebhookSecret(env: EnvReader, own: string): Buffer | undefined {
  const variable = env.secret(own) ? own : 'WEBHOOK_SECRET';
  const secret = env.secret(variable)?.trim();
  if (!secret) return undefined;
  const key = parseWebhookSecret(secret);
  if (!key) throw new ConfigError(variable, 'must be whsec_ followed by base64 (a Standard Webhooks secret)');
  return key;
}

/** `<PREFIX>_ENCODING`: UTF8 (the default) or Windows1251, spelled as the cabinets spell them. */
export function readEncoding(env: EnvReader, variable: string): 'utf-8' | 'windows-1251' {
  const raw = env.string(variable);
  if (raw === undefined) return 'utf-8';
  const name = raw.toLowerCase().replace(/[\s_-]/g, '');
  if (name === 'utf8') return 'utf-8';
  if (name === 'windows1251' || name === 'cp1251') return 'windows-1251';
  throw new ConfigError(variable, `must be UTF8 or Windows1251, got "${raw}"`);
}

/** A provider of any settings type: the registry and the app only use what all of them share. */
// biome-ignore lint/suspicious/noExplicitAny: each provider has its own settings type
export type AnyProvider = Provider<any>;
