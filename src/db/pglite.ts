import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { qualify, type Db, type Queryable, type Row } from './port.js';

const keepAsText = (value: string) => value;

export async function openPglite(dataDir: string, schema: string): Promise<Db> {
  if (!dataDir.includes('://')) keepPrivate(dataDir);
  const pg = await PGlite.create(dataDir, { parsers: { [types.INT8]: keepAsText } });
  // PGlite runs one statement at a time: the metrics show the one running and those queued behind it.
  let underWay = 0;
  const counted = async <T>(work: () => Promise<T>): Promise<T> => {
    underWay++;
    try {
      return await work();
    } finally {
      underWay--;
    }
  };
  const wrap = (target: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T extends Row>(sql: string, params: unknown[] = []) {
      return counted(async () => (await target.query<T>(sql, params)).rows);
    },
    async exec(sql: string) {
      await counted(() => target.exec(sql));
    },
  });
  let closing: Promise<void> | undefined;
  return {
    kind: 'pglite',
    schema,
    table: (name) => qualify(schema, name),
    ...wrap(pg),
    transaction: (work) => pg.transaction((tx) => work(wrap(tx))),
    // Twice is harmless, as on the server's pool.
    close: () => (closing ??= pg.close()),
    poolStats: () => ({ max: 1, total: 1, idle: underWay === 0 ? 1 : 0, waiting: Math.max(0, underWay - 1) }),
  };
}

/**
 * The folder is this process's alone: PGlite writes its files as the umask says (readable by
 * all, often), and they hold every payment. Narrowed, never widened.
 */
function keepPrivate(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const mode = statSync(dataDir).mode & 0o777;
  if (mode & 0o077) chmodSync(dataDir, mode & 0o700);
}
