import { createHmac } from 'node:crypto';
import { closedLoop, openLoop } from './lib/load.js';
import { PAY } from '../src/providers/cloudpayments/fixtures/notifications.js';
const [origin, kind, seconds, rate] = [process.argv[2]!, process.argv[3] ?? 'qiwi', Number(process.argv[4] ?? 8), Number(process.argv[5] ?? 0)];
const NOW = Date.now();
const req = kind === 'qiwi' ? (n: number) => ({ path: `/payment?command=pay&txn_id=${NOW * 100 + n}&txn_date=20260101120000&account=4957835959&sum=10.45` })
 : (n: number) => { const body = PAY.replace('TransactionId=2901358781', `TransactionId=${NOW * 100 + n}`); return { path: '/pay', method: 'POST' as const, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-hmac': createHmac('sha256', 'bench-api-secret').update(body).digest('base64') }, body }; };
const options = { origin, connections: Number(process.env.CONNS ?? 32), durationMs: seconds * 1000, warmUpMs: 1000, request: req, succeeded: (s: number) => s === 200 };
const r = rate ? await openLoop({ ...options, rate }) : await closedLoop(options);
console.log(JSON.stringify(r));
