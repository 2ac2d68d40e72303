/**
 * A PostgreSQL server of the test's own, for tests that stop and start the database under a
 * running gateway (the shared server of the suite must never be stopped). It lives in a temporary
 * folder, listens on loopback on a port of its own, accepts anyone (trust) and keeps fsync on.
 * PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the `postgres` OS user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayPostgres {
  /** A DATABASE_URL for it (the database is created by payrelay on first start). */
  url: string;
  port: number;
  /** `fast` closes sessions cleanly; `immediate` is a crash: the next start replays the WAL. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again, same data and port. */
  start(): Promise<void>;
  /** Stops it if it runs and deletes its folder. Safe to call twice. */
  remove(): Promise<void>;
}

const PG_ROOT = '/usr/lib/postgresql';

/** initdb and pg_ctl of the newest PostgreSQL installed by Debian's packages, else from PATH. */
function binary(name: 'initdb' | 'pg_ctl'): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => existsSync(join(PG_ROOT, v, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] ? join(PG_ROOT, versions[0], 'bin', name) : name;
}

/** When we are root, the ids of the `postgres` user to run the server as. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root, and there is no `postgres` user to run a throwaway PostgreSQL server as');
  }
}

function run(command: string, args: string[], user: ReturnType<typeof serverUser>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { ...user, timeout: 60_000, env: { PATH: process.env.PATH, LC_ALL: 'C' } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`)) : resolve(),
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Folders still to remove if the test process ends without `remove()` (a timeout, a crash). */
const leftovers = new Set<string>();
process.on('exit', () => {
  for (const folder of leftovers) killAndRemove(folder);
});

function killAndRemove(folder: string): void {
  const pidFile = join(folder, 'data', 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its backends down with it.
    try {
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // Already gone.
    }
  }
  rmSync(folder, { recursive: true, force: true });
  leftovers.delete(folder);
}

/** `settings`: more lines for its postgresql.conf (`autovacuum = off`). */
export async function startThrowawayPostgres(settings: string[] = []): Promise<ThrowawayPostgres> {
  const user = serverUser();
  const folder = mkdtempSync(join(tmpdir(), 'payrelay-pg-'));
  leftovers.add(folder);
  const data = join(folder, 'data');
  const log = join(folder, 'server.log');
  const pgCtl = (...args: string[]) => run(binary('pg_ctl'), ['-D', data, '-w', '-t', '30', ...args], user);
  const withLog = async (step: Promise<void>) =>
    step.catch((error: Error) => {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : '';
      throw new Error(`${error.message}\nserver log:\n${tail}`);
    });
  try {
    if (user) chownSync(folder, user.uid, user.gid);
    const port = await freePort();
    // --no-sync only spares initdb's own flush of the fresh files (nobody pulls the power here);
    // the server itself runs with fsync on, so every acknowledged commit is on disk.
    await run(binary('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], user);
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${folder}'`,
        'fsync = on',
        'synchronous_commit = on',
        'full_page_writes = on',
        'max_connections = 60',
        'shared_buffers = 16MB',
        ...settings,
        '',
      ].join('\n'),
    );
    const start = () => withLog(pgCtl('-l', log, 'start'));
    await start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/payrelay`,
      port,
      start,
      stop: (mode = 'fast') => withLog(pgCtl('-m', mode, 'stop')),
      async remove() {
        if (!leftovers.has(folder)) return;
        await pgCtl('-m', 'immediate', 'stop').catch(() => undefined);
        killAndRemove(folder);
      },
    };
  } catch (error) {
    killAndRemove(folder);
    throw error;
  }
}
