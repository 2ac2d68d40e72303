/**
 * Issue 9: the embedded server works whoever runs payrelay. PostgreSQL refuses root: as root
 * (CI) the server runs as `payrelay-db`, a system user of its own (issue 29, finding 14); as an unprivileged user (the image) it
 * runs as that user. When the suite runs as root, the unprivileged case is played by `nobody`.
 * Issue 30: as root in a private folder, without opening it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Env } from '../src/config/env.js';
import { canReach } from '../src/db/embedded/passage.js';
import { pay } from './helpers/payments.js';
import { GATEWAY_ARGS, startGatewayProcess } from './helpers/process.js';
import { waitFor } from './helpers/receiver.js';

const ROOT = new URL('../', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

function dataDir(owner?: number): string {
  const folder = mkdtempSync(join(tmpdir(), 'payrelay-users-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  if (owner !== undefined) chownSync(folder, owner, owner);
  return folder;
}

/** The uid the embedded server of `folder` runs as, from the kernel's own record. */
function serverUid(folder: string): number {
  const pid = Number(readFileSync(join(folder, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/**
 * The built gateway where `uid` can reach it: this checkout, or, when it sits in a private folder
 * (CI clones into a mktemp -d), a copy of what `npm start` runs, its files hard-linked.
 */
function installedFor(uid: number): string {
  if (canReach({ uid, gid: uid }, ROOT, process.execPath)) return ROOT;
  const copy = mkdtempSync(join(tmpdir(), 'payrelay-installed-'));
  onTestFinished(() => rmSync(copy, { recursive: true, force: true }));
  chmodSync(copy, 0o755);
  execFileSync('cp', ['-al', ...['package.json', 'dist', 'node_modules'].map((name) => join(ROOT, name)), copy]);
  return copy;
}

/** The gateway as `npm start` runs it, as another user; resolves with its URL and a stop that returns the exit code. */
async function startAs(uid: number, env: Env) {
  const child = spawn(process.execPath, GATEWAY_ARGS, {
    cwd: installedFor(uid),
    uid,
    gid: uid,
    env: { PATH: process.env.PATH, HOME: '/tmp', HOST: '127.0.0.1', PORT: '0', ALLOW_UNAUTHENTICATED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  onTestFinished(() => void (child.exitCode === null && child.kill('SIGKILL')));
  const url = (await waitFor(
    () => /payrelay listening on (http:\/\/[\d.:]+)/.exec(output)?.[1],
    `payrelay started as uid ${uid}: ${output}`,
    30_000,
  ))!;
  return { url, stop, output: () => output };
}

describe('who runs the embedded server', () => {
  it('never root: as root the server runs as an account of payrelay’s own, otherwise as payrelay’s own user', async () => {
    const folder = dataDir();
    const gateway = await startGatewayProcess({ DATA_DIR: folder, EMBEDDED_ENGINE: 'postgres' });
    // Not the host's postgres account: a system PostgreSQL's superuser must not reach these files.
    const expected = asRoot ? Number(execFileSync('id', ['-u', 'payrelay-db'], { encoding: 'utf8' })) : process.getuid!();
    if (asRoot) expect(expected).not.toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })));
    expect(serverUid(folder)).toBe(expected);
    expect(statSync(join(folder, 'postgres')).uid, 'the cluster belongs to the server’s user').toBe(expected);
    expect(statSync(join(folder, 'postgres')).mode & 0o777).toBe(0o700);
    expect(statSync(join(folder, 'postgres.log')).mode & 0o777, 'its log is nobody else’s to read').toBe(0o600);
    expect((await pay(gateway.url, '5300000001')).answer?.result).toBe(0);
    expect(await gateway.kill('SIGTERM')).toBe(0);
  }, 60_000);

  it.runIf(asRoot)(
    'as root in a private folder (root’s home, a mktemp -d): the server reaches it without any folder opened, and nothing is mounted outside it',
    async () => {
      const home = dataDir();
      expect(statSync(home).mode & 0o777).toBe(0o700);
      const folder = join(home, 'data');
      const gateway = await startGatewayProcess({ DATA_DIR: folder, EMBEDDED_ENGINE: 'postgres' });
      expect((await pay(gateway.url, '5300000003')).answer?.result).toBe(0);
      expect(serverUid(folder)).toBe(Number(execFileSync('id', ['-u', 'payrelay-db'], { encoding: 'utf8' })));
      expect(statSync(home).mode & 0o777, 'the private folder stays private').toBe(0o700);
      expect(readFileSync('/proc/self/mountinfo', 'utf8'), 'the binds live in the server’s own namespace').not.toContain(
        '/run/payrelay-db/',
      );
      expect(await gateway.kill('SIGTERM')).toBe(0);
      const mountPoints = join(
        '/run/payrelay-db',
        createHash('sha256').update(join(folder, 'postgres')).digest('hex').slice(0, 16),
      );
      expect(existsSync(mountPoints), 'its mount points removed once it stopped').toBe(false);
    },
    60_000,
  );

  it.runIf(asRoot)(
    'as an unprivileged user (nobody): both run as that user, and a restart keeps the pays',
    async () => {
      const folder = dataDir(NOBODY);
      const env = { DATA_DIR: folder, EMBEDDED_ENGINE: 'postgres' };
      const first = await startAs(NOBODY, env);
      const answer = await pay(first.url, '5300000002');
      expect(answer.answer?.result).toBe(0);
      expect(serverUid(folder)).toBe(NOBODY);
      expect(await first.stop()).toBe(0);

      const second = await startAs(NOBODY, env);
      expect((await pay(second.url, '5300000002')).answer?.prvTxn).toBe(answer.answer?.prvTxn);
      expect(await second.stop()).toBe(0);
    },
    60_000,
  );
});
