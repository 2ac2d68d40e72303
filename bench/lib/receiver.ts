/**
 * The merchant's backend for the bench: node:http on loopback, answering at once. It keeps
 * only what the figures need (first arrival per payment code, counts), not every request, so
 * that its own cost stays small next to the gateway's.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMode = 'up' | 'down';

export interface Receiver {
  url: string;
  mode: ReceiverMode;
  /** performance.now() of each code's first accepted webhook. */
  delivered: Map<string, number>;
  /** Webhooks answered 503 (the backend was down). */
  refused: number;
  /** Accepted webhooks for a code already accepted before. */
  duplicates: number;
  /** TCP connections the gateway opened: few means its keep-alive works. */
  connections: number;
  /** Resolves once `condition` holds, checked after every request; fails after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      if (receiver.mode === 'down') {
        receiver.refused++;
        // An hour: the gateway must not take it literally beyond its probe bound.
        response.writeHead(503, { 'retry-after': '3600' }).end('down');
      } else {
        const code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code: string }).code;
        if (receiver.delivered.has(code)) receiver.duplicates++;
        else receiver.delivered.set(code, at);
        response.writeHead(200).end('ok');
      }
      for (const check of waiters) check();
    });
  });
  server.on('connection', () => receiver.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    mode: 'up',
    delivered: new Map(),
    refused: 0,
    duplicates: 0,
    connections: 0,
    until(condition, what, timeoutMs) {
      return new Promise((resolve, reject) => {
        const done = (error?: Error) => {
          waiters.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
        const check = () => condition() && done();
        const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return receiver;
}
