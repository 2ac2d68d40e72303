import { vi } from 'vitest';
import { closeWithTest } from './cleanup.js';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How the receiver answers one request: a status, or do nothing until the client gives up. */
export type Responder = (
  request: Received,
  index: number,
) => { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/**
 * A stand-in for the merchant's backend on loopback: records every request and answers as the
 * test says (200 by default). Closed when the test ends (closeWithTest).
 */
export async function startReceiver(respond: Responder = () => ({ status: 200, body: 'ok' })) {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let responder = respond;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(entry);
      const answer = responder(entry, received.length - 1);
      if (answer === 'hang') {
        hanging.add(response);
        // The client gave up (its timeout) or the test closed it: no longer in flight.
        response.on('close', () => hanging.delete(response));
        return;
      }
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    respondWith(next: Responder) {
      responder = next;
    },
    /** Requests answered 'hang' whose connection is still open: what the client has in flight. */
    hangingNow: () => hanging.size,
    close: closeWithTest(async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** vitest's own vi.waitFor for a truthy value, with `what` in the failure. 20 s: PGlite on a loaded two-core machine, three files at once. */
export function waitFor<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await condition();
      if (!value) throw new Error(`timed out waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: 20 },
  );
}
