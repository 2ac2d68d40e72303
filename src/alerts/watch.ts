/**
 * Which webhook URLs are late right now: failing (marked by the dispatcher after failures in a
 * row) for longer than the threshold, or with a pending payment (or event) older than it. Two
 * statements, both answered from small tables or partial indexes, whatever the size of the history.
 */
import type { Db } from '../db/index.js';
import { pendingRows } from '../delivery/store.js';
import type { StreamOutbox } from '../delivery/streams.js';

export interface WatchedUrl {
  /** As the dispatcher stores it in webhook_endpoint: masked (redactUrl). */
  url: string;
  /** What is delivered to it: an instance's payments, its events. */
  streams: StreamOutbox[];
}

export interface LateUrl {
  url: string;
  /** The names of its streams. */
  providers: string[];
  reason: string;
  /** When deliveries began to be late: the older of the failure's start and the oldest pending row. */
  startedAt: Date;
  pending: number;
  lastError: string | null;
}

interface Backlog {
  pending: number;
  oldest: Date | null;
  ageMs: number;
  /** The oldest pending row's last attempt's error. */
  lastError: string | null;
}

/** What a URL's streams deliver, in words: `payment(s)`, `event(s)`, or `payment(s) or event(s)`. */
export function itemsInWords(streams: StreamOutbox[]): string {
  const items = [...new Set(streams.map(({ outbox }) => outbox.item))];
  return items.length ? items.map((item) => `${item}(s)`).join(' or ') : 'payment(s)';
}

/** Each watched stream under its name, once (a stream delivered to two URLs, which none is today, is read once). */
export function streamsByName(watched: WatchedUrl[]): Map<string, StreamOutbox> {
  return new Map(watched.flatMap(({ streams }) => streams.map((stream) => [stream.provider, stream] as const)));
}

export async function lateUrls(db: Db, watched: WatchedUrl[], afterMs: number): Promise<LateUrl[]> {
  if (watched.length === 0) return [];
  const endpoints = await endpointStates(db);
  const backlogs = await backlogByStream(db, [...streamsByName(watched).values()]);
  const late: LateUrl[] = [];
  for (const { url, streams } of watched) {
    const providers = streams.map(({ provider }) => provider);
    const endpoint = endpoints.get(url);
    // A URL with failures but not yet marked failing still has its last error to tell.
    const failure = endpoint?.since ? endpoint : undefined;
    const mine = streams.flatMap(({ provider, outbox }) => {
      const backlog = backlogs.get(provider);
      return backlog ? [{ ...backlog, item: outbox.item }] : [];
    });
    const pending = mine.reduce((sum, b) => sum + b.pending, 0);
    const oldest = mine.filter((b) => b.oldest).sort((a, b) => b.ageMs - a.ageMs)[0];
    const reasons: string[] = [];
    if (failure && failure.ageMs >= afterMs) reasons.push(`the URL has been failing for ${minutes(failure.ageMs)}`);
    if (oldest && oldest.ageMs >= afterMs) reasons.push(`the oldest pending ${oldest.item} has waited ${minutes(oldest.ageMs)}`);
    if (reasons.length === 0) continue;
    const starts = [failure?.since, oldest?.oldest].filter((d): d is Date => d instanceof Date);
    const startedAt = new Date(Math.min(...starts.map((d) => d.getTime())));
    const lastError = endpoint?.lastError ?? oldest?.lastError ?? null;
    late.push({ url, providers, reason: reasons.join(' and '), startedAt, pending, lastError });
  }
  return late;
}

/** webhook_endpoint holds only URLs whose last attempts failed: a handful of rows. */
async function endpointStates(db: Db) {
  const rows = await db.query<{ url: string; failing_since: Date | null; age_ms: number | null; last_error: string | null }>(
    `SELECT url, failing_since, extract(epoch FROM now() - failing_since)::float8 * 1000 AS age_ms, last_error
     FROM ${db.table('webhook_endpoint')}`,
  );
  return new Map(
    rows.map((row) => [
      row.url,
      {
        since: row.failing_since ? new Date(row.failing_since) : undefined,
        ageMs: Number(row.age_ms ?? 0),
        lastError: row.last_error,
      },
    ]),
  );
}

async function backlogByStream(db: Db, streams: StreamOutbox[]): Promise<Map<string, Backlog>> {
  const sql = streams
    .map(({ outbox }, index) => {
      const [table, pending] = [db.table(outbox.table), pendingRows(outbox)];
      return `SELECT $${index + 1}::text AS provider, count(*)::int AS pending, min(created_at) AS oldest,
           COALESCE(extract(epoch FROM now() - min(created_at))::float8 * 1000, 0) AS age_ms,
           (SELECT last_error FROM ${table} WHERE ${pending} ORDER BY created_at LIMIT 1) AS last_error
         FROM ${table} WHERE ${pending}`;
    })
    .join(' UNION ALL ');
  const rows = await db.query<{
    provider: string;
    pending: number;
    oldest: Date | null;
    age_ms: number;
    last_error: string | null;
  }>(
    sql,
    streams.map(({ provider }) => provider),
  );
  return new Map(
    rows.map((row) => [
      row.provider,
      {
        pending: Number(row.pending),
        oldest: row.oldest ? new Date(row.oldest) : null,
        ageMs: Number(row.age_ms),
        lastError: row.last_error,
      },
    ]),
  );
}

function minutes(ms: number): string {
  const total = Math.round(ms / 1000);
  return total < 120 ? `${total} s` : `${Math.round(total / 60)} min`;
}
