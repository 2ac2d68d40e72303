/**
 * CLOUDPAYMENTS_EVENTS_WEBHOOK_URL: every recorded notification but Check and Pay (a refund or a
 * cancel reverses money the backend already credited) goes to the merchant as JSON, by the
 * delivery engine that sends payments, with the same retries, signing, probing and log.
 */
import type { ClaimedPayment } from '../../delivery/store.js';
import { jsonNumber } from '../../util/amount.js';
import { formatLocal } from '../../util/time.js';
import type { EventStream } from '../types.js';
import type { CloudPaymentsSettings } from './settings.js';

interface StreamContext {
  name: string;
  settings: CloudPaymentsSettings;
  table(suffix: string): string;
}

interface ClaimedEvent extends ClaimedPayment {
  type: string;
  payment_transaction_id: string | null;
  payment_id: string | null;
  payload: Record<string, unknown>;
}

export function eventStream({ name, settings, table }: StreamContext): EventStream | undefined {
  if (!settings.eventsWebhookUrl) return undefined;
  return {
    url: settings.eventsWebhookUrl,
    outbox: {
      table: `${name}_notification`,
      log: `${name}_event_webhook_log`,
      columns: `id, account_id AS account, transaction_id AS code, amount::text AS sum, created_at, delivery_attempts,
        type, payment_transaction_id, payload,
        (SELECT p.id::text FROM ${table('transaction')} p WHERE p.code = payment_transaction_id) AS payment_id`,
      where: "type <> 'Pay'",
      status: 'delivery_status',
      item: 'event',
    },
    body: (row, timeZone) => eventBody(row as ClaimedEvent, timeZone),
  };
}

/**
 * `{"type": "Refund", "id": "12", "transaction_id": "…", "payment_transaction_id": "…",
 * "payment_id": "5", "account": "…", "sum": 500.0, "created_at": "…", "fields": {…}}`: payrelay's
 * id, CloudPayments' ids, the payment it belongs to (payrelay's id when it is recorded), the sum
 * as an exact number (null when the notification has none) and the fields as received.
 */
export function eventBody(event: ClaimedEvent, timeZone: string): string {
  const text = (value: string | null | undefined) => JSON.stringify(value ?? null);
  const field = (name: string, json: string) => `${JSON.stringify(name)}: ${json}`;
  return `{${[
    field('type', text(event.type)),
    field('id', text(String(event.id))),
    field('transaction_id', text(event.code)),
    field('payment_transaction_id', text(event.payment_transaction_id)),
    field('payment_id', text(event.payment_id)),
    field('account', text(event.account)),
    field('sum', event.sum === null || event.sum === undefined ? 'null' : jsonNumber(event.sum)),
    field('created_at', text(formatLocal(event.created_at, timeZone))),
    field('fields', JSON.stringify(typeof event.payload === 'string' ? JSON.parse(event.payload) : event.payload)),
  ].join(', ')}}`;
}
