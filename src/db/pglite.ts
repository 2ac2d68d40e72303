import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { qualify, type Db, type Queryable, type Row } from './port.js';

const keepAsText = (value: string) => value;

export async function openPglite(dataDir: string, schema: string): Promise<Db> {
  if (!dataDir.includes('://')) mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir, { parsers: { [types.INT8]: keepAsText } });
  const wrap = (target: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T extends Row>(sql: string, params: unknown[] = []) {
      return (await target.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    schema,
    table: (name) => qualify(schema, name),
    ...wrap(pg),
    transaction: (work) => pg.transaction((tx) => work(wrap(tx))),
    close: () => pg.close(),
  };
}
