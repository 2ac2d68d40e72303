import type { FastifyBaseLogger } from 'fastify';
import type { DeliveryConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import { webhookBody } from './body.js';
import { retryDelay } from './schedule.js';
import { redactedHref } from '../http/client.js';
import { countWebhookAttempt } from '../metrics/counters.js';
import { postWebhook, type AttemptResult } from './send.js';
import { signatureHeaders } from './signature.js';
import * as store from './store.js';
import type { ClaimedPayment } from './store.js';

/** Failed attempts in a row after which a URL counts as down and is only probed. */
const FAILURES_BEFORE_PROBING = 3;

/** Where one provider's payments go. */
export interface DeliveryTarget {
  provider: string;
  url: URL;
  /** Signs each webhook (Standard Webhooks) when present. */
  secret?: Buffer;
  accepts(status: number): boolean;
}

export interface DispatcherOptions {
  db: Db;
  targets: DeliveryTarget[];
  config: DeliveryConfig;
  timeZone: string;
  log: FastifyBaseLogger;
}

/**
 * What an attempt says about the URL: `refused` is an answer (a 4xx, a redirect) that proves
 * the backend is up though it did not take this payment; only `unavailable` counts towards
 * marking the URL down.
 */
type Verdict = 'accepted' | 'refused' | 'unavailable';

function verdictOf(result: AttemptResult, accepts: (status: number) => boolean): Verdict {
  const { status } = result;
  if (status === undefined || status >= 500 || status === 408 || status === 429) return 'unavailable';
  return accepts(status) ? 'accepted' : 'refused';
}

/** A claimed payment; `probe` numbers it when it tests a failing URL. */
interface Claim {
  payment: ClaimedPayment;
  probe?: number;
}

/**
 * Sends due payments to the merchant's backend, at most `concurrency` at a time. It looks for
 * work when woken (a payment was just committed here, or a delivery finished) and every
 * `pollMs` (payments committed by other processes, retries falling due). While a URL is down
 * it sends one probe at a time; the probe that gets through makes the whole backlog due.
 */
export class Dispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  /** The claim round under way, if any: its claims become deliveries a stop must wait for. */
  private claiming?: Promise<void>;
  private wokenWhileClaiming = false;
  /** Each round starts with the next provider, so one provider's backlog cannot starve another's. */
  private firstTarget = 0;
  private poller?: NodeJS.Timeout;

  constructor(private readonly options: DispatcherOptions) {}

  start(): void {
    if (this.running || this.options.targets.length === 0) return;
    this.running = true;
    this.poller = setInterval(() => this.wake(), this.options.config.pollMs);
    this.wake();
  }

  /** Look for due work now. Cheap to call often: calls during a claim fold into one more round. */
  wake(): void {
    if (!this.running) return;
    if (this.claiming) {
      this.wokenWhileClaiming = true;
      return;
    }
    this.claiming = this.claimRounds().finally(() => (this.claiming = undefined));
  }

  /** Stops claiming, then waits for the deliveries under way, at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.running = false;
    clearInterval(this.poller);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const underWay = async () => {
      await this.claiming;
      await Promise.allSettled([...this.inFlight]);
    };
    await Promise.race([underWay(), deadline]);
    clearTimeout(timer);
  }

  private async claimRounds(): Promise<void> {
    const { targets } = this.options;
    do {
      this.wokenWhileClaiming = false;
      this.firstTarget = (this.firstTarget + 1) % targets.length;
      for (const target of [...targets.slice(this.firstTarget), ...targets.slice(0, this.firstTarget)]) {
        const free = this.options.config.concurrency - this.inFlight.size;
        if (free <= 0 || !this.running) return;
        for (const claim of await this.claim(target, free)) this.track(this.deliver(target, claim));
      }
    } while (this.wokenWhileClaiming && this.running);
  }

  private async claim(target: DeliveryTarget, limit: number): Promise<Claim[]> {
    const { db, config, log } = this.options;
    try {
      const url = redactedHref(target.url);
      const due = await store.claimDue(db, target.provider, url, limit, config.leaseMs);
      if (due.length > 0) return due.map((payment) => ({ payment }));
      const probe = await store.takeProbeSlot(db, url, config.leaseMs);
      if (probe === undefined) return [];
      return (await store.claimProbe(db, target.provider, config.leaseMs)).map((payment) => ({ payment, probe }));
    } catch (error) {
      log.warn({ err: error, provider: target.provider }, 'delivery: cannot claim due payments');
      return [];
    }
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => {
      this.inFlight.delete(delivery);
      this.wake();
    });
  }

  private async deliver(target: DeliveryTarget, { payment, probe }: Claim): Promise<void> {
    const { db, config, timeZone, log } = this.options;
    const requestBody = webhookBody(payment, timeZone);
    // The id names the payment, not the attempt: a backend drops a repeat by it.
    const headers = target.secret ? signatureHeaders(target.secret, `${target.provider}_${payment.id}`, requestBody) : {};
    const result = await postWebhook(target.url, requestBody, headers, config.timeoutMs);
    const verdict = verdictOf(result, target.accepts);
    countWebhookAttempt(target.provider, verdict);
    const accepted = verdict === 'accepted';
    const retryInMs = retryDelay(payment.delivery_attempts + 1, config, result.retryAfterMs);
    const facts = { provider: target.provider, id: payment.id, status: result.status, error: result.error, probe };
    if (accepted) log.info(facts, 'webhook delivered');
    else log.warn({ ...facts, retryInMs }, 'webhook not accepted, will retry');
    const url = redactedHref(target.url);
    try {
      await store.recordAttempt(db, { provider: target.provider, payment, url, requestBody, result, accepted, retryInMs });
    } catch (error) {
      log.error({ err: error, provider: target.provider, id: payment.id }, 'delivery: cannot record the attempt');
      // Unrecorded, the payment would go out again when its lease runs out: at least once. If the
      // backend took it, try hard to keep that much.
      if (accepted) await store.markDelivered(db, target.provider, payment.id).catch(() => undefined);
    }
    try {
      if (verdict === 'unavailable') await this.failed(target, result, probe);
      else await this.recovered(target);
    } catch (error) {
      log.warn({ err: error, url }, 'delivery: cannot update the health of the webhook URL');
    }
  }

  private async recovered(target: DeliveryTarget): Promise<void> {
    const { db, log, targets } = this.options;
    if (!(await store.clearEndpoint(db, redactedHref(target.url)))) return;
    const sharing = targets.filter((other) => other.url.href === target.url.href);
    for (const other of sharing) await store.releaseBacklog(db, other.provider);
    log.info({ url: target.url.origin }, 'webhook URL recovered: the backlog is due now');
  }

  private async failed(target: DeliveryTarget, result: AttemptResult, probe?: number): Promise<void> {
    const { db, config } = this.options;
    const url = redactedHref(target.url);
    const failures = await store.countEndpointFailure(db, url, store.attemptError({ result, accepted: false }));
    const probeBounds = { retryMinMs: config.retryMinMs, retryMaxMs: config.probeMaxMs };
    if (probe !== undefined) {
      await store.scheduleProbe(db, url, retryDelay(probe + 1, probeBounds, result.retryAfterMs));
    } else if (failures >= FAILURES_BEFORE_PROBING) {
      await store.markFailing(db, url, retryDelay(1, probeBounds, result.retryAfterMs));
    }
  }
}
