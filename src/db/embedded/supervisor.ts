import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg, { type ClientConfig } from 'pg';

/** How long a running server may stay short of ready before it is restarted (doubling each time). */
const STUCK_AFTER_MS = 20_000;
const READINESS_CHECK_MS = 2000;
/** PostgreSQL's cannot_connect_now: starting up, in recovery, shutting down. */
const CANNOT_CONNECT_NOW = '57P03';

/**
 * Starts the server again when it dies under a running payrelay (the OOM killer, a crash): on a
 * server that would be the operator's job; here payrelay owns it. Until it is back, pays get
 * their temporary-error answer and the pool reconnects to the same socket afterwards.
 */
export class Supervisor {
  private stopping = false;
  /** How long the server may stay short of ready before it counts as stuck; doubles each time. */
  private patienceMs = STUCK_AFTER_MS;

  constructor(
    private child: ChildProcess,
    private readonly start: () => Promise<ChildProcess>,
    private readonly onTrouble: (message: string) => void,
    private readonly clusterDir: string,
    private readonly connection: ClientConfig,
  ) {
    this.watch(child);
  }

  private watch(child: ChildProcess): void {
    const stuck = this.watchReadiness(child);
    child.once('exit', (code, signal) => {
      clearInterval(stuck);
      if (!this.stopping) void this.restart(`${code ?? signal}`);
    });
  }

  /**
   * A postmaster whose crash recovery itself crashed (a full disk: PostgreSQL 18's startup
   * process PANICs again) may stay up refusing every connection as "not yet accepting", even
   * once space is freed, and never exit: the exit above never comes. Its postmaster.pid may
   * still say "ready" (a restart after a crash does not rewrite it), so a connection is asked
   * too. Short of ready for longer than its patience, it is stopped at once, so that it starts
   * again (and recovers) by itself. The patience doubles each time, so a recovery that is merely
   * long is not cut forever.
   */
  private watchReadiness(child: ChildProcess): NodeJS.Timeout {
    let shortSince: number | undefined;
    let checking = false;
    const gone = () => this.stopping || child.exitCode !== null || child.signalCode !== null;
    const check = async () => {
      if (await this.isReady(child)) {
        shortSince = undefined;
        return;
      }
      shortSince ??= Date.now();
      if (gone() || Date.now() - shortSince < this.patienceMs) return;
      this.onTrouble(
        `the embedded database server has not been ready for ${Math.round(this.patienceMs / 1000)} s: stopping it to start it again`,
      );
      this.patienceMs *= 2;
      shortSince = undefined;
      child.kill('SIGQUIT');
      setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 10_000).unref();
    };
    const timer = setInterval(() => {
      if (checking || gone()) return;
      checking = true;
      void check().finally(() => (checking = false));
    }, READINESS_CHECK_MS);
    timer.unref();
    return timer;
  }

  private async isReady(child: ChildProcess): Promise<boolean> {
    return serverStatus(this.clusterDir, child) === 'ready' && (await acceptsConnections(this.connection));
  }

  private async restart(reason: string): Promise<void> {
    this.onTrouble(`the embedded database server exited (${reason}): starting it again`);
    for (let attempt = 1; !this.stopping; attempt++) {
      // Its backends may take a moment to notice and let go of the shared memory.
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 250 * 2 ** attempt)));
      try {
        const child = await this.start();
        this.child = child;
        this.watch(child);
        if (this.stopping) await stopChild(child);
        return;
      } catch (error) {
        this.onTrouble(`the embedded database server did not start again: ${(error as Error).message}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await stopChild(this.child);
  }
}

/**
 * Whether the server lets a client in. Only a refusal that says it cannot take connections now
 * (or no socket to connect to) counts as no: a server with every connection slot taken is busy,
 * not stuck.
 */
async function acceptsConnections(connection: ClientConfig): Promise<boolean> {
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: READINESS_CHECK_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return !(code === CANNOT_CONNECT_NOW || code === 'ENOENT' || code === 'ECONNREFUSED');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What postmaster.pid says of this child's server: `ready`, `starting`, `stopping`, or undefined. */
export function serverStatus(clusterDir: string, child: ChildProcess): string | undefined {
  const pidFile = join(clusterDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(pidFile, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  return Number(lines[0]) === child.pid ? lines[7]?.trim() : undefined;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const escalate = setTimeout(() => child.kill('SIGQUIT'), 60_000);
  await gone;
  clearTimeout(escalate);
}
