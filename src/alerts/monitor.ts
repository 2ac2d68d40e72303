import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/index.js';
import type { StreamOutbox } from '../delivery/streams.js';
import type { AlertChannel } from './channels.js';
import type { AlertConfig } from './config.js';
import { alertMessage } from './message.js';
import * as store from './store.js';
import { itemsInWords, lateUrls, streamsByName, type WatchedUrl } from './watch.js';

export interface MonitorOptions {
  db: Db;
  watched: WatchedUrl[];
  config: Pick<AlertConfig, 'afterMs' | 'checkMs'>;
  channels: AlertChannel[];
  log: FastifyBaseLogger;
}

/** Long enough for any channel's time limit: a message claimed is not claimed again meanwhile. */
const LEASE_MS = 60_000;
const LONGEST_RETRY_MS = 3_600_000;

/**
 * Every `checkMs`, in every process: opens an incident for each webhook URL that is late, ends
 * those that are not any more, and sends the messages due. The database decides which process
 * opens, ends and sends what, so replicas never send one message twice.
 */
export class AlertMonitor {
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  /** The watched streams by name: the configuration's, the same every round. */
  private readonly streams: Map<string, StreamOutbox>;

  constructor(private readonly options: MonitorOptions) {
    this.streams = streamsByName(options.watched);
  }

  /** Runs without channels too: the incidents are still recorded, for the dashboard. */
  start(): void {
    if (this.timer || this.options.watched.length === 0) return;
    this.timer = setInterval(() => {
      this.round ??= this.check().finally(() => (this.round = undefined));
    }, this.options.config.checkMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** One round; never throws (a database down is logged and tried again next round). */
  async check(): Promise<void> {
    try {
      await this.openAndResolve();
    } catch (error) {
      this.options.log.warn({ err: error }, 'alerts: cannot look for late deliveries');
    }
    try {
      await this.sendDue();
    } catch (error) {
      this.options.log.warn({ err: error }, 'alerts: cannot send the messages due');
    }
  }

  private async openAndResolve(): Promise<void> {
    const { db, watched, config, channels, log } = this.options;
    const names = channels.map(({ name }) => name);
    const late = await lateUrls(db, watched, config.afterMs);
    for (const url of late) {
      const id = await store.openIncident(db, url, names);
      if (id) log.warn({ incident: id, url: url.url, reason: url.reason }, 'alert: webhooks are late');
    }
    const lateSet = new Set(late.map(({ url }) => url));
    for (const incident of await store.openIncidents(db)) {
      if (lateSet.has(incident.url)) continue;
      const mine = incident.providers.flatMap((name) => this.streams.get(name)?.outbox ?? []);
      const delayed = await store.countDelayed(db, mine, incident.startedAt);
      if (await store.resolveIncident(db, incident.id, delayed, names)) {
        log.info({ incident: incident.id, url: incident.url, delayed }, 'alert: webhooks are delivered again');
      }
    }
  }

  private async sendDue(): Promise<void> {
    const { db, channels, config, log } = this.options;
    const notices = await store.claimNotices(
      db,
      channels.map(({ name }) => name),
      LEASE_MS,
    );
    for (const notice of notices) {
      const channel = channels.find(({ name }) => name === notice.channel)!;
      const incident = await store.incidentById(db, notice.incidentId);
      if (!incident) continue;
      try {
        const items = itemsInWords(incident.providers.flatMap((name) => this.streams.get(name) ?? []));
        await channel.send(alertMessage(incident, notice.event, items), `alert_${incident.id}_${notice.event}`);
        await store.markSent(db, notice.id);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const retryInMs = Math.min(config.checkMs * 2 ** (notice.attempts - 1), LONGEST_RETRY_MS);
        log.warn({ channel: notice.channel, incident: incident.id, reason, retryInMs }, 'alert: channel failed, will retry');
        await store.markFailed(db, notice.id, reason.slice(0, 500), retryInMs);
      }
    }
  }
}
