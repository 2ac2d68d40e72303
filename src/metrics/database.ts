/**
 * Gauges read from the database at scrape time: the delivery backlog of each stream (a
 * instance's payments, its events) and the connection pool. One statement per
 * scrape, answered from the partial indexes on pending rows.
 */
import { Gauge, Registry } from 'prom-client';
import type { Db } from '../db/index.js';
import { pendingRows } from '../delivery/store.js';
import type { StreamOutbox } from '../delivery/streams.js';

export interface DatabaseGauges {
  registry: Registry;
  /** Reads the backlog and the pool into the gauges; never throws (a database down is a value too). */
  refresh(): Promise<void>;
}

/** Each stream's backlog is reported under its name: `pay24` for its payments, `pay24_event` for its events. */
export function databaseGauges(db: Db, streams: StreamOutbox[]): DatabaseGauges {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const up = gauge('payrelay_database_up', 'Whether the last scrape could read the database (1) or not (0)');
  const pending = gauge('payrelay_webhook_pending', 'Payments (or events) received and not yet delivered', ['provider']);
  const oldest = gauge(
    'payrelay_webhook_oldest_pending_seconds',
    'Age of the oldest payment (or event) not yet delivered (0 when none is pending)',
    ['provider'],
  );
  const incidents = gauge('payrelay_alert_incidents_open', 'Webhook URLs whose deliveries are late now (open alert incidents)');
  const pool = {
    size: gauge('payrelay_db_pool_size', 'Most connections the pool may open (1 for the embedded PGlite)'),
    open: gauge('payrelay_db_pool_connections', 'Connections open now'),
    idle: gauge('payrelay_db_pool_idle_connections', 'Open connections not in use'),
    waiting: gauge('payrelay_db_pool_waiting', 'Queries waiting for a connection (PGlite: queued behind the one running)'),
  };
  const backlogSql = streams
    .map(
      ({ outbox }, index) =>
        `SELECT $${index + 1}::text AS provider, count(*)::int AS pending,
           COALESCE(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
         FROM ${db.table(outbox.table)} WHERE ${pendingRows(outbox)}`,
    )
    .join(' UNION ALL ');
  const names = streams.map(({ provider }) => provider);

  return {
    registry,
    async refresh() {
      const stats = db.poolStats?.();
      if (stats) {
        pool.size.set(stats.max);
        pool.open.set(stats.total);
        pool.idle.set(stats.idle);
        pool.waiting.set(stats.waiting);
      }
      try {
        const rows = await db.query<{ provider: string; pending: number; oldest: number }>(backlogSql, names);
        for (const row of rows) {
          pending.set({ provider: row.provider }, Number(row.pending));
          oldest.set({ provider: row.provider }, Math.max(0, Number(row.oldest)));
        }
        const [open] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${db.table('alert_incident')} WHERE resolved_at IS NULL`,
        );
        incidents.set(Number(open?.n ?? 0));
        up.set(1);
      } catch {
        // No figures rather than stale ones: a dashboard shows the gap, an alert on _up fires.
        pending.reset();
        oldest.reset();
        incidents.reset();
        up.set(0);
      }
    },
  };
}
