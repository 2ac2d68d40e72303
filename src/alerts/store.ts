/** The SQL of alerts, one statement per function (a transaction where two must agree). */
import type { Db } from '../db/index.js';
import type { Outbox } from '../delivery/store.js';
import { redactUrl } from '../util/redact-url.js';
import type { AlertEvent } from './message.js';

export interface Incident {
  id: string;
  url: string;
  providers: string[];
  reason: string;
  startedAt: Date;
  openedAt: Date;
  resolvedAt: Date | null;
  pending: number;
  delayed: number | null;
  lastError: string | null;
}

interface IncidentRow extends Record<string, unknown> {
  id: string;
  url: string;
  providers: string;
  reason: string;
  started_at: Date;
  opened_at: Date;
  resolved_at: Date | null;
  pending: number;
  delayed: number | null;
  last_error: string | null;
}

const toIncident = (row: IncidentRow): Incident => ({
  id: String(row.id),
  // Stored masked; masked again for an incident a version that stored the URL as it came left open.
  url: redactUrl(row.url),
  providers: row.providers.split(',').filter(Boolean),
  reason: row.reason,
  startedAt: new Date(row.started_at),
  openedAt: new Date(row.opened_at),
  resolvedAt: row.resolved_at ? new Date(row.resolved_at) : null,
  pending: Number(row.pending),
  delayed: row.delayed === null ? null : Number(row.delayed),
  lastError: row.last_error,
});

/** The incidents not over yet, oldest first: for the dashboard and for the monitor. */
export async function openIncidents(db: Db): Promise<Incident[]> {
  const rows = await db.query<IncidentRow>(
    `SELECT * FROM ${db.table('alert_incident')} WHERE resolved_at IS NULL ORDER BY opened_at, id`,
  );
  return rows.map(toIncident);
}

export async function incidentById(db: Db, id: string): Promise<Incident | undefined> {
  const [row] = await db.query<IncidentRow>(`SELECT * FROM ${db.table('alert_incident')} WHERE id = $1`, [id]);
  return row && toIncident(row);
}

export interface NewIncident {
  url: string;
  providers: string[];
  reason: string;
  startedAt: Date;
  pending: number;
  lastError: string | null;
}

/**
 * Opens an incident unless one is open for the URL already, and queues its message for each
 * channel, in one transaction. The partial unique index decides between processes racing to
 * open it: only the one whose INSERT went in gets an id back. Returns that id, or undefined.
 */
export async function openIncident(db: Db, incident: NewIncident, channels: string[]): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ id: string }>(
      `INSERT INTO ${db.table('alert_incident')} (url, providers, reason, started_at, pending, last_error)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (url) WHERE resolved_at IS NULL DO NOTHING
       RETURNING id`,
      [incident.url, incident.providers.join(','), incident.reason, incident.startedAt, incident.pending, incident.lastError],
    );
    if (!row) return undefined;
    await queueNotices(tx, db, String(row.id), 'opened', channels);
    return String(row.id);
  });
}

/** Ends an incident and queues its recovery messages; true for the one process that ended it. */
export async function resolveIncident(db: Db, id: string, delayed: number, channels: string[]): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query(
      `UPDATE ${db.table('alert_incident')} SET resolved_at = now(), delayed = $2
       WHERE id = $1 AND resolved_at IS NULL RETURNING id`,
      [id, delayed],
    );
    if (!row) return false;
    await queueNotices(tx, db, id, 'resolved', channels);
    return true;
  });
}

async function queueNotices(tx: Pick<Db, 'query'>, db: Db, id: string, event: AlertEvent, channels: string[]): Promise<void> {
  for (const channel of channels) {
    await tx.query(
      `INSERT INTO ${db.table('alert_notice')} (incident_id, event, channel) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [id, event, channel],
    );
  }
}

/**
 * Rows of the incident's outboxes (its payments, its events) whose delivery it held up: still
 * pending, or delivered since it started. Runs once per incident, at its end.
 */
export async function countDelayed(db: Db, outboxes: Outbox[], startedAt: Date): Promise<number> {
  let total = 0;
  for (const { table, status, where } of outboxes) {
    const [row] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${db.table(table)}
       WHERE (${status} = 0 OR delivered_at >= $1) AND ${where ?? 'true'}`,
      [startedAt],
    );
    total += Number(row?.n ?? 0);
  }
  return total;
}

export interface Notice {
  id: string;
  incidentId: string;
  event: AlertEvent;
  channel: string;
  attempts: number;
}

/**
 * Claims due messages for the channels this process has, with a lease so that each goes out
 * from one process. A recovery waits for its incident's opening on the same channel: nobody
 * should read "recovered" before "late".
 */
export async function claimNotices(db: Db, channels: string[], leaseMs: number, limit = 20): Promise<Notice[]> {
  const notice = db.table('alert_notice');
  const rows = await db.query<{ id: string; incident_id: string; event: AlertEvent; channel: string; attempts: number }>(
    `UPDATE ${notice} SET locked_until = now() + $2 * interval '1 millisecond', attempts = attempts + 1
     WHERE id IN (
       SELECT n.id FROM ${notice} n
       WHERE n.sent_at IS NULL AND n.next_attempt_at <= now()
         AND (n.locked_until IS NULL OR n.locked_until < now())
         AND n.channel = ANY (string_to_array($1, ','))
         AND NOT (n.event = 'resolved' AND EXISTS (
           SELECT 1 FROM ${notice} o
           WHERE o.incident_id = n.incident_id AND o.channel = n.channel AND o.event = 'opened' AND o.sent_at IS NULL))
       ORDER BY n.id
       LIMIT $3
       FOR UPDATE SKIP LOCKED)
     RETURNING id, incident_id, event, channel, attempts`,
    [channels.join(','), leaseMs, limit],
  );
  return rows.map((row) => ({
    id: String(row.id),
    incidentId: String(row.incident_id),
    event: row.event,
    channel: row.channel,
    attempts: Number(row.attempts),
  }));
}

export async function markSent(db: Db, id: string): Promise<void> {
  await db.query(`UPDATE ${db.table('alert_notice')} SET sent_at = now(), locked_until = NULL, last_error = NULL WHERE id = $1`, [
    id,
  ]);
}

export async function markFailed(db: Db, id: string, error: string, retryInMs: number): Promise<void> {
  await db.query(
    `UPDATE ${db.table('alert_notice')}
     SET last_error = $2, locked_until = NULL, next_attempt_at = now() + $3 * interval '1 millisecond'
     WHERE id = $1`,
    [id, error, retryInMs],
  );
}
