/** The dashboard's overview: per provider, what came in, what went out, what waits. */
import type { Db } from '../db/index.js';

export interface ProviderStats {
  provider: string;
  received: number;
  delivered: number;
  pending: number;
  /** Age of the oldest payment not delivered yet, in seconds; null when none waits. */
  oldest_pending_seconds: number | null;
}

export async function providerStats(db: Db, providers: string[]): Promise<ProviderStats[]> {
  const stats: ProviderStats[] = [];
  for (const provider of providers) {
    const [row] = await db.query(
      `SELECT count(*)::int AS received, (count(*) FILTER (WHERE status = 1))::int AS delivered,
         (count(*) FILTER (WHERE status = 0))::int AS pending,
         extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 0))::float8 AS oldest
       FROM ${db.table(`${provider}_transaction`)}`,
    );
    stats.push({
      provider,
      received: Number(row?.received ?? 0),
      delivered: Number(row?.delivered ?? 0),
      pending: Number(row?.pending ?? 0),
      oldest_pending_seconds: row?.oldest === null || row?.oldest === undefined ? null : Math.floor(Number(row.oldest)),
    });
  }
  return stats;
}
