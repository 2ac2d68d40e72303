/**
 * The process-wide counters and the request histogram: incremented where things happen
 * (provider intake, dispatcher, every HTTP answer), read at scrape time. Label values are kept
 * to a few known words so that no request can grow the number of series.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

/** How the gateway answered a provider: `accepted`, `refused` (final), or `error` (temporary: it will repeat). */
export type NotificationOutcome = 'accepted' | 'refused' | 'error';

const notifications = new Counter({
  name: 'payrelay_notifications_total',
  help: 'Provider requests answered, by provider, type (check, pay, ...) and outcome (accepted, refused, error)',
  labelNames: ['provider', 'type', 'outcome'] as const,
  registers: [processRegistry],
});

const webhookAttempts = new Counter({
  name: 'payrelay_webhook_attempts_total',
  help: 'Webhook delivery attempts, by provider and outcome (accepted; refused: the backend answered but not with acceptance; unavailable: no answer, timeout, 5xx, 408, 429)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [processRegistry],
});

export const requestDuration = new Histogram({
  name: 'payrelay_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [processRegistry],
});

/**
 * Each group commit of pays (src/payments/record.ts): how long its statement took and how many
 * pays shared it. A slow commit holds up every pay in it and every pay that arrives meanwhile,
 * so a stalling database shows here before it shows in the answer times.
 */
const payCommitDuration = new Histogram({
  name: 'payrelay_pay_commit_duration_seconds',
  help: 'Time of one commit of pays (their request-log rows and transaction rows), by provider',
  labelNames: ['provider'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [processRegistry],
});

const payCommitSize = new Histogram({
  name: 'payrelay_pay_commit_pays',
  help: 'Pays that went into one commit of pays, by provider',
  labelNames: ['provider'] as const,
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 200],
  registers: [processRegistry],
});

/** Times one commit of `pays` pays for `provider`, failed or not. */
export async function timePayCommit<T>(provider: string, pays: number, commit: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await commit();
  } finally {
    payCommitDuration.observe({ provider }, (performance.now() - started) / 1000);
    payCommitSize.observe({ provider }, pays);
  }
}

/** One provider request answered. A type outside the provider's own `known` ones counts as `other`. */
export function countNotification(
  provider: string,
  known: readonly string[],
  type: string | undefined,
  outcome: NotificationOutcome,
): void {
  notifications.inc({ provider, type: type !== undefined && known.includes(type) ? type : 'other', outcome });
}

/** One webhook attempt finished with the dispatcher's verdict. */
export function countWebhookAttempt(provider: string, outcome: 'accepted' | 'refused' | 'unavailable'): void {
  webhookAttempts.inc({ provider, outcome });
}

/** The notification type of a request to a provider route: the route's last path segment (`/_x_/pay` → `pay`). */
export function routeType(routeUrl: string | undefined): string | undefined {
  return routeUrl?.split('/').pop();
}
