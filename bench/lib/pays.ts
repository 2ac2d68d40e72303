/**
 * The pays the benches send: a QIWI pay and a signed CloudPayments Pay, each with a fresh id,
 * built or signed by the protocols' own simulators (src/providers/<protocol>/simulator.ts), so
 * the bench copies no request format or signing of its own.
 */
import { PAY } from '../../src/providers/cloudpayments/fixtures/notifications.js';
import { protocols } from '../../src/providers/index.js';
import type { AnyProtocol } from '../../src/providers/types.js';
import type { BenchRequest, LoadOptions } from './load.js';

export const CP_SECRET = 'bench-api-secret';
const NOW = Date.now();
/** One clock for every pay's date fields; the ids are counted from it. */
const AT = new Date(NOW);
/** The instances named like their protocols answer at the root paths too: `/payment`, `/pay`. */
const ROOT = new URL('http://bench/');

export type PayKind = 'qiwi' | 'cloudpayments';

/** Each kind's pay and the settings its simulator reads (the CloudPayments secret the gateway is started with). */
const KINDS: Record<PayKind, { account: string; sum: string; settings: object }> = {
  qiwi: { account: '4957835959', sum: '10.45', settings: {} },
  cloudpayments: { account: '4957835959', sum: '1500.00', settings: { apiSecret: CP_SECRET } },
};

function simulatorOf(kind: PayKind): NonNullable<AnyProtocol['simulator']> {
  const simulator = protocols.find(({ name }) => name === kind)?.simulator;
  if (!simulator) throw new Error(`bench: the ${kind} protocol has no simulator`);
  return simulator;
}

/** The n-th pay of a kind: built once, by the simulator, before the load's clock starts (bench/lib/load.ts). */
function payRequest(kind: PayKind): (n: number) => BenchRequest {
  const simulator = simulatorOf(kind);
  const { account, sum, settings } = KINDS[kind];
  return (n) => {
    const input = { account, sum, txnId: String(NOW * 100 + n), now: AT };
    const { url, method, headers, body } = simulator.request(ROOT, 'pay', input, settings);
    return { path: `${url.pathname}${url.search}`, method, headers, body };
  };
}

/**
 * A CloudPayments Pay the size the cabinet sends (the 1 KB fixture, Cyrillic included), signed by
 * the protocol's simulator: the body a notification really is, so the bench weighs what a live
 * pay costs (a shorter body would flatter the ratio to pgbench).
 */
function realSizedCardPay(n: number): BenchRequest {
  const body = PAY.replace('TransactionId=2901358781', `TransactionId=${NOW * 100 + n}`);
  const unsigned = {
    method: 'POST' as const,
    url: new URL('pay', ROOT),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  };
  const { headers } = simulatorOf('cloudpayments').sign!(unsigned, KINDS.cloudpayments.settings);
  return {
    path: '/pay',
    method: 'POST',
    headers: { 'content-type': headers!['content-type']!, 'content-hmac': headers!['content-hmac']! },
    body,
  };
}

/** A pay of each kind, and what a 200 answer to it holds when the pay is recorded. */
export const PAYS: Record<PayKind, Pick<LoadOptions, 'request' | 'succeeded'> & { success: string }> = {
  qiwi: payOf(payRequest('qiwi'), '<result>0</result>'),
  cloudpayments: payOf(realSizedCardPay, '{"code":0}'),
};

function payOf(request: (n: number) => BenchRequest, success: string) {
  return { request, success, succeeded: (status: number, body: string) => status === 200 && body.includes(success) };
}

/** A load's n-th pay of a kind, its ids counted from `first`: each load on one gateway sends pays of its own. */
export function paysFrom(kind: PayKind, first: number): (n: number) => BenchRequest {
  return (n) => PAYS[kind].request(first + n);
}
