/**
 * One database server for the whole run, shared by every group that needs it: a template
 * database migrated once, cloned for each test gateway (graphile-worker's habit), instead of a
 * cluster or a migration per gateway. On the default engine the server is payrelay's own
 * embedded one, started once; with DATABASE_URL or PG_HOST, that server.
 */
import { engineName, prepareTestServer } from '../helpers/engine.js';

type Teardown = () => Promise<void>;
const run = globalThis as { payrelayDatabase?: Promise<Teardown>; payrelayDatabaseUsers?: number };

export default async function setup(): Promise<Teardown> {
  if (!run.payrelayDatabase) {
    const engine = { postgres: 'the PostgreSQL server', embedded: 'the embedded PostgreSQL server', pglite: 'PGlite' }[
      engineName
    ];
    console.log(`payrelay tests on ${engine}`);
    run.payrelayDatabase = prepareTestServer();
  }
  run.payrelayDatabaseUsers = (run.payrelayDatabaseUsers ?? 0) + 1;
  const teardown = await run.payrelayDatabase;
  return async () => {
    run.payrelayDatabaseUsers! -= 1;
    if (run.payrelayDatabaseUsers === 0) await teardown();
  };
}
