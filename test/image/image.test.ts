/**
 * The container image as its users run it: built by scripts/image/test.sh (npm run test:image),
 * started here on the host's network, spoken to over loopback like any client would.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { startReceiver, type Receiver, waitFor } from '../helpers/receiver.js';
import { docker, listeningAddress, logs, removeContainer, startContainer } from './docker.js';

const image = process.env.PAYRELAY_IMAGE ?? '';
const unique = () => `payrelay-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/** On the PostgreSQL server when the suite runs there (a schema of its own), else the image's PGlite. */
function databaseEnv(): Record<string, string> {
  const url = process.env.DATABASE_URL;
  return url ? { DATABASE_URL: url, PG_SCHEMA: `img_${randomBytes(4).toString('hex')}` } : {};
}

async function dropSchema(env: Record<string, string>): Promise<void> {
  if (!env.DATABASE_URL) return;
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${env.PG_SCHEMA}" CASCADE`);
  await client.end();
}

async function started(options: Parameters<typeof startContainer>[2]) {
  const name = unique();
  onTestFinished(() => removeContainer(name));
  await startContainer(image, name, options);
  return name;
}

beforeAll(async () => {
  if (!image) throw new Error('PAYRELAY_IMAGE is not set: run `npm run test:image`, which builds the image first');
  const bytes = Number(await docker('image', 'inspect', '--format', '{{.Size}}', image));
  console.log(`image ${image}: ${(bytes / 1e6).toFixed(0)} MB`);
});

const CREDENTIALS = { HTTP_AUTH_USERNAME: 'terminal', HTTP_AUTH_PASSWORD: 'image-test-password-1' };
const BASIC = `Basic ${Buffer.from('terminal:image-test-password-1').toString('base64')}`;

describe('a container with the default settings', () => {
  const name = unique();
  let receiver: Receiver;
  let address = '';
  const database = databaseEnv();

  beforeAll(async () => {
    receiver = await startReceiver();
    await startContainer(image, name, {
      // Loopback only: the host network is shared, nothing else on it should see this container.
      // Credentials, as a deployment must have: an instance whose callers prove nothing refuses them.
      env: { HOST: '127.0.0.1', QIWI_WEBHOOK_URL: `${receiver.url}/qiwi`, ...CREDENTIALS, ...database },
      extra: ['--health-interval', '2s', '--health-start-period', '120s'],
    });
    address = await listeningAddress(name);
  });
  afterAll(async () => {
    await removeContainer(name);
    await receiver?.close();
    await dropSchema(database);
  });

  it('listens on port 80, as the replaced images did', () => {
    expect(address).toBe('http://127.0.0.1:80');
  });

  it('runs node as PID 1 under a user that is not root', async () => {
    const status = await docker('exec', name, 'cat', '/proc/1/status');
    const [real, effective] = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status)!.slice(1);
    expect(real).not.toBe('0');
    expect(effective).not.toBe('0');
    const command = await docker('exec', name, 'sh', '-c', "tr '\\0' ' ' < /proc/1/cmdline");
    expect(command).toBe(`node ${NODE_FLAGS.join(' ')} /app/dist/main.js serve`);
  });

  it('answers /healthz, and docker reports the container healthy', async () => {
    const response = await fetch(`${address}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    await waitFor(
      async () => (await docker('inspect', '--format', '{{.State.Health.Status}}', name)) === 'healthy',
      'the HEALTHCHECK to pass',
      60_000,
    );
  });

  it('delivers a QIWI pay as a webhook to a receiver on the host', async () => {
    const query = new URLSearchParams({ command: 'pay', txn_id: '7001', account: 'acc-42', sum: '150.25' });
    const anonymous = await fetch(`${address}/payment?${query}`);
    expect(anonymous.status).toBe(401);
    const answer = await (await fetch(`${address}/payment?${query}`, { headers: { authorization: BASIC } })).text();
    expect(answer).toMatch(/<result>0<\/result>/);
    const delivery = await waitFor(() => receiver.received.find((r) => r.url === '/qiwi'), 'the webhook', 30_000);
    expect(JSON.parse(delivery!.body)).toMatchObject({ account: 'acc-42', code: '7001', sum: 150.25 });
  });

  it('stops on docker stop: finishes, exits 0, before docker would resort to SIGKILL', async () => {
    const began = Date.now();
    await docker('stop', '--time', '30', name);
    const seconds = (Date.now() - began) / 1000;
    console.log(`docker stop took ${seconds.toFixed(1)} s`);
    expect(await docker('inspect', '--format', '{{.State.ExitCode}}', name)).toBe('0');
    expect(await logs(name)).toMatch(/"msg":"stopped"/);
  });
});

describe('what is inside', () => {
  it('runs on Node.js 24, the version CI tests it on', async () => {
    const version = await docker('run', '--rm', '--network', 'host', '--entrypoint', 'node', image, '--version');
    expect(version).toMatch(/^v24\./);
  });

  it('holds the production dependencies and no development package', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const listing = await docker(
      'run',
      '--rm',
      '--network',
      'host',
      '--entrypoint',
      'node',
      image,
      '-e',
      "const fs = require('fs'); console.log(JSON.stringify(fs.readdirSync('node_modules').flatMap((n) => n.startsWith('@') ? fs.readdirSync('node_modules/' + n).map((m) => n + '/' + m) : [n])))",
    );
    const installed: string[] = JSON.parse(listing);
    for (const name of Object.keys(manifest.dependencies)) expect(installed).toContain(name);
    // A development package, unless a production one needs it too (yaml, for @fastify/swagger):
    // the lockfile marks what only development needs.
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'));
    const devOnly = (name: string) => lock.packages[`node_modules/${name}`]?.dev === true;
    for (const name of [...Object.keys(manifest.devDependencies), 'vitest', 'typescript', 'tsx', 'vite'].filter(devOnly)) {
      expect(installed).not.toContain(name);
    }
    expect(['vitest', 'typescript', 'tsx', '@biomejs/biome', 'playwright-core'].every(devOnly)).toBe(true);
  });
});

describe('/opt/setup.sh, the replaced images’ hook', () => {
  let folder = '';
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'payrelay-setup-'));
    chmodSync(folder, 0o755);
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  function script(name: string, body: string): string {
    const path = join(folder, name);
    writeFileSync(path, `#!/bin/bash\nset -euo pipefail\n${body}\n`, { mode: 0o644 });
    return path;
  }

  it('runs with bash before the gateway starts', async () => {
    const setup = script(
      'ok.sh',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own expansions, not JavaScript's
      'arr=(one two); echo "setup ran in bash ${BASH_VERSION%%.*} as uid $(id -u) with ${#arr[@]} items"',
    );
    const name = await started({ env: { HOST: '127.0.0.1', PORT: '0' }, mounts: { [setup]: '/opt/setup.sh' } });
    await listeningAddress(name);
    const output = await logs(name);
    expect(output).toMatch(/setup ran in bash 5 as uid 1000 with 2 items/);
    expect(output.indexOf('setup ran')).toBeLessThan(output.indexOf('payrelay listening'));
  });

  it('stops the container with its message when it fails', async () => {
    const setup = script('fails.sh', 'echo "licence file /etc/payrelay/licence is missing" >&2\nexit 3');
    const name = await started({ env: { HOST: '127.0.0.1', PORT: '0' }, mounts: { [setup]: '/opt/setup.sh' } });
    await waitFor(async () => (await docker('inspect', '--format', '{{.State.Status}}', name)) === 'exited', 'the exit', 60_000);
    expect(await docker('inspect', '--format', '{{.State.ExitCode}}', name)).toBe('3');
    const output = await logs(name);
    expect(output).toMatch(/licence file \/etc\/payrelay\/licence is missing/);
    expect(output).toMatch(/\/opt\/setup\.sh failed \(exit status 3\); not starting/);
    expect(output).not.toMatch(/payrelay listening/);
  });
});

describe('the Kubernetes security context of deploy/kubernetes', () => {
  it('runs with every capability dropped but NET_BIND_SERVICE and no privilege escalation, on a high port', async () => {
    const name = await started({
      env: { HOST: '127.0.0.1', PORT: '0' },
      extra: [
        '--cap-drop',
        'ALL',
        '--cap-add',
        'NET_BIND_SERVICE',
        '--security-opt',
        'no-new-privileges',
        '--read-only',
        '--tmpfs',
        '/tmp',
      ],
    });
    const address = await listeningAddress(name);
    expect((await fetch(`${address}/healthz`)).status).toBe(200);
  });
});
