/** `payrelay receive`: a stand-in for the merchant's backend, to try payrelay end to end. */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { loadEnv } from '../config/index.js';
import { parseWebhookSecret, signatureHeaders } from '../delivery/signature.js';
import { parseCommandLine, UsageError } from './args.js';
import type { CliCommand } from './types.js';

const HELP = `usage: payrelay receive [--port 3000] [--host 127.0.0.1] [--missing A,B]

A stand-in for your backend while you try payrelay: it answers payrelay's account checks and
prints each webhook payrelay delivers, as your backend will receive it.

  GET  /…?account=A   the account check: 200 (the account exists), or 404 for the accounts
                      named in --missing
  POST /…             a webhook: printed with its webhook-id, and answered 200; a repeat of a
                      webhook-id already credited is answered 200 and not credited again

With WEBHOOK_SECRET (or any <NAME>_WEBHOOK_SECRET) set, in the environment or a .env file here
as the gateway reads them, each webhook's signature is checked as your backend must check it
(Standard Webhooks, at most 5 minutes old): a webhook that fails is answered 401, and payrelay
retries it.

Stop it with Ctrl-C.`;

const OPTIONS = { port: { type: 'string' }, host: { type: 'string' }, missing: { type: 'string' } } as const;
const MAX_BODY_BYTES = 1024 * 1024;
const TOLERANCE_SECONDS = 5 * 60;
const REMEMBERED_IDS = 100_000;

export const command: CliCommand = {
  name: 'receive',
  summary: 'a stand-in for your backend: answers account checks, prints the webhooks',
  help: HELP,
  async run(args) {
    const { values } = parseCommandLine(args, OPTIONS);
    const port = Number(values.port ?? '3000');
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port: "${values.port}" is not a port`);
    const backend = new StandInBackend(new Set(values.missing?.split(',') ?? []), webhookKeys());
    const server = createServer((request, response) => void backend.handle(request, response));
    await new Promise<void>((listening, failed) => {
      server.once('error', failed);
      server.listen(port, values.host ?? '127.0.0.1', listening);
    });
    const address = server.address() as { address: string; port: number };
    console.log(
      `payrelay receive: your stand-in backend listens on http://${address.address}:${address.port}/ ` +
        `(signatures: ${backend.signed ? 'checked' : 'not checked, no WEBHOOK_SECRET'})`,
    );
    await new Promise<void>((stopped) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => stopped()));
    });
    return 0;
  },
};

/** The keys of every `…WEBHOOK_SECRET` the environment sets: one of them signs each webhook. */
function webhookKeys(): Buffer[] {
  return Object.entries(loadEnv()).flatMap(([name, value]) => {
    const key = name.endsWith('WEBHOOK_SECRET') && value ? parseWebhookSecret(value.trim()) : undefined;
    return key ? [key] : [];
  });
}

class StandInBackend {
  private readonly credited = new Set<string>();

  constructor(
    private readonly missing: Set<string>,
    private readonly keys: Buffer[],
  ) {}

  get signed(): boolean {
    return this.keys.length > 0;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://backend');
    if (request.method === 'GET') return this.check(url, response);
    if (request.method !== 'POST') return answer(response, 405, { error: 'GET (a check) or POST (a webhook)' });
    const body = await readBody(request);
    if (body === undefined) return answer(response, 413, { error: 'body over 1 MiB' });
    this.webhook(request, body, response);
  }

  private check(url: URL, response: ServerResponse): void {
    const account = url.searchParams.get('account') ?? '';
    const exists = !this.missing.has(account);
    console.log(`check ${url.pathname}: account ${JSON.stringify(account)} ${exists ? 'exists: 200' : 'missing: 404'}`);
    answer(response, exists ? 200 : 404, {});
  }

  private webhook(request: IncomingMessage, body: string, response: ServerResponse): void {
    const id = header(request, 'webhook-id');
    const trouble = this.signed ? this.signatureTrouble(request, id, body) : undefined;
    if (trouble) {
      console.log(`webhook ${id || '(no webhook-id)'} refused, ${trouble}: 401 (payrelay will retry)\n  ${body}`);
      answer(response, 401, { error: trouble });
      return;
    }
    const repeat = this.credited.has(id);
    this.credited.add(id);
    // A stand-in remembers the latest ones only: whoever can reach it cannot grow it without bound.
    if (this.credited.size > REMEMBERED_IDS) this.credited.delete(this.credited.values().next().value!);
    const signature = this.signed ? 'signature valid' : 'not signed';
    const outcome = repeat ? 'a repeat: already credited, not again' : 'credited';
    console.log(`webhook ${id || '(no webhook-id)'} to ${request.url} (${signature}), ${outcome}: 200\n  ${body}`);
    answer(response, 200, { ok: true });
  }

  /** What is wrong with the webhook's signature, or undefined when one of the keys made it. */
  private signatureTrouble(request: IncomingMessage, id: string, body: string): string | undefined {
    const timestamp = header(request, 'webhook-timestamp');
    const age = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (!id || !/^\d+$/.test(timestamp)) return 'no webhook-id or webhook-timestamp';
    if (age > TOLERANCE_SECONDS) return 'its timestamp is more than 5 minutes away';
    const given = header(request, 'webhook-signature')
      .split(' ')
      .map((signature) => Buffer.from(signature));
    const valid = this.keys.some((key) => {
      const expected = Buffer.from(signatureHeaders(key, id, body, Number(timestamp) * 1000)['webhook-signature']!);
      return given.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected));
    });
    return valid ? undefined : 'its signature matches no WEBHOOK_SECRET';
  }
}

function header(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function answer(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
