import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../../src/config/env.js';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { closeWithTest } from './cleanup.js';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

const ROOT = new URL('../../', import.meta.url).pathname;

/** node's arguments for the gateway, as `npm start` gives them; a command's own follow. */
export const GATEWAY_ARGS = [...NODE_FLAGS, 'dist/main.js'];

export interface GatewayOptions {
  /** `npm start` itself, instead of node with the flags `npm start` gives it. */
  npmStart?: boolean;
  cwd?: string;
  /** The Node.js binary: this process's own unless given (the image runs Node.js 24). */
  node?: string;
}

/** The groups whose tests may start processes, all on the run's build (vitest.config.ts). */
const GROUPS_WITH_PROCESSES = ['process', 'embedded', 'browser'];

/**
 * The real gateway as a child process, as `npm start` runs it, or `npm start` itself when asked.
 * `kill` signals its whole process group while it runs; it gets SIGTERM when the test ends.
 */
export function spawnGateway(env: Env, options: GatewayOptions & { args?: string[] } = {}) {
  const group = process.env.PAYRELAY_TEST_GROUP;
  if (group && !GROUPS_WITH_PROCESSES.includes(group)) {
    throw new Error(`a test of the ${group} group started a process: name its file *.process.test.ts`);
  }
  const [command, args] = options.npmStart
    ? ['npm', ['start', '--silent']]
    : [options.node ?? process.execPath, [...GATEWAY_ARGS, ...(options.args ?? [])]];
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    // As startTestGateway: instances without credentials take requests unless a test says otherwise.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', ALLOW_UNAUTHENTICATED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A group of its own: `npm start` runs node under a shell that does not pass signals on,
    // so signals go to the whole group, as a terminal's Ctrl-C or a supervisor's stop would.
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': the output is complete only once the pipes are drained.
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
    return exited;
  };
  closeWithTest(kill);
  return { child, output: () => output, exited, kill };
}

/** Starts the gateway and waits until it listens; stopped when the test ends, as spawnGateway's. */
export async function startGatewayProcess(env: Env, options: GatewayOptions = {}): Promise<GatewayProcess> {
  const { child, output, exited, kill } = spawnGateway(env, options);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output()}`)), 60_000);
    const look = () => {
      const match = /payrelay listening on (http:\/\/[\d.:]+)/.exec(output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stderr!.on('data', look);
    void exited.then(() => reject(new Error(`gateway exited before listening:\n${output()}`)));
  });
  return {
    url,
    child,
    output,
    exited,
    kill,
  };
}

/**
 * The project's sources in a folder of their own (node_modules linked), for `npm start`, whose
 * build would otherwise rewrite the dist/ that other test files are running at that moment.
 */
export function projectCopy(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'payrelay-copy-'));
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'src']) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
