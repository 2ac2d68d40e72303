import type { ConfiguredProvider } from '../providers/types.js';
import type { DeliveryTarget } from './dispatcher.js';
import { type Outbox, paymentsOutbox } from './store.js';

/** A stream of deliveries, with its URL when one is configured. */
export type DeliveryStream = Omit<DeliveryTarget, 'url' | 'outbox'> & { url?: URL; outbox: Outbox };

/**
 * Every stream of deliveries the configuration makes: each provider's payments (pending in
 * `<provider>_transaction` whether or not its webhook URL is set yet), and each other outbox a
 * provider delivers from when its URL is set (CloudPayments' events). The dispatcher sends the
 * ones with a URL; the metrics and the alerts watch the backlog of each.
 */
export function deliveryStreams(providers: ConfiguredProvider[], table: (name: string) => string): DeliveryStream[] {
  return providers.flatMap(({ provider, settings }) => {
    const shared = { secret: settings.webhookSecret, accepts: provider.acceptsWebhookStatus };
    const events = provider.eventStream?.(settings, table);
    return [
      { provider: provider.name, url: settings.webhookUrl, outbox: paymentsOutbox(provider.name), ...shared },
      ...(events ? [{ provider: events.name, url: events.url, outbox: events.outbox, body: events.body, ...shared }] : []),
    ];
  });
}

/** The streams that have somewhere to go. */
export function deliveryTargets(streams: DeliveryStream[]): DeliveryTarget[] {
  return streams.flatMap((stream) => (stream.url ? [{ ...stream, url: stream.url }] : []));
}

/** What watching a stream's backlog needs: its name and its rows. */
export type StreamOutbox = Pick<DeliveryStream, 'provider' | 'outbox'>;
