import { jsonNumber } from '../util/amount.js';
import { formatLocal } from '../util/time.js';

export interface PendingPayment {
  id: string;
  account: string;
  code: string;
  sum: string;
  created_at: Date;
}

/**
 * The webhook body the replaced containers sent, byte for byte in layout:
 * {"id": "123", "account": "123456", "code": "563456456745", "sum": 45.0, "created_at": "2022-02-10 12:00:00"}
 * The sum is spliced in from its decimal digits so that no float rounds it on the way out.
 */
export function webhookBody(payment: PendingPayment, timeZone: string): string {
  const field = (name: string, json: string) => `${JSON.stringify(name)}: ${json}`;
  return `{${[
    field('id', JSON.stringify(String(payment.id))),
    field('account', JSON.stringify(payment.account)),
    field('code', JSON.stringify(payment.code)),
    field('sum', jsonNumber(payment.sum)),
    field('created_at', JSON.stringify(formatLocal(payment.created_at, timeZone))),
  ].join(', ')}}`;
}
