/**
 * Scaling out: one and then two gateway processes (`node dist/main.js`) on one PostgreSQL server,
 * delivering the same backlog of QIWI payments to a receiver on loopback. The processes share
 * the work only through the database (claims with FOR UPDATE SKIP LOCKED, leases).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/payrelay_bench npm run bench:scaling [-- --backlog 10000 --replicas 1,2 --runs 2]
 *
 * Each process runs with WEBHOOK_CONCURRENCY (default 16); WEBHOOK_* and PG_POOL_SIZE pass through.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { onServer } from './lib/database.js';
import type { Receiver } from './lib/receiver.js';
import { cpuMs, noneLeftAt, scenario, setUp, startGateway, WAIT_MS, type Result } from './lib/run.js';

const lastArrival = (receiver: Receiver) => [...receiver.delivered.values()].reduce((a, b) => Math.max(a, b));

function deliver(count: number, replicas: number): Promise<Result> {
  return scenario(async (defer) => {
    const { database, receiver } = await setUp(defer, count);
    const gateways = [];
    for (let i = 0; i < replicas; i++) gateways.push(await startGateway(defer, database, receiver));
    // From the moment the last one listens: the earlier ones may have started the drain alone.
    const readyAt = gateways.at(-1)!.readyAt;
    const delivered0 = receiver.delivered.size;
    const cpuAtReady = gateways.map(({ gateway }) => cpuMs(gateway));
    await receiver.until(() => receiver.delivered.size >= count, `${count} webhooks`, WAIT_MS);
    const doneAt = Math.max(lastArrival(receiver), (await noneLeftAt(database)) ?? 0);
    const cpu = gateways.map(({ gateway }, i) => cpuMs(gateway) - cpuAtReady[i]!);
    for (const { gateway } of gateways) {
      const exit = await gateway.kill('SIGTERM');
      if (exit !== 0) throw new Error(`a gateway exited with ${exit}`);
    }
    const measured = count - delivered0;
    const elapsed = doneAt - readyAt;
    return {
      scenario: 'deliveries',
      setting: `${replicas} process${replicas === 1 ? '' : 'es'}`,
      count: measured,
      figures:
        `${(elapsed / 1000).toFixed(1)} s, **${Math.round((measured * 1000) / elapsed)}/s**; gateway CPU ` +
        `${cpu.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' + ')}; ${receiver.duplicates} duplicates`,
    };
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      backlog: { type: 'string', default: '10000' },
      replicas: { type: 'string', default: '1,2' },
      runs: { type: 'string', default: '2' },
    },
  });
  if (!onServer) throw new Error('scaling out needs a PostgreSQL server: set DATABASE_URL (PGlite admits one process)');
  const count = Number(values.backlog);
  const rows: Result[] = [];
  console.error(`${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`);
  for (let run = 0; run < Number(values.runs); run++) {
    for (const replicas of values.replicas.split(',').map(Number)) rows.push(await deliver(count, replicas));
  }
  console.log(`load average after: ${loadavg()[0]!.toFixed(1)}\n`);
  console.log('| processes | delivered | result |\n| --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.setting} | ${row.count} | ${row.figures} |`);
}

await main();
