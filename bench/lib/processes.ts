/**
 * The processes a pay bench measures: the real gateway (`node dist/main.js`) and a bare Fastify
 * handler as the HTTP ceiling. Their logs go to /dev/null: at thousands of requests a second,
 * collecting them here would cost the bench's own CPU and memory (a soak would hold gigabytes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Env } from '../../src/config/env.js';
import { NODE_FLAGS } from '../../src/node-flags.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface BenchProcess {
  url: string;
  pid: number;
  /** Resident memory now, and its peak so far (VmRSS, VmHWM), in MB. */
  rssMb(): number;
  peakRssMb(): number;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | string>;
}

export interface GatewayOptions {
  /** The checkout whose dist/ runs (another commit's, for an A/B comparison). */
  root?: string;
  /** The Node.js binary: this process's own unless given (the image runs Node 24). */
  node?: string;
  /** node's flags: payrelay's own (src/node-flags.ts) unless given. */
  flags?: string[];
}

/** The gateway as an operator runs it, listening on a free loopback port. */
export function startGateway(
  env: Env,
  { root = ROOT, node = process.execPath, flags = NODE_FLAGS }: GatewayOptions = {},
): Promise<BenchProcess> {
  // On loopback, the benches' clients send no credentials unless a kind of pay says otherwise.
  const open = { ALLOW_UNAUTHENTICATED: 'true' };
  return startListening(node, [...flags, 'dist/main.js'], { ...open, ...env }, /payrelay listening on (http:\/\/[\d.:]+)/, root);
}

/** A Fastify app with one route answering what a QIWI pay gets, logging as payrelay does; no database. */
export function startBareFastify(): Promise<BenchProcess> {
  return startListening(
    process.execPath,
    ['--import', 'tsx', 'bench/lib/bare-fastify.ts'],
    {},
    /listening on (http:\/\/[\d.:]+)/,
  );
}

function startListening(command: string, args: string[], env: Env, listening: RegExp, cwd = ROOT): Promise<BenchProcess> {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${stderr}`)), 60_000);
    void exited.then(() => reject(new Error(`${args.join(' ')} exited before listening:\n${stderr}`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      // Only the start-up lines matter; later output is dropped, not kept.
      if (stderr.length < 20_000) stderr += chunk.toString();
      const match = listening.exec(stderr);
      if (!match) return;
      clearTimeout(timer);
      resolve(benchProcess(child, match[1]!, exited));
    });
  });
}

function benchProcess(child: ChildProcess, url: string, exited: Promise<number | string>): BenchProcess {
  const status = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
  };
  return {
    url,
    pid: child.pid!,
    rssMb: () => status('VmRSS'),
    peakRssMb: () => status('VmHWM'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
