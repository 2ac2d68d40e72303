/**
 * Admin API benchmark: how long the operator's reads take on big tables. N payments per
 * provider (created over 30 days, one in ten pending) and N QIWI request-log rows are inserted
 * with SQL, then each call is made through the app (in process, app.inject) `--runs` times.
 *
 *   npm run bench:admin [-- --rows 100000 --runs 20 --indexed]
 * --indexed adds indexes on created_at (not in the migrations yet) to show what they would change.
 * PGlite in memory by default; DATABASE_URL (or PG_HOST) selects a server (a schema of its own).
 */
import { parseArgs } from 'node:util';
import { startTestGateway, type TestGateway } from '../test/helpers/gateway.js';
import { engineName } from './lib/database.js';

const TOKEN = 'bench-admin-token-0123456789abcdef';
const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, runs: { type: 'string', default: '20' }, indexed: { type: 'boolean' } },
});
const rows = Number(values.rows);
const runs = Number(values.runs);

async function fill(gateway: TestGateway): Promise<void> {
  const { db } = gateway;
  for (const provider of ['qiwi', 'cloudpayments']) {
    await db.query(
      `INSERT INTO ${db.table(`${provider}_transaction`)} (account, code, sum, status, created_at, delivery_attempts, delivered_at)
       SELECT 'acc-' || (n % 5000), '${provider}-' || n, (n % 9000) + 0.5, CASE WHEN n % 10 = 0 THEN 0 ELSE 1 END,
         now() - (($1::int - n) * interval '30 days') / $1::int, 1, now()
       FROM generate_series(1, $1::int) AS n`,
      [rows],
    );
  }
  await db.query(
    `INSERT INTO ${db.table('qiwi_http_log')} (ip, url, method, headers, body, created_at)
     SELECT '10.0.0.1', '/payment?command=pay&txn_id=qiwi-' || n || '&account=acc-' || (n % 5000) || '&sum=10.45', 'GET', '{}', NULL,
       now() - (($1::int - n) * interval '30 days') / $1::int
     FROM generate_series(1, $1::int) AS n`,
    [rows],
  );
  if (values.indexed) {
    for (const table of ['qiwi_transaction', 'cloudpayments_transaction', 'qiwi_http_log', 'cloudpayments_http_log']) {
      await db.query(`CREATE INDEX ON ${db.table(table)} (created_at, id)`);
    }
  }
  await db.exec('ANALYZE');
}

async function time(gateway: TestGateway, url: string, method: 'GET' | 'POST' = 'GET'): Promise<string> {
  const took: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const response = await gateway.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` } });
    took.push(performance.now() - started);
    if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  }
  took.sort((a, b) => a - b);
  const at = (q: number) => took[Math.min(took.length - 1, Math.floor(q * took.length))]!.toFixed(1);
  return `${at(0.5)} ms | ${at(0.95)} ms`;
}

const gateway = await startTestGateway({ ADMIN_TOKEN: TOKEN });
try {
  await fill(gateway);
  const first = (
    await gateway.app.inject({ url: '/admin/api/transactions?limit=50', headers: { authorization: `Bearer ${TOKEN}` } })
  ).json();
  const [payment] = (
    await gateway.app.inject({
      url: `/admin/api/transactions?code=qiwi-${rows - 5}`,
      headers: { authorization: `Bearer ${TOKEN}` },
    })
  ).json().items;
  const calls: [string, string][] = [
    ['first page, both providers', '/admin/api/transactions?limit=50'],
    ['next page (cursor)', `/admin/api/transactions?limit=50&cursor=${encodeURIComponent(first.next)}`],
    ['by account', '/admin/api/transactions?account=acc-42'],
    ['by code', `/admin/api/transactions?code=qiwi-${rows - 5}`],
    ['search box (account or code)', '/admin/api/transactions?q=acc-42'],
    ['failing', '/admin/api/transactions?failing=true'],
    ['one payment with its story', `/admin/api/transactions/qiwi/${payment.id}`],
    ['request log, first page', '/admin/api/requests?limit=50'],
    ['request log, contains', `/admin/api/requests?contains=txn_id%3Dqiwi-${rows - 5}%26`],
  ];
  console.log(
    `admin API on ${engineName}, ${rows} payments per provider, ${rows} request-log rows, ${runs} runs${values.indexed ? ', created_at indexed' : ''}\n`,
  );
  console.log('| call | median | p95 |\n|---|---|---|');
  for (const [name, url] of calls) console.log(`| ${name} | ${await time(gateway, url)} |`);
} finally {
  await gateway.close();
}
