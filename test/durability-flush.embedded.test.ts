/**
 * Issue 9, "every acknowledged pay is flushed to stable storage before its answer": strace
 * watches a gateway on the embedded engine (every process: node, the server, its backends and
 * WAL writer) while a terminal network pays one pay at a time, and for each pay the log must
 * show, in this order: the pay's last message reaching the database server, a write of the WAL,
 * an fdatasync/fsync of the WAL returning, and only then the HTTP answer naming the pay leaving
 * node; also with eight pays at a time, when one flush may serve several. The same trace of the opt-in PGlite engine (fsync off) shows no such flush: the check
 * is one that fails where the flush is missing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Env } from '../src/config/env.js';
import { pay, payAll } from './helpers/payments.js';
import { GATEWAY_ARGS, startGatewayProcess } from './helpers/process.js';
import { waitFor } from './helpers/receiver.js';
import { parseTrace, type SysCall, straceUnavailable } from './helpers/strace.js';

const PAYS = 12;
const cannotTrace = straceUnavailable();
if (cannotTrace) console.warn(`\n!!! durability-flush.test.ts SKIPPED: ${cannotTrace}\n`);

/** Always the embedded engine, whichever engine the rest of the suite runs on. */
function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'payrelay-flush-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

const ROOT = new URL('../', import.meta.url).pathname;
const TRACE = [
  ...['-f', '-ttt', '-T', '-y', '-qq', '-s', '65536'],
  ...['-e', 'trace=read,recvfrom,write,writev,sendto,pwrite64,pwritev,fdatasync,fsync'],
];

/**
 * `strace … node dist/main.js`: traced from its first instruction, so no process of the tree
 * (the server, a backend forked for a new connection) escapes the trace. Pays `txnIds`,
 * `parallel` at a time, stops the gateway with SIGTERM and returns the trace.
 */
async function tracePays(env: Env, txnIds: string[], traceFile: string, parallel = 1): Promise<SysCall[]> {
  // A first, untraced start creates the database: initdb's thousands of writes are not the subject.
  const creator = await startGatewayProcess(env);
  // One request first: main.ts announces "listening" a moment before it handles SIGTERM.
  expect((await pay(creator.url, '8000000000')).answer?.result).toBe(0);
  expect(await creator.kill('SIGTERM')).toBe(0);
  const strace = spawn('/usr/bin/strace', [...TRACE, '-o', traceFile, process.execPath, ...GATEWAY_ARGS], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', ALLOW_UNAUTHENTICATED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  strace.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  strace.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise((resolve) => strace.once('close', resolve));
  // The traced node is strace's only child: stopping it stops its server, and strace with them.
  const gatewayPid = () => childOf(strace.pid!);
  onTestFinished(() => void (strace.exitCode === null && process.kill(strace.pid!, 'SIGKILL')));
  const url = (await waitFor(() => /payrelay listening on (http:\/\/[\d.:]+)/.exec(output)?.[1], 'a traced gateway', 60_000))!;
  for (const outcome of await payAll(url, txnIds, parallel)) expect(outcome.answer?.result, outcome.txnId).toBe(0);
  process.kill(gatewayPid(), 'SIGTERM');
  await closed;
  expect(output).toMatch(/"msg":"stopped"/);
  return parseTrace(readFileSync(traceFile, 'utf8'));
}

function childOf(parent: number): number {
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error(`no child of ${parent}`);
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

/**
 * Finds, for one pay, the chain "last message to the server → WAL written → WAL flushed →
 * answer". The pay's messages are those its connection's backend received from the first one
 * naming the pay until the first one naming another pay of `all` (a connection serves one pay
 * at a time): the last of them is its commit, or its only statement.
 */
function flushOf(calls: SysCall[], txnId: string, all: string[]): PayFlush {
  const answer = calls.find((c) => /^(write|writev|sendto)\(/.test(c.text) && c.text.includes(`<osmp_txn_id>${txnId}<`));
  if (!answer) return { txnId };
  // The server reads its clients with recv(); node reads with read(): a recvfrom naming the pay is the server's.
  const messages = calls.filter((c) => c.name === 'recvfrom' && !/= -1 EAGAIN/.test(c.text) && c.end <= answer.start);
  const first = messages.find((c) => c.text.includes(txnId));
  if (!first) return { txnId, answeredAt: answer.start };
  // Pays committed together (group commit) share the message: only a pay it does not name is another's.
  const others = all.filter((id) => id !== txnId && !first.text.includes(id));
  const own = messages.filter((c) => c.pid === first.pid && c.start >= first.start);
  const nextPay = own.findIndex((c) => c !== first && others.some((id) => c.text.includes(id)));
  const last = (nextPay < 0 ? own : own.slice(0, nextPay)).at(-1)!;
  const write = calls.find((c) => walWrites(c) && c.start >= last.end && c.end <= answer.start);
  const flush = write && calls.find((c) => flushes(c) && c.start >= write.end && c.end <= answer.start);
  return { txnId, lastMessageAt: last.end, walWriteAt: write?.start, flush, answeredAt: answer.start };
}

describe.skipIf(cannotTrace)('each pay flushed to stable storage before its answer', () => {
  it('on the embedded server: WAL written and fdatasync-ed between the pay reaching the database and its answer', async () => {
    const env = { DATA_DIR: temporaryFolder(), EMBEDDED_ENGINE: 'postgres' };
    const txnIds = Array.from({ length: PAYS }, (_, i) => `91000${String(i).padStart(5, '0')}`);
    const calls = await tracePays(env, txnIds, join(env.DATA_DIR, 'trace.log'));

    const chains = txnIds.map((txnId) => flushOf(calls, txnId, txnIds));
    for (const chain of chains) {
      expect(chain.answeredAt, `answer of ${chain.txnId} in the trace`).toBeDefined();
      expect(chain.lastMessageAt, `${chain.txnId} reaching the server`).toBeDefined();
      expect(chain.flush, `a WAL flush for ${chain.txnId} before its answer`).toBeDefined();
      expect(chain.flush!.text, 'the flush succeeded').toMatch(/= 0 <[\d.]+>$/);
    }
    // One pay at a time: each answer waited for a flush of its own.
    expect(new Set(chains.map((c) => c.flush)).size).toBe(PAYS);
  }, 90_000);

  it('also when pays arrive together and share flushes: none is answered before a flush that follows it', async () => {
    const env = { DATA_DIR: temporaryFolder(), EMBEDDED_ENGINE: 'postgres' };
    const txnIds = Array.from({ length: 32 }, (_, i) => `93000${String(i).padStart(5, '0')}`);
    const calls = await tracePays(env, txnIds, join(env.DATA_DIR, 'trace.log'), 8);
    for (const chain of txnIds.map((txnId) => flushOf(calls, txnId, txnIds))) {
      expect(chain.lastMessageAt, `${chain.txnId} reaching the server`).toBeDefined();
      expect(chain.flush?.text, `a WAL flush for ${chain.txnId} before its answer`).toMatch(/= 0 <[\d.]+>$/);
    }
  }, 90_000);

  it('the same check finds no flush on PGlite, which runs with fsync off', async () => {
    const env = { DATA_DIR: temporaryFolder(), EMBEDDED_ENGINE: 'pglite' };
    const txnIds = Array.from({ length: 3 }, (_, i) => `92000${String(i).padStart(5, '0')}`);
    const calls = await tracePays(env, txnIds, join(env.DATA_DIR, 'trace.log'));
    for (const txnId of txnIds) {
      const chain = flushOf(calls, txnId, txnIds);
      expect(chain.answeredAt, txnId).toBeDefined();
      expect(chain.flush, txnId).toBeUndefined();
    }
    const flushed = calls.filter((c) => /^f(data)?sync$/.test(c.name) && c.text.includes(env.DATA_DIR));
    expect(flushed, 'no file of DATA_DIR ever flushed').toEqual([]);
  }, 90_000);
});
