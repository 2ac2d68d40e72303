/**
 * Issue 9, "every acknowledged pay is flushed to stable storage before its answer": strace
 * watches a gateway on the embedded engine (every process: node, the server, its backends and
 * WAL writer) while a terminal network pays one pay at a time, and for each pay the log must
 * show, in this order: the pay's last message reaching the database server, a write of the WAL,
 * an fdatasync/fsync of the WAL returning, and only then the HTTP answer naming the pay leaving
 * node. The same trace of the opt-in PGlite engine (fsync off) shows no such flush: the check
 * is one that fails where the flush is missing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../src/config/env.js';
import { pay } from './helpers/payments.js';
import { startGatewayProcess } from './helpers/process.js';
import { waitFor } from './helpers/receiver.js';
import { parseTrace, type SysCall, straceUnavailable } from './helpers/strace.js';

const PAYS = 12;
const cannotTrace = straceUnavailable();
if (cannotTrace) console.warn(`\n!!! durability-flush.test.ts SKIPPED: ${cannotTrace}\n`);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Always the embedded engine, whichever engine the rest of the suite runs on. */
function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'payrelay-flush-'));
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** The process and every process below it, found through /proc. */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree;
}

/** Starts a gateway on `env`, traces its whole process tree while paying `txnIds` one by one. */
async function tracePays(env: Env, txnIds: string[], traceFile: string): Promise<SysCall[]> {
  const gateway = await startGatewayProcess(env);
  cleanups.push(() => gateway.kill('SIGKILL'));
  const pids = processTree(gateway.child.pid!);
  const strace = spawn(
    '/usr/bin/strace',
    [
      ...['-f', '-ttt', '-T', '-y', '-qq', '-s', '600', '-o', traceFile],
      ...['-e', 'trace=read,recvfrom,write,writev,sendto,pwrite64,pwritev,fdatasync,fsync'],
      ...pids.flatMap((pid) => ['-p', String(pid)]),
    ],
    { stdio: 'ignore' },
  );
  cleanups.push(() => strace.kill('SIGKILL'));
  // Attached once a warm-up pay's answer shows in the log.
  await waitFor(
    async () => {
      const answer = await pay(gateway.url, '8000000000');
      return answer.answer?.result === 0 && readFileSync(traceFile, 'utf8').includes('<osmp_txn_id>8000000000<');
    },
    'strace attached',
    20_000,
  );
  for (const txnId of txnIds) expect((await pay(gateway.url, txnId)).answer?.result, txnId).toBe(0);
  strace.kill('SIGINT'); // detaches and finishes its log
  await new Promise((resolve) => strace.once('close', resolve));
  expect(await gateway.kill('SIGTERM')).toBe(0);
  return parseTrace(readFileSync(traceFile, 'utf8'));
}

interface PayFlush {
  txnId: string;
  /** The pay's last message to the database server: its commit (or its single statement). */
  lastMessageAt?: number;
  walWriteAt?: number;
  flush?: SysCall;
  answeredAt?: number;
}

const isWal = (call: SysCall) => /<[^>]*\/pg_wal\/[0-9A-F]{24}>/.test(call.text);
const flushes = (call: SysCall) => (call.name === 'fdatasync' || call.name === 'fsync') && isWal(call);
const walWrites = (call: SysCall) => call.name.startsWith('pwrite') && isWal(call);

/** Finds, for one pay, the chain "last message to the server → WAL written → WAL flushed → answer". */
function flushOf(calls: SysCall[], txnId: string): PayFlush {
  const answer = calls.find((c) => /^(write|writev|sendto)\(/.test(c.text) && c.text.includes(`<osmp_txn_id>${txnId}<`));
  if (!answer) return { txnId };
  // The server reads its clients with recv(); node reads with read(): a recvfrom naming the pay is the server's.
  const received = calls.filter((c) => c.name === 'recvfrom' && c.text.includes(txnId) && c.end <= answer.start);
  const backend = received.at(-1)?.pid;
  const last = calls
    .filter((c) => c.pid === backend && c.name === 'recvfrom' && c.end <= answer.start && !/= -1 EAGAIN/.test(c.text))
    .at(-1);
  if (!last) return { txnId, answeredAt: answer.start };
  const write = calls.find((c) => walWrites(c) && c.start >= last.end && c.end <= answer.start);
  const flush = write && calls.find((c) => flushes(c) && c.start >= write.end && c.end <= answer.start);
  return { txnId, lastMessageAt: last.end, walWriteAt: write?.start, flush, answeredAt: answer.start };
}

describe.skipIf(cannotTrace)('each pay flushed to stable storage before its answer', () => {
  it('on the embedded server: WAL written and fdatasync-ed between the pay reaching the database and its answer', async () => {
    const env = { DATA_DIR: temporaryFolder(), EMBEDDED_ENGINE: 'postgres' };
    const txnIds = Array.from({ length: PAYS }, (_, i) => `91000${String(i).padStart(5, '0')}`);
    const calls = await tracePays(env, txnIds, join(env.DATA_DIR!, 'trace.log'));

    const chains = txnIds.map((txnId) => flushOf(calls, txnId));
    for (const chain of chains) {
      expect(chain.answeredAt, `answer of ${chain.txnId} in the trace`).toBeDefined();
      expect(chain.lastMessageAt, `${chain.txnId} reaching the server`).toBeDefined();
      expect(chain.flush, `a WAL flush for ${chain.txnId} before its answer`).toBeDefined();
      expect(chain.flush!.text, 'the flush succeeded').toMatch(/= 0 <[\d.]+>$/);
    }
    // One pay at a time: each answer waited for a flush of its own.
    expect(new Set(chains.map((c) => c.flush)).size).toBe(PAYS);
  }, 90_000);

  it('the same check finds no flush on PGlite, which runs with fsync off', async () => {
    const env = { DATA_DIR: temporaryFolder(), EMBEDDED_ENGINE: 'pglite' };
    const txnIds = Array.from({ length: 3 }, (_, i) => `92000${String(i).padStart(5, '0')}`);
    const calls = await tracePays(env, txnIds, join(env.DATA_DIR!, 'trace.log'));
    for (const txnId of txnIds) expect(flushOf(calls, txnId).answeredAt, txnId).toBeDefined();
    expect(calls.filter((c) => c.name === 'fdatasync' || c.name === 'fsync')).toEqual([]);
  }, 90_000);
});
