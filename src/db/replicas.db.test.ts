/** PG_SLAVES: parsed strictly, and read-only work really goes to the replicas, or to the primary when they are out of reach. */
import { describe, expect, it, onTestFinished } from 'vitest';
import { freshDatabase, onServer } from '../../test/helpers/engine.js';
import { type DatabaseConfig, readDatabaseConfig } from '../config/database.js';
import { ConfigError, EnvReader, type Env } from '../config/env.js';
import { openDb, prepareDatabase } from './index.js';
import { openReadDb } from './replicas.js';

const server: Env = { PG_HOST: 'db.internal', PG_PORT: '6432', PG_USER: 'payrelay', PG_PASSWORD: 's3cret', PG_DATABASE: 'pay' };

function replicasOf(env: Env) {
  const config = readDatabaseConfig(new EnvReader(env));
  return config.kind === 'postgres' ? config.replicas : undefined;
}

describe('PG_SLAVES', () => {
  it('takes host, host:port and [ipv6]:port, with the primary’s credentials and port by default', () => {
    const replicas = replicasOf({ ...server, PG_SLAVES: 'replica-1.internal, 10.0.0.7:5433 ,[fd00::7]:5434,' });
    expect(replicas?.map(({ host, port, user, password, database }) => ({ host, port, user, password, database }))).toEqual([
      { host: 'replica-1.internal', port: 6432, user: 'payrelay', password: 's3cret', database: 'pay' },
      { host: '10.0.0.7', port: 5433, user: 'payrelay', password: 's3cret', database: 'pay' },
      { host: 'fd00::7', port: 5434, user: 'payrelay', password: 's3cret', database: 'pay' },
    ]);
  });

  it.each(['replica one', 'replica:0', 'replica:70000', 'postgres://replica/db', 'replica:5432:1', '-bad-.host'])(
    'refuses "%s", naming the variable',
    (entry) => {
      expect(() => replicasOf({ ...server, PG_SLAVES: entry })).toThrow(ConfigError);
      expect(() => replicasOf({ ...server, PG_SLAVES: entry })).toThrow(/^PG_SLAVES has ".+", which is not host or host:port$/);
    },
  );

  it('needs a server: the embedded database has no replicas', () => {
    expect(() => replicasOf({ PG_SLAVES: 'replica' })).toThrow(/^PG_SLAVES needs a PostgreSQL server/);
  });

  it('is optional', () => {
    expect(replicasOf(server)).toEqual([]);
  });
});

describe('the read side', () => {
  async function primaryWith(extra: Env) {
    const database = await freshDatabase();
    const config = readDatabaseConfig(new EnvReader({ ...database.env, ...extra }));
    // Creates the database and the schema, as start-up does.
    if (config.kind === 'postgres') await prepareDatabase(config, []);
    const primary = await openDb(config);
    onTestFinished(() => primary.close());
    if (config.kind === 'pglite') await prepareDatabase(config, [], primary);
    await primary.exec(`CREATE TABLE ${primary.table('listing')} (id bigint PRIMARY KEY, note text)`);
    await primary.query(`INSERT INTO ${primary.table('listing')} VALUES (1, 'written on the primary')`);
    return { config, primary };
  }

  function reader(config: DatabaseConfig, primary: Awaited<ReturnType<typeof openDb>>) {
    const unreachable: Error[] = [];
    const reads = openReadDb(config, primary, (error) => unreachable.push(error));
    onTestFinished(() => reads.close());
    return { reads, unreachable };
  }

  it('without replicas reads the primary, and closing it leaves the primary open', async () => {
    const { config, primary } = await primaryWith({});
    const { reads } = reader(config, primary);
    expect(await reads.query(`SELECT note FROM ${reads.table('listing')}`)).toEqual([{ note: 'written on the primary' }]);
    await reads.close();
    expect(await primary.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it.runIf(onServer)('reads through a replica whose sessions refuse writes', async () => {
    // The server stands in for its own replica: what reaches it through the read side is read-only.
    const { config, primary } = await primaryWith({ PG_SLAVES: '127.0.0.1' });
    const { reads } = reader(config, primary);
    const [session] = await reads.query<{ name: string; readOnly: string }>(
      "SELECT current_setting('application_name') AS name, current_setting('default_transaction_read_only') AS \"readOnly\"",
    );
    expect(session).toEqual({ name: 'payrelay-read', readOnly: 'on' });
    expect(await reads.query(`SELECT note FROM ${reads.table('listing')}`)).toEqual([{ note: 'written on the primary' }]);
    await expect(reads.query(`DELETE FROM ${reads.table('listing')}`)).rejects.toMatchObject({ code: '25006' });
    expect(await primary.query(`SELECT count(*)::int AS n FROM ${primary.table('listing')}`)).toEqual([{ n: 1 }]);
  });

  it.runIf(onServer)('skips a replica it cannot reach, and falls back to the primary when none answers', async () => {
    const { config, primary } = await primaryWith({ PG_SLAVES: '127.0.0.1:1' });
    const { reads, unreachable } = reader(config, primary);
    expect(await reads.query(`SELECT note FROM ${reads.table('listing')}`)).toEqual([{ note: 'written on the primary' }]);
    expect(unreachable.length).toBe(1);
    await expect(reads.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
  });
});
