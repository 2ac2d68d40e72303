/** What every scenario does around its measurement: start the gateway, stop it, check the rows. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Env } from '../../src/config/env.js';
import { startGatewayProcess, type GatewayProcess } from '../../test/helpers/process.js';
import { freshDatabase, insertBacklog, onServer, paymentCounts, type BenchDatabase } from './database.js';
import { processCpuMs } from './cpu.js';
import { startReceiver, type Receiver } from './receiver.js';

/** No single wait may take longer: a stuck run fails instead of hanging. */
export const WAIT_MS = 120_000;

export interface Result {
  scenario: string;
  setting: string;
  count: number;
  figures: string;
}

export type Defer = (cleanup: () => Promise<unknown>) => void;

/** Runs one scenario and undoes what it set up (gateway, receiver, database), even on failure. */
export async function scenario(run: (defer: Defer) => Promise<Result>): Promise<Result> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const result = await run((cleanup) => cleanups.push(cleanup));
    console.error(`  ${result.scenario} ${result.setting}: ${result.figures}`);
    return result;
  } finally {
    while (cleanups.length) await cleanups.pop()!().catch((error: unknown) => console.error('cleanup:', error));
  }
}

/** A fresh database holding `backlog` undelivered payments, and a receiver that is up. */
export async function setUp(defer: Defer, backlog: number) {
  const database = await freshDatabase();
  defer(() => database.drop());
  if (backlog > 0) await insertBacklog(database, backlog);
  const receiver = await startReceiver();
  defer(() => receiver.close());
  return { database, receiver };
}

export interface DeliveringGateway {
  /** WEBHOOK_CONCURRENCY, the gateway's default unless given. */
  concurrency?: number;
  /** The Node.js binary: the bench's own unless given. */
  node?: string;
}

/** The real gateway delivering QIWI payments to the receiver; WEBHOOK_* and PG_POOL_SIZE pass through. */
export async function startGateway(
  defer: Defer,
  database: BenchDatabase,
  receiver: Receiver,
  { concurrency, node }: DeliveringGateway = {},
) {
  const passed = Object.entries(process.env).filter(([name]) => name.startsWith('WEBHOOK_') || name === 'PG_POOL_SIZE');
  const env: Env = { ...Object.fromEntries(passed), ...database.env, QIWI_WEBHOOK_URL: receiver.url };
  if (concurrency !== undefined) env.WEBHOOK_CONCURRENCY = String(concurrency);
  const gateway = await startGatewayProcess(env, { node });
  defer(() => gateway.kill('SIGKILL'));
  return { gateway, readyAt: performance.now() };
}

/**
 * On a server: when no payment is left at status 0, polled while the gateway runs. PGlite
 * admits one process per data dir, so there the rows are checked only after the stop.
 */
export async function noneLeftAt(database: BenchDatabase): Promise<number | undefined> {
  if (!onServer) return undefined;
  const db = await database.open();
  try {
    const deadline = Date.now() + WAIT_MS;
    while ((await paymentCounts(db)).pending > 0) {
      if (Date.now() > deadline) throw new Error('payments still at status 0');
      await sleep(10);
    }
    return performance.now();
  } finally {
    await db.close();
  }
}

/** Stops the gateway as an operator would (SIGTERM) and checks that every payment is at status 1. */
export async function stopAndCheck(gateway: GatewayProcess, database: BenchDatabase, count: number): Promise<void> {
  const exit = await gateway.kill('SIGTERM');
  if (exit !== 0) throw new Error(`gateway exited with ${exit}:\n${gateway.output().slice(-2000)}`);
  const db = await database.open();
  try {
    const { pending, total } = await paymentCounts(db);
    if (pending !== 0 || total !== count) throw new Error(`${pending} of ${total} payments not delivered (expected ${count})`);
  } finally {
    await db.close();
  }
}

/**
 * CPU time the gateway process has used so far, all its threads, user + system (/proc on Linux;
 * clock ticks are 1/100 s there). Other load on the machine disturbs it far less than it
 * disturbs wall-clock time.
 */
export function cpuMs(gateway: GatewayProcess): number {
  return processCpuMs(gateway.child.pid!);
}
