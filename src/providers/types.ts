import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { BlockList } from 'node:net';
import type { CoreConfig, InstanceEnv } from '../config/index.js';
import type { CataloguedProtocol } from '../config/variables.js';
import type { Db } from '../db/index.js';
import type { Credentials } from '../http/basic-auth.js';
import type { NotificationOutcome } from '../metrics/counters.js';
import type { CancelOutcome, NewEvent, PaymentRef, StoredPayment } from '../payments/events.js';
import type { NewPayment, RecordOutcome } from '../payments/record.js';
import type { Simulator } from './simulator.js';

/** What every instance reads from its own `<NAME>_*` variables (see ./instances.ts). */
export interface ProviderSettings {
  checkUrl?: URL;
  checkTimeoutMs: number;
  webhookUrl?: URL;
  /** Where the events about its payments go (cancels, refunds, failures); kept until set otherwise. */
  eventsWebhookUrl?: URL;
  /** The key that signs this instance's webhooks (Standard Webhooks); unsigned when absent. */
  webhookSecret?: Buffer;
  /** Source networks allowed to call the instance's endpoints; all when absent. */
  allowedIps?: BlockList;
  /** The HTTP Basic credentials its callers must send: its own, else the shared ones; none when absent. */
  httpAuth?: Credentials;
}

export interface ProviderContext<S extends ProviderSettings = ProviderSettings> {
  /** The instance's name (`pay24`): its tables, paths, metrics and logs are named by it. */
  name: string;
  db: Db;
  core: CoreConfig;
  settings: S;
  /** The schema-qualified name of one of the instance's tables: `table('notification')`. */
  table(suffix: string): string;
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
  /** A recorded payment of this instance, by the network's id or by payrelay's. */
  findPayment(ref: PaymentRef): Promise<StoredPayment | undefined>;
  /**
   * Marks a payment cancelled (once; a later cancel finds it `already` cancelled). One not yet
   * delivered is then never delivered as a payment. Record an event too when the merchant should hear of it.
   */
  cancelPayment(ref: PaymentRef, reason: string): Promise<CancelOutcome>;
  /**
   * Records an event about a payment once per (type, idempotency key) and wakes delivery when it
   * is new: it reaches `<NAME>_EVENTS_WEBHOOK_URL` with the guarantees payments have.
   */
  recordEvent(event: NewEvent): Promise<'created' | 'repeated'>;
}

export type Endpoint<S extends ProviderSettings = ProviderSettings> = (
  message: IncomingMessage,
  context: IntakeContext<S>,
) => Promise<Answer>;

/**
 * A payment network's protocol: only what differs, and no instance's name. The shared intake
 * (./intake.ts) gives every endpoint limits, methods, the request log, the allow-list,
 * authentication, the signature hook and the classification of failures. A deployment runs
 * instances of it (./instances.ts): each has its tables (`<name>_transaction`, ...), its
 * variables (`<NAME>_*`) and its paths (`/_<name>_/`).
 */
export interface Protocol<S extends ProviderSettings = ProviderSettings> extends CataloguedProtocol {
  /** The protocol's name in PROVIDERS (`name:protocol`), and its default instance's name. */
  name: string;
  title: string;
  /** Its own numbered migrations, after the tables every instance shares; `{{instance}}` is the instance's name. */
  migrationsDir?: URL;
  /** Its settings: what every instance reads (`shared`) and what it reads from its own variables. */
  readSettings(env: InstanceEnv, shared: ProviderSettings): S;
  /**
   * Endpoint paths also served at the root by the instance named like the protocol, as the
   * replaced containers served them; a new protocol has none, so two never collide on a path.
   */
  rootPaths?: string[];
  /**
   * False when its network sends no HTTP Basic credentials as a rule: the shared `HTTP_AUTH_*` do
   * not apply to its instances, which rely on their allow-list (their own `<NAME>_HTTP_AUTH_*` still do).
   */
  basicAuth?: boolean;
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
  /**
   * Fields of its messages that are credentials (a card token that charges the card again):
   * masked in the request log and wherever the admin shows a message, kept where the merchant's
   * systems read them (its payment's columns, the webhooks).
   */
  secretFields?: readonly string[];
  /**
   * Whether `verify` checks anything with these settings (a secret is set): a signed message
   * proves its sender, so the instance needs no credentials or allow-list besides.
   */
  verifies?(settings: S): boolean;
  /** A check of the raw message once the caller is authenticated (a signature): false refuses it. */
  verify?(message: IncomingMessage, settings: S): boolean;
  /** The provider's own refusal. The message has what could be read (no body before authentication). */
  refuse(refusal: Refusal, message: IncomingMessage, settings: S): Answer;
  /** Routes outside the intake (a page for customers), registered under each of the provider's prefixes. */
  pages?(scope: FastifyInstance, context: ProviderContext<S>): void;
  /** Those pages' paths, for the start-up summary. */
  pagePaths?: string[];
  /** Safety settings this instance lacks, in words for the operator; `variable('API_SECRET')` names one of its variables. */
  warnings?(settings: S, variable: (suffix: string) => string): string[];
  /** How to play its network: `payrelay simulate`, the contract suite and the bench use it. */
  simulator?: Simulator<S>;
  /** Which HTTP statuses from the merchant's webhook URL mean "accepted". */
  acceptsWebhookStatus(status: number): boolean;
}

/** One instance a deployment runs: its name, its protocol, the settings read for it. */
export interface Instance<S extends ProviderSettings = ProviderSettings> {
  name: string;
  protocol: Protocol<S>;
  settings: S;
  /** Whether it also answers at the protocol's root paths (the instance named like its protocol). */
  root: boolean;
}

/** A protocol of any settings type: the registry and the app only use what all of them share. */
// biome-ignore lint/suspicious/noExplicitAny: each protocol has its own settings type
export type AnyProtocol = Protocol<any>;
