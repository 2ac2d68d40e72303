import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a previous run may have left in the cluster folder: a postmaster.pid naming a process
 * that is gone (PostgreSQL clears that itself), one whose number now belongs to an unrelated
 * process (PostgreSQL would refuse to start: removed here), or a server that outlived its
 * payrelay (stopped here, so that this run owns the server it talks to). A server whose parent
 * is a live payrelay belongs to another instance on the same DATA_DIR: that is refused.
 * `serverPath` is the path the server is given for the cluster (passage.ts).
 */
export async function clearLeftovers(clusterDir: string, serverPath = clusterDir): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  // Without /proc (macOS) nothing here can tell; PostgreSQL's own checks decide.
  if (!existsSync(pidFile) || !existsSync('/proc/self/cmdline')) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  // The number may now belong to anything, another PostgreSQL server included: ours is the
  // one started on this very cluster folder. A killed server not yet reaped by init (a zombie)
  // still answers kill(pid, 0), and PostgreSQL would take it for a live one: gone too.
  if (!(pid > 0) || !isAlive(pid) || !commandOf(pid).includes(`-D ${serverPath} `)) {
    removeLockFiles(clusterDir);
    return;
  }
  const parent = parentOf(pid);
  if (parent !== undefined && parent > 1 && isAlive(parent) && commandOf(parent).includes('node')) {
    throw new Error(`DATA_DIR is in use: its database server belongs to another running process (pid ${parent})`);
  }
  await stopProcess(pid);
}

/** postmaster.pid and the socket's lock file, which PostgreSQL checks the same way. */
function removeLockFiles(clusterDir: string): void {
  for (const name of readdirSync(clusterDir)) {
    if (name === 'postmaster.pid' || /^\.s\.PGSQL\.\d+(\.lock)?$/.test(name)) rmSync(join(clusterDir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The process's command line, words separated by spaces; '' when it cannot be read. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces: the fields after it count.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL if it will not go. */
async function stopProcess(pid: number): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGINT', 30_000],
    ['SIGQUIT', 10_000],
    ['SIGKILL', 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (const until = Date.now() + waitMs; Date.now() < until; ) {
      if (!isAlive(pid)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`a database server left by an earlier run (pid ${pid}) does not stop`);
}
