/**
 * A fresh database for one pay-bench scenario on a named engine, so that one run can measure
 * the server, the embedded server (the default without one) and PGlite side by side: on the
 * server a schema of its own (dropped after), embedded a temporary DATA_DIR (removed after).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readDatabaseConfig } from '../../src/config/database.js';
import { EnvReader, type Env } from '../../src/config/env.js';
import { serverVariables } from '../../test/helpers/engine.js';
import { spawnGateway } from '../../test/helpers/process.js';

export type Engine = 'server' | 'embedded' | 'pglite';
export const ENGINES: Engine[] = ['server', 'embedded', 'pglite'];

export interface EngineDatabase {
  env: Env;
  /** `node dist/main.js migrate`, as an operator would run it (the gateway also migrates at start); `extra` adds variables (PROVIDERS). */
  migrate(extra?: Env): Promise<void>;
  drop(): Promise<void>;
}

/**
 * The session settings docs/database.md recommends for payrelay on a PostgreSQL server, given to the
 * gateway's and pgbench's sessions alike (PGOPTIONS, which both read) unless PGOPTIONS says
 * otherwise: backends write back the pages they evict as they go, so a checkpoint's fsync does
 * not hold every commit up (decision 016). `PGOPTIONS=` runs on the server's own settings.
 */
export const serverSessionOptions = () => process.env.PGOPTIONS ?? '-c backend_flush_after=256kB';

export async function engineDatabase(engine: Engine, adjust: (env: Env) => Env = (env) => env): Promise<EngineDatabase> {
  if (engine !== 'server') {
    const dataDir = mkdtempSync(join(tmpdir(), 'payrelay-bench-'));
    const env = { DATA_DIR: dataDir, EMBEDDED_ENGINE: engine === 'pglite' ? 'pglite' : 'postgres' };
    return {
      env,
      migrate: (extra = {}) => migrate({ ...env, ...extra }),
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const env = adjust({ PG_SCHEMA: schema, ...serverVariables(), PGOPTIONS: serverSessionOptions() });
  return {
    env,
    migrate: (extra = {}) => migrate({ ...env, ...extra }),
    async drop() {
      const config = readDatabaseConfig(new EnvReader(env));
      if (config.kind !== 'postgres') return;
      const client = new pg.Client(config.admin);
      await client.connect().catch(() => undefined);
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

async function migrate(env: Env): Promise<void> {
  const run = spawnGateway(env, { args: ['migrate'] });
  if ((await run.exited) !== 0) throw new Error(`migrate failed:\n${run.output()}`);
}
