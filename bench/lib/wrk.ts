/**
 * The closed loop's maximum rate measured with wrk, a load generator written in C, as pgbench
 * is: the JavaScript load generator (load.ts) spends several times what pgbench's own client
 * does of the same two cores on each request, CPU the gateway and its database then lack
 * (decision 013).
 * Requests are the ones load.ts would send, written to a file before the clock starts; every
 * answer is checked as load.ts checks it. Debian's wrk is installed with apt when missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadResult, requestBytes } from './load.js';
import { PAYS, type PayKind, paysFrom } from './pays.js';

const SCRIPT = new URL('./wrk.lua', import.meta.url).pathname;

export interface WrkRun {
  origin: string;
  kind: PayKind;
  connections: number;
  seconds: number;
  /** The number of the first request (ids already used by a warm-up come before it). */
  first: number;
  /** wrk's threads: one per core the clients have (bench/lib/cores.ts). */
  threads: number;
}

export function wrkClosedLoop({ origin, kind, connections, seconds, first, threads }: WrkRun): LoadResult {
  ensureWrk();
  const dir = mkdtempSync(join(tmpdir(), 'payrelay-wrk-'));
  try {
    const file = join(dir, 'requests');
    writeRequests(file, origin, kind, first, seconds * PAYS[kind]!.wrkRate + connections);
    const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '-s', SCRIPT, origin];
    const output = execFileSync('wrk', args, {
      encoding: 'utf8',
      env: {
        ...process.env,
        PAYRELAY_WRK_REQUESTS: file,
        PAYRELAY_WRK_SUCCESS: PAYS[kind]!.success,
        PAYRELAY_WRK_THREADS: String(threads),
      },
      maxBuffer: 1 << 20,
    });
    return readResult(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One request per line, its CR LF written as \x01 (a request of the bench holds neither \n nor \x01). */
function writeRequests(file: string, origin: string, kind: PayKind, first: number, count: number): void {
  const host = new URL(origin).host;
  const request = paysFrom(kind, first);
  const fd = openSync(file, 'w');
  try {
    for (let start = 0; start < count; start += 10_000) {
      const lines: string[] = [];
      for (let n = start; n < Math.min(count, start + 10_000); n++) {
        const text = requestBytes(host, request(n)).toString('latin1');
        if (/[\n\x01]/.test(text.replaceAll('\r\n', ''))) throw new Error('wrk: a request holds \\n or \\x01');
        lines.push(text.replaceAll('\r\n', '\x01'));
      }
      writeSync(fd, `${lines.join('\n')}\n`, null, 'latin1');
    }
  } finally {
    closeSync(fd);
  }
}

function readResult(output: string): LoadResult {
  const line = /^payrelay-wrk (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$/m.exec(output);
  if (!line) throw new Error(`cannot read wrk's output:\n${output}`);
  const [requests, durationUs, failed, exhausted, p50Us, p99Us, maxUs] = line.slice(1).map(Number) as number[];
  if (exhausted) throw new Error('wrk sent every request written for it: raise REQUESTS_PER_SECOND in bench/lib/wrk.ts');
  const seconds = durationUs! / 1e6;
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    rate: Math.round((requests! - failed!) / seconds),
    counted: requests!,
    failed: failed!,
    seconds,
    p50Ms: ms(p50Us!),
    p99Ms: ms(p99Us!),
    maxMs: ms(maxUs!),
  };
}

export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  console.error('wrk missing: installing Debian wrk with apt');
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-q', 'wrk'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
