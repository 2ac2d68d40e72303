/**
 * Issue 9: the embedded server's life tied to payrelay's. A crash of both (SIGKILL of payrelay
 * and of the server mid-pays) is recovered at the next start with every acknowledged pay there
 * once; SIGTERM stops the server cleanly; a payrelay killed alone takes its server with it; a
 * server left over by an earlier run is replaced; a second payrelay on a DATA_DIR in use is
 * refused. Always the embedded engine, whichever engine the rest of the suite runs on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { findBinaries } from '../src/db/embedded/binaries.js';
import { passageFor } from '../src/db/embedded/passage.js';
import { asServerUser } from '../src/db/embedded/server.js';
import { serverUser } from '../src/db/embedded/server-user.js';
import { acknowledged, pay, payAll, payStream, storedPayments } from './helpers/payments.js';
import { spawnGateway, startGatewayProcess } from './helpers/process.js';
import { waitFor } from './helpers/receiver.js';

function embeddedEnv() {
  const folder = mkdtempSync(join(tmpdir(), 'payrelay-recovery-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  return { DATA_DIR: folder, EMBEDDED_ENGINE: 'postgres' };
}

const pidFileOf = (dataDir: string) => join(dataDir, 'postgres', 'postmaster.pid');
const serverPid = (dataDir: string) => Number(readFileSync(pidFileOf(dataDir), 'utf8').split('\n')[0]);

/** Running: a process ended but not yet reaped by init (a zombie) does not count. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

describe('the embedded server across crashes and restarts', () => {
  it('recovers from payrelay and its server killed together mid-pays: every acknowledged pay is there once', async () => {
    const env = embeddedEnv();
    const first = await startGatewayProcess(env);
    const server = serverPid(env.DATA_DIR);
    const stream = payStream(first.url, '6');
    onTestFinished(async () => void (await stream.stop())); // its loops pay until stopped, even after a failure
    await waitFor(() => stream.acknowledgedCount() >= 150, 'pays under way', 20_000);
    // As a power cut would: no shutdown checkpoint, the next start replays the WAL.
    process.kill(server, 'SIGKILL');
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    const outcomes = await stream.stop();
    const acked = new Map(outcomes.filter(acknowledged).map((o) => [o.txnId, o.answer!.prvTxn!]));
    const unanswered = [...new Set(outcomes.filter((o) => !acknowledged(o)).map((o) => o.txnId))];

    const second = await startGatewayProcess(env);
    expect(readFileSync(join(env.DATA_DIR, 'postgres.log'), 'utf8')).toMatch(
      /database system was interrupted|not properly shut down/,
    );
    for (const repeat of await payAll(second.url, unanswered)) expect(acknowledged(repeat), repeat.txnId).toBe(true);
    expect(await second.kill('SIGTERM')).toBe(0);
    expect(existsSync(pidFileOf(env.DATA_DIR)), 'SIGTERM stops the server too').toBe(false);

    const stored = await storedPayments(env);
    const byCode = new Map(stored.map((row) => [row.code, row]));
    expect(stored).toHaveLength(byCode.size);
    expect(stored).toHaveLength(acked.size + unanswered.length);
    for (const [txnId, prvTxn] of acked) expect(byCode.get(txnId)?.id, `acknowledged pay ${txnId}`).toBe(prvTxn);
  }, 90_000);

  it('a payrelay killed alone takes its server with it, and the next start finds its pays', async () => {
    const env = embeddedEnv();
    const first = await startGatewayProcess(env);
    const answer = await pay(first.url, '5100000001');
    expect(answer.answer?.result).toBe(0);
    const server = serverPid(env.DATA_DIR);
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    await waitFor(() => !isAlive(server), 'the orphaned server gone', 30_000);

    const second = await startGatewayProcess(env);
    expect((await pay(second.url, '5100000001')).answer?.prvTxn).toBe(answer.answer?.prvTxn);
    expect(await second.kill('SIGTERM')).toBe(0);
  }, 60_000);

  it('starts its server again when it dies under a running payrelay; meanwhile pays get result 1', async () => {
    const env = embeddedEnv();
    const gateway = await startGatewayProcess(env);
    const before = await pay(gateway.url, '5300000001');
    expect(before.answer?.result).toBe(0);
    const server = serverPid(env.DATA_DIR);
    process.kill(server, 'SIGKILL');
    await waitFor(() => !isAlive(server), 'the server gone', 10_000);
    const during = await pay(gateway.url, '5300000002');
    expect([0, 1], 'a temporary error, never a false acknowledgement').toContain(during.answer?.result);
    await waitFor(async () => (await pay(gateway.url, '5300000002')).answer?.result === 0, 'pays accepted again', 30_000);
    expect(serverPid(env.DATA_DIR)).not.toBe(server);
    expect((await pay(gateway.url, '5300000001')).answer?.prvTxn, 'the pay from before the crash').toBe(before.answer?.prvTxn);
    expect(gateway.output()).toMatch(/embedded database server exited/);
    expect(await gateway.kill('SIGTERM')).toBe(0);
  }, 60_000);

  it('refuses a DATA_DIR another payrelay is using; stops a server an earlier run left; clears a stale postmaster.pid', async () => {
    const env = embeddedEnv();
    const first = await startGatewayProcess(env);
    const answer = await pay(first.url, '5200000001');

    // A second payrelay on the same folder would share nothing safely: refused, the first unharmed.
    const second = spawnGateway(env);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/DATA_DIR is in use/);
    expect((await pay(first.url, '5200000002')).answer?.result).toBe(0);
    expect(await first.kill('SIGTERM')).toBe(0);

    // A server whose payrelay is gone (here: started by a shell that exited at once).
    const orphan = await startOrphanServer(env.DATA_DIR);
    await waitFor(() => existsSync(pidFileOf(env.DATA_DIR)) && serverPid(env.DATA_DIR) === orphan, 'the orphan up', 20_000);
    const third = await startGatewayProcess(env);
    expect(isAlive(orphan), 'the leftover server stopped').toBe(false);
    expect((await pay(third.url, '5200000001')).answer?.prvTxn).toBe(answer.answer?.prvTxn);
    expect(await third.kill('SIGTERM')).toBe(0);

    // A stale postmaster.pid whose number now belongs to a live, unrelated process (this one).
    writeFileSync(pidFileOf(env.DATA_DIR), `${process.pid}\n${join(env.DATA_DIR, 'postgres')}\n`);
    const fourth = await startGatewayProcess(env);
    expect((await pay(fourth.url, '5200000001')).answer?.prvTxn).toBe(answer.answer?.prvTxn);
    expect(await fourth.kill('SIGTERM')).toBe(0);
  }, 90_000);
});

/**
 * The cluster's postgres, detached from us as an orphan is, started as payrelay starts it (as its
 * own user, through a namespace where the folder is private): returns its pid.
 */
async function startOrphanServer(dataDir: string): Promise<number> {
  const cluster = join(dataDir, 'postgres');
  const user = serverUser();
  const passage = passageFor(await findBinaries(), user, dataDir, cluster);
  const server = ['-D', passage.pathOf(cluster), '-k', passage.pathOf(cluster), '-c', 'listen_addresses='];
  const command = passage.wrap(asServerUser(passage.binaries.postgres, server, user, false), cluster);
  const pid = Number(execFileSync('sh', ['-c', '"$@" >/dev/null 2>&1 & echo $!', 'sh', ...command], { encoding: 'utf8' }).trim());
  onTestFinished(() => void (isAlive(pid) && process.kill(pid, 'SIGKILL')));
  return pid;
}
