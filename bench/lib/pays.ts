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

export const PAYS: Record<PayKind, Pick<LoadOptions, 'request' | 'succeeded'>> = {
  qiwi: { request: qiwiPay, succeeded: (status, body) => status === 200 && body.includes('<result>0</result>') },
  cloudpayments: { request: cloudPaymentsPay, succeeded: (status, body) => status === 200 && body === '{"code":0}' },
};
