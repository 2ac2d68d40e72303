import type { FastifyBaseLogger } from 'fastify';
import type { DeliveryConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import { webhookBody } from './body.js';
import { retryDelay } from './schedule.js';
import { countWebhookAttempt } from '../metrics/counters.js';
import { postWebhook, type AttemptResult } from './send.js';
import { signatureHeaders } from './signature.js';
import { GroupCommit } from '../payments/group-commit.js';
import * as store from './store.js';
import { redactUrl } from '../util/redact-url.js';
import type { ClaimedPayment } from './store.js';

/** Failed attempts in a row after which a URL counts as down and is only probed. */
const FAILURES_BEFORE_PROBING = 3;

/** Where one stream of deliveries goes: a provider's payments, or another outbox of its own. */
export interface DeliveryTarget {
  /** Names the stream in logs, metrics and the `webhook-id` (`pay24_123`, `pay24_event_7`). */
  provider: string;
  url: URL;
  /** The rows to deliver; a provider's payments when absent. */
  outbox?: store.Outbox;
  /** The body of a claimed row; the payment webhook when absent. */
  body?(row: ClaimedPayment, timeZone: string): string;
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

/** What this process knows of a URL's health, to spare a DELETE on webhook_endpoint per delivery. */
interface UrlHealth {
  /** An attempt failed since the URL's row was last cleared: the next success must clear it. */
  failedSinceClear: boolean;
  clearedAt: number;
  /**
   * Unavailable answers in a row seen here, and when the last came: enough of them stop this
   * process's claims before the table says the URL is failing (for at most a probe interval, so
   * a mark another process has cleared cannot stall this one).
   */
  unavailableInRow: number;
  lastUnavailableAt: number;
}

/** However healthy a URL looks here, its row is cleared this often: another process may have marked it. */
const CLEAR_EVERY_MS = 1000;
/** Attempts recorded in one statement at most (ten parameters each). */
const MAX_ATTEMPTS_PER_COMMIT = 500;

/**
 * Sends due payments to the merchant's backend, at most `concurrency` at a time. It looks for
 * work when woken (a payment was just committed here, or a delivery finished) and every
 * `pollMs` (payments committed by other processes, retries falling due). While a URL is down
 * it sends one probe at a time; the probe that gets through makes the whole backlog due.
 *
 * To keep up with intake, claims are batched and made ahead (up to CLAIMED_AHEAD times
 * WEBHOOK_CONCURRENCY claimed payments wait for a slot; a claim waits until a quarter of
 * WEBHOOK_CONCURRENCY is free) and attempts are recorded by group commit: those finished while
 * a commit is in flight share the next one. An accepted webhook frees its slot as soon as the
 * backend answers; its payment stays leased until the attempt is recorded, so no other claim can
 * take it meanwhile.
 */
/**
 * Claimed payments waiting for a slot, as a multiple of WEBHOOK_CONCURRENCY. A claim is a commit
 * of its own and, under load, takes as long as several deliveries: with one WEBHOOK_CONCURRENCY
 * waiting the slots ran dry while the next claim was under way; four drained a backlog
 * markedly faster, eight no faster than four (decision 007). They are leased, and handed back
 * on a stop or when the URL stops answering.
 */
const CLAIMED_AHEAD = 4;

export class Dispatcher {
  /** Webhooks in flight: what WEBHOOK_CONCURRENCY bounds. */
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * Claimed payments waiting for a slot, per target (up to CLAIMED_AHEAD × WEBHOOK_CONCURRENCY
   * over all targets), so that a slot freed is filled at once rather than after a claim.
   */
  private readonly ready = new Map<DeliveryTarget, Claim[]>();

  /** Accepted attempts still being recorded: a stop waits for them too. */
  private readonly recording = new Set<Promise<void>>();
  private readonly attempts = new Map<string, GroupCommit<store.AttemptRecord, void>>();
  private readonly health = new Map<string, UrlHealth>();
  private readonly probeTimers = new Set<NodeJS.Timeout>();
  private running = false;
  /** The claim round under way, if any: its claims become deliveries a stop must wait for. */
  private claiming?: Promise<void>;
  private wokenWhileClaiming = false;
  /** Each round starts with the next provider, so one provider's backlog cannot starve another's. */
  private firstTarget = 0;
  /** The target whose claimed payment last got a slot (startReady). */
  private nextTarget = 0;
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
    for (const timer of this.probeTimers) clearTimeout(timer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const underWay = async () => {
      await this.claiming;
      await this.releaseReady();
      await Promise.allSettled([...this.inFlight]);
      await Promise.allSettled([...this.recording]);
    };
    await Promise.race([underWay(), deadline]);
    clearTimeout(timer);
  }

  private async claimRounds(): Promise<void> {
    const { targets, config } = this.options;
    // One claim per finished delivery would cost a commit each: wait for a quarter of the room.
    const batch = Math.ceil(config.concurrency / 4);
    const share = Math.ceil((CLAIMED_AHEAD * config.concurrency) / targets.length);
    do {
      this.wokenWhileClaiming = false;
      this.firstTarget = (this.firstTarget + 1) % targets.length;
      for (const target of [...targets.slice(this.firstTarget), ...targets.slice(0, this.firstTarget)]) {
        this.startReady();
        const room = (1 + CLAIMED_AHEAD) * config.concurrency - this.inFlight.size - this.readyCount();
        if (room < batch || !this.running) return;
        // Each target's waiting share is bounded, so one provider's backlog leaves room for another's.
        const limit = Math.min(room, share - this.readyOf(target).length);
        if (limit < Math.min(batch, share)) continue;
        this.readyOf(target).push(...(await this.claim(target, limit)));
        this.startReady();
      }
    } while (this.wokenWhileClaiming && this.running);
  }

  private readyOf(target: DeliveryTarget): Claim[] {
    let queue = this.ready.get(target);
    if (!queue) {
      queue = [];
      this.ready.set(target, queue);
    }
    return queue;
  }

  private readyCount(): number {
    let count = 0;
    for (const queue of this.ready.values()) count += queue.length;
    return count;
  }

  /**
   * Fills free slots from the claimed payments, taking the targets in turn. The turn carries
   * over from one call to the next: a slot freed one at a time must not always go to the first
   * target that has payments waiting, or its backlog would hold back every other provider's.
   */
  private startReady(): void {
    const { config, targets } = this.options;
    let idle = 0;
    while (this.running && this.inFlight.size < config.concurrency && idle < targets.length) {
      this.nextTarget = (this.nextTarget + 1) % targets.length;
      const target = targets[this.nextTarget]!;
      const claim = this.ready.get(target)?.shift();
      if (!claim) {
        idle++;
        continue;
      }
      idle = 0;
      this.track(this.deliver(target, claim));
    }
  }

  /** Hands claimed but unsent payments back (a stop, a URL that stopped answering): due again at once. */
  private async releaseReady(target?: DeliveryTarget): Promise<void> {
    for (const [owner, queue] of this.ready) {
      if (target && owner !== target) continue;
      const ids = queue.splice(0).map(({ payment }) => payment.id);
      if (ids.length === 0) continue;
      await store.releaseClaims(this.options.db, outboxOf(owner), ids).catch((error: unknown) => {
        this.options.log.warn(
          { err: error, provider: owner.provider },
          'delivery: cannot release claims; their lease will run out',
        );
      });
    }
  }

  private async claim(target: DeliveryTarget, limit: number): Promise<Claim[]> {
    const { db, config, log } = this.options;
    try {
      const url = redactUrl(target.url);
      // Down by what this process saw itself: only the probe may go, as once the URL is marked failing.
      const health = this.healthOf(url);
      const down =
        health.unavailableInRow >= FAILURES_BEFORE_PROBING && Date.now() - health.lastUnavailableAt < config.probeMaxMs;
      const due = down ? [] : await store.claimDue(db, outboxOf(target), url, limit, config.leaseMs);
      if (due.length > 0) return due.map((payment) => ({ payment }));
      const probe = await store.takeProbeSlot(db, outboxOf(target), url, config.leaseMs);
      if (probe === undefined) return [];
      const claimed = await store.claimProbe(db, outboxOf(target), config.leaseMs);
      // Its payment taken meanwhile by another claim: the slot goes back rather than wait out its lease.
      if (claimed.length === 0) await store.scheduleProbe(db, url, 0);
      return claimed.map((payment) => ({ payment, probe }));
    } catch (error) {
      log.warn({ err: error, provider: target.provider }, 'delivery: cannot claim due payments');
      return [];
    }
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => {
      this.inFlight.delete(delivery);
      this.startReady();
      this.wake();
    });
  }

  private async deliver(target: DeliveryTarget, { payment, probe }: Claim): Promise<void> {
    const { config, timeZone, log } = this.options;
    const requestBody = (target.body ?? webhookBody)(payment, timeZone);
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
    const url = redactUrl(target.url);
    const attempt = { provider: target.provider, payment, url, requestBody, result, accepted, retryInMs };
    const bookkeeping = this.bookkeep(target, attempt, verdict, probe);
    if (!accepted) {
      // A failure holds its slot until the URL's health is recorded: a backend that is down
      // must be marked so before the next claims, or it would get the whole backlog.
      await bookkeeping;
      return;
    }
    this.recording.add(bookkeeping);
    void bookkeeping.finally(() => this.recording.delete(bookkeeping));
  }

  private async bookkeep(target: DeliveryTarget, attempt: store.AttemptRecord, verdict: Verdict, probe?: number): Promise<void> {
    const { db, log } = this.options;
    const { payment, url } = attempt;
    try {
      await this.attemptsOf(target).submit(attempt);
    } catch (error) {
      log.error({ err: error, provider: target.provider, id: payment.id }, 'delivery: cannot record the attempt');
      // Unrecorded, the payment would go out again when its lease runs out: at least once. If the
      // backend took it, try hard to keep that much.
      if (attempt.accepted) await store.markDelivered(db, outboxOf(target), payment.id).catch(() => undefined);
    }
    try {
      if (verdict === 'unavailable') await this.failed(target, attempt.result, probe);
      else await this.recovered(target, probe);
    } catch (error) {
      log.warn({ err: error, url }, 'delivery: cannot update the health of the webhook URL');
    }
  }

  private attemptsOf(target: DeliveryTarget): GroupCommit<store.AttemptRecord, void> {
    const { provider } = target;
    let batcher = this.attempts.get(provider);
    if (!batcher) {
      const { db } = this.options;
      batcher = new GroupCommit<store.AttemptRecord, void>({
        commit: async (attempts) => {
          await store.recordAttempts(db, outboxOf(target), attempts);
          return attempts.map(() => ({ value: undefined }));
        },
        // A batch that fails is retried attempt by attempt, so one unrecordable answer fails alone.
        retryAlone: () => true,
        maxBatch: MAX_ATTEMPTS_PER_COMMIT,
      });
      this.attempts.set(provider, batcher);
    }
    return batcher;
  }

  private healthOf(url: string): UrlHealth {
    let health = this.health.get(url);
    if (!health) {
      // Unknown here: the first success clears whatever another process may have recorded.
      health = { failedSinceClear: true, clearedAt: 0, unavailableInRow: 0, lastUnavailableAt: 0 };
      this.health.set(url, health);
    }
    return health;
  }

  private async recovered(target: DeliveryTarget, probe?: number): Promise<void> {
    const { db, log, targets } = this.options;
    const url = redactUrl(target.url);
    const health = this.healthOf(url);
    health.unavailableInRow = 0;
    const now = Date.now();
    if (probe === undefined && !health.failedSinceClear && now - health.clearedAt < CLEAR_EVERY_MS) return;
    health.failedSinceClear = false;
    health.clearedAt = now;
    if (!(await store.clearEndpoint(db, url))) return;
    // Every stream whose claims this row held back: the URL as stored, so URLs that differ only in
    // their credentials or query values (masked alike) share it.
    const sharing = targets.filter((other) => redactUrl(other.url) === url);
    for (const other of sharing) await store.releaseBacklog(db, outboxOf(other));
    log.info({ url }, 'webhook URL recovered: the backlog is due now');
    this.wake();
  }

  private async failed(target: DeliveryTarget, result: AttemptResult, probe?: number): Promise<void> {
    const { db, config } = this.options;
    const url = redactUrl(target.url);
    const health = this.healthOf(url);
    health.failedSinceClear = true;
    health.unavailableInRow++;
    health.lastUnavailableAt = Date.now();
    // Whatever was claimed for a URL that stopped answering goes back rather than out.
    await this.releaseReady(target);
    const failures = await store.countEndpointFailure(db, url, store.attemptError({ result, accepted: false }));
    const probeBounds = { retryMinMs: Math.min(config.retryMinMs, config.probeMaxMs), retryMaxMs: config.probeMaxMs };
    if (probe !== undefined) {
      const inMs = retryDelay(probe + 1, probeBounds, result.retryAfterMs);
      await store.scheduleProbe(db, url, inMs);
      this.wakeIn(inMs);
    } else if (failures >= FAILURES_BEFORE_PROBING) {
      const inMs = retryDelay(1, probeBounds, result.retryAfterMs);
      await store.markFailing(db, url, inMs);
      this.wakeIn(inMs);
    }
  }

  /** The next probe goes when it is due, not on the poll tick after: a recovery is seen sooner. */
  private wakeIn(ms: number): void {
    const timer = setTimeout(() => {
      this.probeTimers.delete(timer);
      this.wake();
    }, ms + 5);
    this.probeTimers.add(timer);
  }
}

function outboxOf(target: DeliveryTarget): store.Outbox {
  return target.outbox ?? store.paymentsOutbox(target.provider);
}
