/** Alerts about late webhooks: see docs/operations.md, "Alerts". */
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/index.js';
import type { DeliveryStream } from '../delivery/streams.js';
import { redactUrl } from '../util/redact-url.js';
import { alertChannels } from './channels.js';
import type { AlertConfig } from './config.js';
import { AlertMonitor } from './monitor.js';
import type { WatchedUrl } from './watch.js';

export { type AlertConfig, readAlertConfig } from './config.js';
export { AlertMonitor } from './monitor.js';
export { type Incident, openIncidents } from './store.js';

/** Each webhook URL configured, with the streams delivered to it (an instance's payments, its events). */
export function watchedUrls(streams: DeliveryStream[]): WatchedUrl[] {
  const byUrl = new Map<string, WatchedUrl['streams']>();
  for (const { provider, outbox, url } of streams) {
    if (!url) continue;
    const key = redactUrl(url);
    byUrl.set(key, [...(byUrl.get(key) ?? []), { provider, outbox }]);
  }
  return [...byUrl].map(([url, streams]) => ({ url, streams }));
}

/** The monitor for this process, started (with no webhook URL configured there is nothing to watch). */
export function startAlerts(db: Db, streams: DeliveryStream[], config: AlertConfig, log: FastifyBaseLogger): AlertMonitor {
  const monitor = new AlertMonitor({
    db,
    watched: watchedUrls(streams),
    config,
    channels: alertChannels(config),
    log,
  });
  monitor.start();
  return monitor;
}
