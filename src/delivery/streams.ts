import type { Instance } from '../providers/types.js';
import type { DeliveryTarget } from './dispatcher.js';
import { eventBody, eventsOutbox } from './events.js';
import { type Outbox, paymentsOutbox } from './store.js';

/** A stream of deliveries, with its URL when one is configured. */
export type DeliveryStream = Omit<DeliveryTarget, 'url' | 'outbox'> & { url?: URL; outbox: Outbox };

/**
 * Every stream of deliveries the configuration makes: each instance's payments (pending in
 * `<name>_transaction` whether or not its webhook URL is set yet) and its events (pending in
 * `<name>_event` likewise). The dispatcher sends the ones with a URL; the
 * metrics and the alerts watch the backlog of each.
 */
export function deliveryStreams(instances: Instance[], table: (name: string) => string): DeliveryStream[] {
  return instances.flatMap(({ name, protocol, settings }) => {
    const shared = { secret: settings.webhookSecret, accepts: protocol.acceptsWebhookStatus };
    return [
      { provider: name, url: settings.webhookUrl, outbox: paymentsOutbox(name), ...shared },
      {
        provider: `${name}_event`,
        url: settings.eventsWebhookUrl,
        outbox: eventsOutbox(name, table),
        body: eventBody,
        ...shared,
      },
    ];
  });
}

/** The streams that have somewhere to go. */
export function deliveryTargets(streams: DeliveryStream[]): DeliveryTarget[] {
  return streams.flatMap((stream) => (stream.url ? [{ ...stream, url: stream.url }] : []));
}

/** What watching a stream's backlog needs: its name and its rows. */
export type StreamOutbox = Pick<DeliveryStream, 'provider' | 'outbox'>;
