import type { FastifyInstance } from 'fastify';
import type { BlockList } from 'node:net';
import { ConfigError, type CoreConfig, type EnvReader } from '../config/index.js';
import type { Db } from '../db/index.js';
import { parseWebhookSecret } from '../delivery/signature.js';
import { parseAllowList } from '../http/ip-allow-list.js';

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

/**
 * A payment provider: its tables are `<name>_http_log`, `<name>_transaction` and
 * `<name>_webhook_log`, its routes answer at `/` and again under `/_<name>_/`.
 */
export interface Provider<S extends ProviderSettings = ProviderSettings> {
  name: string;
  title: string;
  /** The provider's own numbered migrations, after the tables every provider shares. */
  migrationsDir?: URL;
  readSettings(env: EnvReader): S;
  /** Registers the routes on an encapsulated Fastify scope of the provider's own. */
  routes(scope: FastifyInstance, context: ProviderContext<S>): Promise<void> | void;
  /** Paths to show in the start-up summary, as the provider's network should be given them. */
  endpoints: string[];
  /** Safety settings this deployment lacks, in words for the operator. */
  warnings(settings: S): string[];
  /** Which HTTP statuses from the merchant's webhook URL mean "accepted". */
  acceptsWebhookStatus(status: number): boolean;
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
