/**
 * Issue 9: which embedded engine a start picks, as an operator sees it: the durable server by
 * default, PGlite only in memory, when asked for, or for a folder PGlite already holds (said so
 * in the start-up summary), and a clear refusal of a value that makes no sense. Also the settings
 * the embedded server runs with, read back from the server itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readDatabaseConfig } from '../src/config/database.js';
import { ConfigError, EnvReader } from '../src/config/env.js';
import { startEmbeddedServer } from '../src/db/embedded/server.js';
import { pay } from './helpers/payments.js';
import { spawnGateway, startGatewayProcess } from './helpers/process.js';

const configOf = (env: Record<string, string>) => readDatabaseConfig(new EnvReader(env));

describe('the embedded engine a start picks', () => {
  it('is the PostgreSQL server in ./data by default; PGlite in memory or when asked for', () => {
    expect(configOf({})).toMatchObject({ kind: 'embedded', dataDir: './data' });
    expect(configOf({ DATA_DIR: '/srv/payrelay' })).toMatchObject({ kind: 'embedded', dataDir: '/srv/payrelay' });
    expect(configOf({ DATA_DIR: 'memory://' })).toMatchObject({ kind: 'pglite', reason: 'in memory' });
    expect(configOf({ EMBEDDED_ENGINE: 'PGlite' })).toMatchObject({ kind: 'pglite', reason: 'asked for' });
    expect(configOf({ EMBEDDED_ENGINE: 'postgres', DATABASE_URL: 'postgres://u@db:5432/x' })).toMatchObject({ kind: 'postgres' });
  });

  it('refuses an unknown engine, and the server in memory, naming the variable', () => {
    expect(() => configOf({ EMBEDDED_ENGINE: 'sqlite' })).toThrow(
      new ConfigError('EMBEDDED_ENGINE', 'must be postgres or pglite, got "sqlite"'),
    );
    expect(() => configOf({ EMBEDDED_ENGINE: 'postgres', DATA_DIR: 'memory://' })).toThrow(/^DATA_DIR must be a folder/);
  });

  it('stops a process with one line for a bad EMBEDDED_ENGINE', async () => {
    const run = spawnGateway({ EMBEDDED_ENGINE: 'sqlite', DATA_DIR: 'memory://' });
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe('payrelay: configuration error: EMBEDDED_ENGINE must be postgres or pglite, got "sqlite"');
  });

  it('keeps opening a folder PGlite already holds with PGlite, and says it is not durable', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'payrelay-pglite-'));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    const before = await startGatewayProcess({ DATA_DIR: folder, EMBEDDED_ENGINE: 'pglite' });
    const answer = await pay(before.url, '5400000001');
    expect(await before.kill('SIGTERM')).toBe(0);

    const after = await startGatewayProcess({ DATA_DIR: folder });
    expect(after.output()).toContain(
      `database: embedded PostgreSQL (PGlite) in ${folder} (existing PGlite data; NOT flushed to disk`,
    );
    expect((await pay(after.url, '5400000001')).answer?.prvTxn).toBe(answer.answer?.prvTxn);
    expect(await after.kill('SIGTERM')).toBe(0);
  }, 60_000);
});

describe('the embedded server', () => {
  it('runs flushed to disk, and writes evicted pages back as it goes rather than all at a checkpoint', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'payrelay-settings-'));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    const server = await startEmbeddedServer(folder);
    onTestFinished(() => server.stop());
    const client = new pg.Client(server.connection);
    await client.connect();
    onTestFinished(() => client.end());
    const names = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'backend_flush_after'];
    const { rows } = await client.query<{ name: string; setting: string; source: string }>(
      'SELECT name, current_setting(name) AS setting, source FROM pg_settings WHERE name = ANY($1) ORDER BY name',
      [names],
    );
    expect(rows).toEqual([
      { name: 'backend_flush_after', setting: '256kB', source: 'command line' },
      { name: 'fsync', setting: 'on', source: 'command line' },
      { name: 'full_page_writes', setting: 'on', source: 'command line' },
      { name: 'synchronous_commit', setting: 'on', source: 'command line' },
      { name: 'wal_sync_method', setting: 'fdatasync', source: 'command line' },
    ]);
  }, 60_000);
});
