/**
 * The split layout (`--cores split`): the database on the first core; the gateway, the load
 * generators and pgbench's client on the second. On shared cores every microsecond the gateway
 * spends is taken from its database, so a ratio to pgbench there says how much CPU a pay costs
 * the whole machine; split, it says whether the gateway keeps its database at the database's own
 * limit, which is what a gateway with a database of its own (the usual deployment) meets.
 * Affinity is set with taskset (util-linux) and each database process's own is put back at exit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader } from '../../src/config/env.js';

export type Layout = 'shared' | 'split';

const DATABASE_CORE = 0;
const CLIENT_CORE = 1;

/** Threads for a load generator in C (wrk, pgbench): one per core the clients may use. */
export const clientThreads = (layout: Layout) => (layout === 'split' ? 1 : 2);

/** The affinity each pinned process of a server the bench did not start had before (taskset's hex). */
const originalMasks = new Map<number, { mask: string; postmaster: number }>();
let restoring = false;

/** This process and every process it starts from now on run on the clients' core. */
export function pinBenchToClientCore(): void {
  taskset(process.pid, String(CLIENT_CORE));
}

/**
 * A database server's postmaster and its processes on the database's core; new backends inherit
 * it. With `restore`, each one's affinity is put back at exit: a server the bench did not start
 * is left as it was found.
 */
export function pinDatabase(postmaster: number, { restore }: { restore: boolean }): void {
  if (restore && !restoring) {
    restoring = true;
    process.on('exit', restoreDatabaseCores);
    // A signal ends the process without 'exit': Ctrl-C must not leave the server on one core. The
    // handler runs once the load generator under way (a blocking wrk or pgbench) has ended.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        restoreDatabaseCores();
        process.exit(130);
      });
    }
  }
  for (const pid of [postmaster, ...descendants(postmaster)]) {
    try {
      if (restore && !originalMasks.has(pid)) {
        const mask = /affinity mask: ([0-9a-f]+)/.exec(execFileSync('taskset', ['-p', String(pid)]).toString())?.[1];
        if (mask) originalMasks.set(pid, { mask, postmaster });
      }
      taskset(pid, String(DATABASE_CORE));
    } catch (error) {
      // A backend whose connection closed since it was listed has nothing left to pin.
      if (pid === postmaster || existsSync(`/proc/${pid}`)) throw error;
    }
  }
}

/** Each pinned process still under its postmaster gets its own affinity back (a pid that ended may be another's now). */
function restoreDatabaseCores(): void {
  for (const [pid, { mask, postmaster }] of originalMasks) {
    if (pid !== postmaster && parentOf(pid) !== postmaster) continue;
    try {
      execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
    } catch {
      // It ended just now: nothing to put back.
    }
  }
  originalMasks.clear();
}

/** The postmaster of the server `env` points at; it must run on this machine. */
export async function serverPostmaster(env: Record<string, string | undefined>): Promise<number> {
  const config = readDatabaseConfig(new EnvReader(env));
  if (config.kind !== 'postgres') throw new Error('not a server');
  const client = new pg.Client(config.connection);
  await client.connect();
  try {
    const backend = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const postmaster = parentOf(backend);
    if (postmaster === undefined) throw new Error('--cores split needs the database server on this machine');
    return postmaster;
  } finally {
    await client.end();
  }
}

/** The embedded server's postmaster, from the pid file in its cluster folder under DATA_DIR. */
export function embeddedPostmaster(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function taskset(pid: number, cores: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

function parentOf(pid: number): number | undefined {
  try {
    return Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(Number(entry));
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}
