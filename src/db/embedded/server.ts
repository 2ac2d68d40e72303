/**
 * The embedded database: a real PostgreSQL server from the binaries an npm package ships,
 * started and owned by payrelay, its cluster in DATA_DIR/postgres. It speaks only on a unix
 * socket inside that folder (no port to clash with, nobody else can reach it) and runs with
 * fsync, synchronous_commit and full_page_writes forced on from the command line: a commit
 * returns only after its WAL is flushed to stable storage, as on any server.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  chmodSync,
  statSync,
  mkdtempSync,
  chownSync,
  fsyncSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ClientConfig } from 'pg';
import { findBinaries } from './binaries.js';
import { type Passage, passageFor, SETPRIV } from './passage.js';
import { handOver, SERVER_USER, type ServerUser, serverUser } from './server-user.js';
import { clearLeftovers } from './stale.js';
import { Supervisor, serverStatus } from './supervisor.js';

export interface EmbeddedServer {
  /** How to connect: the unix socket, as the cluster's superuser. */
  connection: ClientConfig;
  /** Fast shutdown: clients are disconnected, a checkpoint is written, the server exits. */
  stop(): Promise<void>;
}

const PORT = 5432; // only names the socket file: nothing listens on TCP
const SUPERUSER = 'postgres';
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;
/** sockaddr_un holds 108 bytes with the terminating zero. */
const SOCKET_PATH_MAX = 107;
const START_ATTEMPTS = 4;

export async function startEmbeddedServer(
  dataDirSetting: string,
  onTrouble: (message: string) => void = () => undefined,
): Promise<EmbeddedServer> {
  const dataDir = resolve(dataDirSetting);
  const clusterDir = join(dataDir, 'postgres');
  mkdirSync(dataDir, { recursive: true });
  const user = serverUser();
  const passage = passageFor(await findBinaries(), user, dataDir, clusterDir);
  await clearLeftovers(clusterDir, passage.pathOf(clusterDir));
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) await createCluster(passage, dataDir, clusterDir, user);
  const socketDir = socketFolder(clusterDir, user);
  if (user) handOver([clusterDir, socketDir], user);
  keepPrivate(clusterDir);
  const start = async () => {
    await clearLeftovers(clusterDir, passage.pathOf(clusterDir));
    const child = launch(passage, dataDir, clusterDir, socketDir, user);
    await untilReady(child, clusterDir, dataDir);
    return child;
  };
  const connection = { host: socketDir, port: PORT, user: SUPERUSER, database: 'postgres' };
  const supervisor = new Supervisor(await startPatiently(start, onTrouble), start, onTrouble, clusterDir, connection);
  return {
    connection,
    async stop() {
      await supervisor.stop();
      passage.remove();
      if (socketDir !== clusterDir) rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

/**
 * After a crash the old server's backends can hold its shared memory for a moment, and
 * PostgreSQL refuses to start beside them: a few tries, a second or so apart.
 */
async function startPatiently(start: () => Promise<ChildProcess>, onTrouble: (message: string) => void): Promise<ChildProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt === START_ATTEMPTS || !(error instanceof ServerExited)) throw error;
      onTrouble(`${error.message}\ntrying again`);
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

class ServerExited extends Error {}

/**
 * initdb into a scratch folder renamed into place when complete: a run killed half-way through
 * leaves no half-made cluster that later starts would take for a real one.
 */
async function createCluster(passage: Passage, dataDir: string, clusterDir: string, user?: ServerUser) {
  const scratch = `${clusterDir}.initdb`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { mode: 0o700 });
  if (user) handOver([scratch], user);
  const args = ['-D', passage.pathOf(scratch), '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--locale=C'];
  await new Promise<void>((done, fail) => {
    const [command, ...fullArgs] = passage.wrap(asServerUser(passage.binaries.initdb, args, user, false), scratch);
    execFile(command!, fullArgs, { env: serverEnv(), timeout: 120_000 }, (error, stdout, stderr) =>
      error ? fail(new Error(`initdb failed: ${error.message}\n${stdout}${stderr}${accessHint(user)}`)) : done(),
    );
  });
  renameSync(scratch, clusterDir);
  // The rename itself must survive a power cut, or the next start would initdb over the data.
  syncFolder(dataDir);
}

function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function accessHint(user?: ServerUser): string {
  return user
    ? `\n(payrelay runs as root, so the database runs as the "${SERVER_USER}" user: it must reach DATA_DIR and node_modules, through every parent folder or, where one is private, through a mount namespace of its own, which needs the CAP_SYS_ADMIN capability)`
    : '';
}

/** The socket inside the cluster folder, or a private temporary folder when that path is too long. */
function socketFolder(clusterDir: string, user?: ServerUser): string {
  if (`${clusterDir}/.s.PGSQL.${PORT}`.length <= SOCKET_PATH_MAX) return clusterDir;
  const folder = mkdtempSync(join(tmpdir(), 'payrelay-db-'));
  if (user) chownSync(folder, user.uid, user.gid);
  return folder;
}

function launch(passage: Passage, dataDir: string, clusterDir: string, socketDir: string, user?: ServerUser): ChildProcess {
  const settings = [
    'listen_addresses=',
    'fsync=on',
    'synchronous_commit=on',
    'full_page_writes=on',
    // macOS's fsync() leaves data in the drive's cache; only F_FULLFSYNC reaches the platter.
    `wal_sync_method=${process.platform === 'darwin' ? 'fsync_writethrough' : 'fdatasync'}`,
    'log_checkpoints=off',
    // A new WAL segment is not zero-filled first (16 MB written and flushed while every commit
    // waits: decision 011). Each commit is still flushed (fdatasync) before its answer; only the
    // pre-allocation is skipped.
    'wal_init_zero=off',
    // Backends write the pages they evict into the page cache; without this the kernel holds
    // them until the checkpoint's fsync, which then stalls every commit's WAL flush behind it.
    // Asked to write back every 256 kB, the kernel has little left for that fsync (decision 016).
    'backend_flush_after=256kB',
  ];
  const socketPath = socketDir === clusterDir ? passage.pathOf(clusterDir) : socketDir;
  const args = ['-D', passage.pathOf(clusterDir), '-k', socketPath, '-p', String(PORT), ...settings.flatMap((s) => ['-c', s])];
  const logFile = join(dataDir, 'postgres.log');
  rotateLog(logFile);
  // The log names users, databases and failed statements' values: nobody else's to read.
  const log = openSync(logFile, 'a', 0o600);
  chmodSync(logFile, 0o600);
  try {
    const [command, ...fullArgs] = passage.wrap(asServerUser(passage.binaries.postgres, args, user, true), clusterDir);
    // A session of its own: a Ctrl-C or a signal to payrelay's process group must not stop the
    // database under requests still being answered; payrelay stops it last, itself.
    return spawn(command!, fullArgs, { env: serverEnv(), stdio: ['ignore', log, log], detached: true });
  } finally {
    closeSync(log);
  }
}

/**
 * The command that runs `binary` as the server user. On Linux through setpriv, which also asks
 * the kernel to send the server SIGINT (fast shutdown) when payrelay dies, even by SIGKILL: no
 * server outlives its payrelay. Elsewhere a leftover server is stopped by the next start.
 */
export function asServerUser(binary: string, args: string[], user: ServerUser | undefined, bindToParent: boolean): string[] {
  if (!existsSync(SETPRIV)) {
    if (user) throw new Error(`running as root needs ${SETPRIV} (util-linux) to start the database as "${SERVER_USER}"`);
    return [binary, ...args];
  }
  const options = [
    ...(bindToParent ? ['--pdeathsig', 'INT'] : []),
    ...(user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'] : []),
  ];
  return [SETPRIV, ...options, binary, ...args];
}

/** Only what the server needs: payrelay's environment holds secrets. */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' };
}

function rotateLog(logFile: string): void {
  if (!existsSync(logFile) || statSync(logFile).size <= LOG_ROTATE_BYTES) return;
  renameSync(logFile, `${logFile}.1`);
  chmodSync(`${logFile}.1`, 0o600);
}

/** Waits for postmaster.pid to say "ready" (after crash recovery, if the last run ended in one). */
async function untilReady(child: ChildProcess, clusterDir: string, dataDir: string): Promise<void> {
  const exited = new Promise<never>((_, fail) =>
    child.once('exit', (code, signal) => {
      const log = readFileSync(join(dataDir, 'postgres.log'), 'utf8').slice(-2000);
      fail(new ServerExited(`the embedded database server exited (${code ?? signal}) while starting:\n${log}`));
    }),
  );
  exited.catch(() => undefined);
  while (serverStatus(clusterDir, child) !== 'ready') {
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 25))]);
  }
}

/**
 * The cluster is the server user's alone (PostgreSQL itself refuses one that others may enter).
 * A copy or a restore can widen it (Node 24's cpSync, `cp -r` under a loose umask): narrowed
 * back, never widened.
 */
function keepPrivate(clusterDir: string): void {
  const mode = statSync(clusterDir).mode & 0o777;
  if (mode & 0o077) chmodSync(clusterDir, mode & 0o700);
}
