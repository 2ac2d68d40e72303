/** Alerts about late webhooks: see docs/operations.md, "Alerts". */
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/index.js';
import { redactedHref } from '../http/client.js';
import type { ConfiguredProvider } from '../providers/types.js';
import { alertChannels } from './channels.js';
import type { AlertConfig } from './config.js';
import { AlertMonitor } from './monitor.js';
import type { WatchedUrl } from './watch.js';

export { type AlertConfig, readAlertConfig } from './config.js';
export { AlertMonitor } from './monitor.js';
export { type Incident, openIncidents } from './store.js';

/** Each webhook URL configured, with the providers that deliver to it. */
export function watchedUrls(providers: ConfiguredProvider[]): WatchedUrl[] {
  const byUrl = new Map<string, string[]>();
  for (const { provider, settings } of providers) {
    if (!settings.webhookUrl) continue;
    const url = redactedHref(settings.webhookUrl);
    byUrl.set(url, [...(byUrl.get(url) ?? []), provider.name]);
  }
  return [...byUrl].map(([url, names]) => ({ url, providers: names }));
}

/** The monitor for this process, started (with no webhook URL configured there is nothing to watch). */
export function startAlerts(db: Db, providers: ConfiguredProvider[], config: AlertConfig, log: FastifyBaseLogger): AlertMonitor {
  const monitor = new AlertMonitor({ db, watched: watchedUrls(providers), config, channels: alertChannels(config), log });
  monitor.start();
  return monitor;
}
