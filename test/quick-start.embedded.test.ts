/**
 * Issue 30: the README's quick start, word for word, on a fresh copy of the project inside a
 * private folder (0700, as root's home and a `mktemp -d` are): `npm ci`, the `.env`, `npm start`
 * on its own PostgreSQL, `payrelay receive`, then the simulated pays. The payment must reach the
 * stand-in backend once and show in the admin. The commands run are the README's own blocks, so
 * the README cannot drift from the product.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/receiver.js';

const ROOT = new URL('../', import.meta.url).pathname;
const GATEWAY = 'http://127.0.0.1:8080';

/** The shell blocks of the README's "Quick start" section, in order. */
function quickStartBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = /^## Quick start\n([\s\S]*?)^## /m.exec(readme)?.[1];
  if (!section) throw new Error('the README has no "## Quick start" section');
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** The project as a clone has it: the files git tracks, as they are in the working tree. */
function copyProject(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(to, file));
  }
}

/** What a newcomer's shell has: no database, port or test setting of the suite's. */
function newcomerEnv(): NodeJS.ProcessEnv {
  const kept = ['PATH', 'HOME', 'LANG', 'NODE_EXTRA_CA_CERTS', 'NPM_CONFIG_REGISTRY', 'npm_config_registry', 'npm_config_cache'];
  return Object.fromEntries(kept.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

const started: ChildProcess[] = [];
let folder: string;

afterAll(async () => {
  for (const child of started.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((resolve) => child.once('close', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    await gone;
  }
  if (folder) rmSync(folder, { recursive: true, force: true });
}, 60_000);

/** waitFor, its failure saying what the terminal printed by then (a port taken, npm's error). */
async function until(condition: () => boolean, what: string, output: () => string, timeoutMs?: number): Promise<void> {
  await waitFor(condition, what, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}\n--- the terminal:\n${output().slice(-3000)}`);
  });
}

/** A block run by bash in its own process group, as a terminal of its own; output collected. */
function terminal(block: string, cwd: string) {
  const child = spawn('bash', ['-e', '-c', block], {
    cwd,
    env: newcomerEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { output: () => output, exited };
}

describe('the README’s quick start', () => {
  it('followed word for word in a private folder: the gateway starts, a simulated pay reaches the stand-in backend once, the admin shows it', async () => {
    const [gatewayBlock, backendBlock, networkBlock, ...rest] = quickStartBlocks();
    expect(rest, 'three terminals').toEqual([]);
    const [cloneLine, ...setup] = gatewayBlock!.split('\n');
    expect(cloneLine, 'the first line clones into ./payrelay').toMatch(/^git clone \S+ && cd payrelay$/);

    folder = mkdtempSync(join(tmpdir(), 'payrelay-newcomer-'));
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const project = join(folder, 'payrelay');
    copyProject(project);

    const gateway = terminal(setup.join('\n'), project);
    await until(
      () => gateway.output().includes('payrelay listening on'),
      'the gateway (npm ci, .env, npm start)',
      gateway.output,
      240_000,
    );
    const backend = terminal(backendBlock!, project);
    await until(() => backend.output().includes('listens on'), 'payrelay receive', backend.output, 30_000);

    const network = terminal(networkBlock!, project);
    expect(await network.exited, network.output()).toBe(0);
    expect(network.output()).toMatch(/result 0/);
    await until(() => /webhook qiwi_1 .*signature valid.*credited/.test(backend.output()), 'the webhook', backend.output);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const webhooks = backend.output().match(/^webhook /gm) ?? [];
    expect(webhooks, `one webhook for the pay and its repeat: ${backend.output()}`).toHaveLength(1);
    expect(backend.output()).toContain('"account": "123456", "code": "1001", "sum": 500.0');

    const token = /^ADMIN_TOKEN=(\S+)$/m.exec(readFileSync(join(project, '.env'), 'utf8'))![1];
    const listed = await fetch(`${GATEWAY}/admin/api/transactions?provider=qiwi`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const items = ((await listed.json()) as { items: { code: string; status: number }[] }).items;
    expect(items.map(({ code, status }) => ({ code, status }))).toEqual([{ code: '1001', status: 1 }]);
    expect((await fetch(`${GATEWAY}/admin`)).status, 'the sign-in page').toBe(200);

    expect(statSync(folder).mode & 0o777, 'no folder of the user’s opened').toBe(0o700);
    expect(statSync(join(project, 'data', 'postgres')).isDirectory(), 'the data in ./data').toBe(true);
  }, 360_000);
});
