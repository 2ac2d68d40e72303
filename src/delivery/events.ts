/**
 * Events about payments (cancel, refund, failure, ...) reach the merchant at
 * `<NAME>_EVENTS_WEBHOOK_URL` by the engine that sends payments, with the same retries, signing,
 * probing, leases, alerts and log; one body for every protocol.
 */
import { jsonNumber } from '../util/amount.js';
import { formatLocal } from '../util/time.js';
import type { ClaimedPayment, Outbox } from './store.js';

interface ClaimedEvent extends ClaimedPayment {
  type: string;
  payment_code: string | null;
  payment_id: string | null;
  payload: Record<string, unknown> | string;
}

/** An instance's events: `<name>_event`, logged in `<name>_event_webhook_log`. */
export function eventsOutbox(instance: string, table: (name: string) => string): Outbox {
  return {
    table: `${instance}_event`,
    log: `${instance}_event_webhook_log`,
    columns: `id, account, code, sum::text AS sum, created_at, delivery_attempts, type, payment_code, payload,
      (SELECT p.id::text FROM ${table(`${instance}_transaction`)} p WHERE p.code = payment_code) AS payment_id`,
    status: 'status',
    item: 'event',
  };
}

/**
 * `{"type": "Refund", "id": "12", "transaction_id": "…", "payment_transaction_id": "…",
 * "payment_id": "5", "account": "…", "sum": 500.0, "created_at": "…", "fields": {…}, "code": "…"}`:
 * the event's type, payrelay's id of it and the network's, the payment's id at the network and
 * payrelay's (null until it is recorded), the sum as an exact number (null when the event has
 * none), the network's own fields as received, and last the payment's `code` as its webhook
 * named it. The first nine keys are those of the first protocol that delivered events.
 */
export function eventBody(row: ClaimedPayment, timeZone: string): string {
  const event = row as ClaimedEvent;
  const text = (value: string | null | undefined) => JSON.stringify(value ?? null);
  const field = (name: string, json: string) => `${JSON.stringify(name)}: ${json}`;
  const payload = typeof event.payload === 'string' ? JSON.parse(event.payload) : event.payload;
  return `{${[
    field('type', text(event.type)),
    field('id', text(String(event.id))),
    field('transaction_id', text(event.code)),
    field('payment_transaction_id', text(event.payment_code)),
    field('payment_id', text(event.payment_id)),
    field('account', text(event.account)),
    field('sum', event.sum === null || event.sum === undefined ? 'null' : jsonNumber(event.sum)),
    field('created_at', text(formatLocal(event.created_at, timeZone))),
    field('fields', JSON.stringify(payload)),
    field('code', text(event.payment_code)),
  ].join(', ')}}`;
}
