/**
 * Several payrelay processes on one PostgreSQL server: they share the backlog without sending a
 * webhook twice, and a process killed mid-delivery leaves its claims to the others.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { insertBacklog, openDatabase } from './helpers/backlog.js';
import { freshDatabase, onServer, type TestDatabase } from './helpers/engine.js';
import { spawnGateway, startGatewayProcess, type GatewayProcess } from './helpers/process.js';
import { startReceiver, waitFor, type Receiver } from './helpers/receiver.js';

/** A database migrated as an operator would (`payrelay migrate`), before any gateway starts. */
async function migratedDatabase(): Promise<TestDatabase> {
  const database = await freshDatabase();
  expect(await spawnGateway(database.env, { args: ['migrate'] }).exited).toBe(0);
  return database;
}

const codesOf = (backend: Receiver) => backend.received.map((r) => JSON.parse(r.body).code as string);
const deliveredLines = (process: GatewayProcess) =>
  process
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"webhook delivered"')).length;

describe.runIf(onServer)('processes sharing one database', () => {
  it('two processes deliver a backlog of 1,000 with no webhook sent twice', async () => {
    const database = await migratedDatabase();
    const backend = await startReceiver();
    // The backlog comes once both listen, and both look for it often: a process that started a
    // second sooner could otherwise deliver all 1,000 before the other one was up.
    const env = { ...database.env, QIWI_WEBHOOK_URL: backend.url, WEBHOOK_POLL_MS: '50' };
    const [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
    await insertBacklog(database.env, 1000);

    // Each process logs a delivery once the backend has answered it: a webhook sent twice would
    // be on the backend before the 1,000th line.
    await waitFor(() => deliveredLines(a) + deliveredLines(b) >= 1000, '1,000 deliveries logged', 60_000);
    const codes = codesOf(backend);
    expect(codes).toHaveLength(1000);
    expect(new Set(codes).size).toBe(1000);
    expect(deliveredLines(a) + deliveredLines(b)).toBe(1000);
    // Both took part: the work was shared, not merely survived.
    expect(deliveredLines(a)).toBeGreaterThan(0);
    expect(deliveredLines(b)).toBeGreaterThan(0);
  });

  it('a process killed mid-delivery leaves its claimed payments to another once the lease runs out', async () => {
    const database = await migratedDatabase();
    await insertBacklog(database.env, 100);
    let answering = false;
    const backend = await startReceiver(() => (answering ? { status: 200 } : 'hang'));
    const env = { ...database.env, QIWI_WEBHOOK_URL: backend.url, WEBHOOK_TIMEOUT_MS: '4000', WEBHOOK_LEASE_MS: '6000' };
    const doomed = await startGatewayProcess({ ...env, WEBHOOK_CONCURRENCY: '10' });
    await waitFor(() => backend.received.length === 10, 'ten deliveries in flight');
    await doomed.kill('SIGKILL');

    const db = await openDatabase(database.env);
    onTestFinished(() => db.close());
    const count = async (condition: string) =>
      Number(
        (await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${db.table('qiwi_transaction')} WHERE ${condition}`))[0]!.n,
      );
    // In flight, and claimed to fill the next free slots at once: at most five times
    // WEBHOOK_CONCURRENCY (four times claimed ahead), and some left for the survivor.
    const held = await count('status = 0 AND locked_until > now()');
    expect(held).toBeGreaterThanOrEqual(10);
    expect(held).toBeLessThanOrEqual(50);

    answering = true;
    const survivor = await startGatewayProcess({ ...env, WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_LEASE_MS: '3000' });
    const pending = () => count('status = 0');
    // The unclaimed ones go at once; those the dead process held wait for its lease (6 s).
    await waitFor(async () => (await pending()) === held, 'the unclaimed payments', 20_000);
    await waitFor(async () => (await pending()) === 0, 'the orphaned deliveries', 20_000);
    const codes = new Set(codesOf(backend));
    expect(codes.size).toBe(100);
    expect(survivor.child.exitCode).toBeNull();
  }, 60_000);
});
