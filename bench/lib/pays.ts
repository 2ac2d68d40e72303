/**
 * The pays the benches send, one kind per protocol, each with a fresh id, built or signed by the
 * protocols' own simulators (src/providers/<protocol>/simulator.ts), so the bench copies no
 * request format or signing of its own.
 */
import { PAY } from '../../src/providers/cloudpayments/fixtures/notifications.js';
import { protocols } from '../../src/providers/index.js';
import type { AnyProtocol } from '../../src/providers/types.js';
import type { BenchRequest, LoadOptions } from './load.js';

export const CP_SECRET = 'bench-api-secret';
const NOW = Date.now();
/** One clock for every pay's date fields; the ids are counted from it. */
const AT = new Date(NOW);
const ROOT = new URL('http://bench/');

/** The same request at the root path the instance named like its protocol also answers. */
const rootPath = (request: (n: number) => BenchRequest) => (n: number) => {
  const made = request(n);
  return { ...made, path: made.path.replace(/^\/_[a-z0-9]+_\//, '/') };
};

function simulatorOf(kind: PayKind): NonNullable<AnyProtocol['simulator']> {
  const simulator = protocols.find(({ name }) => name === kind)?.simulator;
  if (!simulator) throw new Error(`bench: the ${kind} protocol has no simulator`);
  return simulator;
}

/**
 * The n-th pay of a protocol's simulator, to the instance named like it (its root paths, or
 * `/_<name>_/`): built before the load's clock starts (bench/lib/load.ts). `settings` are what
 * the simulator signs with, matching the gateway's `env`.
 */
export function simulatedPay(kind: PayKind, account: string, sum: string, settings: object = {}): (n: number) => BenchRequest {
  const simulator = simulatorOf(kind);
  const base = new URL(`/_${kind}_/`, ROOT);
  return (n) => {
    const input = { account, sum, txnId: String(NOW * 100 + n), now: AT };
    const { url, method, headers, body } = simulator.request(base, 'pay', input, settings);
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
  const { headers } = simulatorOf('cloudpayments').sign!(unsigned, { apiSecret: CP_SECRET });
  return {
    path: '/pay',
    method: 'POST',
    headers: { 'content-type': headers!['content-type']!, 'content-hmac': headers!['content-hmac']! },
    body,
  };
}

/** A kind of pay the bench sends: the instance (named like its protocol) that takes it, and how. */
export interface BenchPay extends Pick<LoadOptions, 'request' | 'succeeded'> {
  /** What a 200 answer holds when the pay is recorded (wrk's Lua script looks for it too). */
  success: string;
  /** Its row in the report. */
  label: string;
  /** Variables the gateway needs for it (a secret to verify with). */
  env: Record<string, string>;
  /** Requests wrk is given per second of a run: more than the gateway answers. */
  wrkRate: number;
}

/** Every kind of pay, one entry per protocol the bench measures: a new protocol adds its own. */
export const PAYS: Record<string, BenchPay> = {
  // At the root path, as the bench always measured it.
  // Without credentials, as the bench always measured it: the pay itself, not the Basic check.
  qiwi: payOf(
    rootPath(simulatedPay('qiwi', '4957835959', '10.45')),
    '<result>0</result>',
    'QIWI pays',
    { ALLOW_UNAUTHENTICATED: 'true' },
    80_000,
  ),
  cloudpayments: payOf(
    realSizedCardPay,
    '{"code":0}',
    'CloudPayments pays, signed',
    { CLOUDPAYMENTS_API_SECRET: CP_SECRET },
    20_000,
  ),
  // The bench sends no credentials: the instance proves its callers by the allow-list instead.
  kassa24: payOf(
    simulatedPay('kassa24', '4957835959', '10.45'),
    '<code>0</code>',
    'Kassa24 payments',
    { KASSA24_ALLOWED_IPS: '127.0.0.1, ::1' },
    80_000,
  ),
  // Its network sends no credentials: a deployment has the allow-list, and so does the bench.
  kaspi: payOf(
    simulatedPay('kaspi', '4957835959', '200.00'),
    '"result":0,',
    'Kaspi pays',
    { KASPI_ALLOWED_IPS: '127.0.0.1, ::1' },
    80_000,
  ),
  // A result as FreedomPay posts it (about 600 bytes, 24 fields), signed with the merchant's key.
  paybox: payOf(
    simulatedPay('paybox', '4957835959', '1500.00', { secretKey: 'bench-paybox-secret-key' }),
    '<pg_status>ok</pg_status>',
    'Paybox results, signed',
    { PAYBOX_SECRET_KEY: 'bench-paybox-secret-key' },
    20_000,
  ),
};

export type PayKind = string;

function payOf(
  request: (n: number) => BenchRequest,
  success: string,
  label: string,
  env: Record<string, string>,
  wrkRate: number,
): BenchPay {
  return {
    request,
    success,
    label,
    env,
    wrkRate,
    succeeded: (status: number, body: string) => status === 200 && body.includes(success),
  };
}

/** A load's n-th pay of a kind, its ids counted from `first`: each load on one gateway sends pays of its own. */
export function paysFrom(kind: PayKind, first: number): (n: number) => BenchRequest {
  return (n) => PAYS[kind]!.request(first + n);
}
