/**
 * Webhook delivery benchmark: the real gateway process (`node dist/main.js`) delivering QIWI
 * payments to a local receiver. Three figures:
 *   throughput  a backlog inserted with SQL before start, delivered at each WEBHOOK_CONCURRENCY
 *   recovery    the receiver down (503, Retry-After: 3600) until the URL is being probed, then
 *               up: attempts during the outage, time from recovery to an empty backlog
 *   latency     pays one by one over HTTP to an idle gateway: pay answered -> webhook arrived
 *
 *   npm run bench:delivery [-- --backlog 5000 --recovery 2000 --pays 200 --concurrency 1:1000,16,64
 *                              --only throughput,recovery,latency --node PATH]
 * `1:1000` runs concurrency 1 on a backlog of 1000 instead of --backlog: one at a time is slow,
 * and the run should stay within a couple of minutes.
 * The embedded server in a temporary DATA_DIR by default (TEST_ENGINE=pglite for PGlite);
 * DATABASE_URL (or PG_HOST) selects a server. --node runs the gateway on another Node.js binary
 * (scripts/image/node24.sh prints Node.js 24's folder), as bench:pay's does.
 * WEBHOOK_* and PG_POOL_SIZE in the environment are passed on to the gateway.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { redactUrl } from '../src/util/redact-url.js';
import { engineName, onServer, type BenchDatabase } from './lib/database.js';
import type { Receiver } from './lib/receiver.js';
import { cpuMs, noneLeftAt, scenario, setUp, startGateway, stopAndCheck, WAIT_MS, type Result } from './lib/run.js';

// A loop, not Math.max(...values): spreading a very large backlog would overflow the stack.
const arrival = (receiver: Receiver, pick: (...values: number[]) => number) =>
  [...receiver.delivered.values()].reduce((a, b) => pick(a, b));
const lastArrival = (receiver: Receiver) => arrival(receiver, Math.max);
const firstArrival = (receiver: Receiver) => arrival(receiver, Math.min);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perSecond = (count: number, ms: number) => `${Math.round((count * 1000) / ms)}/s`;

function throughput(count: number, concurrency: number, node: string): Promise<Result> {
  return scenario(async (defer) => {
    const { database, receiver } = await setUp(defer, count);
    const { gateway, readyAt } = await startGateway(defer, database, receiver, { concurrency, node });
    const cpuAtReady = cpuMs(gateway);
    await receiver.until(() => receiver.delivered.size >= count, `${count} webhooks`, WAIT_MS);
    const doneAt = Math.max(lastArrival(receiver), (await noneLeftAt(database)) ?? 0);
    const cpuPerDelivery = (cpuMs(gateway) - cpuAtReady) / count;
    await stopAndCheck(gateway, database, count);
    const elapsed = doneAt - readyAt;
    return {
      scenario: 'throughput',
      setting: `WEBHOOK_CONCURRENCY=${concurrency}`,
      count,
      figures:
        `${seconds(elapsed)}, **${perSecond(count, elapsed)}**; gateway CPU ${cpuPerDelivery.toFixed(2)} ms/delivery; ` +
        `${receiver.duplicates} duplicates, ${receiver.connections} connections`,
    };
  });
}

function recovery(count: number, node: string): Promise<Result> {
  return scenario(async (defer) => {
    const { database, receiver } = await setUp(defer, count);
    receiver.mode = 'down';
    const { gateway, readyAt } = await startGateway(defer, database, receiver, { node });
    // The gateway logs each probe's number; the first refused probe proves probing mode.
    const probes = () => gateway.output().match(/"probe":\d+/g)?.length ?? 0;
    const deadline = Date.now() + WAIT_MS;
    while (probes() === 0) {
      if (Date.now() > deadline) throw new Error('the gateway never probed the failing URL');
      await sleep(20);
    }
    if (onServer) await expectFailing(database, receiver.url);
    const outage = { attempts: receiver.refused, probes: probes(), ms: performance.now() - readyAt };

    const recoveredAt = performance.now();
    receiver.mode = 'up';
    await receiver.until(() => receiver.delivered.size >= count, `${count} webhooks after recovery`, WAIT_MS);
    const emptyAt = Math.max(lastArrival(receiver), (await noneLeftAt(database)) ?? 0);
    await stopAndCheck(gateway, database, count);
    const firstAt = firstArrival(receiver);
    return {
      scenario: 'recovery',
      setting: `outage ${seconds(outage.ms)}, ${outage.attempts} attempts (${outage.probes} probe${outage.probes === 1 ? '' : 's'})`,
      count,
      figures:
        `recovery → first accepted ${seconds(firstAt - recoveredAt)}, **→ empty backlog ${seconds(emptyAt - recoveredAt)}** ` +
        `(drain ${seconds(emptyAt - firstAt)}, ${perSecond(count, emptyAt - firstAt)}); ${receiver.duplicates} duplicates`,
    };
  });
}

/** The URL is marked failing in the table every process reads. */
async function expectFailing(database: BenchDatabase, url: string): Promise<void> {
  const db = await database.open();
  try {
    const [row] = await db.query<{ failing_since: Date | null }>(
      `SELECT failing_since FROM ${db.table('webhook_endpoint')} WHERE url = $1`,
      [redactUrl(new URL(url))],
    );
    if (!row?.failing_since) throw new Error('probing, yet webhook_endpoint.failing_since is not set');
  } finally {
    await db.close();
  }
}

function latency(pays: number, node: string): Promise<Result> {
  const warmUp = 10;
  return scenario(async (defer) => {
    const { database, receiver } = await setUp(defer, 0);
    const { gateway } = await startGateway(defer, database, receiver, { node });
    const webhookMs: number[] = [];
    const payMs: number[] = [];
    for (let i = 0; i < warmUp + pays; i++) {
      const txnId = String(1_000_000 + i);
      const sentAt = performance.now();
      await qiwiPay(gateway.url, txnId);
      const answeredAt = performance.now();
      await receiver.until(() => receiver.delivered.has(txnId), `the webhook of ${txnId}`, 10_000);
      if (i >= warmUp) {
        webhookMs.push(receiver.delivered.get(txnId)! - answeredAt);
        payMs.push(answeredAt - sentAt);
      }
      // Let the attempt be recorded, so that each pay meets an idle gateway.
      await sleep(20);
    }
    await stopAndCheck(gateway, database, warmUp + pays);
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    return {
      scenario: 'latency',
      setting: 'one pay at a time, idle gateway',
      count: pays,
      figures:
        `pay answered → webhook arrived: **median ${ms(percentile(webhookMs, 0.5))}, p95 ${ms(percentile(webhookMs, 0.95))}**, ` +
        `max ${ms(Math.max(...webhookMs))}; the pay itself: median ${ms(percentile(payMs, 0.5))}`,
    };
  });
}

async function qiwiPay(baseUrl: string, txnId: string): Promise<void> {
  const query = `command=pay&txn_id=${txnId}&txn_date=20260101120000&account=4957835959&sum=10.45`;
  const body = await (await fetch(`${baseUrl}/payment?${query}`, { signal: AbortSignal.timeout(10_000) })).text();
  if (!body.includes('<result>0</result>')) throw new Error(`pay ${txnId} refused: ${body}`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

const SCENARIOS = ['throughput', 'recovery', 'latency'];

function readOptions() {
  const env = process.env;
  const { values } = parseArgs({
    options: {
      backlog: { type: 'string', default: env.BENCH_BACKLOG ?? '5000' },
      recovery: { type: 'string', default: env.BENCH_RECOVERY ?? '2000' },
      pays: { type: 'string', default: env.BENCH_PAYS ?? '200' },
      concurrency: { type: 'string', default: env.BENCH_CONCURRENCY ?? '1:1000,16,64' },
      only: { type: 'string', default: env.BENCH_ONLY ?? SCENARIOS.join(',') },
      node: { type: 'string', default: process.execPath },
    },
  });
  const positive = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, not "${text}"`);
    return value;
  };
  return {
    backlog: positive('backlog', values.backlog),
    recovery: positive('recovery', values.recovery),
    pays: positive('pays', values.pays),
    node: values.node,
    throughput: values.concurrency.split(',').map((item) => {
      const [concurrency, backlog] = item.split(':');
      return {
        concurrency: positive('concurrency', concurrency!),
        backlog: backlog === undefined ? undefined : positive('concurrency', backlog),
      };
    }),
    only: new Set(
      values.only.split(',').map((name) => {
        if (!SCENARIOS.includes(name)) throw new Error(`--only takes ${SCENARIOS.join(', ')}, not "${name}"`);
        return name;
      }),
    ),
  };
}

async function main(): Promise<void> {
  const options = readOptions();
  const gatewayNode = execFileSync(options.node, ['--version']).toString().trim();
  const machine = `${cpus().length} cores, gateway on Node ${gatewayNode}, ${engineName}`;
  // Other work on the machine slows every figure: say how busy it was.
  const load = () => loadavg()[0]!.toFixed(1);
  console.error(`payrelay delivery bench: ${machine}, load average ${load()} at start`);
  const results: Result[] = [];
  if (options.only.has('throughput')) {
    for (const { concurrency, backlog } of options.throughput)
      results.push(await throughput(backlog ?? options.backlog, concurrency, options.node));
  }
  if (options.only.has('recovery')) results.push(await recovery(options.recovery, options.node));
  if (options.only.has('latency')) results.push(await latency(options.pays, options.node));

  console.log(`\n${machine}; load average ${load()} at the end\n`);
  console.log('| scenario | setting | N | result |\n| --- | --- | --- | --- |');
  for (const { scenario, setting, count, figures } of results)
    console.log(`| ${scenario} | ${setting} | ${count} | ${figures} |`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
