/** The pays the benches send: a QIWI pay and a signed CloudPayments Pay, each with a fresh id. */
import { createHmac } from 'node:crypto';
import { PAY } from '../../src/providers/cloudpayments/fixtures/notifications.js';
import type { BenchRequest, LoadOptions } from './load.js';

export const CP_SECRET = 'bench-api-secret';
const NOW = Date.now();

export type PayKind = 'qiwi' | 'cloudpayments';

const qiwiPay = (n: number): BenchRequest => ({
  path: `/payment?command=pay&txn_id=${NOW * 100 + n}&txn_date=20260101120000&account=4957835959&sum=10.45`,
});

function cloudPaymentsPay(n: number): BenchRequest {
  const body = PAY.replace('TransactionId=2901358781', `TransactionId=${NOW * 100 + n}`);
  const signature = createHmac('sha256', CP_SECRET).update(body).digest('base64');
  return {
    path: '/pay',
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-hmac': signature },
    body,
  };
}

/** A pay of each kind, and what a 200 answer to it holds when the pay is recorded. */
export const PAYS: Record<PayKind, Pick<LoadOptions, 'request' | 'succeeded'> & { success: string }> = {
  qiwi: payOf(qiwiPay, '<result>0</result>'),
  cloudpayments: payOf(cloudPaymentsPay, '{"code":0}'),
};

function payOf(request: (n: number) => BenchRequest, success: string) {
  return { request, success, succeeded: (status: number, body: string) => status === 200 && body.includes(success) };
}

/** A load's n-th pay of a kind, its ids counted from `first`: each load on one gateway sends pays of its own. */
export function paysFrom(kind: PayKind, first: number): (n: number) => BenchRequest {
  return (n) => PAYS[kind].request(first + n);
}
