/**
 * Pay benchmark: the real gateway (`node dist/main.js`) taking pays over loopback HTTP, next to
 * its ceilings measured in the same run:
 *   bare Fastify   one route answering a pay's XML, no database: the HTTP ceiling
 *   pgbench        one pay's SQL (the request-log row and transaction row the gateway wrote for
 *                  a pay of the same kind, one commit per pay) at the same concurrency: the
 *                  database's ceiling (server only, in rounds alternating with the gateway's, and
 *                  at the rate of the gateway's 80 % load for its own p99)
 *   receiver       the bench's webhook receiver loaded directly: the delivery ceiling
 * and for each engine (the server when DATABASE_URL or PG_HOST is set, the embedded server, PGlite):
 *   QIWI pays and signed CloudPayments pays: the maximum rate (closed loop with wrk, the median
 *   of --rounds), then p50/p99 at 80 % of the open loop client's own maximum, next to the
 *   gateway's own account of that load from its /metrics (commits, their time, how many took
 *   over 50 ms, its event loop's delay); a burst of pays with deliveries on: pays/s accepted, deliveries/s,
 *   how long the backlog takes to drain; the gateway's peak RSS under each load.
 *
 *   npm run bench:pay [-- --connections 32 --seconds 10 --engines server,embedded,pglite --only pays,burst
 *                      --kinds qiwi,cloudpayments --rounds 3]
 *   npm run bench:pay -- --soak 10 [--soak-rate 1000]     one long run: RSS every 10 s
 *   --node PATH runs the gateway on another Node.js binary (scripts/image/node24.sh prints Node 24's folder)
 *   --cores split puts the database on core 0 and all else on core 1 (bench/lib/cores.ts); the
 *   default, shared, lets every process run on every core
 *   on the server, the gateway's and pgbench's sessions get PGOPTIONS, by default the settings
 *   docs/database.md recommends (bench/lib/engines.ts); `PGOPTIONS= npm run bench:pay` gives them none
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { describeCommits, scrapeCommits } from './lib/commits.js';
import {
  clientThreads,
  embeddedPostmaster,
  type Layout,
  pinBenchToClientCore,
  pinDatabase,
  serverPostmaster,
} from './lib/cores.js';
import { ENGINES, type Engine, type EngineDatabase, engineDatabase, serverSessionOptions } from './lib/engines.js';
import { median } from './lib/median.js';
import { closedLoop, type LoadOptions, type LoadResult, openLoop } from './lib/load.js';
import {
  countRows,
  ensurePgbench,
  type PayRows,
  type PgbenchResult,
  pgbenchEnv,
  readPayRows,
  runPgbench,
} from './lib/pgbench.js';
import { PAYS, type PayKind, paysFrom } from './lib/pays.js';
import { type BenchProcess, startBareFastify, startGateway } from './lib/processes.js';
import { type Receiver, startReceiver } from './lib/receiver.js';
import { wrkClosedLoop } from './lib/wrk.js';

const WARM_UP_MS = 2000;

interface Options {
  connections: number;
  seconds: number;
  /** The Node.js binary the gateway runs on. */
  node: string;
  layout: Layout;
}

interface PaysOptions extends Options {
  /** Alternating rounds of the gateway's and pgbench's maximum rates. */
  rounds: number;
  withPgbench: boolean;
}

/**
 * The JavaScript load generator's options for pays of a kind. Each load on one gateway starts its
 * ids at its own `block` (of ten million): a pay must be new, not a repeat of an earlier load's.
 */
const load = (origin: string, options: Options, kind: PayKind, block = 0): LoadOptions => ({
  origin,
  connections: options.connections,
  durationMs: options.seconds * 1000,
  warmUpMs: WARM_UP_MS,
  ...PAYS[kind]!,
  request: paysFrom(kind, block * 10_000_000),
});

/** Ids of the warm-up, of wrk's run and of the 80 % load on one gateway. */
const BLOCKS = { warmUp: 0, max: 1, ownMax: 2, steady: 3 };

/**
 * The maximum rate, as pgbench's is measured: after a warm-up, wrk (a load generator in C, as
 * pgbench is) as fast as the answers come, at the same connections (bench/lib/wrk.ts).
 */
async function maxRate(origin: string, options: Options, kind: PayKind): Promise<LoadResult> {
  await closedLoop({ ...load(origin, options, kind, BLOCKS.warmUp), durationMs: WARM_UP_MS, warmUpMs: 0 });
  const { connections, seconds, layout } = options;
  return wrkClosedLoop({ origin, kind, connections, seconds, first: BLOCKS.max * 10_000_000, threads: clientThreads(layout) });
}

const rows: string[][] = [];
const row = (...cells: (string | number)[]) => {
  rows.push(cells.map(String));
  console.error(`  ${cells.join(' | ')}`);
};
const latencies = (result: LoadResult) => `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`;
const failures = (result: LoadResult) => (result.failed ? `, ${result.failed} FAILED` : '');

async function bareFastify(options: Options): Promise<LoadResult> {
  const bare = await startBareFastify();
  try {
    const result = await maxRate(bare.url, options, 'qiwi');
    row('bare Fastify (no database)', 'QIWI pay answer', `**${result.rate}/s**`, latencies(result), `${bare.peakRssMb()} MB`);
    return result;
  } finally {
    await bare.stop();
  }
}

/** pgbench replaying `rows` (one pay's, as the gateway wrote them) in both forms: the faster one counts. */
async function pgbenchMax(rows: PayRows, options: Options): Promise<PgbenchResult> {
  return withPgbenchDatabase(rows, (env) => {
    const results = (['statement', 'transaction'] as const).map((form) => {
      const run = { form, clients: options.connections, seconds: options.seconds, threads: clientThreads(options.layout) };
      const result = runPgbench(env, rows, run);
      row(`pgbench -c ${options.connections}`, describe(rows, form), `**${result.tps}/s**`, `average ${result.latencyMs} ms`, '');
      return result;
    });
    return results.reduce((a, b) => (b.tps > a.tps ? b : a));
  });
}

/** That form at `rate` on a schedule, with the open loop's connections: the database's own p99 at that rate. */
async function pgbenchSteady(rows: PayRows, options: Options, form: PgbenchResult['form'], rate: number): Promise<void> {
  const clients = options.connections * 2;
  const steady = await withPgbenchDatabase(rows, (env) =>
    runPgbench(env, rows, { form, clients, seconds: options.seconds, rate, threads: clientThreads(options.layout) }),
  );
  const latency = `**p99 ${steady.p99Ms} ms**, average ${steady.latencyMs} ms`;
  row(`pgbench -c ${clients} -R ${rate}`, `${describe(rows, form)} at ${rate}/s`, `${steady.tps}/s`, latency, '');
}

/** A migrated database of pgbench's own for `run`, checked afterwards to hold what pays write, then dropped. */
async function withPgbenchDatabase<T>(rows: PayRows, run: (env: Record<string, string | undefined>) => T): Promise<T> {
  ensurePgbench();
  const database = await engineDatabase('server', pgbenchEnv);
  try {
    // The instance whose pays are replayed, whatever PROVIDERS' default holds.
    await database.migrate({ PROVIDERS: rows.provider });
    const result = run(database.env);
    const written = await countRows(database.env, rows.provider);
    if (written.logs !== written.transactions)
      throw new Error(`pgbench wrote ${written.logs} log rows, ${written.transactions} payments`);
    return result;
  } finally {
    await database.drop();
  }
}

const describe = (rows: PayRows, form: PgbenchResult['form']) =>
  `${rows.provider} pay, ${form === 'statement' ? 'one statement (CTE)' : 'BEGIN; 2 INSERT; COMMIT'}, prepared`;

/** A fresh database and gateway for one load; on the server, the rows of its first pay for pgbench. */
async function withGateway<T>(
  engine: Engine,
  options: Options,
  kind: PayKind,
  run: (gateway: BenchProcess) => Promise<T>,
): Promise<{ result: T; rows?: PayRows; rssMb: number }> {
  const database = await engineDatabase(engine);
  let gateway: BenchProcess | undefined;
  try {
    gateway = await startGateway({ ...database.env, PROVIDERS: kind, ...PAYS[kind]!.env }, { node: options.node });
    pinEmbeddedDatabase(engine, database, options);
    const result = await run(gateway);
    const rows = engine === 'server' ? await readPayRows(database.env, kind) : undefined;
    return { result, rows, rssMb: gateway.peakRssMb() };
  } finally {
    await gateway?.stop();
    await database.drop();
  }
}

/**
 * In the split layout the embedded server, started by the gateway on the clients' core, moves to
 * the database's. PGlite runs inside the gateway's process: it stays on the gateway's core.
 */
function pinEmbeddedDatabase(engine: Engine, database: EngineDatabase, { layout }: Options): void {
  if (layout === 'split' && engine === 'embedded') pinDatabase(embeddedPostmaster(database.env.DATA_DIR!), { restore: false });
}

/**
 * Pays of one kind: the gateway's maximum rate (closed loop) and, on the server, pgbench's, in
 * alternating rounds, so that the machine's drift from one minute to the next falls on both
 * alike; the ratio is of their medians. Then, on the last round's gateway, its latency at 80 %
 * of the maximum (open loop), and pgbench's at the same rate. The open loop is the bench's own
 * JavaScript client, whose CPU the gateway shares: 80 % of wrk's maximum would be more than
 * the gateway can take next to it, so the rate is 80 % of that client's own maximum, measured
 * on the same gateway just before.
 */
async function pays(engine: Engine, kind: PayKind, options: PaysOptions, ceilings: Record<string, number>): Promise<void> {
  const gateway: number[] = [];
  const database: PgbenchResult[] = [];
  let steady: { own: LoadResult; rate: number; result: LoadResult; commits: string } | undefined;
  let rows: PayRows | undefined;
  for (let round = 0; round < options.rounds; round++) {
    const last = round === options.rounds - 1;
    const run = await withGateway(engine, options, kind, async (process) => {
      const max = await maxRate(process.url, options, kind);
      gateway.push(max.rate);
      // The last round's gateway, warm from its closed loop as a running gateway is, then takes
      // arrivals on a schedule, as from many terminals: twice the connections, so that a
      // moment's queue does not turn the open loop back into a closed one capped at `connections`.
      if (last) {
        const own = await closedLoop({ ...load(process.url, options, kind, BLOCKS.ownMax), warmUpMs: 0 });
        const rate = Math.round(own.rate * 0.8);
        const steadyLoad = load(process.url, options, kind, BLOCKS.steady);
        const before = await scrapeCommits(process.url, kind);
        const result = await openLoop({ ...steadyLoad, connections: options.connections * 2, rate });
        steady = { own, rate, result, commits: describeCommits(before, await scrapeCommits(process.url, kind)) };
      }
      return max;
    });
    rows ??= run.rows;
    const { result } = run;
    row(
      `payrelay on ${engine}`,
      PAYS[kind]!.label,
      `**${result.rate}/s**${failures(result)}`,
      `max: ${latencies(result)}`,
      `${run.rssMb} MB`,
    );
    if (run.rows && options.withPgbench) database.push(await pgbenchMax(run.rows, options));
  }
  const max = Math.round(median(gateway));
  if (steady) {
    const { own, rate, result, commits } = steady;
    row(
      `payrelay on ${engine}`,
      `${PAYS[kind]!.label} at 80 % (${rate}/s) of the open loop client's own maximum (${own.rate}/s)`,
      `${result.rate}/s${failures(result)}`,
      `**${latencies(result)}**; ${commits}`,
      '',
    );
    if (rows && database.length) {
      const best = database.reduce((a, b) => (b.tps > a.tps ? b : a));
      await pgbenchSteady(rows, options, best.form, rate);
    }
  }
  reportRatios(engine, kind, max, ceilings, database, options.rounds);
}

/** The median maximum against each ceiling: bare Fastify's and, when measured, pgbench's median. */
function reportRatios(
  engine: Engine,
  kind: PayKind,
  max: number,
  ceilings: Record<string, number>,
  database: PgbenchResult[],
  rounds: number,
): void {
  const ratios = Object.entries(ceilings).map(([name, ceiling]) => `${(max / ceiling).toFixed(2)}× ${name}`);
  const pgbench = database.length ? Math.round(median(database.map((result) => result.tps))) : undefined;
  if (pgbench) ratios.push(`${(max / pgbench).toFixed(2)}× pgbench (${kind} pay)`);
  const detail = `medians of ${rounds}: payrelay ${max}/s${pgbench ? `, pgbench ${pgbench}/s` : ''}`;
  row(`payrelay on ${engine}`, `${kind} ratio`, ratios.join(', ') || '–', detail, '');
}

/** Pays with deliveries on: does the backlog the burst leaves drain at least as fast as pays came in? */
async function burst(engine: Engine, receiver: Receiver, options: Options): Promise<void> {
  const database = await engineDatabase(engine);
  let gateway: BenchProcess | undefined;
  receiver.delivered.clear();
  try {
    gateway = await startGateway({ ...database.env, QIWI_WEBHOOK_URL: receiver.url }, { node: options.node });
    pinEmbeddedDatabase(engine, database, options);
    const startedAt = performance.now();
    const pays = await closedLoop({ ...load(gateway.url, options, 'qiwi'), warmUpMs: 0 });
    const endedAt = performance.now();
    const accepted = pays.counted - pays.failed;
    const deliveredDuring = receiver.delivered.size;
    await receiver.until(() => receiver.delivered.size >= accepted, `${accepted} webhooks`, 300_000);
    const drainedAt = [...receiver.delivered.values()].reduce((a, b) => Math.max(a, b), 0);
    const backlog = accepted - deliveredDuring;
    const drainSeconds = (drainedAt - endedAt) / 1000;
    const overall = Math.round(accepted / ((drainedAt - startedAt) / 1000));
    row(
      `payrelay on ${engine}`,
      `burst of ${options.seconds} s, webhooks on (WEBHOOK_CONCURRENCY 16)`,
      `pays **${pays.rate}/s**, webhooks during it ${Math.round(deliveredDuring / options.seconds)}/s`,
      `backlog ${backlog} at its end, empty ${drainSeconds.toFixed(2)} s later (**${backlog > 0 ? Math.round(backlog / drainSeconds) : '–'}/s**); ${overall}/s overall; ${receiver.duplicates} duplicates`,
      `${gateway.peakRssMb()} MB`,
    );
  } finally {
    await gateway?.stop();
    await database.drop();
  }
}

async function receiverCeiling(receiver: Receiver, options: Options): Promise<void> {
  receiver.delivered.clear();
  const result = await closedLoop({
    origin: new URL(receiver.url).origin,
    connections: options.connections,
    durationMs: options.seconds * 1000,
    warmUpMs: WARM_UP_MS,
    request: (n) => ({
      path: '/webhook',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"id": "${n}", "account": "4957835959", "code": "r${n}", "sum": 10.45, "created_at": "2026-01-01 12:00:00"}`,
    }),
    succeeded: (status) => status === 200,
  });
  row('webhook receiver alone', `POSTs at ${options.connections} connections`, `**${result.rate}/s**`, latencies(result), '');
  receiver.delivered.clear();
}

/** One long run at a steady rate with deliveries on: RSS every 10 s. */
async function soak(engine: Engine, minutes: number, rate: number, { connections, node }: Options): Promise<void> {
  const database = await engineDatabase(engine);
  const receiver = await startReceiver();
  let gateway: BenchProcess | undefined;
  try {
    gateway = await startGateway({ ...database.env, QIWI_WEBHOOK_URL: receiver.url }, { node });
    const samples: { at: number; rss: number }[] = [];
    const sampler = setInterval(() => {
      samples.push({ at: Math.round((performance.now() - started) / 1000), rss: gateway!.rssMb() });
      console.error(`  soak ${samples.at(-1)!.at} s: RSS ${samples.at(-1)!.rss} MB, delivered ${receiver.delivered.size}`);
    }, 10_000);
    const started = performance.now();
    const result = await openLoop({ origin: gateway.url, connections, durationMs: minutes * 60_000, rate, ...PAYS.qiwi! });
    clearInterval(sampler);
    const minute = (from: number, to: number) => {
      const inRange = samples.filter((s) => s.at >= from && s.at < to).map((s) => s.rss);
      return Math.round(inRange.reduce((a, b) => a + b, 0) / Math.max(1, inRange.length));
    };
    const last = samples.at(-1)?.at ?? 0;
    row(
      `soak on ${engine}`,
      `${minutes} min at ${rate} QIWI pays/s, webhooks on`,
      `${result.rate}/s, ${result.counted} pays${failures(result)}, ${latencies(result)}`,
      `RSS mean of minute 2: ${minute(60, 120)} MB, of the last minute: ${minute(last - 60, last + 1)} MB; samples ${samples.map((s) => s.rss).join(' ')}`,
      `${gateway.peakRssMb()} MB`,
    );
  } finally {
    await gateway?.stop();
    await receiver.close();
    await database.drop();
  }
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '10' },
      engines: { type: 'string' },
      only: { type: 'string', default: 'ceilings,pays,burst' },
      kinds: { type: 'string', default: Object.keys(PAYS).join(',') },
      rounds: { type: 'string', default: '3' },
      soak: { type: 'string' },
      'soak-rate': { type: 'string', default: '1000' },
      node: { type: 'string', default: process.execPath },
      cores: { type: 'string', default: 'shared' },
    },
  });
  const positive = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, not "${text}"`);
    return value;
  };
  const onServer = Boolean(process.env.DATABASE_URL || process.env.PG_HOST);
  const engines = (values.engines ?? (onServer ? 'server,embedded,pglite' : 'embedded,pglite')).split(',') as Engine[];
  for (const engine of engines) if (!ENGINES.includes(engine)) throw new Error(`--engines takes ${ENGINES.join(', ')}`);
  if (engines.includes('server') && !onServer) throw new Error('the server engine needs DATABASE_URL or PG_HOST');
  if (values.cores !== 'shared' && values.cores !== 'split') throw new Error('--cores takes shared, split');
  return {
    connections: positive('connections', values.connections),
    seconds: positive('seconds', values.seconds),
    rounds: positive('rounds', values.rounds),
    engines,
    only: new Set(values.only.split(',')),
    kinds: values.kinds.split(',').map((kind) => {
      if (!(kind in PAYS)) throw new Error(`--kinds takes ${Object.keys(PAYS).join(', ')}`);
      return kind;
    }),
    soak: values.soak === undefined ? undefined : positive('soak', values.soak),
    soakRate: positive('soak-rate', values['soak-rate']),
    node: values.node,
    layout: values.cores as Layout,
  };
}

async function main(): Promise<void> {
  const options = readOptions();
  const load = () => loadavg()[0]!.toFixed(1);
  const gatewayNode = execFileSync(options.node, ['--version']).toString().trim();
  if (options.layout === 'split') {
    pinBenchToClientCore();
    // pgbench and the server engine both use the server.
    if (options.engines.includes('server')) pinDatabase(await serverPostmaster(process.env), { restore: true });
  }
  const layout = options.layout === 'split' ? 'database on core 0, gateway and clients on core 1' : 'every process on every core';
  const sessions = options.engines.includes('server') ? `, server sessions with PGOPTIONS="${serverSessionOptions()}"` : '';
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GB, ${layout}, bench on Node ${process.version}, gateway on Node ${gatewayNode}${sessions}`;
  console.error(`payrelay pay bench: ${machine}; load average ${load()} at start`);
  if (options.soak) {
    await soak(options.engines[0]!, options.soak, options.soakRate, options);
  } else {
    await measure(options);
  }
  console.log(`\n${machine}; load average ${load()} at the end; ${options.connections} connections, ${options.seconds} s each\n`);
  console.log('| what | load | rate | latency / detail | peak RSS |\n| --- | --- | --- | --- | --- |');
  for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);
}

async function measure(options: ReturnType<typeof readOptions>): Promise<void> {
  const receiver = await startReceiver();
  try {
    const fastify = options.only.has('ceilings') ? (await bareFastify(options)).rate : undefined;
    if (options.only.has('ceilings')) await receiverCeiling(receiver, options);
    for (const engine of options.engines) {
      if (options.only.has('pays')) {
        for (const kind of options.kinds) {
          const ceilings: Record<string, number> = fastify && kind === 'qiwi' ? { 'bare Fastify': fastify } : {};
          await pays(engine, kind, { ...options, withPgbench: engine === 'server' && options.only.has('ceilings') }, ceilings);
        }
      }
      if (options.only.has('burst')) await burst(engine, receiver, options);
      await sleep(500);
    }
  } finally {
    await receiver.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
