/**
 * An HTTP/1.1 load generator on loopback: kept-alive sockets, requests written as prepared
 * bytes, answers read by their Content-Length, latencies in Node's own HDR histogram. It runs in
 * the bench's process on the same cores as what it measures, so it is kept lean on purpose: a
 * general client (undici) spent three times the CPU per request that pgbench's C client spends
 * per transaction beside it, a third of a pay's budget (decision 011). Two modes:
 *   closed   `connections` requests in flight at all times, as fast as the server answers: the
 *            maximum rate;
 *   open     requests started on a fixed schedule (`rate` per second) whatever the answers do,
 *            latency counted from each request's scheduled start, so a slow answer that holds
 *            up the next ones is not hidden (no coordinated omission).
 * Both stop at a duration and at a request count, whichever comes first. Requests are built
 * before the clock starts, as pgbench reads its script first: signing a CloudPayments body is
 * the provider's work, not the gateway's, and must not take the shared CPU from it.
 */
import { connect, type Socket } from 'node:net';
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** One request's wire bytes. */
export function requestBytes(host: string, { path, method = 'GET', headers = {}, body }: BenchRequest): Buffer {
  const payload = body === undefined ? undefined : Buffer.from(body);
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (payload) head += `content-length: ${payload.length}\r\n`;
  const bytes = Buffer.from(`${head}\r\n`, 'latin1');
  return payload ? Buffer.concat([bytes, payload]) : bytes;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Reads answers off one socket: status and body of each, in order (Content-Length or chunked). */
class AnswerReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly onAnswer: (status: number, body: string) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const headEnd = this.buffered.indexOf(HEAD_END);
      if (headEnd < 0) return;
      const head = this.buffered.toString('latin1', 0, headEnd);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const body = length ? this.sized(headEnd + 4, Number(length[1])) : this.chunked(headEnd + 4);
      if (body === undefined) return;
      this.onAnswer(Number(head.slice(9, 12)), body);
    }
  }

  /** The body of `size` bytes at `start`, once all here; the answer is then taken off the buffer. */
  private sized(start: number, size: number): string | undefined {
    if (this.buffered.length < start + size) return undefined;
    const body = this.buffered.toString('utf8', start, start + size);
    this.buffered = this.buffered.subarray(start + size);
    return body;
  }

  /** A chunked body from `start`, once its last chunk is here. */
  private chunked(start: number): string | undefined {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = this.buffered.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(this.buffered.toString('latin1', at, lineEnd), 16);
      if (Number.isNaN(size)) throw new Error('load: a malformed chunked answer');
      const end = lineEnd + 2 + size + 2;
      if (this.buffered.length < end) return undefined;
      if (size === 0) {
        this.buffered = this.buffered.subarray(end);
        return Buffer.concat(parts).toString('utf8');
      }
      parts.push(this.buffered.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = end;
    }
  }
}

interface Pending {
  startedAt: number;
  resolve(ok: boolean): void;
}

/** One kept-alive connection: requests go out as they come, answers resolve them in order. */
class Connection {
  readonly socket: Socket;
  private readonly waiting: Pending[] = [];

  constructor(port: number, host: string, succeeded: LoadOptions['succeeded']) {
    this.socket = connect({ port, host, noDelay: true });
    const reader = new AnswerReader((status, body) => this.waiting.shift()?.resolve(succeeded(status, body)));
    this.socket.on('data', (chunk: Buffer) => reader.push(chunk));
    const fail = () => {
      for (const pending of this.waiting.splice(0)) pending.resolve(false);
    };
    this.socket.on('error', fail);
    this.socket.on('close', fail);
  }

  get busy(): boolean {
    return this.waiting.length > 0;
  }

  send(bytes: Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(false);
      this.waiting.push({ startedAt: performance.now(), resolve });
      this.socket.write(bytes);
    });
  }
}

/**
 * How many requests to build before the clock starts (later ones are built as they go): enough
 * for 20,000 a second over the run, at most 300,000 (a CloudPayments pay is 1 KB).
 */
function preparedCount(options: LoadOptions, ratePerSecond = 20_000): number {
  const seconds = ((options.warmUpMs ?? 0) + options.durationMs) / 1000;
  const wanted = Math.min(300_000, Math.ceil(seconds * ratePerSecond) + options.connections);
  return Math.min(wanted, options.maxRequests ?? wanted);
}

/** The n-th request's bytes: built in advance up to a count, then as asked. */
class Requests {
  private readonly ready: Buffer[];

  constructor(
    private readonly host: string,
    private readonly options: LoadOptions,
    count: number,
  ) {
    this.ready = Array.from({ length: count }, (_, n) => this.build(n));
  }

  get(n: number): Buffer {
    const bytes = this.ready[n];
    if (bytes === undefined) return this.build(n);
    this.ready[n] = EMPTY;
    return bytes;
  }

  private build(n: number): Buffer {
    return requestBytes(this.host, this.options.request(n));
  }
}

const EMPTY = Buffer.alloc(0);

interface Run {
  connections: Connection[];
  requests: Requests;
  histogram: ReturnType<typeof createHistogram>;
  counted: number;
  failed: number;
  next: number;
  countFrom: number;
  endAt: number;
}

function startRun(options: LoadOptions, ratePerSecond?: number): Run {
  const url = new URL(options.origin);
  const port = Number(url.port || 80);
  const requests = new Requests(url.host, options, preparedCount(options, ratePerSecond));
  const now = performance.now();
  return {
    connections: Array.from({ length: options.connections }, () => new Connection(port, url.hostname, options.succeeded)),
    requests,
    histogram: createHistogram(),
    counted: 0,
    failed: 0,
    next: 0,
    countFrom: now + (options.warmUpMs ?? 0),
    endAt: now + (options.warmUpMs ?? 0) + options.durationMs,
  };
}

/** One request on `connection`, its latency measured from `startedAt` (its schedule, in open mode). */
async function send(run: Run, connection: Connection, n: number, startedAt: number): Promise<void> {
  const ok = await connection.send(run.requests.get(n));
  if (startedAt < run.countFrom || startedAt > run.endAt) return;
  if (!ok) run.failed++;
  run.counted++;
  run.histogram.record(Math.max(1, Math.round((performance.now() - startedAt) * 1000)));
}

function finish(run: Run, options: LoadOptions): LoadResult {
  for (const connection of run.connections) connection.socket.destroy();
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
  const worker = async (connection: Connection) => {
    while (withinBounds(run, options)) await send(run, connection, run.next++, performance.now());
  };
  await Promise.all(run.connections.map(worker));
  return finish(run, options);
}

/**
 * `rate` requests per second on a fixed schedule, over at most `connections` connections: a
 * request due while every connection is busy waits for the first one free, and that wait counts
 * in its latency.
 */
export async function openLoop(options: LoadOptions & { rate: number }): Promise<LoadResult> {
  const run = startRun(options, options.rate * 1.05);
  const startedAt = performance.now();
  const due: number[] = [];
  const idle = [...run.connections];
  const inFlight = new Set<Promise<void>>();
  const dispatch = () => {
    while (due.length && idle.length) {
      const connection = idle.pop()!;
      const request = send(run, connection, run.next++, due.shift()!).then(() => {
        idle.push(connection);
        inFlight.delete(request);
        dispatch();
      });
      inFlight.add(request);
    }
  };
  let scheduled = 0;
  while (withinBounds(run, options)) {
    const now = Math.floor(((performance.now() - startedAt) * options.rate) / 1000);
    for (; scheduled < now; scheduled++) due.push(startedAt + (scheduled * 1000) / options.rate);
    dispatch();
    await sleep(1);
  }
  // What was due before the end still goes, late, and counts as late as it is.
  while (due.length > 0 || inFlight.size > 0) await sleep(1);
  return finish(run, options);
}
