/**
 * What a /metrics scrape and an alert check cost the database, with a large history and a large
 * backlog: the backlog statement both run, timed in this process through payrelay's own Db port.
 *
 *   npx tsx bench/metrics.ts [--delivered 200000] [--pending 50000] [--rounds 50]
 * PGlite in a temporary DATA_DIR by default; DATABASE_URL (or PG_HOST) selects a server.
 */
import { parseArgs } from 'node:util';
import { lateUrls } from '../src/alerts/watch.js';
import { paymentsOutbox } from '../src/delivery/store.js';
import { readDatabaseConfig } from '../src/config/database.js';
import { EnvReader } from '../src/config/env.js';
import { openDb, prepareDatabase } from '../src/db/index.js';
import { databaseGauges } from '../src/metrics/database.js';
import { migratedProviders } from '../src/providers/index.js';
import { engineName, freshDatabaseOnDisk } from '../test/helpers/engine.js';

const { values } = parseArgs({
  options: {
    delivered: { type: 'string', default: '200000' },
    pending: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '50' },
  },
});
const delivered = Number(values.delivered);
const pending = Number(values.pending);
const rounds = Number(values.rounds);

const database = freshDatabaseOnDisk();
const config = readDatabaseConfig(new EnvReader(database.env));
await prepareDatabase(config, migratedProviders(new EnvReader({})));
const db = await openDb(config);
try {
  const table = db.table('qiwi_transaction');
  await db.query(
    `INSERT INTO ${table} (account, code, sum, status, created_at, delivered_at)
     SELECT 'acc-' || n, 'd-' || n, 10.45, 1, now() - n * interval '1 second', now() FROM generate_series(1, $1::int) AS n`,
    [delivered],
  );
  await db.query(
    `INSERT INTO ${table} (account, code, sum, created_at)
     SELECT 'acc-' || n, 'p-' || n, 10.45, now() - n * interval '1 millisecond' FROM generate_series(1, $1::int) AS n`,
    [pending],
  );
  // What autovacuum (server) and the embedded maintenance (PGlite) do to a table at rest.
  await db.exec(`VACUUM ANALYZE ${table}`);

  const streams = ['qiwi', 'cloudpayments'].map((provider) => ({ provider, outbox: paymentsOutbox(provider) }));
  const gauges = databaseGauges(db, streams);
  const watched = [{ url: 'http://backend/hook', streams }];
  const scrape = await timed(rounds, () => gauges.refresh());
  const check = await timed(rounds, () => lateUrls(db, watched, 300_000));
  const text = await gauges.registry.metrics();
  if (!text.includes(`payrelay_webhook_pending{provider="qiwi"} ${pending}`)) throw new Error(`wrong backlog:\n${text}`);

  const plan = await db.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT count(*), min(created_at) FROM ${table} WHERE status = 0`,
  );
  console.log(`engine ${engineName}; ${delivered} delivered + ${pending} pending QIWI payments; ${rounds} rounds`);
  console.log(`/metrics database refresh: median ${scrape.median.toFixed(1)} ms, max ${scrape.max.toFixed(1)} ms`);
  console.log(`alert check (lateUrls):    median ${check.median.toFixed(1)} ms, max ${check.max.toFixed(1)} ms`);
  console.log(`plan:\n${plan.map((row) => `  ${row['QUERY PLAN']}`).join('\n')}`);
} finally {
  await db.close();
  await database.drop();
}

async function timed(count: number, work: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, max: times[times.length - 1]! };
}
