/**
 * The shared intake as a client sees it over real sockets: a provider of the test's own gets it
 * whole from one registration, slow clients are cut off, a stranger's upload is never taken in.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { qiwi } from '../src/providers/qiwi/index.js';
import type { Protocol } from '../src/providers/types.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { startReceiver } from './helpers/receiver.js';

/** A whole provider in a few lines: JSON in, JSON out. Only what differs. */
const echo: Protocol = {
  name: 'echo',
  title: 'Echo (a provider of the test)',
  variables: [],
  readSettings: (_env, shared) => shared,
  requestTypes: ['pay'],
  endpoints: {
    '/pay': async (message, { recordPayment }) => {
      const { id, account, sum } = JSON.parse(message.body.toString('utf8')) as Record<string, string>;
      const outcome = await recordPayment({ account: account!, code: id!, sum: sum! });
      return { contentType: 'application/json', body: JSON.stringify({ ok: true, id: outcome.id }) };
    },
  },
  charset: () => 'utf-8',
  refuse: (refusal) => ({ contentType: 'application/json', body: JSON.stringify({ refused: refusal }) }),
  acceptsWebhookStatus: (status) => status === 200,
};

const AUTH = { HTTP_AUTH_USERNAME: 'net', HTTP_AUTH_PASSWORD: 'secret' };
const authorization = `Basic ${Buffer.from('net:secret').toString('base64')}`;

describe('a provider is one folder and one line', () => {
  it('gets the whole intake, its own tables and delivery from its registration', async () => {
    const backend = await startReceiver();
    onTestFinished(() => backend.close());
    const gateway = await startTestGateway({ ...AUTH, ECHO_WEBHOOK_URL: `${backend.url}/hook` }, undefined, [qiwi, echo]);
    onTestFinished(() => gateway.close());
    const pay = (method: 'POST' | 'PUT', url: string, headers: Record<string, string> = { authorization }) =>
      gateway.app.inject({
        method,
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: '{"id":"e1","account":"42","sum":"7.50"}',
      });

    const answer = await pay('POST', '/_echo_/pay');
    expect(answer.statusCode).toBe(200);
    const [row] = await gateway.db.query<{ id: string; account: string; sum: string }>(
      `SELECT id, account, sum::text AS sum FROM ${gateway.db.table('echo_transaction')}`,
    );
    expect(row).toMatchObject({ account: '42', sum: '7.50' });
    expect(answer.json()).toEqual({ ok: true, id: row!.id });
    await vi.waitFor(() => expect(backend.received).toHaveLength(1), { timeout: 10_000 });
    expect(JSON.parse(backend.received[0]!.body)).toMatchObject({ id: row!.id, account: '42', code: 'e1', sum: 7.5 });

    // A new provider has no root paths: it can never take another's.
    expect((await pay('POST', '/pay')).statusCode).toBe(404);
    const wrongMethod = await pay('PUT', '/_echo_/pay');
    expect([wrongMethod.statusCode, wrongMethod.headers.allow, wrongMethod.json()]).toEqual([
      405,
      'GET, POST',
      { refused: 'method' },
    ]);
    const stranger = await pay('POST', '/_echo_/pay', {});
    expect([stranger.statusCode, stranger.json()]).toEqual([401, { refused: 'unauthorized' }]);
    const log = await gateway.db.query(`SELECT method, url FROM ${gateway.db.table('echo_http_log')} ORDER BY id`);
    expect(log).toEqual([
      { method: 'POST', url: '/_echo_/pay' },
      { method: 'PUT', url: '/_echo_/pay' },
      { method: 'POST', url: '/_echo_/pay' },
    ]);
  }, 90_000); // a gateway of its own is started inside the test

  it('refuses to start when two instances claim one root path', async () => {
    const squatter: Protocol = {
      ...echo,
      name: 'squatter',
      rootPaths: ['/payment'],
      endpoints: { '/payment': echo.endpoints['/pay']! },
    };
    await expect(startTestGateway({}, undefined, [qiwi, squatter])).rejects.toThrow(/\/payment is another instance's endpoint/);
  }, 90_000);
});

/** A raw connection to a listening gateway; resolves `closed` when the server hangs up. */
function open(port: number, from?: string) {
  const socket: Socket = connect({ port, host: '127.0.0.1', localAddress: from });
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  onTestFinished(() => {
    socket.destroy();
  });
  return { socket, closed, received: () => received };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), ms))]);

describe('slow and idle clients are cut off', () => {
  let gateway: TestGateway;
  let port: number;
  beforeAll(async () => {
    gateway = await startTestGateway({
      HTTP_REQUEST_TIMEOUT_MS: '1500',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    });
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    port = (gateway.app.server.address() as { port: number }).port;
  });
  afterAll(() => gateway.close());

  it('a client that sends headers and part of a body, then nothing', async () => {
    const client = open(port);
    client.socket.write(
      'POST /payment HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncommand=pay&txn',
    );
    expect(await within(client.closed, 10_000)).toBeUndefined();
    expect(await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('qiwi_transaction')}`)).toEqual([]);
  });

  it('a client that never finishes its headers', async () => {
    const client = open(port);
    client.socket.write('GET /payment?command=check&txn_id=1&account=1 HTTP/1.1\r\nHost: x\r\n');
    expect(await within(client.closed, 10_000)).toBeUndefined();
  });

  it('an idle kept-alive connection after its answer', async () => {
    const client = open(port);
    client.socket.write('GET /payment?command=check&txn_id=1&account=1 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await within(client.closed, 10_000)).toBeUndefined();
    expect(client.received()).toMatch(/^HTTP\/1\.1 200[\s\S]*<result>0<\/result>/);
  });
});

describe('connections beyond HTTP_MAX_CONNECTIONS', () => {
  it('are closed at once while the others are served', async () => {
    const gateway = await startTestGateway({ HTTP_MAX_CONNECTIONS: '2', HTTP_MAX_CONNECTIONS_PER_ADDRESS: '2' });
    onTestFinished(() => gateway.close());
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = gateway.app.server.address() as { port: number };
    const held = [open(port), open(port)];
    await Promise.all(held.map(({ socket }) => new Promise((resolve) => socket.once('connect', resolve))));
    await vi.waitFor(
      () =>
        new Promise<void>((resolve, reject) =>
          gateway.app.server.getConnections((_e, n) => (n === 2 ? resolve() : reject(new Error(`${n}`)))),
        ),
    );
    const extra = open(port);
    expect(await within(extra.closed, 5000)).toBeUndefined();
    held[0]!.socket.write('GET /payment?command=check&txn_id=1&account=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await held[0]!.closed;
    expect(held[0]!.received()).toMatch(/^HTTP\/1\.1 200/);
  }, 90_000);
});

describe('each address’s share of the connections (HTTP_MAX_CONNECTIONS_PER_ADDRESS)', () => {
  it('closes one address’s connections beyond its share while another address is served', async () => {
    const gateway = await startTestGateway({ HTTP_MAX_CONNECTIONS: '8', HTTP_MAX_CONNECTIONS_PER_ADDRESS: '3' });
    onTestFinished(() => gateway.close());
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = gateway.app.server.address() as { port: number };
    // Six slow sockets from one address used to hold every slot of a small server.
    const held = [open(port), open(port), open(port)];
    await Promise.all(held.map(({ socket }) => new Promise((resolve) => socket.once('connect', resolve))));
    await vi.waitFor(
      () =>
        new Promise<void>((resolve, reject) =>
          gateway.app.server.getConnections((_e, n) => (n === 3 ? resolve() : reject(new Error(`${n}`)))),
        ),
    );
    const fourth = open(port);
    expect(await within(fourth.closed, 5000)).toBeUndefined();
    // Another caller still gets in and is answered.
    const other = open(port, '127.0.0.2');
    other.socket.write('GET /payment?command=check&txn_id=1&account=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await within(other.closed, 10_000);
    expect(other.received()).toMatch(/^HTTP\/1\.1 200[\s\S]*<result>0<\/result>/);
    // A slot given back is the address's again.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    await vi.waitFor(async () => {
      const again = open(port);
      again.socket.write('GET /payment?command=check&txn_id=1&account=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await within(again.closed, 5000);
      expect(again.received()).toMatch(/^HTTP\/1\.1 200/);
    });
  }, 90_000);
});

describe('a stranger cannot fill the disk', () => {
  let gateway: TestGateway;
  let port: number;
  beforeAll(async () => {
    gateway = await startTestGateway(AUTH);
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    port = (gateway.app.server.address() as { port: number }).port;
  });
  afterAll(() => gateway.close());

  const logRows = () =>
    gateway.db.query<{ body: string | null; body_length: number | null }>(
      `SELECT body, body_length FROM ${gateway.db.table('qiwi_http_log')} ORDER BY id DESC LIMIT 1`,
    );

  it.each([
    ['a 1 MB body', 1_000_000],
    ['a body over the limit, which could not even be read', 3_000_000],
  ])('%s without credentials gets 401 before it is read; the log keeps only its declared length', async (_name, size) => {
    const client = open(port);
    client.socket.write(
      `POST /payment HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${size}\r\n\r\n`,
    );
    client.socket.write(Buffer.alloc(64 * 1024, 'a'));
    await within(client.closed, 10_000);
    expect(client.received()).toMatch(/^HTTP\/1\.1 401/);
    expect(client.received()).toMatch(/connection: close/i);
    expect(client.received()).toContain('<result>300</result>');
    expect(await logRows()).toEqual([{ body: null, body_length: size }]);
  });
});
