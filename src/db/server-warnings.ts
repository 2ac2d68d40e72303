import type { Db } from './port.js';

/**
 * What a PostgreSQL server's own settings put at risk, for the start-up summary. Each delivery
 * updates its payment's row, and the old version stays in the pending-payments index until
 * vacuum removes it: with autovacuum off, every claim reads past all of them, and deliveries
 * slow down as they pile up (measured: docs/database.md, "On a PostgreSQL server of your own").
 */
export async function serverWarnings(db: Db): Promise<string[]> {
  if (db.kind !== 'postgres') return [];
  const [row] = await db.query<{ autovacuum: string }>(`SELECT current_setting('autovacuum') AS autovacuum`);
  if (row?.autovacuum !== 'off') return [];
  return [
    'autovacuum is off on the database server: delivered payments leave old row versions in the pending-payments index, and deliveries slow down as they pile up (turn autovacuum on, or VACUUM the *_transaction tables regularly)',
  ];
}
