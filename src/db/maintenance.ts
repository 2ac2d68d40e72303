import type { FastifyBaseLogger } from 'fastify';
import type { Db } from './port.js';

const EVERY_MS = 10 * 60_000;

/**
 * PGlite runs no autovacuum: without it, every delivery's dead row versions pile up and the
 * planner never learns that the due-payments index pays off. A server does this by itself.
 */
export function maintainEmbedded(db: Db, tables: string[], log: FastifyBaseLogger, everyMs = EVERY_MS): () => void {
  if (db.kind !== 'pglite') return () => undefined;
  const timer = setInterval(() => {
    void (async () => {
      for (const table of tables) await db.exec(`VACUUM (ANALYZE) ${db.table(table)}`);
    })().catch((error: unknown) => log.warn({ err: error }, 'embedded database maintenance failed'));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
