/**
 * What nobody here reads is never read: a body sent to a path with no route, or a JSON body to
 * the dashboard's sign-in, is answered at once, before it arrives (a deeply nested 800 KB JSON
 * stalled the event loop for up to half a second each while it was parsed for nothing).
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { startTestGateway } from './helpers/gateway.js';
import { waitFor } from './helpers/receiver.js';

/** Sends the headers of a 1 MB JSON upload and its first bytes, never the rest; returns what came back so far. */
async function startUpload(port: number, path: string): Promise<() => string> {
  const socket = connect(port, '127.0.0.1');
  onTestFinished(() => void socket.destroy());
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  await new Promise((resolve) => socket.once('connect', resolve));
  const headers = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', 'Content-Length: 1000000'];
  socket.write(`${headers.join('\r\n')}\r\n\r\n${'['.repeat(1000)}`);
  return () => answer;
}

async function listeningGateway(env: Record<string, string> = {}): Promise<number> {
  const gateway = await startTestGateway(env);
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  return (gateway.app.server.address() as AddressInfo).port;
}

it('answers a path with no route at once, without waiting for its body, and closes the connection', async () => {
  const answer = await startUpload(await listeningGateway(), '/no/such/path');
  await waitFor(() => answer().includes('\r\n\r\n'), 'the answer, before the body', 5000);
  expect(answer()).toMatch(/^HTTP\/1\.1 404 /);
  expect(answer().toLowerCase()).toContain('connection: close');
});

it('refuses a JSON body at the dashboard’s sign-in at once: it takes a form of a few KB', async () => {
  const answer = await startUpload(await listeningGateway({ ADMIN_TOKEN: 'an-admin-token-of-some-length' }), '/admin/login');
  await waitFor(() => answer().includes('\r\n\r\n'), 'the answer, before the body', 5000);
  expect(answer()).toMatch(/^HTTP\/1\.1 415 /);
});
