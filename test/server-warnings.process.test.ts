/**
 * The start-up summary names a server setting that slows deliveries down: autovacuum off. The
 * server is a throwaway of the test's own (the suite's shared one is not ours to reconfigure),
 * so this runs once, in the pass on a PostgreSQL server.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { onServer } from './helpers/engine.js';
import { startGatewayProcess } from './helpers/process.js';
import { startThrowawayPostgres } from './helpers/throwaway-postgres.js';

const WARNING = /^WARNING: autovacuum is off on the database server: .*deliveries slow down/m;

/** The summary the gateway prints once it listens, and then it stops. */
async function startupOutput(url: string): Promise<string> {
  const gateway = await startGatewayProcess({ DATABASE_URL: url });
  await gateway.kill();
  return gateway.output();
}

describe.runIf(onServer)('the start-up summary on a PostgreSQL server', () => {
  it('warns when autovacuum is off, and not once it is on', async () => {
    const server = await startThrowawayPostgres(['autovacuum = off']);
    onTestFinished(() => server.remove());
    expect(await startupOutput(server.url)).toMatch(WARNING);

    const psql = (sql: string) => execFileSync('psql', [server.url, '-Atc', sql], { encoding: 'utf8' });
    psql('ALTER SYSTEM SET autovacuum = on');
    psql('SELECT pg_reload_conf()');
    // The reload is a signal the server takes in its own time: a new session sees it once done.
    await vi.waitFor(() => expect(psql('SHOW autovacuum').trim()).toBe('on'), { timeout: 10_000, interval: 50 });
    const output = await startupOutput(server.url);
    expect(output).toContain('payrelay listening on');
    expect(output).not.toMatch(/autovacuum/);
  });
});
