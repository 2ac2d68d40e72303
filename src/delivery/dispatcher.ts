import type { FastifyBaseLogger } from 'fastify';
import type { DeliveryConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import { webhookBody } from './body.js';
import { retryDelay } from './schedule.js';
import { postWebhook } from './send.js';
import { claimDue, recordAttempt, type ClaimedPayment } from './store.js';

/** Where one provider's payments go. */
export interface DeliveryTarget {
  provider: string;
  url: URL;
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
 * Sends due payments to the merchant's backend, at most `concurrency` at a time. It looks for
 * work when woken (a payment was just committed here, or a delivery finished) and every
 * `pollMs` (payments committed by other processes, retries falling due).
 */
export class Dispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private claiming = false;
  private wokenWhileClaiming = false;
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
    this.claiming = true;
    void this.claimRounds().finally(() => (this.claiming = false));
  }

  /** Stops claiming, then waits for the deliveries under way, at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.running = false;
    clearInterval(this.poller);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    clearTimeout(timer);
  }

  private async claimRounds(): Promise<void> {
    do {
      this.wokenWhileClaiming = false;
      for (const target of this.options.targets) {
        const free = this.options.config.concurrency - this.inFlight.size;
        if (free <= 0 || !this.running) return;
        const claimed = await this.claim(target, free);
        for (const payment of claimed) this.track(this.deliver(target, payment));
      }
    } while (this.wokenWhileClaiming && this.running);
  }

  private async claim(target: DeliveryTarget, limit: number): Promise<ClaimedPayment[]> {
    try {
      return await claimDue(this.options.db, target.provider, limit, this.options.config.leaseMs);
    } catch (error) {
      this.options.log.warn({ err: error, provider: target.provider }, 'delivery: cannot claim due payments');
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

  private async deliver(target: DeliveryTarget, payment: ClaimedPayment): Promise<void> {
    const { db, config, timeZone, log } = this.options;
    const requestBody = webhookBody(payment, timeZone);
    const result = await postWebhook(target.url, requestBody, {}, config.timeoutMs);
    const accepted = result.status !== undefined && target.accepts(result.status);
    const retryInMs = retryDelay(payment.delivery_attempts + 1, config);
    const facts = { provider: target.provider, id: payment.id, status: result.status, error: result.error };
    if (accepted) log.info(facts, 'webhook delivered');
    else log.warn({ ...facts, retryInMs }, 'webhook not accepted, will retry');
    try {
      await recordAttempt(db, { provider: target.provider, payment, url: target.url.href, requestBody, result, accepted, retryInMs });
    } catch (error) {
      // The payment stays claimed until its lease runs out, then it is sent again: at least once.
      log.error({ err: error, provider: target.provider, id: payment.id }, 'delivery: cannot record the attempt');
    }
  }
}
