/**
 * Issue 29, finding 9: a full disk under the embedded server. DATA_DIR is on a small file system
 * of its own (a tmpfs: filling it fills nothing else on the machine). The real gateway takes
 * pays from a terminal network (eight connections, as payStream plays it); the file system is
 * filled to its last page while the network goes on paying. A pay is answered 0 only once it is
 * stored; otherwise it gets QIWI's temporary error (1), which the network retries. Once the space
 * is freed, with nothing restarted by hand, new pays are accepted again and so are the network's
 * retries of the refused ones; then every acknowledged pay is a row, and every row delivered:
 * once, or more only where a webhook went out while its attempt could not be recorded (at least
 * once, docs/events.md).
 *
 * A full disk reaches PostgreSQL in two ways, one test each: a table that cannot grow (an ERROR,
 * the server stays up), and WAL that cannot grow into its next segment (a PANIC: the server
 * restarts itself, and while the disk stays full its crash recovery fails too, so payrelay has
 * to bring it back). initdb writes the first WAL segment in full, so a few pays never reach its
 * end: the test asks for the segment switch (pg_switch_wal) that a busy gateway reaches every
 * 16 MB of WAL.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import { acknowledged, payAll, payStream, storedPayments } from './helpers/payments.js';
import { type GatewayProcess, startGatewayProcess } from './helpers/process.js';
import { type Receiver, startReceiver, waitFor } from './helpers/receiver.js';

/** initdb and the migrations take 40 MB, 16 of them the first WAL segment: a little room left. */
const DISK_MB = 64;
/** Refusals the network sees while the disk is full: 8 connections retrying every 100 ms, about 2.5 s. */
const REFUSALS_WHILE_FULL = 200;
const ADMIN_TOKEN = 'full-disk-test-admin-token';
/** A webhook accepted while its attempt could not be recorded goes out again when its lease runs out (60 s by default). */
const WEBHOOKS = { WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_LEASE_MS: '4000' };
const notRoot = process.getuid?.() !== 0;
if (notRoot) console.warn('\n!!! full-disk.embedded.test.ts SKIPPED: mounting a small file system (tmpfs) needs root\n');

interface SmallDisk {
  folder: string;
  /** Writes a filler file until the file system has no page left; removed when the test ends. */
  fill(): void;
  free(): void;
}

/**
 * A tmpfs of DISK_MB mounted for this test, or the test skipped, saying why. Unmounted when the
 * test ends, whatever happened, once `stopUsers` (the gateway, its server) has stopped.
 */
function mountSmallDisk(context: TestContext, stopUsers: () => Promise<unknown>): SmallDisk {
  const folder = mkdtempSync(join(tmpdir(), 'payrelay-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MB}m,mode=0755`, 'tmpfs', folder], { stdio: 'pipe' });
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    const reason = `cannot mount a tmpfs: ${(error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message}`;
    console.warn(`\n!!! full-disk.embedded.test.ts SKIPPED: ${reason}\n`);
    context.skip(reason);
  }
  const filler = join(folder, 'filler');
  const free = () => rmSync(filler, { force: true });
  onTestFinished(async () => {
    free();
    await stopUsers();
    await unmount(folder);
  });
  return {
    folder,
    fill() {
      // Run before the gateway is stopped (hooks run last registered first): on a full disk
      // its server could not write the shutdown checkpoint.
      onTestFinished(free);
      fillUp(filler);
    },
    free,
  };
}

function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 4096]) {
      const chunk = Buffer.alloc(size, 0xa5);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** The server may take a moment to let go of the folder after its payrelay: tried again, then detached lazily. */
async function unmount(folder: string): Promise<void> {
  try {
    await waitFor(() => execFileSync('umount', [folder], { stdio: 'pipe' }) !== undefined, `${folder} unmounted`, 10_000);
  } catch {
    execFileSync('umount', ['--lazy', folder], { stdio: 'pipe' });
  }
  rmSync(folder, { recursive: true, force: true });
}

/** QIWI payments not yet delivered, through the gateway's own admin API. */
async function undelivered(url: string): Promise<number> {
  const response = await fetch(`${url}/admin/api/transactions?provider=qiwi&status=0&limit=200`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`admin API: HTTP ${response.status}`);
  return ((await response.json()) as { items: unknown[] }).items.length;
}

/** How many webhooks named each txn_id (the receiver accepts every one). */
function deliveries(receiver: Receiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { body } of receiver.received) {
    const { code } = JSON.parse(body) as { code: string };
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return counts;
}

/** The WAL moves on to a segment not written yet, as it does after every 16 MB. */
async function switchWalSegment(dataDir: string): Promise<void> {
  const client = new pg.Client({ host: join(dataDir, 'postgres'), port: 5432, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    await client.query('SELECT pg_switch_wal()');
  } finally {
    await client.end();
  }
}

/** For a failure's message: the server's processes, its log, the gateway's output. */
function diagnostics(dataDir: string, gateway: GatewayProcess): string {
  const cluster = join(dataDir, 'postgres');
  let processes = '(no postmaster.pid)';
  try {
    const pid = readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0]!;
    processes = execFileSync('ps', ['-o', 'pid,stat,etime,args', '-p', pid, '--ppid', pid], { encoding: 'utf8' });
  } catch (error) {
    processes = `${processes}: ${(error as Error).message}`;
  }
  // Its connections refused one by one say nothing the gateway's errors do not.
  const refusals =
    /not yet accepting connections|Consistent recovery state|could not write init file|in recovery mode|is starting up/;
  const logFile = join(dataDir, 'postgres.log');
  const log = existsSync(logFile)
    ? readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => /^\d{4}-/.test(line) && !refusals.test(line))
        .join('\n')
        .slice(-6000)
    : '(none)';
  // Its warnings and errors, each message once with how often it came: each request's own line says little here.
  const messages = new Map<string, number>();
  for (const line of gateway.output().split('\n')) {
    if (!/"level":[4-6]0/.test(line)) continue;
    const message = /"message":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line;
    messages.set(message.slice(0, 300), (messages.get(message.slice(0, 300)) ?? 0) + 1);
  }
  const output = [...messages].map(([message, count]) => `${count} × ${message}`).join('\n');
  return `\n--- server processes:\n${processes}\n--- postgres.log (lines written while the disk was full are lost):\n${log}\n--- gateway warnings and errors:\n${output.slice(-8000)}`;
}

async function fullDisk(context: TestContext, prefix: string, options: { walSegment: boolean }) {
  let gateway: GatewayProcess | undefined;
  const disk = mountSmallDisk(context, async () => gateway?.kill('SIGTERM'));
  const env = { DATA_DIR: join(disk.folder, 'data'), EMBEDDED_ENGINE: 'postgres' };
  const receiver = await startReceiver();
  gateway = await startGatewayProcess({ ...env, ...WEBHOOKS, QIWI_WEBHOOK_URL: `${receiver.url}/webhook`, ADMIN_TOKEN });
  const { url } = gateway;
  const withDiagnostics = (error: Error): never => {
    throw new Error(`${error.message}${diagnostics(env.DATA_DIR, gateway!)}`);
  };

  // Before: acknowledged and delivered, nothing left for the dispatcher to write.
  const before = await payAll(url, [`${prefix}00001`, `${prefix}00002`, `${prefix}00003`]);
  for (const outcome of before) expect(acknowledged(outcome), JSON.stringify(outcome)).toBe(true);
  await waitFor(async () => (await undelivered(url)) === 0, 'the first pays delivered');

  // Full: the network goes on paying; what it is told is 0 only for what is stored.
  disk.fill();
  expect(statfsSync(disk.folder).bavail, 'no page left on the small disk').toBe(0);
  if (options.walSegment) await switchWalSegment(env.DATA_DIR);
  const stream = payStream(url, `${prefix}1`);
  onTestFinished(async () => void (await stream.stop())); // its loops pay until stopped, even after a failure
  const refusals = () => stream.outcomes.filter((outcome) => !acknowledged(outcome)).length;
  await waitFor(() => refusals() >= REFUSALS_WHILE_FULL, 'pays refused on the full disk', 30_000).catch(withDiagnostics);
  const why = options.walSegment
    ? /PANIC|pg_wal\/.*No space left on device|could not write to log file/
    : /could not extend file .*No space left on device/;
  await waitFor(() => why.test(gateway!.output()), `the database's reason in the gateway's log: ${why}`).catch(withDiagnostics);

  // Freed, nothing restarted by hand: the network's next pays are taken again.
  const freedAt = Date.now();
  disk.free();
  const resumed = (await waitFor(
    () => stream.outcomes.find((outcome) => outcome.startedAt > freedAt && acknowledged(outcome)),
    'pays accepted again once space is freed',
    // A postmaster stuck in a failed recovery is restarted after 20 s short of ready (server.ts).
    45_000,
  ).catch(withDiagnostics))!;
  const streamed = await stream.stop();
  const refused = streamed.filter((outcome) => !acknowledged(outcome));
  for (const outcome of refused) {
    expect(outcome.answer?.status, JSON.stringify(outcome)).toBe(200);
    expect(outcome.answer?.result, `QIWI's temporary error for ${outcome.txnId}: ${outcome.answer?.body}`).toBe(1);
  }
  // The network retries each refused pay: taken now.
  const retries = await payAll(url, [...new Set(refused.map((outcome) => outcome.txnId))]);
  for (const outcome of retries) expect(acknowledged(outcome), JSON.stringify(outcome)).toBe(true);

  const outcomes = [...before, ...streamed, ...retries];
  const paid = new Set(outcomes.map((outcome) => outcome.txnId));
  await waitFor(
    async () => (await undelivered(url)) === 0 && deliveries(receiver).size === paid.size,
    'every pay delivered',
    30_000,
  ).catch(withDiagnostics);
  // Delivered and recorded on a database that had room: exactly once.
  const healthy = [...before, ...streamed.filter((outcome) => outcome.startedAt >= resumed.startedAt)].map(
    (outcome) => outcome.txnId,
  );
  expect(await gateway.kill('SIGTERM'), 'a clean stop').toBe(0);

  // Nothing acknowledged lost: each acknowledged txn_id is its row, under the prv_txn it was given.
  const stored = await storedPayments(env);
  const byCode = new Map(stored.map((row) => [row.code, row]));
  expect(stored, 'one row per txn_id').toHaveLength(byCode.size);
  expect([...byCode.keys()].sort()).toEqual([...paid].sort());
  for (const outcome of outcomes.filter(acknowledged)) {
    expect(byCode.get(outcome.txnId)?.id, `acknowledged pay ${outcome.txnId}`).toBe(outcome.answer!.prvTxn);
  }
  const delivered = deliveries(receiver);
  for (const row of stored) {
    expect(row.status, `pay ${row.code} marked delivered`).toBe(1);
    expect(delivered.get(row.code), `webhooks for pay ${row.code}`).toBeGreaterThanOrEqual(1);
  }
  for (const txnId of healthy) expect(delivered.get(txnId), `webhooks for pay ${txnId}`).toBe(1);
}

describe('a full disk under the embedded server', () => {
  it.skipIf(notRoot)(
    'tables that cannot grow: pays get the temporary error, nothing acknowledged is lost, pays resume once space is freed',
    async (context) => {
      await fullDisk(context, '71', { walSegment: false });
    },
    60_000,
  );

  it.skipIf(notRoot)(
    'WAL that cannot grow (a PANIC, recovery failing while full): the same, payrelay bringing its server back',
    async (context) => {
      await fullDisk(context, '72', { walSegment: true });
    },
    90_000,
  );
});
