/**
 * An HTTP load generator on loopback, on undici (already a dependency) and Node's own HDR
 * histogram. Two modes:
 *   closed   `connections` requests in flight at all times, as fast as the server answers: the
 *            maximum rate;
 *   open     requests started on a fixed schedule (`rate` per second) whatever the answers do,
 *            latency counted from each request's scheduled start, so a slow answer that holds
 *            up the next ones is not hidden (no coordinated omission).
 * Both stop at a duration and at a request count, whichever comes first.
 */
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export interface BenchRequest {
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  origin: string;
  connections: number;
  durationMs: number;
  /** Requests before this much time has passed are sent but not counted. */
  warmUpMs?: number;
  maxRequests?: number;
  /** The n-th request (n counts from 0 and never repeats within one run). */
  request(n: number): BenchRequest;
  /** Whether an answer is the success the scenario expects. */
  succeeded(status: number, body: string): boolean;
}

export interface LoadResult {
  /** Counted (after the warm-up) answers that succeeded, per second. */
  rate: number;
  counted: number;
  failed: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface Run {
  pool: Pool;
  histogram: ReturnType<typeof createHistogram>;
  counted: number;
  failed: number;
  next: number;
  countFrom: number;
  endAt: number;
}

function startRun(options: LoadOptions): Run {
  const now = performance.now();
  return {
    pool: new Pool(options.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 }),
    histogram: createHistogram(),
    counted: 0,
    failed: 0,
    next: 0,
    countFrom: now + (options.warmUpMs ?? 0),
    endAt: now + (options.warmUpMs ?? 0) + options.durationMs,
  };
}

/** One request, its latency measured from `startedAt` (its schedule, in open mode). */
async function send(run: Run, options: LoadOptions, n: number, startedAt: number): Promise<void> {
  const { path, method = 'GET', headers, body } = options.request(n);
  let ok = false;
  try {
    const response = await run.pool.request({ path, method, headers, body });
    ok = options.succeeded(response.statusCode, await response.body.text());
  } catch {
    ok = false;
  }
  if (startedAt < run.countFrom || startedAt > run.endAt) return;
  if (!ok) run.failed++;
  run.counted++;
  run.histogram.record(Math.max(1, Math.round((performance.now() - startedAt) * 1000)));
}

async function finish(run: Run, options: LoadOptions): Promise<LoadResult> {
  await run.pool.close();
  const seconds = options.durationMs / 1000;
  const ms = (microseconds: number) => Math.round(microseconds / 10) / 100;
  return {
    rate: Math.round((run.counted - run.failed) / seconds),
    counted: run.counted,
    failed: run.failed,
    seconds,
    p50Ms: ms(run.histogram.percentile(50)),
    p99Ms: ms(run.histogram.percentile(99)),
    maxMs: ms(run.histogram.max),
  };
}

const withinBounds = (run: Run, options: LoadOptions) =>
  performance.now() < run.endAt && run.next < (options.maxRequests ?? Number.POSITIVE_INFINITY);

/** As fast as the server answers, `connections` at a time. */
export async function closedLoop(options: LoadOptions): Promise<LoadResult> {
  const run = startRun(options);
  const worker = async () => {
    while (withinBounds(run, options)) await send(run, options, run.next++, performance.now());
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  return finish(run, options);
}

/** `rate` requests per second on a fixed schedule, over at most `connections` connections. */
export async function openLoop(options: LoadOptions & { rate: number }): Promise<LoadResult> {
  const run = startRun(options);
  const startedAt = performance.now();
  const pending = new Set<Promise<void>>();
  while (withinBounds(run, options)) {
    const due = Math.floor(((performance.now() - startedAt) * options.rate) / 1000);
    while (run.next < due) {
      const scheduledAt = startedAt + (run.next * 1000) / options.rate;
      const request = send(run, options, run.next++, scheduledAt);
      pending.add(request);
      void request.finally(() => pending.delete(request));
    }
    await sleep(1);
  }
  await Promise.all(pending);
  return finish(run, options);
}
